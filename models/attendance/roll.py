"""The roll of one session, as an organiser follows it in the hall: who checked in (when,
late or not, on which channel, by a code or by hand), who had their presence taken off,
and who is expected there and has not come.

Expected at a session: those registered for the event, of its class (everyone for a
plenary session), as the daftar hadir and the count under a code read it. Someone marked
by hand at another class's session is listed there too."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.attendance.store import Attendance
from models.people import Enrollment, Person


@dataclass(frozen=True, slots=True)
class RollLine:
    person_id: int
    name: str
    library: str
    class_name: str | None
    checked_in_at: datetime | None = None  # None: no record at the session
    late: bool = False
    source: str | None = None  # models.attendance.store.Source
    channel: str | None = None  # where the code came from, or where the mark was made
    checked_out_at: datetime | None = None
    unmarked_at: datetime | None = None  # an organiser took the presence off

    @property
    def present(self) -> bool:
        return self.checked_in_at is not None and self.unmarked_at is None


@dataclass(frozen=True, slots=True)
class Roll:
    present: tuple[RollLine, ...]  # the latest check-in first
    absent: tuple[RollLine, ...]  # expected and not present (taken off included), by name

    @property
    def late(self) -> int:
        return sum(1 for line in self.present if line.late)


async def roll_of(
    session: AsyncSession, event_id: int, session_id: int, class_name: str | None
) -> Roll:
    """The roll of the event's session ``session_id``, whose class is ``class_name``
    (None: a plenary session)."""
    records = await session.execute(
        sa.select(
            col(Attendance.person_id), col(Attendance.checked_in_at), col(Attendance.late),
            col(Attendance.source), col(Attendance.channel), col(Attendance.checked_out_at),
            col(Attendance.unmarked_at),
        ).where(col(Attendance.event_id) == event_id, col(Attendance.session_id) == session_id)
    )  # fmt: skip
    found = {row[0]: row[1:] for row in records.all()}
    people = await session.execute(
        sa.select(col(Person.id), col(Person.full_name), col(Person.library_name),
                  col(Enrollment.class_name))
        .join(Enrollment, col(Enrollment.person_id) == col(Person.id))
        .where(col(Enrollment.event_id) == event_id)
    )  # fmt: skip
    lines = []
    for person_id, name, library, theirs in people.all():
        assert person_id is not None
        record = found.get(person_id)
        if record is None:
            if class_name is None or theirs == class_name:
                lines.append(RollLine(person_id, name or "", library or "", theirs))
            continue
        at, late, source, channel, out, unmarked = record
        lines.append(
            RollLine(person_id, name or "", library or "", theirs, at, bool(late), source,
                     channel, out, unmarked)
        )  # fmt: skip
    present = sorted(
        (line for line in lines if line.present),
        key=lambda line: (line.checked_in_at, line.person_id),
        reverse=True,
    )
    absent = sorted(
        (line for line in lines if not line.present),
        key=lambda line: (line.name.casefold(), line.person_id),
    )
    return Roll(tuple(present), tuple(absent))
