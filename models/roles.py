from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, Index, SQLModel

from models.types import UTCDateTime, utcnow


class RoleName(StrEnum):
    ORGANIZER = "organizer"
    TRAINER = "trainer"


class Role(SQLModel, table=True):
    """A person's role in one event, held by their chat identity (channel and user key).

    Revoking keeps the row (who held what, and when) and sets ``revoked_at``.
    """

    __table_args__ = (Index("ix_role_identity", "channel", "user_key"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    role: str = Field(max_length=16)
    channel: str = Field(max_length=16)
    user_key: str = Field(max_length=64)
    # A trainer teaches the sessions whose speakers include this name, as the agenda
    # spells it; re-importing the agenda keeps the link.
    speaker: str = Field(default="", max_length=300)
    invite_id: int | None = Field(default=None, foreign_key="invite.id", ondelete="SET NULL")
    granted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Invite(SQLModel, table=True):
    """A one-time code that grants a role. Only a digest of the code is stored: the code
    itself is a credential."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    role: str = Field(max_length=16)
    code_sha256: str = Field(max_length=64, unique=True)
    speaker: str = Field(default="", max_length=300)
    created_by: str = Field(max_length=32, description="'cli', 'admin' or 'role:<id>'")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
