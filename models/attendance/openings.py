"""Opening a check-in code for a session or a day, closing it, and counting who came.

A check-in code opened for a session is taken from EARLY before the session starts
(sent sooner, it says when it opens) until its minutes have run, counted from the
session's start when it was opened before the start: a trainer who opens it at 08.10 for
08.30 leaves latecomers until 08.45 (as late, after the event's minutes). A check-out
code works from when it is opened. Opening the same again while it works gives the same
code.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.agenda import AgendaItem, AgendaSession
from models.attendance.codes import new_code
from models.attendance.store import Attendance, AttendanceOpening, Direction
from models.audit import SYSTEM, Actor, AuditAction, record
from models.event import Event, event_by_code
from models.people import Enrollment

EARLY = timedelta(minutes=30)
_CODE_ATTEMPTS = 20  # new codes tried before giving up: a clash is already one in millions


def window(
    items: list[AgendaItem], direction: Direction, minutes: int, now: datetime
) -> tuple[datetime, datetime]:
    """When a code for ``items`` (a session, or a day's sessions) starts and stops
    working, opened ``now`` for ``minutes``."""
    if direction is Direction.OUT:
        return now, now + timedelta(minutes=minutes)
    start = min(item.starts_at for item in items)
    return start - EARLY, max(now, start) + timedelta(minutes=minutes)


def works(opening: AttendanceOpening, now: datetime) -> bool:
    return opening.closed_at is None and now < opening.expires_at


async def _unused_code(session: AsyncSession) -> str:
    for _ in range(_CODE_ATTEMPTS):
        code = new_code()
        taken = await session.execute(
            select(AttendanceOpening.id).where(col(AttendanceOpening.code) == code)
        )
        # An event's code typed on its own joins that event: never the same as one.
        if taken.first() is None and await event_by_code(session, code) is None:
            return code
    raise RuntimeError("no unused check-in code found")


async def open_code(
    session: AsyncSession,
    *,
    event: Event,
    day: date,
    items: list[AgendaItem],
    session_id: int | None,
    direction: Direction,
    minutes: int,
    opened_by: int | None,
    now: datetime,
) -> tuple[AttendanceOpening, bool]:
    """The code for ``session_id`` (None: the whole ``day``, whose sessions are
    ``items``): the one still working, or a new one; and whether it is new."""
    assert event.id is not None
    found = await session.execute(
        select(AttendanceOpening)
        .where(
            col(AttendanceOpening.event_id) == event.id,
            col(AttendanceOpening.session_id) == session_id
            if session_id is not None
            else col(AttendanceOpening.session_id).is_(None),
            col(AttendanceOpening.day) == day,
            col(AttendanceOpening.direction) == direction,
            col(AttendanceOpening.closed_at).is_(None),
            col(AttendanceOpening.expires_at) > now,
        )
        .order_by(col(AttendanceOpening.id).desc())
        .with_for_update()
    )
    working = found.scalars().first()
    if working is not None:
        return working, False
    opens_at, expires_at = window(items, direction, minutes, now)
    opening = AttendanceOpening(
        event_id=event.id, session_id=session_id, day=day, direction=direction,
        code=await _unused_code(session), opens_at=opens_at, expires_at=expires_at,
        opened_by=opened_by, opened_at=now,
    )  # fmt: skip
    session.add(opening)
    await session.flush()
    actor = Actor.person(opened_by) if opened_by is not None else SYSTEM
    record(
        session,
        actor,
        AuditAction.ATTENDANCE_OPENED,
        event_id=event.id,
        target="attendance_opening",
        target_id=opening.id,
        at=now,
        session_id=session_id,
        day=day.isoformat(),
        direction=str(direction),
        minutes=minutes,
    )
    return opening, True


async def opening_by_code(session: AsyncSession, code: str) -> AttendanceOpening | None:
    found = await session.execute(
        select(AttendanceOpening).where(col(AttendanceOpening.code) == code)
    )
    return found.scalars().first()


async def working_openings(
    session: AsyncSession, event_id: int, now: datetime
) -> list[AttendanceOpening]:
    """The event's codes that work now, or will (opened ahead of their session)."""
    found = await session.execute(
        select(AttendanceOpening)
        .where(
            col(AttendanceOpening.event_id) == event_id,
            col(AttendanceOpening.closed_at).is_(None),
            col(AttendanceOpening.expires_at) > now,
        )
        .order_by(col(AttendanceOpening.opens_at), col(AttendanceOpening.id))
    )
    return list(found.scalars())


def close(
    session: AsyncSession, opening: AttendanceOpening, now: datetime, *, actor: Actor
) -> bool:
    """Stop the code now; False when it had stopped already."""
    if not works(opening, now):
        return False
    opening.closed_at = now
    record(
        session,
        actor,
        AuditAction.ATTENDANCE_CLOSED,
        event_id=opening.event_id,
        target="attendance_opening",
        target_id=opening.id,
        at=now,
    )
    return True


@dataclass(frozen=True, slots=True)
class Count:
    present: int
    late: int  # of those present (a session's code; a day's counts none)
    checked_out: int
    expected: int  # registered for the event (for a class's session, of that class)


async def count_of(
    session: AsyncSession, opening: AttendanceOpening, class_name: str | None
) -> Count:
    """Who is present at the opening's session (or at any session of its day), as its
    opener sees it. ``class_name``: the session's class, None for a plenary one or a day."""
    present = col(Attendance.unmarked_at).is_(None)
    if opening.session_id is not None:
        found = await session.execute(
            select(
                func.count(),
                func.count().filter(col(Attendance.late)),
                func.count(col(Attendance.checked_out_at)),
            ).where(col(Attendance.session_id) == opening.session_id, present)
        )
        people, late, out = found.one()
    else:
        found = await session.execute(
            select(func.count(func.distinct(Attendance.person_id)))
            .join(AgendaSession, col(AgendaSession.id) == col(Attendance.session_id))
            .where(
                col(Attendance.event_id) == opening.event_id,
                col(AgendaSession.day) == opening.day,
                present,
            )
        )
        people, late = found.scalar_one(), 0
        out = await _checked_out_on(session, opening) if opening.direction == Direction.OUT else 0
    enrolled = select(func.count()).where(col(Enrollment.event_id) == opening.event_id)
    if class_name is not None:
        enrolled = enrolled.where(col(Enrollment.class_name) == class_name)
    expected = (await session.execute(enrolled)).scalar_one()
    return Count(int(people), int(late), int(out), int(expected))


async def _checked_out_on(session: AsyncSession, opening: AttendanceOpening) -> int:
    found = await session.execute(
        select(func.count(func.distinct(Attendance.person_id)))
        .join(AgendaSession, col(AgendaSession.id) == col(Attendance.session_id))
        .where(
            col(Attendance.event_id) == opening.event_id,
            col(AgendaSession.day) == opening.day,
            col(Attendance.unmarked_at).is_(None),
            col(Attendance.checked_out_at).is_not(None),
        )
    )
    return int(found.scalar_one())
