"""Creating events, with the checks an organiser needs to hear about in plain words."""

from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from models import Event
from models.event import EVENT_CODE, event_by_code


class EventError(ValueError):
    pass


async def create_event(
    session: AsyncSession,
    *,
    code: str,
    name: str,
    timezone: str,
    starts_on: date,
    ends_on: date,
    organizer: str = "",
    venue: str = "",
) -> Event:
    if not EVENT_CODE.fullmatch(code):
        raise EventError("the code must be 3-32 letters, digits, '_' or '-' (no spaces)")
    if not name.strip():
        raise EventError("the event needs a name")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise EventError(f"unknown time zone {timezone!r}; use e.g. Asia/Makassar") from exc
    if ends_on < starts_on:
        raise EventError("the event ends before it starts")
    if await event_by_code(session, code) is not None:
        raise EventError(f"an event with code {code} already exists")
    event = Event(
        code=code,
        name=name.strip(),
        organizer=organizer.strip(),
        venue=venue.strip(),
        timezone=timezone,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    session.add(event)
    await session.flush()
    return event
