"""Broadcasts: an organiser's announcement (text, and a photo or document if any) to an
audience of one event, sent at once or at a set time, with a delivery report.

A broadcast is a draft until confirmed. Confirming writes one outbox row per recipient,
all in the confirming transaction, under a key per (broadcast, person): a second confirm,
a retried transaction or two organisers pressing at once write nothing more. From there
the outbox's dispatcher sends them (broadcasts after everyone's replies), and the report
reads the rows' statuses. Cancelling stops the rows still waiting.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import JSON, Column, Field, Index, SQLModel, col, select

from models import outbox
from models.audience import Audience, audience_from, recipients_query, stored
from models.audit import SYSTEM, Actor, AuditAction, record
from models.event import Event
from models.outbox import FileToSend, OutboxFile, OutboxMessage, Priority, Status
from models.text import clean_text, utf16_length
from models.types import UTCDateTime, utcnow

# One message on every channel the bot speaks: Telegram counts 4,096 UTF-16 units, the
# WhatsApp Cloud API 4,096 characters. A longer announcement would arrive in pieces.
TEXT_LIMIT = 4096
# What a channel fetches of a file sent to the bot (bot/channels/telegram.py), and what
# WhatsApp takes as an image.
FILE_LIMIT = 5 * 1024 * 1024
KIND = "broadcast"  # the outbox rows' kind


class BroadcastStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"  # confirmed for a moment to come
    SENT = "sent"  # confirmed to go at once: its rows were due when written
    CANCELLED = "cancelled"


class Broadcast(SQLModel, table=True):
    __tablename__ = "broadcast"
    __table_args__ = (Index("ix_broadcast_event_created", "event_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", ondelete="CASCADE")
    # Who wrote it; None when it came from the command line.
    author_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    text: str = Field(default="", max_length=TEXT_LIMIT)
    file_id: int | None = Field(default=None, foreign_key="outbox_file.id", ondelete="RESTRICT")
    audience: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(default=BroadcastStatus.DRAFT, max_length=16)
    # When it goes (UTC): set at confirmation, to the moment chosen or to that moment.
    send_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def spec(self) -> Audience:
        return audience_from(self.audience)


class BroadcastError(ValueError):
    """The broadcast cannot be written, changed or confirmed as asked. ``key`` says why
    (``empty``, ``too_long``, ``file_empty``, ``file_too_big``, ``past``, ``nobody``,
    ``not_draft``) and
    ``values`` fill the words for it, which are the conversation's business."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


def announcement(event_name: str, text: str) -> str:
    """The message as every recipient reads it: the event it comes from, then the text."""
    return f"📢 {event_name}\n\n{text}" if text else f"📢 {event_name}"


def room_for_text(event_name: str) -> int:
    """How long (in UTF-16 units) the text of an announcement of the event may be."""
    return TEXT_LIMIT - utf16_length(announcement(event_name, "x")) + 1


def checked_text(event_name: str, text: str, *, has_file: bool) -> str:
    """``text`` as it will be kept (cleaned as typed text is, line breaks kept), or why
    it cannot be sent: nothing to say, or more than one message holds."""
    cleaned = clean_text(text, multiline=True)
    if not cleaned and not has_file:
        raise BroadcastError("empty")
    room = room_for_text(event_name)
    length = utf16_length(cleaned)
    if length > room:
        raise BroadcastError("too_long", length=length, limit=room)
    return cleaned


def check_file(file: FileToSend | None) -> None:
    if file is not None and not file.content:  # no channel sends an empty file
        raise BroadcastError("file_empty")
    if file is not None and len(file.content) > FILE_LIMIT:
        raise BroadcastError("file_too_big", limit=FILE_LIMIT // (1024 * 1024))


def check_moment(send_at: datetime | None, now: datetime) -> None:
    if send_at is not None and send_at <= now:
        raise BroadcastError("past")


async def _event_name(session: AsyncSession, event_id: int) -> str:
    event = await session.get(Event, event_id)
    if event is None:
        raise ValueError(f"no event {event_id}")
    return event.name


async def create_broadcast(
    session: AsyncSession,
    *,
    event_id: int,
    author_id: int | None,
    text: str,
    audience: Audience,
    now: datetime,
    file: FileToSend | None = None,
    send_at: datetime | None = None,
) -> Broadcast:
    """A draft, checked: something to say within one message, a file within the limit, a
    moment to come (None: at confirmation). Raises BroadcastError."""
    cleaned = checked_text(await _event_name(session, event_id), text, has_file=file is not None)
    check_file(file)
    check_moment(send_at, now)
    draft = Broadcast(
        event_id=event_id,
        author_id=author_id,
        text=cleaned,
        file_id=await _stored_file(session, file),
        audience=stored(audience),
        send_at=send_at,
        created_at=now,
    )
    session.add(draft)
    await session.flush()
    return draft


async def _stored_file(session: AsyncSession, file: FileToSend | None) -> int | None:
    return None if file is None else await session.run_sync(outbox.store_file, file)


async def draft_of(session: AsyncSession, broadcast_id: int) -> Broadcast:
    """The draft, locked for this transaction; BroadcastError("not_draft") once it is
    confirmed or cancelled (or gone)."""
    found = await session.execute(
        select(Broadcast).where(col(Broadcast.id) == broadcast_id).with_for_update()
    )
    draft = found.scalars().first()
    if draft is None or draft.status != BroadcastStatus.DRAFT:
        raise BroadcastError("not_draft")
    return draft


async def set_content(
    session: AsyncSession, broadcast_id: int, text: str, file: FileToSend | None
) -> Broadcast:
    """New words (and file, or none) for a draft, checked as ``create_broadcast`` does."""
    draft = await draft_of(session, broadcast_id)
    name = await _event_name(session, draft.event_id)
    cleaned = checked_text(name, text, has_file=file is not None)
    check_file(file)
    old_file = draft.file_id
    draft.text, draft.file_id = cleaned, await _stored_file(session, file)
    await session.flush()
    if old_file != draft.file_id:
        await _forget_file(session, old_file)
    return draft


async def set_audience(session: AsyncSession, broadcast_id: int, audience: Audience) -> Broadcast:
    draft = await draft_of(session, broadcast_id)
    draft.audience = stored(audience)
    return draft


async def set_send_at(
    session: AsyncSession, broadcast_id: int, send_at: datetime | None, now: datetime
) -> Broadcast:
    """When the draft is to go; None: as soon as it is confirmed."""
    check_moment(send_at, now)
    draft = await draft_of(session, broadcast_id)
    draft.send_at = send_at
    return draft


async def discard_draft(session: AsyncSession, broadcast_id: int | None) -> None:
    """Forget a draft nobody confirmed, and its file unless something else sends it."""
    found = await session.get(Broadcast, broadcast_id) if broadcast_id is not None else None
    if found is None or found.status != BroadcastStatus.DRAFT:
        return
    await session.delete(found)
    await session.flush()
    await _forget_file(session, found.file_id)


async def _forget_file(session: AsyncSession, file_id: int | None) -> None:
    if file_id is None:
        return
    used = sa.or_(
        sa.exists().where(col(Broadcast.file_id) == file_id),
        sa.exists().where(col(OutboxMessage.file_id) == file_id),
    )
    if not (await session.execute(select(used))).scalar():
        await session.execute(sa.delete(OutboxFile).where(col(OutboxFile.id) == file_id))


def digest(broadcast: Broadcast) -> str:
    """A short digest of what a confirmation agrees to: a confirm button carries it, and
    is refused if the draft changed since the button was shown."""
    said = [
        broadcast.id,
        broadcast.text,
        broadcast.file_id,
        broadcast.audience,
        broadcast.send_at.isoformat() if broadcast.send_at is not None else None,
    ]
    return hashlib.sha256(json.dumps(said, sort_keys=True).encode()).hexdigest()[:10]


# --- confirming: every recipient's row, in one transaction ---------------------------------


async def confirm_broadcast(
    session: AsyncSession, broadcast_id: int, now: datetime, *, actor: Actor = SYSTEM
) -> int:
    """Confirm the draft: write its outbox rows, due at its moment (or now). Returns the
    rows written: 0 when it was confirmed or cancelled already. Raises BroadcastError
    when its moment has passed or its audience is nobody; nothing is written then."""
    return await session.run_sync(_confirm, broadcast_id, now, actor)


def _confirm(session: Session, broadcast_id: int, now: datetime, actor: Actor) -> int:
    found = session.execute(
        select(Broadcast).where(col(Broadcast.id) == broadcast_id).with_for_update()
    )
    broadcast = found.scalars().first()
    if broadcast is None or broadcast.status != BroadcastStatus.DRAFT:
        return 0
    check_moment(broadcast.send_at, now)
    event = session.get(Event, broadcast.event_id)
    assert event is not None
    due = broadcast.send_at or now
    audience = recipients_query(broadcast.event_id, broadcast.spec).subquery()
    prefix = sa.literal(f"{KIND}:{broadcast_id}:", sa.String)
    recipients = select(
        (prefix + sa.cast(audience.c.person_id, sa.String)).label("key"),
        audience.c.identity_id,
        audience.c.channel,
    )
    written = outbox.fan_out(
        session,
        recipients,
        kind=KIND,
        # The outbox's body of a reply of text alone (handlers/outgoing.py), the same for all.
        body={"text": announcement(event.name, broadcast.text)},
        due_at=due,
        priority=Priority.BULK,
        file=_file(session, broadcast.file_id),
        broadcast_id=broadcast_id,
    )
    if not written:
        raise BroadcastError("nobody")  # nothing was written: the draft stays a draft
    broadcast.status = BroadcastStatus.SCHEDULED if due > now else BroadcastStatus.SENT
    broadcast.send_at, broadcast.confirmed_at = due, now
    action = AuditAction.BROADCAST_SCHEDULED if due > now else AuditAction.BROADCAST_SENT
    record(
        session,
        actor,
        action,
        event_id=broadcast.event_id,
        target="broadcast",
        target_id=broadcast_id,
        at=now,
        audience=str(broadcast.spec.kind),
        recipients=written,
    )
    return written


def _file(session: Session, file_id: int | None) -> FileToSend | None:
    stored_file = session.get(OutboxFile, file_id) if file_id is not None else None
    if stored_file is None:
        return None
    return FileToSend(stored_file.filename, stored_file.media_type, stored_file.content)


# --- cancelling ------------------------------------------------------------------------


class Cancelled(StrEnum):
    CANCELLED = "cancelled"  # the rows still waiting will not be sent
    ALREADY = "already"  # cancelled before
    FINISHED = "finished"  # nothing waits any more: every row is sent, failed or in flight


@dataclass(frozen=True, slots=True)
class Cancellation:
    outcome: Cancelled
    rows: int  # rows that will not be sent because of this cancellation


async def cancel_broadcast(
    session: AsyncSession, broadcast_id: int, now: datetime, *, actor: Actor = SYSTEM
) -> Cancellation | None:
    """Stop what of the broadcast still waits (None: no such broadcast). A row a
    dispatcher is sending at this moment goes; everything pending stays unsent."""
    found = await session.execute(
        select(Broadcast).where(col(Broadcast.id) == broadcast_id).with_for_update()
    )
    broadcast = found.scalars().first()
    if broadcast is None:
        return None
    if broadcast.status == BroadcastStatus.CANCELLED:
        return Cancellation(Cancelled.ALREADY, 0)
    stopped = await session.execute(
        sa.update(OutboxMessage)
        .where(
            col(OutboxMessage.broadcast_id) == broadcast_id,
            col(OutboxMessage.status) == Status.PENDING,
        )
        .values(status=Status.CANCELLED, error="cancelled")
        .execution_options(synchronize_session=False)
    )
    rows = stopped.rowcount  # type: ignore[attr-defined]
    if rows == 0 and broadcast.status != BroadcastStatus.DRAFT:
        return Cancellation(Cancelled.FINISHED, 0)
    broadcast.status, broadcast.cancelled_at = BroadcastStatus.CANCELLED, now
    record(
        session,
        actor,
        AuditAction.BROADCAST_CANCELLED,
        event_id=broadcast.event_id,
        target="broadcast",
        target_id=broadcast_id,
        at=now,
        rows=rows,
    )
    return Cancellation(Cancelled.CANCELLED, rows)


# --- reports ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Report:
    """What became of a broadcast's messages so far."""

    sent: int = 0
    failed: int = 0
    blocked: int = 0  # the person blocked the bot
    waiting: int = 0  # pending (its moment, or its turn, has not come) or being sent
    cancelled: int = 0
    expired: int = 0
    # WhatsApp outside the 24 hours with no template configured for broadcasts: waiting
    # for the person to write.
    held: int = 0
    # Of those sent, how many the channel says reached the phone, and were read (WhatsApp).
    delivered: int = 0
    read: int = 0

    @property
    def total(self) -> int:
        return (
            self.sent
            + self.failed
            + self.blocked
            + self.waiting
            + self.cancelled
            + self.expired
            + self.held
        )


def _report(counts: dict[str, int], delivered: int = 0, read: int = 0) -> Report:
    return Report(
        sent=counts.get(Status.SENT, 0),
        failed=counts.get(Status.FAILED, 0),
        blocked=counts.get(Status.BLOCKED, 0),
        waiting=counts.get(Status.PENDING, 0) + counts.get(Status.SENDING, 0),
        cancelled=counts.get(Status.CANCELLED, 0),
        expired=counts.get(Status.EXPIRED, 0),
        held=counts.get(Status.HELD, 0),
        delivered=delivered,
        read=read,
    )


async def reports_of(session: AsyncSession, broadcast_ids: list[int]) -> dict[int, Report]:
    """Each broadcast's report, in one query."""
    found = await session.execute(
        sa.select(
            col(OutboxMessage.broadcast_id),
            col(OutboxMessage.status),
            sa.func.count(),
            sa.func.count(col(OutboxMessage.delivered_at)),
            sa.func.count(col(OutboxMessage.read_at)),
        )
        .where(col(OutboxMessage.broadcast_id).in_(broadcast_ids))
        .group_by(col(OutboxMessage.broadcast_id), col(OutboxMessage.status))
    )
    counts: dict[int, dict[str, int]] = {ident: {} for ident in broadcast_ids}
    delivered = dict.fromkeys(broadcast_ids, 0)
    read = dict.fromkeys(broadcast_ids, 0)
    for broadcast_id, status, number, reached, seen in found.all():
        assert broadcast_id is not None  # asked for by id
        counts[broadcast_id][status] = number
        delivered[broadcast_id] += reached
        read[broadcast_id] += seen
    return {
        ident: _report(found_counts, delivered[ident], read[ident])
        for ident, found_counts in counts.items()
    }


async def report(session: AsyncSession, broadcast_id: int) -> Report:
    return (await reports_of(session, [broadcast_id]))[broadcast_id]


async def recent_broadcasts(
    session: AsyncSession, event_id: int, limit: int = 10
) -> list[Broadcast]:
    """The event's latest confirmed or cancelled broadcasts, newest first (drafts are
    their authors' business)."""
    found = await session.execute(
        select(Broadcast)
        .where(col(Broadcast.event_id) == event_id, col(Broadcast.status) != BroadcastStatus.DRAFT)
        .order_by(col(Broadcast.created_at).desc(), col(Broadcast.id).desc())
        .limit(limit)
    )
    return list(found.scalars())


async def drafts_of(session: AsyncSession, event_id: int, author_id: int) -> list[Broadcast]:
    """The drafts one person began for the event and has not confirmed, newest first
    (the web dashboard lists them, to be finished or discarded)."""
    found = await session.execute(
        select(Broadcast)
        .where(
            col(Broadcast.event_id) == event_id,
            col(Broadcast.author_id) == author_id,
            col(Broadcast.status) == BroadcastStatus.DRAFT,
        )
        .order_by(col(Broadcast.created_at).desc(), col(Broadcast.id).desc())
    )
    return list(found.scalars())
