"""What the reminder tests share: reading the notifications the outbox holds, as the
person would read them, and running the planning job at a chosen moment."""

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlmodel import col, select

from bot.db import SessionMaker
from models import ChannelIdentity, Event, OutboxMessage
from models.reminders import update_reminders
from scheduler.notifications import plan_notifications

THURSDAY = date(2024, 11, 14)


@dataclass(frozen=True)
class Note:
    """One notification row: to whom, what, when."""

    user_key: str
    kind: str
    status: str
    due_at: datetime
    expires_at: datetime | None
    text: str


async def notes(sessions: SessionMaker, kind: str | None = None) -> list[Note]:
    """The notifications written so far (not replies), oldest first."""
    query = (
        select(OutboxMessage, ChannelIdentity.user_key)
        .join(ChannelIdentity, col(ChannelIdentity.id) == col(OutboxMessage.identity_id))
        .where(col(OutboxMessage.kind) != "reply")
        .order_by(col(OutboxMessage.id))
    )
    if kind is not None:
        query = query.where(col(OutboxMessage.kind) == kind)
    async with sessions() as session:
        found = (await session.execute(query)).all()
    return [
        Note(user_key, row.kind, row.status, row.due_at, row.expires_at, row.body["text"])
        for row, user_key in found
    ]


def pending(found: list[Note]) -> list[Note]:
    return [n for n in found if n.status == "pending"]


async def plan(sessions: SessionMaker, now: datetime) -> int:
    return await plan_notifications(sessions, now)


async def only_sessions(sessions: SessionMaker, event: Event, *offsets: int) -> None:
    """Reminders before sessions only (no digest), at these offsets."""
    assert event.id is not None
    async with sessions.begin() as session:
        await update_reminders(
            session, event.id, datetime(2024, 11, 1, tzinfo=UTC), offsets=offsets, digest=False
        )


def utc(day: int, hour: int, minute: int) -> datetime:
    """A moment of November 2024, in UTC."""
    return datetime(2024, 11, day, hour, minute, tzinfo=UTC)
