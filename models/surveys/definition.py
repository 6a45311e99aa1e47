"""A survey as data: its questions, their kinds, follow-ups and answer keys.

A definition is what a YAML file says (``models.surveys.loading`` reads the file and
names mistakes by line); the checks here are the ones that do not depend on how it was
written: ids unique, a follow-up refers to an earlier question and to answers it can
have, an answer key names options that exist, an SKM element is on the 1–4 scale.
"""

import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
MAX_QUESTIONS = 60
MAX_OPTIONS = 20
MAX_TEXT_LENGTH = 4000

# Anchored: pydantic searches for a pattern anywhere in the text.
Slug = Annotated[str, Field(pattern=f"^{SLUG.pattern}$", max_length=40)]
# What an answer can be, as stored: a scale point or a number, an option's value, the
# values picked, a yes/no, free text.
AnswerValue = int | float | str | bool | list[str]


class Purpose(StrEnum):
    """What a survey is for: decides when it is sent and how its results are read."""

    SESSION_FEEDBACK = "session_feedback"  # after each session, about that session
    EVALUATION = "evaluation"  # the event's evaluation, SKM style, on its last day
    PRE_TEST = "pre_test"  # before the first session: scored
    POST_TEST = "post_test"  # after the last session: scored, compared with the pre-test
    ACTION_PLAN = "action_plan"  # the RTL, on the last day
    RTL_FOLLOWUP = "rtl_followup"  # +30, +60, +90 days, quoting the person's plan
    GENERAL = "general"  # sent when an organiser says so


SCORED = (Purpose.PRE_TEST, Purpose.POST_TEST)


class QuestionType(StrEnum):
    SCALE = "scale"
    SINGLE = "single"
    MULTIPLE = "multiple"
    TEXT = "text"
    NUMBER = "number"
    YES_NO = "yes_no"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Localized(Strict):
    """Text in Indonesian, and in English where given (Indonesian stands in for it)."""

    id: str = Field(min_length=1, max_length=1000)
    en: str | None = Field(default=None, min_length=1, max_length=1000)

    @model_validator(mode="before")
    @classmethod
    def _plain_text(cls, value: Any) -> Any:
        return {"id": value} if isinstance(value, str) else value

    def get(self, locale: str) -> str:
        return self.en if locale == "en" and self.en else self.id


class Choice(Strict):
    value: Slug
    text: Localized


class Condition(Strict):
    """Shown only when the answer to ``question`` (asked earlier) is one of ``in``; for a
    multiple choice, when any of the picked values is."""

    question: Slug
    in_: list[int | str | bool] = Field(alias="in", min_length=1, max_length=MAX_OPTIONS)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def holds(self, answer: AnswerValue | None) -> bool:
        if answer is None:
            return False
        picked = answer if isinstance(answer, list) else [answer]
        # bool is an int in Python: compare types too, so that 1 is not "yes".
        return any((type(a), a) == (type(w), w) for a in picked for w in self.in_)


class QuestionDef(Strict):
    id: Slug
    type: QuestionType
    text: Localized
    required: bool = True
    # scale
    scale: Literal[4, 5] | None = None
    labels: list[Localized] | None = None  # one per point, lowest first
    # an SKM element (only on the 1–4 scale): the index is the mean of element means × 25
    element: Localized | None = None
    # single, multiple
    options: list[Choice] | None = Field(default=None, min_length=2, max_length=MAX_OPTIONS)
    answer: list[Slug] | None = None  # the key of a scored question: the right value(s)
    points: float = Field(default=1, gt=0, le=100)
    # text
    max_length: int = Field(default=500, ge=1, le=MAX_TEXT_LENGTH)
    # number
    min: float | None = None
    max: float | None = None
    # asked once for each speaker (of the session, or of the event for an evaluation)
    per_speaker: bool = False
    show_if: Condition | None = None

    @field_validator("answer", mode="before")
    @classmethod
    def _one_answer(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _fits_type(self) -> "QuestionDef":
        kind = self.type
        if kind is QuestionType.SCALE:
            if self.scale is None:
                raise ValueError("a scale question needs 'scale: 4' or 'scale: 5'")
            if self.labels is not None and len(self.labels) != self.scale:
                raise ValueError(f"'labels' needs {self.scale} labels, one for each point")
            if self.element is not None and self.scale != 4:
                raise ValueError("an SKM 'element' is answered on the 1–4 scale ('scale: 4')")
        else:
            for name in ("scale", "labels", "element"):
                if getattr(self, name) is not None:
                    raise ValueError(f"'{name}' is for scale questions only")
        if kind in (QuestionType.SINGLE, QuestionType.MULTIPLE):
            if not self.options:
                raise ValueError("a choice question needs 'options' (at least 2)")
            values = [o.value for o in self.options]
            if len(set(values)) != len(values):
                raise ValueError("two options with the same value")
            unknown = [a for a in self.answer or () if a not in values]
            if unknown:
                raise ValueError(f"'answer' names no option: {', '.join(unknown)}")
            if self.answer is not None and kind is QuestionType.SINGLE and len(self.answer) != 1:
                raise ValueError("a single-choice question has one right answer")
        else:
            for name in ("options", "answer"):
                if getattr(self, name) is not None:
                    raise ValueError(f"'{name}' is for choice questions only")
        if kind is QuestionType.NUMBER:
            if self.min is not None and self.max is not None and self.min > self.max:
                raise ValueError("'min' is above 'max'")
        elif self.min is not None or self.max is not None:
            raise ValueError("'min' and 'max' are for number questions only")
        return self

    @property
    def scored(self) -> bool:
        return self.answer is not None

    def possible(self) -> list[int | str | bool] | None:
        """Every answer it can have, where that is a short list (for conditions)."""
        if self.type is QuestionType.SCALE and self.scale is not None:
            return list(range(1, self.scale + 1))
        if self.type is QuestionType.YES_NO:
            return [True, False]
        if self.options:
            return [o.value for o in self.options]
        return None

    def score(self, answer: AnswerValue | None) -> float:
        """The points earned by ``answer``: all of them for exactly the right value(s)."""
        if self.answer is None or answer is None:
            return 0.0
        picked = sorted(answer) if isinstance(answer, list) else [answer]
        return self.points if picked == sorted(self.answer) else 0.0


class SurveyDefinition(Strict):
    id: Slug
    purpose: Purpose
    title: Localized
    intro: Localized | None = None
    questions: list[QuestionDef] = Field(min_length=1, max_length=MAX_QUESTIONS)

    @model_validator(mode="after")
    def _consistent(self) -> "SurveyDefinition":
        seen: dict[str, QuestionDef] = {}
        for question in self.questions:
            if question.id in seen:
                raise ValueError(f"two questions with the id '{question.id}'")
            condition = question.show_if
            if condition is not None:
                earlier = seen.get(condition.question)
                if earlier is None:
                    raise ValueError(
                        f"'{question.id}' is shown after '{condition.question}', "
                        "which is not a question asked before it"
                    )
                if earlier.per_speaker != question.per_speaker:
                    raise ValueError(
                        f"'{question.id}' and '{earlier.id}' must both be per speaker or neither"
                    )
                possible = earlier.possible()
                if possible is None:
                    raise ValueError(f"'{question.id}' cannot depend on a free answer")
                impossible = [
                    w
                    for w in condition.in_
                    if not any((type(w), w) == (type(p), p) for p in possible)
                ]
                if impossible:
                    shown = ", ".join(
                        str(w).lower() if isinstance(w, bool) else str(w) for w in impossible
                    )
                    raise ValueError(f"'{question.id}': '{earlier.id}' cannot be answered {shown}")
            seen[question.id] = question
        if self.purpose in SCORED and not any(q.scored for q in self.questions):
            raise ValueError("a test needs at least one question with an 'answer' key")
        if self.purpose not in SCORED and any(q.scored for q in self.questions):
            raise ValueError("answer keys are for pre-tests and post-tests only")
        return self

    def question(self, question_id: str) -> QuestionDef | None:
        return next((q for q in self.questions if q.id == question_id), None)

    @property
    def max_score(self) -> float:
        return sum(q.points for q in self.questions if q.scored)

    @property
    def has_speakers(self) -> bool:
        return any(q.per_speaker for q in self.questions)

    def title_in(self, locale: str) -> str:
        return self.title.get(locale)
