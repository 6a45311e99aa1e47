from datetime import datetime

from sqlmodel import Field, SQLModel, UniqueConstraint

from models.types import UTCDateTime, utcnow


class Participant(SQLModel, table=True):
    """A person's profile. Created only once they have given consent."""

    id: int | None = Field(default=None, primary_key=True)
    locale: str = Field(default="id", max_length=8)
    full_name: str | None = Field(default=None, max_length=100)
    phone_e164: str | None = Field(default=None, max_length=20, index=True)
    library_name: str | None = Field(default=None, max_length=120)
    library_type: str | None = Field(default=None, max_length=16)
    regency: str | None = Field(default=None, max_length=80)
    province: str | None = Field(default=None, max_length=40)
    library_role: str | None = Field(default=None, max_length=80)
    registered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Enrollment(SQLModel, table=True):
    """A participant's registration for one event."""

    __table_args__ = (UniqueConstraint("participant_id", "event_id"),)

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", index=True, ondelete="CASCADE")
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    class_name: str | None = Field(default=None, max_length=40, description="kelas, if any")
    enrolled_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Consent(SQLModel, table=True):
    """Proof of consent under UU PDP: which text, in which language, when.

    Kept after erasure (without personal fields) so that the record of what was
    agreed and withdrawn survives.
    """

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int | None = Field(
        default=None, foreign_key="participant.id", index=True, ondelete="SET NULL"
    )
    channel: str = Field(max_length=16)
    text_version: str = Field(max_length=32)
    locale: str = Field(max_length=8)
    text_sha256: str = Field(max_length=64)
    agreed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
