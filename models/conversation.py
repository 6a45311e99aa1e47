from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Column, Field, SQLModel, UniqueConstraint

from models.types import UTCDateTime, utcnow

# The flow whose state holds a registration under way (handlers/features/registration.py):
# the event being joined ("event_id") and the answers so far ("answers").
REGISTRATION_FLOW = "registration"


class Conversation(SQLModel, table=True):
    """Where one channel identity is in the conversation, and nothing else.

    ``flow``/``step`` name the question being asked; ``paused_flow``/``paused_step`` the
    one a side question interrupted. ``state`` holds each unfinished flow's answers under
    the flow's name. ``question`` counts the questions asked: the buttons of a question
    carry its number, so a button of any earlier question is recognised as stale.
    """

    id: int | None = Field(default=None, primary_key=True)
    identity_id: int = Field(
        foreign_key="channel_identity.id", unique=True, ondelete="CASCADE", index=True
    )
    flow: str | None = Field(default=None, max_length=32)
    step: str | None = Field(default=None, max_length=64)
    paused_flow: str | None = Field(default=None, max_length=32)
    paused_step: str | None = Field(default=None, max_length=64)
    question: int = Field(default=0)
    state: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(sa.JSON, nullable=False, default=dict)
    )
    # The buttons of the last message sent, as [payload, label, meaning] lists, so that
    # a typed number or label picks one on channels (or in chats) that show them as text.
    offered: list[list[str]] = Field(
        default_factory=list, sa_column=Column(sa.JSON, nullable=False, default=list)
    )
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class InboundMessage(SQLModel, table=True):
    """One delivery seen from a channel, kept only to drop redeliveries.

    Holds no text: the content is personal and not needed to de-duplicate.
    """

    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    external_id: str = Field(max_length=96)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
