"""What a survey asks one person, in order: each question once, or once for each speaker,
and a follow-up only while the answer it follows calls for it; and each question as the
generic question step asks it."""

import math
from dataclasses import dataclass

from handlers.questions import AnswerOption, Kind, Question, Words
from models.surveys.definition import Localized, QuestionDef, QuestionType, SurveyDefinition
from models.surveys.store import Answers

KINDS = {
    QuestionType.SCALE: Kind.SCALE,
    QuestionType.SINGLE: Kind.SINGLE,
    QuestionType.MULTIPLE: Kind.MULTIPLE,
    QuestionType.TEXT: Kind.TEXT,
    QuestionType.NUMBER: Kind.NUMBER,
    QuestionType.YES_NO: Kind.YES_NO,
}
# Bounds of a number question that gives none: what people plausibly type.
NUMBER_LOW, NUMBER_HIGH = -(10**9), 10**9


@dataclass(frozen=True, slots=True)
class Item:
    question: QuestionDef
    subject: str  # the speaker asked about; "" for a question asked once

    @property
    def key(self) -> tuple[str, str]:
        return self.question.id, self.subject


def items(definition: SurveyDefinition, speakers: list[str], answers: Answers) -> list[Item]:
    """The questions to ask now, given the answers so far."""
    found = []
    for question in definition.questions:
        subjects = speakers if question.per_speaker else [""]
        for subject in subjects:
            condition = question.show_if
            if condition is None or condition.holds(answers.get((condition.question, subject))):
                found.append(Item(question, subject))
    return found


def words(text: Localized) -> Words:
    return Words({"id": text.id, "en": text.en or text.id})


def as_question(question: QuestionDef) -> Question:
    """The question step's view of a survey question."""
    kind = KINDS[question.type]
    low, high = 1, 5
    if question.type is QuestionType.SCALE and question.scale is not None:
        high = question.scale
    elif question.type is QuestionType.NUMBER:
        low = math.ceil(question.min) if question.min is not None else NUMBER_LOW
        high = math.floor(question.max) if question.max is not None else NUMBER_HIGH
    return Question(
        key=question.id,
        kind=kind,
        text=words(question.text),
        options=tuple(AnswerOption(o.value, words(o.text)) for o in question.options or ()),
        low=low,
        high=high,
        point_labels=tuple(words(label) for label in question.labels or ()),
        required=question.required,
        max_length=question.max_length,
    )
