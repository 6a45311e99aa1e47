"""The daftar hadir as data: every registered participant, and for each day (or each
session, as the event's setting says) whether they were there. The words and the file
come after (``handlers.attendance_sheet`` and ``models.attendance.files``).

A day counts as attended when the person was present at any session of theirs that day
(ceremonies included). A cell for a day or session that is not the person's (another
class's) is NOT_THEIRS, told apart from an absence; someone marked by hand at another
class's session is present there all the same.
"""

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.agenda import agenda, archived_sessions, session_titles
from models.attendance.queries import attendable, of_class
from models.attendance.store import Attendance, AttendanceMark, ExportBy
from models.event import Event
from models.people import Enrollment, Person


class Mark(StrEnum):
    PRESENT = "present"
    LATE = "late"
    ABSENT = "absent"
    NOT_THEIRS = "not_theirs"


@dataclass(frozen=True, slots=True)
class Slot:
    """A session as the register reads it (archived ones that people attended too)."""

    id: int
    day: date
    starts_at: datetime
    title: str
    class_name: str | None


@dataclass(frozen=True, slots=True)
class Line:
    name: str
    library: str
    regency: str
    class_name: str | None
    marks: tuple[Mark, ...]  # one per column


@dataclass(frozen=True, slots=True)
class Change:
    """A manual mark, for the record."""

    at: datetime
    session: str
    person: str
    action: str
    reason: str
    by: str | None  # the organiser's name; None from the command line or a nameless admin


@dataclass(frozen=True, slots=True)
class Register:
    event_name: str
    code: str
    venue: str
    timezone: str
    starts_on: date
    ends_on: date
    by: ExportBy
    has_classes: bool
    days: tuple[date, ...]  # the columns, by day
    slots: tuple[Slot, ...]  # the columns, by session
    lines: tuple[Line, ...]  # by name
    changes: tuple[Change, ...]  # oldest first

    @property
    def columns(self) -> int:
        return len(self.days) if self.by is ExportBy.DAY else len(self.slots)


async def _slots(session: AsyncSession, event: Event, attended: set[int]) -> list[Slot]:
    whole = await agenda(session, event)
    slots = [Slot(i.id, i.day, i.starts_at, i.title, i.class_name) for i in attendable(whole.items)]
    slots += [
        Slot(row.id, row.day, row.starts_at, row.title, row.class_name)
        for row in await archived_sessions(session, event.id)
        if row.id in attended and row.id is not None
    ]
    return sorted(slots, key=lambda s: (s.starts_at, s.class_name or "", s.id))


async def register_of(session: AsyncSession, event: Event, by: ExportBy) -> Register:
    assert event.id is not None
    found = await session.execute(
        select(Attendance.person_id, Attendance.session_id, Attendance.late).where(
            col(Attendance.event_id) == event.id, col(Attendance.unmarked_at).is_(None)
        )
    )
    present: dict[tuple[int, int], bool] = {(p, s): late for p, s, late in found.all()}
    slots = await _slots(session, event, {s for _, s in present})
    days = sorted({slot.day for slot in slots})
    people = await session.execute(
        sa.select(col(Person.id), col(Person.full_name), col(Person.library_name),
                  col(Person.regency), col(Enrollment.class_name))
        .join(Enrollment, col(Enrollment.person_id) == col(Person.id))
        .where(col(Enrollment.event_id) == event.id)
    )  # fmt: skip
    lines = []
    for person_id, name, library, regency, class_name in people.all():
        assert person_id is not None
        theirs = {slot.id for slot in of_class(slots, class_name)}
        marks: list[Mark] = []
        if by is ExportBy.DAY:
            for day in days:
                that_day = [slot.id for slot in slots if slot.day == day]
                if any((person_id, ident) in present for ident in that_day):
                    marks.append(Mark.PRESENT)
                else:
                    mine = any(ident in theirs for ident in that_day)
                    marks.append(Mark.ABSENT if mine else Mark.NOT_THEIRS)
        else:
            for slot in slots:
                late = present.get((person_id, slot.id))
                if late is not None:
                    marks.append(Mark.LATE if late else Mark.PRESENT)
                else:
                    marks.append(Mark.ABSENT if slot.id in theirs else Mark.NOT_THEIRS)
        lines.append(Line(name or "", library or "", regency or "", class_name, tuple(marks)))
    lines.sort(key=lambda line: (line.name.casefold(), line.library.casefold()))
    return Register(
        event_name=event.name, code=event.code, venue=event.venue, timezone=event.timezone,
        starts_on=event.starts_on, ends_on=event.ends_on, by=by,
        has_classes=bool((await agenda(session, event)).classes), days=tuple(days),
        slots=tuple(slots), lines=tuple(lines),
        changes=tuple(await _changes(session, event.id)),
    )  # fmt: skip


async def _changes(session: AsyncSession, event_id: int) -> list[Change]:
    subject = Person.__table__.alias("subject")  # type: ignore[attr-defined]
    author = Person.__table__.alias("author")  # type: ignore[attr-defined]
    found = await session.execute(
        sa.select(
            col(AttendanceMark.at), col(AttendanceMark.session_id), subject.c.full_name,
            col(AttendanceMark.action), col(AttendanceMark.reason), author.c.full_name,
        )
        .join(subject, subject.c.id == col(AttendanceMark.person_id))
        .outerjoin(author, author.c.id == col(AttendanceMark.by_person_id))
        .where(col(AttendanceMark.event_id) == event_id)
        .order_by(col(AttendanceMark.at), col(AttendanceMark.id))
    )  # fmt: skip
    rows = found.all()
    titles = await session_titles(session, (row[1] for row in rows))
    return [
        Change(at, titles.get(session_id, ""), person or "", action, reason, by)
        for at, session_id, person, action, reason, by in rows
    ]
