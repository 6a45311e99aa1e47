"""Deliveries of a platform's webhook, kept as they came until they are handled.

A webhook is answered at once (Meta retries a slow answer, and one that is not 200), while
handling a delivery takes the engine's time and the platform's (a file to fetch). So the
raw body is stored first and answered; a processor handles the rows in order. The body
holds names, numbers and what people wrote: a row is deleted once it is handled.

A row is claimed until ``claimed_until`` by the process that handles it. A claim that runs
out (the process died, or handling failed) lets any process take the row again; after
too many attempts the row is given up.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.orm import Session
from sqlmodel import Column, Field, SQLModel

from models.types import UTCDateTime


class WebhookInbox(SQLModel, table=True):
    __tablename__ = "webhook_inbox"
    # Ids name deliveries in the logs: SQLite must not give a deleted row's id again.
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    body: bytes = Field(sa_column=Column(sa.LargeBinary, nullable=False))
    received_at: datetime = Field(sa_type=UTCDateTime)
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = 0  # handlings started


@dataclass(frozen=True, slots=True)
class Stored:
    """A row in a processor's hands."""

    id: int
    body: bytes
    attempts: int


def _inbox() -> sa.Table:
    return WebhookInbox.__table__  # type: ignore[attr-defined,no-any-return]


def store(
    session: Session, channel: str, body: bytes, now: datetime, claim_until: datetime | None
) -> Stored:
    """Keep a delivery; claimed already when this process will handle it itself."""
    inbox = _inbox()
    attempts = 0 if claim_until is None else 1
    row_id = session.execute(
        insert(inbox)
        .values(
            channel=channel,
            body=body,
            received_at=now,
            claimed_until=claim_until,
            attempts=attempts,
        )
        .returning(inbox.c.id)
    ).scalar_one()
    return Stored(row_id, body, attempts)


def claim(
    session: Session,
    channel: str,
    now: datetime,
    claim_until: datetime,
    limit: int,
    skip: Sequence[int] = (),
) -> list[Stored]:
    """The oldest rows nobody holds (never claimed, or their claim ran out), claimed.
    On PostgreSQL, rows another process is claiming are skipped."""
    inbox = _inbox()
    free = select(inbox.c.id).where(
        inbox.c.channel == channel,
        or_(inbox.c.claimed_until.is_(None), inbox.c.claimed_until <= now),
    )
    if skip:
        free = free.where(inbox.c.id.not_in(skip))
    free = free.order_by(inbox.c.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        free = free.with_for_update(skip_locked=True)
    ids = list(session.execute(free).scalars())
    if not ids:
        return []
    session.execute(
        update(inbox)
        .where(inbox.c.id.in_(ids))
        .values(claimed_until=claim_until, attempts=inbox.c.attempts + 1)
    )
    rows = session.execute(
        select(inbox.c.id, inbox.c.body, inbox.c.attempts)
        .where(inbox.c.id.in_(ids))
        .order_by(inbox.c.id)
    )
    return [Stored(row_id, body, attempts) for row_id, body, attempts in rows.all()]


def release(session: Session, ids: Sequence[int]) -> None:
    """Rows this process will not handle after all (it is stopping): free for the next."""
    if ids:
        inbox = _inbox()
        session.execute(update(inbox).where(inbox.c.id.in_(ids)).values(claimed_until=None))


def forget(session: Session, ids: Sequence[int]) -> None:
    """Rows handled (or given up): their bodies are kept no longer."""
    if ids:
        inbox = _inbox()
        session.execute(delete(inbox).where(inbox.c.id.in_(ids)))
