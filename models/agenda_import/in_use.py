"""What points at an agenda session. An import keeps (archives) a session it drops when
something points at it, so that feedback stays readable with the session it was given
on; a session nothing points at is deleted."""

from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped
from sqlmodel import col, select

from models.attendance.store import Attendance
from models.surveys.store import SurveyRound

# The columns that point at a session, each with the reason an import report gives for
# keeping it ("agenda_import.in_use.<reason>").
POINTERS: tuple[tuple[str, Mapped[Any]], ...] = (
    ("feedback", col(SurveyRound.session_id)),
    ("attendance", col(Attendance.session_id)),
)


async def sessions_in_use(session: AsyncSession, ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    """The sessions among ``ids`` that something points at, each with the reasons (in
    the order of ``POINTERS``)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    uses: dict[int, list[str]] = {}
    for reason, column in POINTERS:
        found = await session.execute(select(column).where(column.in_(wanted)).distinct())
        for ident in found.scalars():
            uses.setdefault(int(ident), []).append(reason)
    return {ident: tuple(reasons) for ident, reasons in sorted(uses.items())}
