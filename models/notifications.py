"""Notifications: what the bot says of its own accord to one person at one moment (a
reminder before a session, the morning digest, a schedule-change notice, a survey
prompt), as outbox rows, with what each one is about.

A planner decides the rows; ``write`` stores them under keys that make them once-only,
and links each to its event, day and session, so that a change to the agenda finds what
it outdates without reading keys. Cancelling an unsent row frees its key: planning again
then writes it as the agenda now is, while a row already sent keeps its key and is never
written twice.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Index, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel, col

from models.event import Event
from models.outbox import OutboxMessage, Outgoing, Priority, Status, enqueue
from models.people import ChannelIdentity, Enrollment, Person, delivery_order

# Rows looked up by key at a time: well within every database's limit on parameters.
CHUNK = 500


class Kind(StrEnum):
    """``OutboxMessage.kind`` of the notifications."""

    REMINDER = "reminder"  # before a session
    DIGEST = "digest"  # the day's sessions, in the morning
    SCHEDULE_CHANGE = "schedule_change"  # today's sessions moved (the organiser confirmed)
    SURVEY = "survey"  # a survey round opened for them: "answer now"


class Notification(SQLModel, table=True):
    """What a notification row of the outbox is about."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_event_day", "event_id", "day"),)

    outbox_id: int = Field(primary_key=True, foreign_key="outbox.id", ondelete="CASCADE")
    event_id: int = Field(foreign_key="event.id", ondelete="CASCADE")
    # No foreign key: a removed session's reminders keep their record (cancelled, sent).
    session_id: int | None = Field(default=None, index=True)
    day: date = Field(description="the day in the event's zone that it is about")


@dataclass(frozen=True, slots=True)
class Recipient:
    """Someone a notification may go to, on the channel they last wrote from."""

    person_id: int
    identity_id: int
    channel: str
    locale: str
    class_name: str | None  # in the event; None: no class chosen

    def attends(self, class_name: str | None) -> bool:
        """Whether a session for ``class_name`` (None: plenary) is one of theirs. Whoever
        has not chosen a class is reminded of the plenary sessions only: parallel classes
        would remind them of two places at once."""
        return class_name is None or class_name == self.class_name


@dataclass(frozen=True, slots=True)
class Planned:
    """A notification decided by a planner, not yet written."""

    key: str  # once-only: what it says, to whom, about what
    kind: Kind
    recipient: Recipient
    body: dict[str, Any]
    due_at: datetime
    expires_at: datetime | None  # not sent at all after this
    event_id: int
    day: date
    session_id: int | None = None


def _outbox() -> sa.Table:
    return OutboxMessage.__table__  # type: ignore[attr-defined,no-any-return]


def _links() -> sa.Table:
    return Notification.__table__  # type: ignore[attr-defined,no-any-return]


async def events_between(session: AsyncSession, first: date, last: date) -> list[Event]:
    """Events with a day between ``first`` and ``last``."""
    found = await session.execute(
        select(Event)
        .where(col(Event.starts_on) <= last, col(Event.ends_on) >= first)
        .order_by(col(Event.id))
    )
    return list(found.scalars())


async def audience(session: AsyncSession, event_id: int) -> list[Recipient]:
    """The event's registered participants who have not muted reminders, each on one
    reachable identity: the first by ``delivery_order`` (the channel they chose, else the
    one they wrote from last). Someone who blocked the bot everywhere is left out: only
    their own next message makes them reachable again."""
    identity = ChannelIdentity.__table__  # type: ignore[attr-defined]
    person = Person.__table__  # type: ignore[attr-defined]
    ranked = (
        select(
            person.c.id.label("person_id"),
            person.c.locale,
            col(Enrollment.class_name).label("class_name"),
            identity.c.id.label("identity_id"),
            identity.c.channel,
            sa.func.row_number()
            .over(
                partition_by=person.c.id,
                order_by=delivery_order(identity, person.c.notify_channel),
            )
            .label("rank"),
        )
        .select_from(person)
        .join(Enrollment, col(Enrollment.person_id) == person.c.id)
        .join(identity, identity.c.person_id == person.c.id)
        .where(
            col(Enrollment.event_id) == event_id,
            person.c.registered_at.is_not(None),
            person.c.reminders_muted_at.is_(None),
            identity.c.unreachable_at.is_(None),
        )
        .subquery()
    )
    found: sa.Result[Any] = await session.execute(
        select(ranked).where(ranked.c.rank == 1).order_by(ranked.c.person_id)
    )
    return [
        Recipient(row.person_id, row.identity_id, row.channel, row.locale or "id", row.class_name)
        for row in found.all()
    ]


async def unplanned(session: AsyncSession, planned: Sequence[Planned]) -> list[Planned]:
    """Those of ``planned`` not written yet (a planner proposes the same rows every round
    until their moment passes: a look-up by key costs less than a refused insert)."""
    known: set[str] = set()
    keys = [p.key for p in planned]
    outbox = _outbox()
    for start in range(0, len(keys), CHUNK):
        found = await session.execute(
            select(outbox.c.key).where(outbox.c.key.in_(keys[start : start + CHUNK]))
        )
        known.update(found.scalars())
    return [p for p in planned if p.key not in known]


def write(session: Session, planned: Sequence[Planned]) -> int:
    """Store ``planned`` (those whose key is new) with their links, in the caller's
    transaction (``Session.run_sync``); how many were written."""
    if not planned:
        return 0
    messages = [
        Outgoing(
            key=p.key,
            identity_id=p.recipient.identity_id,
            channel=p.recipient.channel,
            kind=p.kind,
            body=p.body,
            due_at=p.due_at,
            priority=Priority.NOTICE,
            expires_at=p.expires_at,
        )
        for p in planned
    ]
    written = set(enqueue(session, messages))
    if not written:
        return 0
    outbox = _outbox()
    ids: dict[str, int] = {}
    keys = [p.key for p in planned]
    for start in range(0, len(keys), CHUNK):
        found = session.execute(
            select(outbox.c.key, outbox.c.id).where(outbox.c.key.in_(keys[start : start + CHUNK]))
        )
        ids.update({key: row_id for key, row_id in found.all() if row_id in written})
    links = [
        {"outbox_id": ids[p.key], "event_id": p.event_id, "session_id": p.session_id, "day": p.day}
        for p in planned
        if p.key in ids
    ]
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(_links()).on_conflict_do_nothing(index_elements=["outbox_id"]), links)
    return len(written)


async def _cancel(session: AsyncSession, rows: sa.Select[Any], reason: str) -> int:
    """Cancel the unsent rows among ``rows`` (a select of outbox ids) and free their keys."""
    outbox = _outbox()
    connection = await session.connection()
    cancelled = await connection.execute(
        update(outbox)
        .where(outbox.c.id.in_(rows), outbox.c.status == Status.PENDING)
        .values(
            status=Status.CANCELLED,
            error=reason,
            key=outbox.c.key + ":x" + sa.cast(outbox.c.id, sa.String),
        )
    )
    return cancelled.rowcount


async def cancel_outdated(
    session: AsyncSession, event_id: int, *, session_ids: Iterable[int], days: Iterable[date]
) -> int:
    """The agenda changed: reminders of these sessions and digests of these days that
    are still waiting say what is no longer true. They are cancelled; the next planning
    round writes them again as the agenda now is (a moved session's at its new time).
    How many were cancelled."""
    sessions, when = list(session_ids), list(days)
    if not sessions and not when:
        return 0
    outbox, links = _outbox(), _links()
    rows = (
        select(links.c.outbox_id)
        .join(outbox, outbox.c.id == links.c.outbox_id)
        .where(
            links.c.event_id == event_id,
            outbox.c.status == Status.PENDING,
            or_(
                and_(outbox.c.kind == Kind.REMINDER, links.c.session_id.in_(sessions)),
                and_(outbox.c.kind == Kind.DIGEST, links.c.day.in_(when)),
            ),
        )
    )
    return await _cancel(session, rows, "agenda changed")


async def cancel_kind(session: AsyncSession, event_id: int, kind: Kind) -> int:
    """The event's waiting notifications of one kind are called off (its settings
    changed: the next round plans by the new ones)."""
    outbox, links = _outbox(), _links()
    rows = (
        select(links.c.outbox_id)
        .join(outbox, outbox.c.id == links.c.outbox_id)
        .where(
            links.c.event_id == event_id,
            outbox.c.kind == kind,
            outbox.c.status == Status.PENDING,
        )
    )
    return await _cancel(session, rows, "settings changed")


async def cancel_for_person(session: AsyncSession, person_id: int, reason: str) -> int:
    """Every notification still waiting for this person, on any channel, is called off
    (they muted them, or erased their data)."""
    outbox, links = _outbox(), _links()
    identity = ChannelIdentity.__table__  # type: ignore[attr-defined]
    rows = (
        select(links.c.outbox_id)
        .join(outbox, outbox.c.id == links.c.outbox_id)
        .join(identity, identity.c.id == outbox.c.identity_id)
        .where(identity.c.person_id == person_id, outbox.c.status == Status.PENDING)
    )
    return await _cancel(session, rows, reason)


async def event_counts(session: AsyncSession, event_id: int) -> dict[str, dict[str, int]]:
    """The event's notifications by kind and status: sent, waiting, expired (their moment
    passed unsent: not sent late), cancelled..."""
    outbox, links = _outbox(), _links()
    found = await session.execute(
        select(outbox.c.kind, outbox.c.status, sa.func.count())
        .join(links, links.c.outbox_id == outbox.c.id)
        .where(links.c.event_id == event_id)
        .group_by(outbox.c.kind, outbox.c.status)
    )
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for kind, status, number in found.all():
        counts[kind][status] = number
    return dict(counts)
