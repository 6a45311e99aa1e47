import re
from datetime import date, datetime

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, select

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
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


async def event_by_code(session: AsyncSession, code: str) -> Event | None:
    """The event with this join code, whatever its case; None for anything else."""
    code = code.strip()
    if not EVENT_CODE.fullmatch(code):
        return None
    found = await session.execute(select(Event).where(func.upper(Event.code) == code.upper()))
    return found.scalars().first()
