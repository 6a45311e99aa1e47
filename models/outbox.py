"""Everything the bot says, as rows: a reply, a reminder, one recipient's copy of a
broadcast. A row is written in the transaction that decided to say it, under a key that
makes writing it twice impossible; a dispatcher sends it and records what happened.

A row's life: ``pending`` (waiting for its moment) → ``sending`` (claimed by a
dispatcher until ``claimed_until``, see ``models.outbox_claims``; a claim that runs out,
because its process died, makes the row claimable again) → ``sent``, or ``failed``
(refused for good, or too many attempts), ``blocked`` (the person blocked the bot),
``expired`` (its moment passed unsent, a reminder of a session already over),
``cancelled`` (a broadcast called off), ``held`` (the channel takes only a template now
and none is configured: it waits for the person to write again, and the organiser sees
it counted).

Where the channel reports what became of a message after it took it (WhatsApp's status
callbacks), ``sent_message`` maps each of the channel's message ids to its row:
``delivered_at`` and ``read_at`` are recorded, and a late failure acted on.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Index, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import JSON, Column, Field, SQLModel, UniqueConstraint, col

from models.people import ChannelIdentity
from models.types import UTCDateTime, utcnow


class Status(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    HELD = "held"


UNSENT = (Status.PENDING, Status.SENDING)


class Priority(IntEnum):
    """Lower goes first. A reply never waits behind a broadcast."""

    REPLY = 0
    NOTICE = 1  # reminders, survey prompts: one person, one moment
    BULK = 2  # broadcasts


class OutboxFile(SQLModel, table=True):
    """A file to send, kept once however many rows send it (a broadcast's document)."""

    __tablename__ = "outbox_file"

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, unique=True)
    filename: str = Field(max_length=255)
    media_type: str = Field(max_length=255)
    content: bytes = Field(sa_column=Column(sa.LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "due_at", "priority"),
        Index("ix_outbox_identity_status", "identity_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=160, unique=True, description="idempotency key")
    identity_id: int = Field(foreign_key="channel_identity.id", ondelete="CASCADE")
    channel: str = Field(max_length=16)
    kind: str = Field(max_length=32, description="reply, reminder, digest, broadcast...")
    priority: int = Field(default=Priority.REPLY)
    body: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    file_id: int | None = Field(default=None, foreign_key="outbox_file.id", ondelete="RESTRICT")
    broadcast_id: int | None = Field(default=None, index=True)
    status: str = Field(default=Status.PENDING, max_length=16)
    due_at: datetime = Field(sa_type=UTCDateTime)
    # Not sent at all after this moment (a reminder of a session that has begun).
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = 0  # sends started; above 1, an earlier one failed or was cut short
    parts_sent: int = 0  # of a reply that takes several messages, those already sent
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Reported by the channel after the send, where it reports (WhatsApp).
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    external_ids: str = Field(default="", max_length=400, description="the channel's ids")
    error: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SentMessage(SQLModel, table=True):
    """One message a channel took for a row, by the channel's id for it: status callbacks
    name the message, and this finds the row."""

    __tablename__ = "sent_message"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    external_id: str = Field(max_length=128)
    outbox_id: int = Field(foreign_key="outbox.id", index=True, ondelete="CASCADE")


@dataclass(frozen=True, slots=True)
class FileToSend:
    filename: str
    media_type: str
    content: bytes


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message to write to the outbox. ``key`` makes it once-only: a second message
    with the same key (a job run twice, a confirm pressed twice) is not written."""

    key: str
    identity_id: int
    channel: str
    kind: str
    body: dict[str, Any]
    due_at: datetime
    priority: int = Priority.REPLY
    expires_at: datetime | None = None
    file: FileToSend | None = None
    broadcast_id: int | None = None


def enqueue(
    session: Session, messages: Sequence[Outgoing], *, claim_until: datetime | None = None
) -> list[int]:
    """Write ``messages`` (those whose key is new) in the caller's transaction; their ids,
    in order. With ``claim_until`` they are written already claimed by the caller, which
    sends them itself as soon as the transaction commits (a reply, say)."""
    if not messages:
        return []
    file_ids = _store_files(session, [m.file for m in messages if m.file is not None])
    rows = [
        {
            "key": m.key,
            "identity_id": m.identity_id,
            "channel": m.channel,
            "kind": m.kind,
            "priority": int(m.priority),
            "body": m.body,
            "file_id": file_ids[_digest(m.file.content)] if m.file is not None else None,
            "broadcast_id": m.broadcast_id,
            "status": Status.SENDING if claim_until else Status.PENDING,
            "due_at": m.due_at,
            "expires_at": m.expires_at,
            "claimed_until": claim_until,
            "attempts": 1 if claim_until else 0,
            "parts_sent": 0,
            "external_ids": "",
            "error": "",
            "created_at": utcnow(),
        }
        for m in messages
    ]
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(_outbox())
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(_outbox().c.id, sort_by_parameter_order=True)
    )
    return list(session.execute(statement, rows).scalars())


def fan_out(
    session: Session,
    recipients: Any,
    *,
    kind: str,
    body: dict[str, Any],
    due_at: datetime,
    priority: int = Priority.BULK,
    file: FileToSend | None = None,
    broadcast_id: int | None = None,
) -> int:
    """One message to many people: a row for each row of ``recipients`` (a query of
    ``key``, ``identity_id`` and ``channel``) whose key is new, written by the database in
    one statement, in the caller's transaction. How many rows were written.

    ``enqueue`` sends every row's values to the database and reads every id back: for a
    broadcast to 10,000 people that is most of a second, here it is a fraction."""
    file_id = store_file(session, file) if file is not None else None
    source = recipients.subquery()
    values = {
        "key": source.c.key,
        "identity_id": source.c.identity_id,
        "channel": source.c.channel,
        "kind": sa.literal(kind, sa.String),
        "priority": sa.literal(int(priority), sa.Integer),
        "body": sa.literal(body, JSON),
        "file_id": sa.literal(file_id, sa.Integer),
        "broadcast_id": sa.literal(broadcast_id, sa.Integer),
        "status": sa.literal(Status.PENDING.value, sa.String),
        "due_at": sa.literal(due_at, UTCDateTime()),
        "attempts": sa.literal(0, sa.Integer),
        "parts_sent": sa.literal(0, sa.Integer),
        "external_ids": sa.literal("", sa.String),
        "error": sa.literal("", sa.String),
        "created_at": sa.literal(utcnow(), UTCDateTime()),
    }
    # SQLite needs the WHERE to read ON CONFLICT as the upsert's, not as part of a join.
    rows = select(*values.values()).where(sa.true()).order_by(source.c.identity_id)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(_outbox())
        .from_select(list(values), rows)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    return session.connection().execute(statement).rowcount


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def store_file(session: Session, file: FileToSend) -> int:
    """Keep ``file`` (once per content) before any row sends it: a broadcast's draft holds
    its file from the start. Its id."""
    return _store_files(session, [file])[_digest(file.content)]


def _store_files(session: Session, files: Sequence[FileToSend]) -> dict[str, int]:
    """Each distinct file stored once (by its SHA-256); the ids by digest."""
    by_digest = {_digest(f.content): f for f in files}
    if not by_digest:
        return {}
    table = OutboxFile.__table__  # type: ignore[attr-defined]
    known = dict(
        session.execute(
            select(table.c.sha256, table.c.id).where(table.c.sha256.in_(by_digest))
        ).all()
    )
    for digest, file in by_digest.items():
        if digest not in known:
            known[digest] = session.execute(
                sa.insert(table)
                .values(
                    sha256=digest,
                    filename=file.filename,
                    media_type=file.media_type,
                    content=file.content,
                    created_at=utcnow(),
                )
                .returning(table.c.id)
            ).scalar_one()
    return known


def _outbox() -> sa.Table:
    return OutboxMessage.__table__  # type: ignore[attr-defined,no-any-return]


async def load_file(session: AsyncSession, file_id: int) -> OutboxFile | None:
    return await session.get(OutboxFile, file_id)


async def counts(
    session: AsyncSession, *, broadcast_id: int | None = None, kind: str | None = None
) -> dict[str, int]:
    """How many rows are in each status (of one broadcast, or of one kind)."""
    query = select(col(OutboxMessage.status), sa.func.count()).group_by(col(OutboxMessage.status))
    if broadcast_id is not None:
        query = query.where(col(OutboxMessage.broadcast_id) == broadcast_id)
    if kind is not None:
        query = query.where(col(OutboxMessage.kind) == kind)
    found = await session.execute(query)
    return {status: number for status, number in found.all()}


async def unsent(session: AsyncSession, channel: str, user_key: str) -> int:
    """How many messages to one person on one channel are not sent yet (nor given up)."""
    identity = ChannelIdentity
    found = await session.execute(
        select(sa.func.count())
        .select_from(OutboxMessage)
        .join(identity, col(identity.id) == col(OutboxMessage.identity_id))
        .where(
            col(identity.channel) == channel,
            col(identity.user_key) == user_key,
            col(OutboxMessage.status).in_(UNSENT),
        )
    )
    return int(found.scalar_one())
