"""An event's figures for its organisers (/statistik): who registered against the roster,
by regency and library type, who is present today and at each of today's sessions, how
many answered each survey, and who the bot cannot reach. A fixed few queries, whatever
the number of people."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.agenda import AgendaSession
from models.attendance.store import Attendance
from models.event import Event
from models.outbox import OutboxMessage, Status
from models.people import ChannelIdentity, Enrollment, Person
from models.reminders import is_break
from models.roster.status import Reach, roster_reach
from models.surveys.definition import SurveyDefinition
from models.surveys.report import event_report


@dataclass(frozen=True, slots=True)
class SessionPresence:
    title: str
    starts_at: datetime
    class_name: str | None
    present: int
    late: int
    expected: int  # the registered of its class (everyone, for a plenary session)


@dataclass(frozen=True, slots=True)
class SurveyRate:
    session_title: str | None  # a session's round; None: the event's (evaluation, tests)
    survey: SurveyDefinition  # its title in the reader's language names an event's round
    submitted: int
    asked: int


@dataclass(frozen=True, slots=True)
class EventStatistics:
    registered: int
    roster: Reach | None  # None: the event has no roster
    by_regency: tuple[tuple[str, int], ...]  # most first; "" for not given
    by_library_type: tuple[tuple[str, int], ...]
    day: date  # "today", in the event's zone
    present_today: int  # people present at one of today's sessions at least
    sessions_today: tuple[SessionPresence, ...]
    surveys: tuple[SurveyRate, ...]
    unreachable: int  # registered people the bot can reach on no channel
    held: int  # messages to the event's people waiting for a WhatsApp template


def _registered(event_id: int) -> Any:
    return (
        select(col(Person.id))
        .join(Enrollment, col(Enrollment.person_id) == col(Person.id))
        .where(col(Enrollment.event_id) == event_id, col(Person.registered_at).is_not(None))
    )


async def _counted(
    session: AsyncSession, event_id: int, column: Any
) -> tuple[tuple[str, int], ...]:
    found = await session.execute(
        select(column, sa.func.count())
        .where(col(Person.id).in_(_registered(event_id)))
        .group_by(column)
    )
    counted = [(value or "", int(number)) for value, number in found.all()]
    return tuple(sorted(counted, key=lambda pair: (-pair[1], pair[0] == "", pair[0])))


async def event_statistics(session: AsyncSession, event: Event, now: datetime) -> EventStatistics:
    assert event.id is not None
    event_id = event.id
    registered_ids = _registered(event_id)
    registered = int(
        (
            await session.execute(select(sa.func.count()).select_from(registered_ids.subquery()))
        ).scalar_one()
    )
    reach = await roster_reach(session, event_id)
    day = now.astimezone(ZoneInfo(event.timezone)).date()
    today = await _today(session, event_id, day, registered)
    present_today = await session.execute(
        select(sa.func.count(sa.distinct(col(Attendance.person_id)))).where(
            col(Attendance.event_id) == event_id,
            col(Attendance.unmarked_at).is_(None),
            col(Attendance.session_id).in_(
                select(col(AgendaSession.id)).where(
                    col(AgendaSession.event_id) == event_id, col(AgendaSession.day) == day
                )
            ),
            col(Attendance.person_id).in_(registered_ids),
        )
    )
    report = await event_report(session, event_id, names=False)
    surveys = tuple(
        SurveyRate(r.round.session_title, r.definition, len(r.round.submitted), r.round.asked)
        for r in report.rounds
    )
    return EventStatistics(
        registered=registered,
        roster=reach if reach.total else None,
        by_regency=await _counted(session, event_id, col(Person.regency)),
        by_library_type=await _counted(session, event_id, col(Person.library_type)),
        day=day,
        present_today=int(present_today.scalar_one()),
        sessions_today=today,
        surveys=surveys,
        unreachable=await _unreachable(session, event_id),
        held=await _held(session, event_id),
    )


async def _today(
    session: AsyncSession, event_id: int, day: date, registered: int
) -> tuple[SessionPresence, ...]:
    """Today's sessions (breaks left out) with who was present and late at each."""
    found = await session.execute(
        select(
            AgendaSession,
            sa.func.count(col(Attendance.id)),
            sa.func.count(col(Attendance.id)).filter(col(Attendance.late)),
        )
        .outerjoin(
            Attendance,
            (col(Attendance.session_id) == col(AgendaSession.id))
            & col(Attendance.unmarked_at).is_(None),
        )
        .where(
            col(AgendaSession.event_id) == event_id,
            col(AgendaSession.day) == day,
            col(AgendaSession.archived_at).is_(None),
        )
        .group_by(col(AgendaSession.id))
        .order_by(col(AgendaSession.starts_at), col(AgendaSession.class_name))
    )
    by_class = await _registered_by_class(session, event_id)
    return tuple(
        SessionPresence(
            item.title,
            item.starts_at,
            item.class_name,
            int(present),
            int(late),
            registered if item.class_name is None else by_class.get(item.class_name, 0),
        )
        for item, present, late in found.all()
        if not is_break(item.title)
    )


async def _registered_by_class(session: AsyncSession, event_id: int) -> dict[str, int]:
    found = await session.execute(
        select(col(Enrollment.class_name), sa.func.count())
        .join(Person, col(Person.id) == col(Enrollment.person_id))
        .where(
            col(Enrollment.event_id) == event_id,
            col(Person.registered_at).is_not(None),
            col(Enrollment.class_name).is_not(None),
        )
        .group_by(col(Enrollment.class_name))
    )
    return {str(name): int(number) for name, number in found.all()}


async def _unreachable(session: AsyncSession, event_id: int) -> int:
    """Registered people none of whose channels the bot may write to (they blocked it,
    or the number cannot get messages)."""
    reachable = select(col(ChannelIdentity.person_id)).where(
        col(ChannelIdentity.unreachable_at).is_(None)
    )
    found = await session.execute(
        select(sa.func.count()).select_from(
            _registered(event_id).where(col(Person.id).not_in(reachable)).subquery()
        )
    )
    return int(found.scalar_one())


async def _held(session: AsyncSession, event_id: int) -> int:
    found = await session.execute(
        select(sa.func.count())
        .select_from(OutboxMessage)
        .join(ChannelIdentity, col(ChannelIdentity.id) == col(OutboxMessage.identity_id))
        .where(
            col(OutboxMessage.status) == Status.HELD,
            col(ChannelIdentity.person_id).in_(_registered(event_id)),
        )
    )
    return int(found.scalar_one())


def share(part: int, whole: int) -> int:
    """A whole per cent, rounded half up; 0 of nothing is 0 %."""
    return (200 * part + whole) // (2 * whole) if whole else 0
