"""``/tandai``: an organiser marks someone present by hand, or takes a presence off (a
code sent from home, someone who left): the session (day by day), the person (a part of
their name), what to do, and why. The reason is kept with who did it and when."""

from datetime import date, timedelta

from pydantic import BaseModel, Field

from handlers.agenda_view import session_label
from handlers.attendance_texts import clock
from handlers.event_choice import local_today
from handlers.flow import Flow, Prompt, Step, UnknownChoiceError, goto, interrupt, leave_side_flow
from handlers.registry import Command, Feature
from handlers.roles import may
from handlers.staff import refuse, staff_event
from handlers.timefmt import format_date
from handlers.turn import Option, Turn, short_label
from handlers.validation import row_id
from models import Event, Person, RoleName
from models.agenda import AgendaItem, agenda
from models.attendance.marks import (
    MAX_REASON,
    ReasonError,
    Who,
    checked_reason,
    find_participants,
    mark,
    record_of,
    unmark,
)
from models.attendance.queries import attendable

SESSION_BUTTONS = 8  # with two day buttons, within a WhatsApp list's 10 rows
MARK, UNMARK = "mark", "unmark"


class MarkState(BaseModel):
    event_id: int | None = None
    day: date | None = None
    session_id: int | None = None
    # The people offered are kept with the question: a button means the same person
    # whatever registers meanwhile.
    found: list[int] = Field(default_factory=list)
    person_id: int | None = None
    action: str | None = None


async def start_marking(turn: Turn) -> None:
    event = await staff_event(turn, RoleName.ORGANIZER)
    if event is None:
        return
    state = MARKING.fresh_state(turn)
    state.event_id = event.id
    today = local_today(event, turn.now)
    state.day = min(max(today, event.starts_on), event.ends_on)
    await interrupt(turn, SESSION_STEP)


async def marking_event(turn: Turn, state: MarkState) -> Event | None:
    """The event being marked, while this person still organises it."""
    event = await turn.session.get(Event, state.event_id) if state.event_id else None
    if event is None or not await may(turn, event, RoleName.ORGANIZER):
        await refuse(turn, RoleName.ORGANIZER, event)
        await leave_side_flow(turn, show_menu=False)
        return None
    return event


async def _sessions(turn: Turn, event: Event, day: date) -> list[AgendaItem]:
    return [i for i in attendable((await agenda(turn.session, event)).items) if i.day == day]


async def _item(turn: Turn, event: Event, state: MarkState) -> AgendaItem | None:
    whole = await agenda(turn.session, event)
    return whole.item(state.session_id) if state.session_id is not None else None


class SessionStep(Step[MarkState]):
    name = "session"

    async def prompt(self, turn: Turn, state: MarkState) -> Prompt:
        event = await turn.session.get(Event, state.event_id) if state.event_id else None
        if event is None or state.day is None:
            return Prompt(turn.t("attendance.mark_no_event"))
        items = await _sessions(turn, event, state.day)
        options = [Option(f"s{i.id}", session_label(i, event, True)) for i in items]
        options = options[:SESSION_BUTTONS]
        day = timedelta(days=1)
        if state.day > event.starts_on:
            back = state.day - day
            options.append(Option(f"d{back.isoformat()}", turn.t("schedule.previous_day")))
        if state.day < event.ends_on:
            ahead = state.day + day
            options.append(Option(f"d{ahead.isoformat()}", turn.t("schedule.next_day")))
        date_text = format_date(state.day, turn.locale)
        key = "attendance.mark_session" if items else "attendance.mark_no_session"
        return Prompt(turn.t(key, event=event.name, date=date_text), options)

    async def on_choice(self, turn: Turn, state: MarkState, value: str) -> None:
        event = await marking_event(turn, state)
        if event is None:
            return
        if value.startswith("d"):
            try:
                day = date.fromisoformat(value[1:])
            except ValueError:
                raise UnknownChoiceError(value) from None
            if not event.starts_on <= day <= event.ends_on:
                raise UnknownChoiceError(value)
            state.day = day
            await goto(turn, self)
            return
        number = row_id(value[1:]) if value.startswith("s") else None
        items = await _sessions(turn, event, state.day) if state.day else []
        if number is None or number not in {i.id for i in items}:
            raise UnknownChoiceError(value)
        state.session_id, state.found = number, []
        await goto(turn, PERSON_STEP)


def _person_label(person: Person) -> str:
    library = f" · {person.library_name}" if person.library_name else ""
    return short_label(f"{person.full_name or '-'}{library}")


class PersonStep(Step[MarkState]):
    name = "person"
    takes_text = True  # a part of a name searches

    async def prompt(self, turn: Turn, state: MarkState) -> Prompt:
        if not state.found:
            return Prompt(turn.t("attendance.mark_ask_name"))
        people = [await turn.session.get(Person, ident) for ident in state.found]
        options = [Option(str(p.id), _person_label(p)) for p in people if p is not None]
        return Prompt(turn.t("attendance.mark_pick"), options)

    async def on_text(self, turn: Turn, state: MarkState, text: str) -> None:
        event = await marking_event(turn, state)
        if event is None or event.id is None:
            return
        found = await find_participants(turn.session, event.id, text[:100])
        if not found:
            turn.say("attendance.mark_nobody", name=text.strip()[:60], event=event.name)
        state.found = [p.id for p in found if p.id is not None]
        await goto(turn, self)

    async def on_choice(self, turn: Turn, state: MarkState, value: str) -> None:
        event = await marking_event(turn, state)
        if event is None:
            return
        number = row_id(value)
        if number is None or number not in state.found:
            raise UnknownChoiceError(value)
        state.person_id = number
        await goto(turn, ACTION_STEP)


class ActionStep(Step[MarkState]):
    name = "action"

    async def prompt(self, turn: Turn, state: MarkState) -> Prompt:
        t = turn.t
        event = await turn.session.get(Event, state.event_id) if state.event_id else None
        person = await turn.session.get(Person, state.person_id) if state.person_id else None
        item = await _item(turn, event, state) if event is not None else None
        if event is None or person is None or item is None:
            return Prompt(t("attendance.mark_no_event"))
        assert item.id is not None
        assert person.id is not None
        row = await record_of(turn.session, item.id, person.id)
        if row is None:
            status = t("attendance.mark_status_none")
        elif row.unmarked_at is not None:
            status = t("attendance.mark_status_unmarked", at=clock(row.unmarked_at, event))
        else:
            key = "attendance.mark_status_late" if row.late else "attendance.mark_status_present"
            status = t(key, at=clock(row.checked_in_at, event))
        present = row is not None and row.unmarked_at is None
        action = (
            (UNMARK, t("attendance.unmark_button"))
            if present
            else (MARK, t("attendance.mark_present"))
        )
        text = t("attendance.mark_what", name=person.full_name or "-",
                 session=session_label(item, event, True), status=status)  # fmt: skip
        return Prompt(text, [Option(*action)])

    async def on_choice(self, turn: Turn, state: MarkState, value: str) -> None:
        event = await marking_event(turn, state)
        if event is None:
            return
        if value not in (MARK, UNMARK):
            raise UnknownChoiceError(value)
        state.action = value
        await goto(turn, REASON_STEP)


class ReasonStep(Step[MarkState]):
    name = "reason"
    takes_text = True

    async def prompt(self, turn: Turn, state: MarkState) -> Prompt:
        return Prompt(turn.t("attendance.mark_reason", most=MAX_REASON))

    async def on_text(self, turn: Turn, state: MarkState, text: str) -> None:
        event = await marking_event(turn, state)
        if event is None or event.id is None:
            return
        try:
            reason = checked_reason(text)
        except ReasonError:
            turn.say("attendance.mark_bad_reason", most=MAX_REASON)
            await goto(turn, self)
            return
        assert state.session_id is not None
        assert state.person_id is not None
        change = mark if state.action == MARK else unmark
        done = await change(
            turn.session, event_id=event.id, session_id=state.session_id,
            person_id=state.person_id, reason=reason,
            who=Who(turn.person_id, turn.identity.channel), now=turn.now,
        )  # fmt: skip
        person = await turn.session.get(Person, state.person_id)
        item = await _item(turn, event, state)
        turn.say(f"attendance.marks_{done}", name=person.full_name if person else "-",
                 session=item.title if item else "-")  # fmt: skip
        await leave_side_flow(turn)


SESSION_STEP = SessionStep()
PERSON_STEP = PersonStep()
ACTION_STEP = ActionStep()
REASON_STEP = ReasonStep()
MARKING: Flow[MarkState] = Flow(
    "attendance_mark", MarkState, [SESSION_STEP, PERSON_STEP, ACTION_STEP, REASON_STEP], side=True
)


FEATURE = Feature(
    commands=(
        Command(
            "mark",
            {"id": "tandai", "en": "mark"},
            start_marking,
            order=74,
            needs=RoleName.ORGANIZER,
        ),
    ),
    flows=(MARKING,),
)
