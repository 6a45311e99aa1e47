"""Which event a person is looking at: they may belong to several over time (and an
organiser or trainer to events they did not register for)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from handlers.turn import Turn
from models import Enrollment, Event
from models import people as people_queries

SWITCH_LASTS = timedelta(hours=12)


async def enrollment(turn: Turn, event: Event) -> Enrollment | None:
    """This person's registration for ``event``, if any."""
    assert event.id is not None
    event_id = event.id
    return await turn.cached(
        ("enrollment", event_id),
        lambda: people_queries.enrollment(turn.session, turn.person_id, event_id),
    )


def local_today(event: Event, now: datetime) -> date:
    return now.astimezone(ZoneInfo(event.timezone)).date()


def is_running(event: Event, now: datetime) -> bool:
    return event.starts_on <= local_today(event, now) <= event.ends_on


async def my_events(turn: Turn) -> list[Event]:
    """Events this person registered for or holds a role in; every event for an admin."""
    found = await turn.cached(("my_events",), lambda: _load_my_events(turn))
    return list(found)


async def _load_my_events(turn: Turn) -> list[Event]:
    found = await people_queries.events_of(turn.session, turn.person_id, every=turn.is_admin)
    return remember_events(turn, found)


def remember_events(turn: Turn, found: list[tuple[Event, Enrollment | None]]) -> list[Event]:
    """Keep a person's events and enrolments for the rest of the turn (the engine reads
    them in the same pass as the person, as nearly every message asks for them)."""
    for event, joined in found:
        turn.memo[("enrollment", event.id)] = joined
    events = [event for event, _ in found]
    turn.memo[("my_events",)] = events
    return events


def pick_default(events: list[Event], turn: Turn) -> Event | None:
    """The event the person switched to in the last hours; else the one running now
    (the last chosen, if several are); else the last chosen (by registering or accepting
    an invite); else the next to start, or the latest."""
    if not events:
        return None
    person, now = turn.person, turn.now
    chosen = next((e for e in events if e.id == person.viewing_event_id), None)
    switched_at = person.event_chosen_at
    if chosen is not None and switched_at is not None and now - switched_at < SWITCH_LASTS:
        return chosen
    running = [e for e in events if is_running(e, now)]
    if running:
        return chosen if chosen in running else running[0]
    if chosen is not None:
        return chosen
    upcoming = [e for e in events if local_today(e, now) < e.starts_on]
    return upcoming[0] if upcoming else events[-1]


async def current_event(turn: Turn) -> Event | None:
    return pick_default(await my_events(turn), turn)
