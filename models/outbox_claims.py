"""What a dispatcher does with the outbox's rows (models/outbox.py): claim those due, at
most the next one of each person, replies first; keep the claim while they wait for their
turn; record what became of each send; and what a send teaches about the person (they
blocked the bot, their WhatsApp window closed) or a message of theirs undoes (a message
held for want of a template goes once they write). Runs inside ``Session.run_sync``."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import and_, bindparam, exists, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models.outbox import FileToSend, OutboxMessage, SentMessage, Status
from models.people import ChannelIdentity


def _outbox() -> sa.Table:
    return OutboxMessage.__table__  # type: ignore[attr-defined,no-any-return]


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
    file: FileToSend | None = None  # the file, when the claimer has it at hand
    # When the person last wrote on this channel, unless the channel said since that its
    # window for free-form messages is closed (then None): see ``WindowedSender``.
    window_since: datetime | None = None


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
