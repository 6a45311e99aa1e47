import re
from datetime import date, datetime

from sqlmodel import Field, SQLModel

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
