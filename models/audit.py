"""The audit log of privileged actions (UU PDP No. 27/2022: who did what to whose data).

A row says who acted (a person, the command line or the bot itself), on which event, what
they did (a closed list) and on what (a kind and an id, plus a few facts such as how many
people a broadcast went to). It holds no names, phone numbers or typed text: a reason an
organiser typed stays in the table it belongs to (``attendance_mark``, ``certificate``)
and the entry points at that row. Names are looked up when the log is read, so an erased
person's name leaves the log with them.

Each domain function that performs a privileged action writes its entry with
``record`` in the same transaction, taking the actor as a parameter: the chat, the CLI
and the web pages all leave the same rows without code of their own.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import JSON, Column, Field, SQLModel, col

from models.types import UTCDateTime, utcnow


class ActorKind(StrEnum):
    PERSON = "person"  # someone in the chat (or, later, on the web dashboard)
    CLI = "cli"  # the server operator, on the command line
    SYSTEM = "system"  # the bot on its own (a scheduled job, an automatic certificate)


@dataclass(frozen=True, slots=True)
class Actor:
    kind: ActorKind
    person_id: int | None = None

    @staticmethod
    def person(person_id: int) -> "Actor":
        return Actor(ActorKind.PERSON, person_id)


CLI = Actor(ActorKind.CLI)
SYSTEM = Actor(ActorKind.SYSTEM)


class AuditAction(StrEnum):
    """Every privileged action there is. A new one is added here, with its texts in
    audit.po, never written as a free string."""

    EXPORT = "export"  # target: what was exported (ExportKind); details: how many rows
    BROADCAST_SENT = "broadcast.sent"
    BROADCAST_SCHEDULED = "broadcast.scheduled"
    BROADCAST_CANCELLED = "broadcast.cancelled"
    ROLE_GRANTED = "role.granted"
    ROLE_REVOKED = "role.revoked"
    INVITE_CREATED = "invite.created"
    INVITE_CANCELLED = "invite.cancelled"
    ATTENDANCE_MARKED = "attendance.marked"
    ATTENDANCE_UNMARKED = "attendance.unmarked"
    ATTENDANCE_OPENED = "attendance.opened"
    ATTENDANCE_CLOSED = "attendance.closed"
    ATTENDANCE_SETTINGS = "attendance.settings"
    CERTIFICATE_ISSUED = "certificate.issued"
    CERTIFICATE_REVOKED = "certificate.revoked"
    CERTIFICATE_SETTINGS = "certificate.settings"
    AGENDA_IMPORTED = "agenda.imported"
    AGENDA_CHANGED = "agenda.changed"  # its classes declared or changed
    ROSTER_IMPORTED = "roster.imported"
    SURVEY_OPENED = "survey.opened"
    EVENT_CREATED = "event.created"
    EVENT_SETTINGS = "event.settings"  # reminders, open or closed for registration
    PURGE = "event.purged"
    DASHBOARD_SIGNED_IN = "dashboard.signed_in"  # of no one event: admins read it


# What an entry's target may be. Exports name what they covered.
TARGET_KINDS = frozenset(
    {
        "event", "broadcast", "role", "invite", "attendance_mark", "attendance_opening",
        "certificate", "survey_round", "roster", "attendance", "survey_results",
        "participants", "certificates", "settings", "dashboard_session",
    }
)  # fmt: skip

# The facts an entry may carry: counts, ids, flags and short codes, never a person's
# data or typed text. A value that is a string must look like a code.
DETAIL_KEYS = frozenset(
    {
        "recipients", "audience", "count", "added", "changed", "removed", "role",
        "certificate_ids", "session_id", "day", "direction", "minutes", "fields", "format",
        "manual", "rows", "is_open", "classes", "anonymous",
    }
)  # fmt: skip
_CODE = re.compile(r"[A-Za-z0-9_:.\-]{0,40}")


class AuditError(ValueError):
    pass


def checked_details(details: dict[str, Any]) -> dict[str, Any]:
    """``details`` if every key is a known one and every value a number, a flag, a code
    or a list of those; else AuditError (the log must not become a place for text)."""

    def fine(value: Any) -> bool:
        if value is None or isinstance(value, bool | int):
            return True
        if isinstance(value, str):
            return _CODE.fullmatch(value) is not None
        if isinstance(value, list):
            return all(fine(v) and not isinstance(v, list) for v in value)
        return False

    for key, value in details.items():
        if key not in DETAIL_KEYS:
            raise AuditError(f"unknown audit detail {key!r}")
        if not fine(value):
            raise AuditError(f"audit detail {key!r} is not a number, flag or code")
    return details


class AuditEntry(SQLModel, table=True):
    """One privileged action. ``event_id`` is a plain column, not a foreign key: the log
    of an event outlives the event (its purge is the last entry)."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    event_id: int | None = Field(default=None, index=True)
    actor_kind: str = Field(max_length=8)
    actor_person_id: int | None = Field(
        default=None, foreign_key="person.id", index=True, ondelete="SET NULL"
    )
    action: str = Field(max_length=32)
    target_kind: str = Field(max_length=24)
    target_id: int | None = None
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


def record(
    session: AsyncSession | Session,
    actor: Actor,
    action: AuditAction,
    *,
    event_id: int | None,
    target: str,
    target_id: int | None = None,
    at: datetime | None = None,
    **details: Any,
) -> AuditEntry:
    """Add the entry to the session: it is written with the action, or not at all."""
    if target not in TARGET_KINDS:
        raise AuditError(f"unknown audit target {target!r}")
    if (actor.kind is ActorKind.PERSON) != (actor.person_id is not None):
        raise AuditError("a person acts with their id; the CLI and the system without one")
    entry = AuditEntry(
        at=at or utcnow(),
        event_id=event_id,
        actor_kind=actor.kind,
        actor_person_id=actor.person_id,
        action=action,
        target_kind=target,
        target_id=target_id,
        details=checked_details(details),
    )
    session.add(entry)
    return entry


class ExportKind(StrEnum):
    """What an export covered: each is the personal data of every person of the event."""

    PARTICIPANTS = "participants"  # the participants workbook (registered and roster)
    ROSTER = "roster"  # the roster as the CLI lists it
    ATTENDANCE = "attendance"  # the daftar hadir
    SURVEY_RESULTS = "survey_results"  # the survey answers


def record_export(
    session: AsyncSession | Session,
    actor: Actor,
    *,
    event_id: int,
    what: ExportKind,
    rows: int,
    named: bool = True,
    formats: Sequence[str] = (),
    at: datetime | None = None,
) -> AuditEntry:
    """An export of the event's people's data (read, and handed out) of ``rows`` rows
    (people, or survey responses): the breach report counts everyone of the event as
    touched by it."""
    return record(
        session,
        actor,
        AuditAction.EXPORT,
        event_id=event_id,
        target=what,
        rows=rows,
        format=list(formats),
        anonymous=not named,
        at=at,
    )


# --- reading it ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditRow:
    """An entry as shown: the actor's name and roles looked up now, the event's code and
    zone beside it."""

    id: int
    at: datetime
    event_id: int | None
    event_code: str | None
    timezone: str | None
    actor_kind: ActorKind
    actor_person_id: int | None
    actor_name: str | None  # None: the CLI, the system, or a person erased since
    actor_roles: frozenset[str]  # the roles the actor holds in the event now
    action: AuditAction
    target_kind: str
    target_id: int | None
    details: dict[str, Any]


async def audit_entries(
    session: AsyncSession,
    event_id: int | None,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    actions: frozenset[AuditAction] | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[AuditRow]:
    """The entries of ``event_id`` (None: of every event, and those of none), newest
    first, ``since`` inclusive and ``until`` exclusive."""
    # Imported here: the modules of those tables record entries themselves.
    from models.event import Event
    from models.people import Person

    entry = AuditEntry.__table__  # type: ignore[attr-defined]
    query = (
        sa.select(entry, col(Person.full_name), col(Event.code), col(Event.timezone))
        .outerjoin(Person, col(Person.id) == entry.c.actor_person_id)
        .outerjoin(Event, col(Event.id) == entry.c.event_id)
        .order_by(entry.c.at.desc(), entry.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if event_id is not None:
        query = query.where(entry.c.event_id == event_id)
    if since is not None:
        query = query.where(entry.c.at >= since)
    if until is not None:
        query = query.where(entry.c.at < until)
    if actions is not None:
        query = query.where(entry.c.action.in_([str(a) for a in actions]))
    found = (await session.execute(query)).all()
    roles = await _roles(session, {(r.actor_person_id, r.event_id) for r in found})
    return [
        AuditRow(
            id=r.id,
            at=r.at,
            event_id=r.event_id,
            event_code=r.code,
            timezone=r.timezone,
            actor_kind=ActorKind(r.actor_kind),
            actor_person_id=r.actor_person_id,
            actor_name=r.full_name,
            actor_roles=roles.get((r.actor_person_id, r.event_id), frozenset()),
            action=AuditAction(r.action),
            target_kind=r.target_kind,
            target_id=r.target_id,
            details=dict(r.details or {}),
        )
        for r in found
    ]


async def _roles(
    session: AsyncSession, pairs: set[tuple[int | None, int | None]]
) -> dict[tuple[int | None, int | None], frozenset[str]]:
    from models.roles import Role

    people = {p for p, e in pairs if p is not None and e is not None}
    if not people:
        return {}
    found = await session.execute(
        sa.select(col(Role.person_id), col(Role.event_id), col(Role.role)).where(
            col(Role.person_id).in_(people), col(Role.revoked_at).is_(None)
        )
    )
    held: dict[tuple[int | None, int | None], set[str]] = {}
    for person_id, event_id, role in found.all():
        held.setdefault((person_id, event_id), set()).add(str(role))
    return {key: frozenset(value) for key, value in held.items()}
