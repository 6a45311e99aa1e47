from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Column, Field, SQLModel, UniqueConstraint

from models.types import UTCDateTime, utcnow


class Conversation(SQLModel, table=True):
    """Where one person on one channel is in the conversation.

    ``flow``/``step`` are strings such as ``"registration"``/``"registration:phone"``;
    ``data`` holds the answers of an unfinished flow. A button carries the step it was
    asked for, so a press on a message from another step is recognised as stale.
    """

    __table_args__ = (UniqueConstraint("channel", "user_key"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    user_key: str = Field(max_length=64)
    participant_id: int | None = Field(
        default=None, foreign_key="participant.id", index=True, ondelete="SET NULL"
    )
    # The event being registered for (or last registered for).
    event_id: int | None = Field(default=None, foreign_key="event.id", ondelete="SET NULL")
    # The event the person's look-ups are about, once they switched or accepted an
    # invite; and when they switched themselves, a choice that beats the default (the
    # event running now) for a while.
    viewing_event_id: int | None = Field(default=None, foreign_key="event.id", ondelete="SET NULL")
    event_chosen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    locale: str | None = Field(default=None, max_length=8)
    flow: str | None = Field(default=None, max_length=32)
    step: str | None = Field(default=None, max_length=64)
    data: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(sa.JSON, nullable=False, default=dict)
    )
    # The buttons of the last message sent, as [payload, label] pairs, so that a typed
    # number or label picks one on channels (or in chats) that show them as text.
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
