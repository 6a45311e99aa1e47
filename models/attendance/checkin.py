"""A participant sends a code: what it records, or why it records nothing.

Each refusal is an outcome of its own, so that the person is told exactly why; nothing
is stored twice (one row per person and session, whatever arrives at once) and a code
that is refused stores nothing but, when it is unknown, one more wrong try.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.agenda import AgendaItem, agenda
from models.attendance.codes import insert_new, note_wrong, waiting_until
from models.attendance.openings import opening_by_code
from models.attendance.queries import attendable, of_class
from models.attendance.settings import rules_of
from models.attendance.store import Attendance, AttendanceOpening, Direction, Source
from models.event import Event
from models.people import Enrollment, enrollment


class Outcome(StrEnum):
    RECORDED = "recorded"
    ALREADY = "already"  # checked in before (``at``: when)
    UNMARKED = "unmarked"  # an organiser took the attendance off: a code does not undo it
    CHECKED_OUT = "checked_out"
    ALREADY_OUT = "already_out"
    NOT_IN = "not_in"  # a check-out code from someone who never checked in
    UNKNOWN = "unknown"  # no such code (a wrong try)
    WAIT = "wait"  # too many wrong codes: nothing is looked at until ``at``
    NOT_YET = "not_yet"  # opens at ``at``
    EXPIRED = "expired"
    CLOSED = "closed"  # stopped early by its opener
    GONE = "gone"  # the session left the agenda
    NOT_REGISTERED = "not_registered"
    OTHER_CLASS = "other_class"
    NO_CLASS = "no_class"  # a class's session, and the person chose no class
    NONE_LEFT = "none_left"  # a day's code, and none of the person's sessions is left


@dataclass(frozen=True, slots=True)
class Result:
    outcome: Outcome
    event: Event | None = None
    opening: AttendanceOpening | None = None
    at: datetime | None = None
    sessions: tuple[AgendaItem, ...] = field(default=())  # those concerned
    late: bool = False
    own_class: str | None = None
    tries_left: int = 0


async def check(
    session: AsyncSession, *, person_id: int, code: str, channel: str, now: datetime
) -> Result:
    """Take ``code`` (as ``typed_code`` returns it) from the person, sent on ``channel``."""
    until = await waiting_until(session, person_id, now)
    if until is not None:
        return Result(Outcome.WAIT, at=until)
    opening = await opening_by_code(session, code)
    if opening is None:
        return Result(Outcome.UNKNOWN, tries_left=await note_wrong(session, person_id, now))
    event = await session.get(Event, opening.event_id)
    assert event is not None
    assert event.id is not None
    joined = await enrollment(session, person_id, event.id)
    if joined is None:
        return Result(Outcome.NOT_REGISTERED, event, opening)
    if opening.closed_at is not None:
        return Result(Outcome.CLOSED, event, opening, at=opening.closed_at)
    if now >= opening.expires_at:
        return Result(Outcome.EXPIRED, event, opening, at=opening.expires_at)
    whole = await agenda(session, event)
    if opening.session_id is not None:
        item = whole.item(opening.session_id)
        if item is None:
            return Result(Outcome.GONE, event, opening)
        if item.class_name is not None and item.class_name != joined.class_name:
            refused = Outcome.NO_CLASS if joined.class_name is None else Outcome.OTHER_CLASS
            return Result(refused, event, opening, sessions=(item,), own_class=joined.class_name)
        items = [item]
    else:
        items = [i for i in of_class(attendable(whole.items), joined.class_name)
                 if i.day == opening.day]  # fmt: skip
    if now < opening.opens_at:
        return Result(Outcome.NOT_YET, event, opening, at=opening.opens_at, sessions=tuple(items))
    if opening.direction == Direction.OUT:
        return await _check_out(session, event, opening, joined, items, now)
    if opening.session_id is None:
        items = [item for item in items if item.ends_at > now]  # not the day's ended ones
        if not items:
            return Result(Outcome.NONE_LEFT, event, opening)
    return await _check_in(session, event, opening, joined, items, channel, now)


async def _rows(
    session: AsyncSession, person_id: int, items: list[AgendaItem]
) -> dict[int, Attendance]:
    found = await session.execute(
        select(Attendance)
        .where(
            col(Attendance.person_id) == person_id,
            col(Attendance.session_id).in_([item.id for item in items]),
        )
        .execution_options(populate_existing=True)
    )
    return {row.session_id: row for row in found.scalars()}


async def _check_in(
    session: AsyncSession,
    event: Event,
    opening: AttendanceOpening,
    joined: Enrollment,
    items: list[AgendaItem],
    channel: str,
    now: datetime,
) -> Result:
    rules = await rules_of(session, opening.event_id)
    late_after = timedelta(minutes=rules.late_after)
    before = await _rows(session, joined.person_id, items)
    await insert_new(
        session,
        Attendance,
        [
            {
                "event_id": opening.event_id, "session_id": item.id,
                "person_id": joined.person_id, "checked_in_at": now,
                "late": now > item.starts_at + late_after, "source": Source.CODE,
                "channel": channel, "opening_id": opening.id,
                "checked_out_at": None, "unmarked_at": None,
            }
            for item in items
            if item.id not in before
        ],
    )  # fmt: skip
    after = await _rows(session, joined.person_id, items)
    recorded = [item for item in items if item.id in after and item.id not in before]
    if recorded:
        first = after[recorded[0].id]
        return Result(Outcome.RECORDED, event, opening, at=first.checked_in_at,
                      sessions=tuple(recorded), late=first.late)  # fmt: skip
    present = [row for row in after.values() if row.unmarked_at is None]
    if not present:
        return Result(Outcome.UNMARKED, event, opening, sessions=tuple(items))
    earliest = min(present, key=lambda row: row.checked_in_at)
    concerned = tuple(item for item in items if item.id == earliest.session_id)
    return Result(Outcome.ALREADY, event, opening, at=earliest.checked_in_at, sessions=concerned)


async def _check_out(
    session: AsyncSession,
    event: Event,
    opening: AttendanceOpening,
    joined: Enrollment,
    items: list[AgendaItem],
    now: datetime,
) -> Result:
    rows = await _rows(session, joined.person_id, items)
    present = [row for row in rows.values() if row.unmarked_at is None]
    if not present:
        refused = Outcome.UNMARKED if rows else Outcome.NOT_IN
        return Result(refused, event, opening, sessions=tuple(items))
    leaving = [row for row in present if row.checked_out_at is None]
    if not leaving:
        last = max(present, key=lambda row: row.checked_out_at or now)
        concerned = tuple(item for item in items if item.id == last.session_id)
        return Result(Outcome.ALREADY_OUT, event, opening, at=last.checked_out_at,
                      sessions=concerned)  # fmt: skip
    for row in leaving:
        row.checked_out_at = now
    await session.flush()
    left = {row.session_id for row in leaving}
    return Result(Outcome.CHECKED_OUT, event, opening, at=now,
                  sessions=tuple(item for item in items if item.id in left))  # fmt: skip
