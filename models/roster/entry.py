"""The roster: the people an event's organisers expect, one row each, as their file lists
them. A row is linked to the person who registered for the event with its phone number."""

from datetime import datetime

from sqlmodel import Field, SQLModel, UniqueConstraint

from models.types import UTCDateTime, utcnow


class RosterEntry(SQLModel, table=True):
    """One expected participant. The phone number (E.164) is how a registration finds its
    row: one row per number in an event."""

    __tablename__ = "roster_entry"
    __table_args__ = (UniqueConstraint("event_id", "phone_e164"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", ondelete="CASCADE")
    line: int = Field(description="the row of the file it came from, as Excel numbers it")
    full_name: str = Field(max_length=100)
    phone_e164: str = Field(max_length=20, index=True)
    library_name: str | None = Field(default=None, max_length=120)
    library_type: str | None = Field(default=None, max_length=16)
    regency: str | None = Field(default=None, max_length=80)
    class_name: str | None = Field(default=None, max_length=40)
    # The person who registered for the event with this number; None: not yet.
    person_id: int | None = Field(
        default=None, foreign_key="person.id", index=True, ondelete="SET NULL"
    )
    imported_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
