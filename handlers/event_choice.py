"""Which event a person is looking at: they may belong to several over time (and an
organiser or trainer to events they did not register for)."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from handlers.roles import event_ids_with_roles
from handlers.turn import Turn
from models import Enrollment, Event

SWITCH_LASTS = timedelta(hours=12)


async def enrollment(turn: Turn, event: Event) -> Enrollment | None:
    """This person's registration for ``event``, if any."""
    participant_id = turn.conversation.participant_id
    if participant_id is None:
        return None
    found = await turn.session.execute(
        select(Enrollment).where(
            col(Enrollment.participant_id) == participant_id,
            col(Enrollment.event_id) == event.id,
        )
    )
    return found.scalars().first()


def local_today(event: Event, turn: Turn) -> date:
    return turn.now.astimezone(ZoneInfo(event.timezone)).date()


def is_running(event: Event, turn: Turn) -> bool:
    return event.starts_on <= local_today(event, turn) <= event.ends_on


async def my_events(turn: Turn) -> list[Event]:
    """Events this person registered for or holds a role in; every event for an admin."""
    key = ("my_events", turn.conversation.participant_id)
    if key not in turn.memo:
        turn.memo[key] = await _load_my_events(turn)
    return list(turn.memo[key])


async def _load_my_events(turn: Turn) -> list[Event]:
    query = select(Event).order_by(col(Event.starts_on), col(Event.id))
    if not turn.is_admin:
        ids = set(await event_ids_with_roles(turn))
        participant_id = turn.conversation.participant_id
        if participant_id is not None:
            enrolled = await turn.session.execute(
                select(Enrollment.event_id).where(col(Enrollment.participant_id) == participant_id)
            )
            ids.update(enrolled.scalars())
        if not ids:
            return []
        query = query.where(col(Event.id).in_(ids))
    return list((await turn.session.execute(query)).scalars())


def pick_default(events: list[Event], turn: Turn) -> Event | None:
    """The event the person switched to in the last hours; else the one running now
    (the last chosen, if several are); else the last chosen (by registering or accepting
    an invite); else the next to start, or the latest."""
    if not events:
        return None
    conversation = turn.conversation
    chosen_id = conversation.viewing_event_id or conversation.event_id
    chosen = next((e for e in events if e.id == chosen_id), None)
    switched_at = conversation.event_chosen_at
    if chosen is not None and switched_at is not None and turn.now - switched_at < SWITCH_LASTS:
        return chosen
    running = [e for e in events if is_running(e, turn)]
    if running:
        return chosen if chosen in running else running[0]
    if chosen is not None:
        return chosen
    upcoming = [e for e in events if local_today(e, turn) < e.starts_on]
    return upcoming[0] if upcoming else events[-1]


async def current_event(turn: Turn) -> Event | None:
    return pick_default(await my_events(turn), turn)
