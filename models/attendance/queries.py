"""Who attended what, and who was expected where: what certificates, statistics and the
daftar hadir read.

Breaks are no sessions: nobody checks in to a coffee break. Ceremonies (registration,
the opening, the closing, the evaluation) can be checked in to, and a check-in there
makes a day attended; but they teach nothing and carry no hours of learning (JP), so
nobody is *expected* at them: a certificate's share is the sessions attended among
those expected, and missing the opening speech does not lower it.
"""

from collections.abc import Iterable
from typing import Protocol, TypeVar

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.agenda import AgendaItem, agenda
from models.attendance.store import Attendance
from models.event import Event
from models.people import Enrollment, enrollment
from models.reminders import is_break, is_ceremony


class _OfAClass(Protocol):
    @property
    def class_name(self) -> str | None: ...


C = TypeVar("C", bound=_OfAClass)


def attendable(items: Iterable[AgendaItem]) -> list[AgendaItem]:
    """The items one may check in to: all but breaks."""
    return [item for item in items if not is_break(item.title)]


def teaching(items: Iterable[AgendaItem]) -> list[AgendaItem]:
    """The items people are expected at: neither breaks nor ceremonies."""
    return [item for item in attendable(items) if not is_ceremony(item.title)]


def of_class(items: Iterable[C], class_name: str | None) -> list[C]:
    """The items for someone of ``class_name``: that class's and the plenary ones. Without
    a class, the plenary ones only: nobody is expected at two classes at once."""
    return [item for item in items if item.class_name is None or item.class_name == class_name]


async def attendance_of(session: AsyncSession, event_id: int) -> dict[int, set[int]]:
    """Person id → the ids of the sessions they attended: checked in with a code or
    marked by hand, and not unmarked by an organiser since. Ceremonies count; a session
    archived by a later agenda import still counts for whoever attended it."""
    found = await session.execute(
        select(Attendance.person_id, Attendance.session_id).where(
            col(Attendance.event_id) == event_id, col(Attendance.unmarked_at).is_(None)
        )
    )
    attended: dict[int, set[int]] = {}
    for person_id, session_id in found.all():
        attended.setdefault(int(person_id), set()).add(int(session_id))
    return attended


async def sessions_expected(
    session: AsyncSession,
    event_id: int,
    *,
    person_id: int | None = None,
    class_name: str | None = None,
) -> set[int]:
    """The ids of the sessions someone is expected at: their class's and the plenary
    ones on the agenda, neither breaks nor ceremonies. Give the person (their class is
    read from their registration; nothing for someone not registered for the event) or
    a class (None: someone without a class, expected at the plenary sessions only)."""
    if person_id is not None and class_name is not None:
        raise ValueError("give the person or the class, not both")
    event = await session.get(Event, event_id)
    if event is None:
        return set()
    if person_id is not None:
        joined = await enrollment(session, person_id, event_id)
        if joined is None:
            return set()
        class_name = joined.class_name
    whole = await agenda(session, event)
    return {item.id for item in of_class(teaching(whole.items), class_name)}


async def present_by_session(session: AsyncSession, event_id: int) -> dict[int, tuple[int, int]]:
    """Session id → how many are present there, and how many of them came late."""
    found = await session.execute(
        select(col(Attendance.session_id), func.count(), func.count().filter(col(Attendance.late)))
        .where(col(Attendance.event_id) == event_id, col(Attendance.unmarked_at).is_(None))
        .group_by(col(Attendance.session_id))
    )
    return {int(ident): (int(present), int(late)) for ident, present, late in found.all()}


async def registered_by_class(session: AsyncSession, event_id: int) -> dict[str | None, int]:
    """How many are registered for the event, by class (None: no class chosen)."""
    found = await session.execute(
        select(col(Enrollment.class_name), func.count())
        .where(col(Enrollment.event_id) == event_id)
        .group_by(col(Enrollment.class_name))
    )
    return {name: int(count) for name, count in found.all()}
