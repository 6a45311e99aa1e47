"""Organisers mark someone present, or take a presence off, by hand, with a reason that
is kept: who did it, when, why (``AttendanceMark``). Marking is for people registered for
the event, at sessions of its agenda other than breaks; an organiser may mark someone at
another class's session (they moved for the day), which a code would refuse."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.agenda import AgendaSession
from models.attendance.codes import insert_new
from models.attendance.store import Attendance, AttendanceMark, MarkAction, Source
from models.audit import CLI, SYSTEM, Actor, AuditAction, record
from models.people import Enrollment, Person, enrollment
from models.reminders import is_break
from models.text import clean_text

MAX_REASON = 300
_FOUND_AT_MOST = 8


class ReasonError(ValueError):
    """A reason that is empty or too long."""


class Marked(StrEnum):
    MARKED = "marked"
    UNMARKED = "unmarked"
    ALREADY_PRESENT = "already_present"
    NOT_PRESENT = "not_present"  # nothing to take off
    NOT_REGISTERED = "not_registered"
    NO_SESSION = "no_session"  # not a session of this event, or a break


@dataclass(frozen=True, slots=True)
class Who:
    """Who makes the change: a person (in the chat) or nobody known (the command line),
    and where."""

    person_id: int | None
    via: str

    @property
    def actor(self) -> Actor:
        if self.person_id is not None:
            return Actor.person(self.person_id)
        return CLI if self.via == "cli" else SYSTEM


def checked_reason(reason: str) -> str:
    cleaned = clean_text(reason)
    if not cleaned or len(cleaned) > MAX_REASON:
        raise ReasonError(f"a reason of 1 to {MAX_REASON} characters")
    return cleaned


async def markable(session: AsyncSession, event_id: int, session_id: int) -> AgendaSession | None:
    """The session, if it is one of the event's agenda that people attend."""
    found = await session.get(AgendaSession, session_id)
    if found is None or found.event_id != event_id or found.archived_at is not None:
        return None
    return None if is_break(found.title) else found


async def record_of(session: AsyncSession, session_id: int, person_id: int) -> Attendance | None:
    found = await session.execute(
        select(Attendance)
        .where(col(Attendance.session_id) == session_id, col(Attendance.person_id) == person_id)
        .execution_options(populate_existing=True)
        .with_for_update()
    )
    return found.scalars().first()


async def _checked(
    session: AsyncSession, event_id: int, session_id: int, person_id: int
) -> Marked | None:
    if await markable(session, event_id, session_id) is None:
        return Marked.NO_SESSION
    if await enrollment(session, person_id, event_id) is None:
        return Marked.NOT_REGISTERED
    return None


async def _log(session: AsyncSession, event_id: int, session_id: int, person_id: int,
               action: MarkAction, reason: str, who: Who, now: datetime) -> None:  # fmt: skip
    """The mark with its reason, and the audit entry that points at it (the reason is
    typed by an organiser and may name people: it stays in the mark, not in the log)."""
    row = AttendanceMark(
        event_id=event_id, session_id=session_id, person_id=person_id, action=action,
        reason=reason, by_person_id=who.person_id, via=who.via, at=now,
    )  # fmt: skip
    session.add(row)
    await session.flush()
    audited = (
        AuditAction.ATTENDANCE_MARKED
        if action == MarkAction.MARK
        else AuditAction.ATTENDANCE_UNMARKED
    )
    record(
        session,
        who.actor,
        audited,
        event_id=event_id,
        target="attendance_mark",
        target_id=row.id,
        at=now,
        session_id=session_id,
    )


async def mark(
    session: AsyncSession, *, event_id: int, session_id: int, person_id: int, reason: str,
    who: Who, now: datetime,
) -> Marked:  # fmt: skip
    """Mark the person present at the session, on time, by hand."""
    reason = checked_reason(reason)
    refused = await _checked(session, event_id, session_id, person_id)
    if refused is not None:
        return refused
    row = await record_of(session, session_id, person_id)
    if row is not None and row.unmarked_at is None:
        return Marked.ALREADY_PRESENT
    if row is None:
        await insert_new(
            session,
            Attendance,
            [
                {
                    "event_id": event_id, "session_id": session_id, "person_id": person_id,
                    "checked_in_at": now, "late": False, "source": Source.MANUAL,
                    "channel": who.via, "opening_id": None, "checked_out_at": None,
                    "unmarked_at": None,
                }
            ],
        )  # fmt: skip
    else:
        row.checked_in_at, row.late, row.source, row.channel = now, False, Source.MANUAL, who.via
        row.opening_id = row.checked_out_at = row.unmarked_at = None
    await _log(session, event_id, session_id, person_id, MarkAction.MARK, reason, who, now)
    await session.flush()
    return Marked.MARKED


async def unmark(
    session: AsyncSession, *, event_id: int, session_id: int, person_id: int, reason: str,
    who: Who, now: datetime,
) -> Marked:  # fmt: skip
    """Take the person's presence at the session off; a code sent again does not put it
    back, a mark by hand does."""
    reason = checked_reason(reason)
    refused = await _checked(session, event_id, session_id, person_id)
    if refused is not None:
        return refused
    row = await record_of(session, session_id, person_id)
    if row is None or row.unmarked_at is not None:
        return Marked.NOT_PRESENT
    row.unmarked_at = now
    await _log(session, event_id, session_id, person_id, MarkAction.UNMARK, reason, who, now)
    await session.flush()
    return Marked.UNMARKED


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def find_participants(session: AsyncSession, event_id: int, name: str) -> list[Person]:
    """The event's registered people whose name holds ``name`` (any case), at most a
    screenful, by name."""
    wanted = clean_text(name).lower()
    if not wanted:
        return []
    found = await session.execute(
        select(Person)
        .join(Enrollment, col(Enrollment.person_id) == col(Person.id))
        .where(
            col(Enrollment.event_id) == event_id,
            func.lower(col(Person.full_name)).like(_like(wanted), escape="\\"),
        )
        .order_by(func.lower(col(Person.full_name)), col(Person.id))
        .limit(_FOUND_AT_MOST)
    )
    return list(found.scalars())


async def participant_by_phone(session: AsyncSession, event_id: int, phone: str) -> Person | None:
    """The person registered for the event with this number (E.164)."""
    found = await session.execute(
        select(Person)
        .join(Enrollment, col(Enrollment.person_id) == col(Person.id))
        .where(col(Enrollment.event_id) == event_id, col(Person.phone_e164) == phone)
    )
    return found.scalars().first()
