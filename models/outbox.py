"""Everything the bot says, as rows: a reply, a reminder, one recipient's copy of a
broadcast. A row is written in the transaction that decided to say it, under a key that
makes writing it twice impossible; a dispatcher sends it and records what happened.

A row's life: ``pending`` (waiting for its moment) → ``sending`` (claimed by a dispatcher
until ``claimed_until``; a claim that runs out, because its process died, makes the row
claimable again) → ``sent``, or ``failed`` (refused for good, or too many attempts),
``blocked`` (the person blocked the bot), ``expired`` (its moment passed unsent, a
reminder of a session already over), ``cancelled`` (a broadcast called off), ``held``
(the channel takes only a template now and none is configured: it waits for the person to
write again, and the organiser sees it counted).

Where the channel reports what became of a message after it took it (WhatsApp's status
callbacks), ``sent_message`` maps each of the channel's message ids to its row:
``delivered_at`` and ``read_at`` are recorded, and a late failure acted on.
"""

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Index, and_, bindparam, exists, or_, select, update
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
class Claimed:
    """A row a dispatcher holds, with what it needs to send it."""

    id: int
    identity_id: int
    channel: str
    address: str
    kind: str
    priority: int
    body: dict[str, Any]
    file_id: int | None
    expires_at: datetime | None
    attempts: int
    parts_sent: int
    unreachable: bool  # the person blocked the bot; only their own message undoes it
    file: "FileToSend | None" = None  # the file, when the claimer has it at hand
    # When the person last wrote on this channel, unless the channel said since that its
    # window for free-form messages is closed (then None): see ``WindowedSender``.
    window_since: datetime | None = None


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


def _blocking_row() -> Any:
    """Rows of the same person that must go before the one considered: one already being
    sent (one message at a time to a chat), or one due with a lower (priority, id)."""
    outbox = _outbox()
    other = outbox.alias("other")
    return exists().where(
        other.c.identity_id == outbox.c.identity_id,
        other.c.id != outbox.c.id,
        or_(
            and_(
                other.c.status == Status.SENDING,
                other.c.claimed_until > bindparam("now"),
            ),
            and_(
                other.c.status == Status.PENDING,
                other.c.due_at <= bindparam("now"),
                sa.tuple_(other.c.priority, other.c.id) < sa.tuple_(outbox.c.priority, outbox.c.id),
            ),
        ),
    )


def claim_due(
    session: Session,
    *,
    channels: Sequence[str],
    now: datetime,
    lease_until: datetime,
    limit: int,
) -> list[Claimed]:
    """Claim up to ``limit`` rows that are due, replies first, at most the next one of
    each person, and rows whose claim ran out (their dispatcher died: the send may have
    happened, so it may repeat). Runs inside ``Session.run_sync``, in the caller's
    transaction; on PostgreSQL rows another dispatcher is claiming are skipped."""
    if limit <= 0 or not channels:
        return []
    outbox = _outbox()
    claimable = or_(
        and_(outbox.c.status == Status.PENDING, outbox.c.due_at <= bindparam("now")),
        and_(outbox.c.status == Status.SENDING, outbox.c.claimed_until <= bindparam("now")),
    )
    candidates = (
        select(outbox.c.id)
        .where(outbox.c.channel.in_(channels), claimable, ~_blocking_row())
        .order_by(outbox.c.priority, outbox.c.due_at, outbox.c.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    ids = list(session.execute(candidates, {"now": now}).scalars())
    if not ids:
        return []
    return _take(session, ids, lease_until)


def _take(session: Session, ids: Sequence[int], lease_until: datetime) -> list[Claimed]:
    outbox = _outbox()
    session.execute(
        update(outbox)
        .where(outbox.c.id.in_(ids))
        .values(
            status=Status.SENDING,
            claimed_until=lease_until,
            attempts=outbox.c.attempts + 1,
        )
    )
    return _load(session, ids)


def _load(session: Session, ids: Sequence[int]) -> list[Claimed]:
    outbox = _outbox()
    identity = ChannelIdentity.__table__  # type: ignore[attr-defined]
    rows = session.execute(
        select(
            outbox.c.id,
            outbox.c.identity_id,
            outbox.c.channel,
            identity.c.address,
            outbox.c.kind,
            outbox.c.priority,
            outbox.c.body,
            outbox.c.file_id,
            outbox.c.expires_at,
            outbox.c.attempts,
            outbox.c.parts_sent,
            identity.c.unreachable_at,
            identity.c.last_inbound_at,
            identity.c.window_closed_at,
        )
        .join(identity, identity.c.id == outbox.c.identity_id)
        .where(outbox.c.id.in_(ids))
        .order_by(outbox.c.priority, outbox.c.due_at, outbox.c.id)
    )
    return [
        Claimed(
            id=row.id,
            identity_id=row.identity_id,
            channel=row.channel,
            address=row.address,
            kind=row.kind,
            priority=row.priority,
            body=row.body,
            file_id=row.file_id,
            expires_at=row.expires_at,
            attempts=row.attempts,
            parts_sent=row.parts_sent,
            unreachable=row.unreachable_at is not None,
            window_since=_window_since(row.last_inbound_at, row.window_closed_at),
        )
        for row in rows
    ]


def _window_since(last_inbound: datetime | None, closed: datetime | None) -> datetime | None:
    if last_inbound is None or (closed is not None and closed >= last_inbound):
        return None
    return last_inbound


@dataclass(frozen=True, slots=True)
class Settled:
    """What became of a claimed row: its new status and what to record with it."""

    id: int
    status: Status
    at: datetime
    parts_sent: int = 0
    external_ids: str = ""
    error: str = ""
    due_at: datetime | None = None  # for a row put back to wait (PENDING)
    uncount: bool = False  # the attempt does not count (a 429, a row never started)
    # The channel's ids of the messages sent, to find the row by when it reports on them.
    tracked: tuple[str, ...] = ()
    channel: str = ""


def settle(session: Session, outcomes: Sequence[Settled]) -> None:
    """Record the outcome of each send, in one statement per kind of outcome."""
    outbox = _outbox()
    finished = []
    waiting = []
    for outcome in outcomes:
        values = {
            "row_id": outcome.id,
            "new_status": outcome.status.value,
            "new_parts": outcome.parts_sent,
            "new_error": outcome.error[:200],
            "uncount": 1 if outcome.uncount else 0,
        }
        if outcome.status is Status.PENDING:
            waiting.append({**values, "new_due": outcome.due_at or outcome.at})
        else:
            sent_at = outcome.at if outcome.status is Status.SENT else None
            finished.append(
                {**values, "new_sent_at": sent_at, "new_ids": outcome.external_ids[:400]}
            )
    common = {
        "status": bindparam("new_status"),
        "parts_sent": bindparam("new_parts"),
        "error": bindparam("new_error"),
        "attempts": outbox.c.attempts - bindparam("uncount"),
        "claimed_until": None,
    }
    # Only a row still in this dispatcher's hands: one whose claim ran out may be another's.
    held = and_(outbox.c.id == bindparam("row_id"), outbox.c.status == Status.SENDING)
    connection = session.connection()
    if finished:
        connection.execute(
            update(outbox)
            .where(held)
            .values(
                **common,
                sent_at=bindparam("new_sent_at"),
                external_ids=bindparam("new_ids"),
            ),
            finished,
        )
    if waiting:
        connection.execute(
            update(outbox).where(held).values(**common, due_at=bindparam("new_due")), waiting
        )
    tracked = [
        {"channel": outcome.channel, "external_id": external_id, "outbox_id": outcome.id}
        for outcome in outcomes
        for external_id in outcome.tracked
    ]
    if tracked:
        table = SentMessage.__table__  # type: ignore[attr-defined]
        insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
        connection.execute(insert(table).on_conflict_do_nothing(), tracked)


def mark_unreachable(session: Session, identity_id: int, now: datetime) -> int:
    """The person blocked the bot: note it on their identity and stop what waits for
    them (their own next message makes them reachable again). Returns rows stopped."""
    identity = ChannelIdentity.__table__  # type: ignore[attr-defined]
    session.execute(update(identity).where(identity.c.id == identity_id).values(unreachable_at=now))
    outbox = _outbox()
    stopped = session.connection().execute(
        update(outbox)
        .where(outbox.c.identity_id == identity_id, outbox.c.status == Status.PENDING)
        .values(status=Status.BLOCKED, error="blocked")
    )
    return stopped.rowcount


def mark_window_closed(session: Session, identity_ids: Iterable[int], now: datetime) -> None:
    """The channel takes only templates for these identities until they write again."""
    identity = ChannelIdentity.__table__  # type: ignore[attr-defined]
    session.execute(
        update(identity).where(identity.c.id.in_(list(identity_ids))).values(window_closed_at=now)
    )


def release_held(session: Session, identity_id: int, now: datetime) -> int:
    """The person wrote: what was held for want of a template goes now, unless its
    moment has passed. How many rows were released."""
    outbox = _outbox()
    released = session.connection().execute(
        update(outbox)
        .where(
            outbox.c.identity_id == identity_id,
            outbox.c.status == Status.HELD,
            or_(outbox.c.expires_at.is_(None), outbox.c.expires_at > now),
        )
        .values(status=Status.PENDING, due_at=now, parts_sent=0, error="")
    )
    return released.rowcount


def renew(session: Session, ids: Sequence[int], until: datetime) -> None:
    """Keep the claim on rows still waiting for their turn in this dispatcher."""
    outbox = _outbox()
    session.execute(
        update(outbox)
        .where(outbox.c.id.in_(ids), outbox.c.status == Status.SENDING)
        .values(claimed_until=until)
    )


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
