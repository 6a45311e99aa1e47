import re
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col, select

from models.audit import SYSTEM, Actor, AuditAction, record
from models.types import UTCDateTime, utcnow

# What a t.me/<bot>?start=<code> link can carry.
EVENT_CODE = re.compile(r"[A-Za-z0-9_-]{3,32}")


class Event(SQLModel, table=True):
    """A training event (one Bimtek in one place)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=200)
    organizer: str = Field(default="", max_length=200)
    venue: str = Field(default="", max_length=200)
    timezone: str = Field(max_length=64)
    starts_on: date
    ends_on: date
    is_open: bool = Field(default=True, description="accepting registrations")
    # Moves on whenever the agenda or the classes change (see models.agenda), so that
    # what look-ups keep in memory is read again.
    agenda_version: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # How long after its last day the people's data are kept (UU PDP: no longer than
    # needed); None: two years (models.privacy.retention). ``purged_at``: removed then.
    retention_days: int | None = None
    purged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class EventError(ValueError):
    """An event cannot be created as asked; the message says why, for the organiser."""


async def event_by_code(session: AsyncSession, code: str) -> Event | None:
    """The event with this join code, whatever its case; None for anything else."""
    code = code.strip()
    if not EVENT_CODE.fullmatch(code):
        return None
    found = await session.execute(select(Event).where(func.upper(Event.code) == code.upper()))
    return found.scalars().first()


async def events_by_id(session: AsyncSession, ids: set[int] | None) -> list[Event]:
    """The events with these ids (every event for None), earliest first."""
    query = select(Event).order_by(col(Event.starts_on), col(Event.id))
    if ids is not None:
        if not ids:
            return []
        query = query.where(col(Event.id).in_(ids))
    return list((await session.execute(query)).scalars())


async def create_event(
    session: AsyncSession,
    *,
    code: str,
    name: str,
    timezone: str,
    starts_on: date,
    ends_on: date,
    organizer: str,
    venue: str = "",
    actor: Actor = SYSTEM,
) -> Event:
    """A new event, open for registration. The organiser is required: the consent
    notice names them as the controller of the participants' data."""
    if not EVENT_CODE.fullmatch(code):
        raise EventError("the code must be 3-32 letters, digits, '_' or '-' (no spaces)")
    if not name.strip():
        raise EventError("the event needs a name")
    if not organizer.strip():
        raise EventError(
            "the event needs its organiser (the consent notice names them as data controller)"
        )
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
    record(
        session,
        actor,
        AuditAction.EVENT_CREATED,
        event_id=event.id,
        target="event",
        target_id=event.id,
    )
    return event


def set_open(session: AsyncSession, event: Event, is_open: bool, *, actor: Actor) -> bool:
    """Open the event for registration, or close it; False when it was so already."""
    if event.is_open == is_open:
        return False
    event.is_open = is_open
    record(
        session,
        actor,
        AuditAction.EVENT_SETTINGS,
        event_id=event.id,
        target="event",
        target_id=event.id,
        is_open=is_open,
    )
    return True
