"""``/umpanbalik``: a trainer, in or after their session, sends its participants the
session-feedback survey at once and watches the answers come in, in one message that
updates itself. Organisers may do it for any session of their event."""

from datetime import datetime

from handlers.agenda_view import session_label
from handlers.live_results import watch
from handlers.menu import MENU_LIMIT
from handlers.quick_rounds import NotStarted, Started, feedback_sessions, start_quick_feedback
from handlers.registry import Command, Feature
from handlers.roles import may, my_role
from handlers.staff import refuse, staff_event
from handlers.turn import PAYLOAD_SEPARATOR, Option, Turn
from handlers.validation import row_id
from models import Event, RoleName
from models.agenda import AgendaItem
from models.roles import teaches

QUICK = "umpan"  # "umpan|s12": quick feedback on session 12


async def sessions_now(turn: Turn, event: Event, now: datetime) -> list[AgendaItem]:
    """The sessions of today (in the event's zone) that have begun and that this person
    may ask about, the latest first: their own, or every one for an organiser."""
    today = await feedback_sessions(turn.session, event, now)
    if not await may(turn, event, RoleName.ORGANIZER):
        role = await my_role(turn, event, RoleName.TRAINER)
        today = [s for s in today if role is not None and teaches(role.speaker, s.speakers)]
    return today


async def quick_feedback(turn: Turn) -> None:
    event = await staff_event(turn, RoleName.TRAINER)
    if event is None:
        return
    candidates = await sessions_now(turn, event, turn.now)
    if not candidates:
        turn.say("quick.no_session", event=event.name)
        return
    if len(candidates) == 1:
        await start_feedback(turn, event, candidates[0])
        return
    options = [
        Option(f"{QUICK}{PAYLOAD_SEPARATOR}s{s.id}", session_label(s, event, True))
        for s in candidates[:MENU_LIMIT]
    ]
    turn.offer(turn.t("quick.which"), options)


async def quick_button(turn: Turn, value: str) -> bool:
    number = row_id(value[1:]) if value.startswith("s") else None
    if number is None:
        return False
    event = await staff_event(turn, RoleName.TRAINER)
    if event is None:
        return True
    chosen = [s for s in await sessions_now(turn, event, turn.now) if s.id == number]
    if not chosen:
        await refuse(turn, RoleName.TRAINER, event)
        return True
    await start_feedback(turn, event, chosen[0])
    return True


async def start_feedback(turn: Turn, event: Event, item: AgendaItem) -> None:
    """Open the session's feedback now (or take the one open), prompt whoever has not
    been prompted, and show the results live."""
    started = await start_quick_feedback(turn.session, event, item, turn.now, turn.person_id)
    if started is NotStarted.NO_SURVEY:
        turn.say("quick.no_survey")
        return
    if started is NotStarted.CLOSED:
        turn.say("quick.closed", session=item.title)
        return
    assert isinstance(started, Started)
    turn.say("quick.started", session=item.title, count=started.sent)
    organiser = await may(turn, event, RoleName.ORGANIZER)
    assert turn.identity.id is not None
    await watch(
        turn.session, started.round, turn.person, turn.identity.id, turn.identity.channel,
        turn.now, organiser=organiser,
    )  # fmt: skip


FEATURE = Feature(
    commands=(
        Command(
            "quickfeedback",
            {"id": "umpanbalik", "en": "quickfeedback"},
            quick_feedback,
            order=72,
            button=True,
            needs=RoleName.TRAINER,
        ),
    ),
    buttons={QUICK: quick_button},
)
