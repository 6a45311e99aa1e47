"""``/survei``: the surveys waiting for a person, and answering one, a question at a time.

Each question shows where one is ("3/8"), can go back one question or stop for later;
answers are kept as they are given, so stopping, a restart or a day's pause loses
nothing. The last answer submits the survey; answering it again while it is open
changes the answers (the first submission's time is kept). A prompt's button
(``survei|r<round id>``) opens the same way as the list's.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace

from pydantic import BaseModel

from handlers.flow import Flow, Prompt, Step, UnknownChoiceError, end_flow, goto, interrupt
from handlers.live_results import refresh
from handlers.questions import Answer, QuestionStep
from handlers.registry import Command, Feature
from handlers.survey_items import Item, as_question, items
from handlers.timefmt import format_moment
from handlers.turn import PAYLOAD_SEPARATOR, Option, Turn
from handlers.types import Reply
from handlers.validation import row_id
from models import AgendaSession, Event
from models.surveys.definition import AnswerValue, QuestionType, SurveyDefinition
from models.surveys.store import (
    Answers,
    SurveyResponse,
    SurveyRound,
    answers_of,
    forget_answers,
    is_for,
    save_answer,
    start_response,
    submit,
    waiting_for,
)
from models.surveys.store import Survey as SurveyRow

SURVEY_BUTTON = "survei"  # "survei|r12": open round 12
BACK, LATER = "<back", "<later"  # not option values: those are slugs
TYPED = (QuestionType.TEXT, QuestionType.NUMBER, QuestionType.MULTIPLE)


def open_payload(round_id: int) -> str:
    return f"{SURVEY_BUTTON}{PAYLOAD_SEPARATOR}r{round_id}"


class SurveyState(BaseModel):
    round_id: int | None = None
    position: int = 0  # in the questions asked now (follow-ups come and go)
    typed: bool = False  # the question now asked takes typed answers


@dataclass(slots=True)
class Sitting:
    """One person at one survey: what is asked, what is answered."""

    round: SurveyRound
    definition: SurveyDefinition
    event: Event
    response: SurveyResponse
    answers: Answers
    session_title: str

    @property
    def asked(self) -> list[Item]:
        return items(self.definition, self.round.speakers, self.answers)


async def sitting(turn: Turn, round_id: int | None) -> Sitting | None:
    """The survey under way, if this person may still answer it."""
    round_ = await turn.session.get(SurveyRound, round_id) if round_id else None
    if round_ is None or round_.id is None:
        return None
    survey = await turn.session.get(SurveyRow, round_.survey_id)
    event = await turn.session.get(Event, round_.event_id)
    if survey is None or event is None:
        return None
    response = await start_response(turn.session, round_.id, turn.person_id, turn.now)
    assert response.id is not None
    item = await turn.session.get(AgendaSession, round_.session_id) if round_.session_id else None
    return Sitting(
        round_,
        survey.parsed(),
        event,
        response,
        await answers_of(turn.session, response.id),
        item.title if item is not None else "",
    )


def shown_answer(turn: Turn, item: Item, value: AnswerValue) -> str:
    """An answer as the person gave it, to show beside the question asked again."""
    question = item.question
    if isinstance(value, bool):
        return turn.t("question.yes" if value else "question.no")
    labels = {o.value: o.text.get(turn.locale) for o in question.options or ()}
    if isinstance(value, list):
        return ", ".join(labels.get(v, v) for v in value)
    if question.type is QuestionType.SCALE and question.labels and isinstance(value, int):
        return f"{value} {question.labels[value - 1].get(turn.locale)}"
    return labels.get(str(value), str(value))


class ItemQuestion(QuestionStep[SurveyState]):
    """One survey question as the generic step asks it, with where one is in the survey,
    the answer given before, and the buttons to go back or stop."""

    def __init__(self, owner: "SurveyStep", found: Sitting, item: Item, position: int) -> None:
        super().__init__(as_question(item.question), owner.answered, name=owner.name)
        self.flow = owner.flow
        self.found, self.item, self.position = found, item, position

    async def prompt(self, turn: Turn, state: SurveyState) -> Prompt:
        asked = await super().prompt(turn, state)
        t, locale, found = turn.t, turn.locale, self.found
        head = [
            t(
                "survey.progress",
                title=found.definition.title_in(locale),
                number=self.position + 1,
                total=len(found.asked),
            )
        ]
        if found.session_title:
            head.append(t("survey.about_session", session=found.session_title))
        if self.item.subject:
            head.append(t("survey.about_speaker", speaker=self.item.subject))
        lines = ["\n".join(head), "", asked.text]
        previous = found.answers.get(self.item.key)
        if previous is not None:
            lines += ["", t("survey.your_answer", answer=shown_answer(turn, self.item, previous))]
        return replace(asked, text="\n".join(lines))

    def _options(self, turn: Turn, picked: Sequence[int]) -> list[Option]:
        options = super()._options(turn, picked)
        if self.position > 0:
            options.append(Option(BACK, turn.t("survey.back")))
        options.append(Option(LATER, turn.t("survey.later")))
        return options


class SurveyStep(Step[SurveyState]):
    """Whichever question of the survey is at the person's position."""

    name = "question"

    def typed_answers(self, state: SurveyState) -> bool:
        return state.typed

    async def _current(self, turn: Turn, state: SurveyState) -> ItemQuestion | None:
        found = await sitting(turn, state.round_id)
        asked = found.asked if found is not None else []
        if found is None or not asked:
            return None
        state.position = min(max(state.position, 0), len(asked) - 1)
        item = asked[state.position]
        # Free text, numbers and "1, 3" are answers; for the rest, typed words pick a
        # button as loosely as anywhere else.
        state.typed = item.question.type in TYPED
        return ItemQuestion(self, found, item, state.position)

    async def prompt(self, turn: Turn, state: SurveyState) -> Prompt:
        current = await self._current(turn, state)
        if current is None:
            return Prompt(turn.t("survey.gone"))
        return await current.prompt(turn, state)

    async def on_choice(self, turn: Turn, state: SurveyState, value: str) -> None:
        if value == LATER:
            end_flow(turn)
            turn.say("survey.paused")
            return
        current = await self._current(turn, state)
        if current is None:
            await self._gone(turn)
        elif await self._still_open(turn, current.found):
            if value != BACK:
                await current.on_choice(turn, state, value)
            elif state.position == 0:
                raise UnknownChoiceError(value)
            else:
                state.position -= 1
                await goto(turn, self)

    async def on_text(self, turn: Turn, state: SurveyState, text: str) -> None:
        current = await self._current(turn, state)
        if current is None:
            await self._gone(turn)
        elif await self._still_open(turn, current.found):
            await current.on_text(turn, state, text)

    async def answered(self, turn: Turn, state: SurveyState, value: Answer) -> None:
        current = await self._current(turn, state)
        if current is None:
            await self._gone(turn)
            return
        found, item = current.found, current.item
        await save_answer(
            turn.session, found.response, item.question.id, item.subject, value, turn.now
        )
        if value is None:
            found.answers.pop(item.key, None)
        else:
            found.answers[item.key] = value
        asked = found.asked
        # A changed answer may hide follow-ups answered earlier: those answers go.
        await forget_answers(turn.session, found.response, {i.key for i in asked})
        position = next(n for n, i in enumerate(asked) if i.key == item.key) + 1
        if position < len(asked):
            state.position = position
            await goto(turn, self)
            return
        end_flow(turn)
        first = submit(found.response, turn.now)
        assert found.round.id is not None
        await refresh(turn.session, found.round.id, turn.now)
        title = found.definition.title_in(turn.locale)
        turn.say("survey.submitted" if first else "survey.changed", title=title)

    async def _still_open(self, turn: Turn, found: Sitting) -> bool:
        if found.round.is_open(turn.now):
            return True
        end_flow(turn)
        closed(turn, found.round, found.definition, found.event)
        return False

    async def _gone(self, turn: Turn) -> None:
        end_flow(turn)
        turn.say("survey.gone")


def closed(turn: Turn, round_: SurveyRound, definition: SurveyDefinition, event: Event) -> None:
    if round_.closes_at is not None and round_.closes_at <= turn.now:
        when = format_moment(round_.closes_at, event.timezone, turn.locale)
        turn.say("survey.closed", title=definition.title_in(turn.locale), when=when)
    else:
        turn.say("survey.not_yet", title=definition.title_in(turn.locale))


STEP = SurveyStep()
SURVEY: Flow[SurveyState] = Flow(
    "survey", SurveyState, [STEP], side=True, cancelled="survey.paused"
)


async def start(turn: Turn, round_id: int) -> None:
    """Open a round for this person: at the first question not answered yet, or from the
    start when they submitted it and come back to change something."""
    round_ = await turn.session.get(SurveyRound, round_id)
    if round_ is None or not await is_for(turn.session, round_, turn.person_id):
        turn.say("survey.not_yours")
        return
    survey = await turn.session.get(SurveyRow, round_.survey_id)
    event = await turn.session.get(Event, round_.event_id)
    if survey is None or event is None:
        turn.say("survey.not_yours")
        return
    if not round_.is_open(turn.now):
        closed(turn, round_, survey.parsed(), event)
        return
    state = SURVEY.fresh_state(turn)
    state.round_id = round_id
    found = await sitting(turn, round_id)
    assert found is not None
    if found.response.submitted_at is None:
        unanswered = [n for n, i in enumerate(found.asked) if i.key not in found.answers]
        state.position = unanswered[0] if unanswered else 0
        if found.answers:
            turn.say("survey.resumed")
    else:
        turn.say("survey.change_hint")
    intro = found.definition.intro
    if intro is not None and not found.answers:
        turn.replies.append(Reply(intro.get(turn.locale)))
    await interrupt(turn, STEP)


async def list_surveys(turn: Turn) -> None:
    waiting = await waiting_for(turn.session, turn.person_id, turn.now)
    if not waiting:
        turn.say("survey.none")
        return
    t, locale = turn.t, turn.locale
    lines, options = [t("survey.list_title")], []
    for entry in waiting:
        definition = entry.survey.parsed()
        title = definition.title_in(locale)
        assert entry.round.id is not None
        if entry.submitted:
            status = t("survey.status_done")
        elif entry.response is not None:
            status = t("survey.status_started")
        else:
            status = t("survey.status_new")
        lines.append(t("survey.list_line", title=title, status=status))
        options.append(Option(open_payload(entry.round.id), title))
    turn.offer("\n".join(lines), options)


async def survey_button(turn: Turn, value: str) -> bool:
    number = row_id(value[1:]) if value.startswith("r") else None
    if number is None:
        return False
    await start(turn, number)
    return True


FEATURE = Feature(
    commands=(
        Command(
            "surveys",
            {"id": "survei", "en": "surveys"},
            list_surveys,
            order=42,
            channel_menu=True,
        ),
    ),
    flows=(SURVEY,),
    buttons={SURVEY_BUTTON: survey_button},
)
