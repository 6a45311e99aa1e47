"""Checking a read file against an event and making the stored agenda match it.

The organiser's file is the source of truth. Importing it again updates the stored agenda
in place: matched sessions keep their ids (feedback and attendance point at them), new
rows are added and sessions no longer in the file are removed. A removed session that
something points at (``sessions_in_use``) is archived instead of deleted: off the agenda,
its row kept; a later file that brings it back re-uses that row. A file with any problem
changes nothing, and every problem is reported with the row number Excel shows.
"""

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models import AgendaSession, Event
from models.agenda import agenda_of, archived_sessions, class_names
from models.agenda_import.classes import class_key, event_id
from models.agenda_import.in_use import sessions_in_use
from models.agenda_import.problems import AgendaFileError
from models.agenda_import.rows import AgendaRow, Sheet
from models.agenda_import.worker import read_file_off_loop
from models.audit import SYSTEM, Actor, AuditAction, record
from models.notifications import cancel_outdated
from models.spreadsheet.problems import Problem
from models.spreadsheet.text import words
from models.types import utcnow
from models.zones import zone_label

# The fields a reminder says (or that decide who gets it).
REMINDED = {"date", "start", "title", "room", "class"}
# A real agenda has a few clashes. A file with more is wrong throughout: the first
# hundred say so, where all of them could run to half a million lines.
MAX_CLASHES = 100


@dataclass
class ImportReport:
    added: list[AgendaSession] = field(default_factory=list)
    changed: list[tuple[AgendaSession, list[str]]] = field(default_factory=list)
    # Off the agenda: deleted, or archived when something points at them.
    removed: list[AgendaSession] = field(default_factory=list)
    unchanged: int = 0
    # The changed sessions as they were, by id: what a change notice says they moved from.
    before: dict[int, AgendaSession] = field(default_factory=dict)
    # The removed sessions kept, archived, by id, with what points at them ("feedback").
    archived: dict[int, tuple[str, ...]] = field(default_factory=dict)
    # The added sessions that are archived ones brought back, by id.
    restored: set[int] = field(default_factory=set)

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def outdated(self) -> tuple[set[int], set[date]]:
        """The sessions whose reminders say something no longer true (removed, or their
        time, title, room or class changed), and the days whose digests do."""
        sessions = {s.id for s in self.removed if s.id is not None}
        days = {s.day for s in (*self.added, *self.removed)}
        for item, fields in self.changed:
            if REMINDED & set(fields) and item.id is not None:
                sessions.add(item.id)
            days.add(item.day)
            if item.id in self.before:
                days.add(self.before[item.id].day)
        return sessions, days


@dataclass(frozen=True, slots=True)
class _Planned:
    row: int
    day: date
    start: time
    end: time
    starts_at: datetime
    ends_at: datetime
    title: str
    speakers: str
    room: str
    class_name: str | None
    description: str


def _resolve_class(row: AgendaRow, event: Event, classes: Sequence[str]) -> str | Problem | None:
    if row.class_name is None:
        return None
    by_key = {class_key(c): c for c in classes}
    if not classes:
        return Problem(
            row.row, "agenda_import.no_classes", {"value": row.class_name, "code": event.code}
        )
    found = by_key.get(class_key(row.class_name))
    if found is None:
        return Problem(
            row.row,
            "agenda_import.unknown_class",
            {"value": row.class_name, "classes": ", ".join(classes)},
        )
    return found


def _plan(
    sheet: Sheet, event: Event, classes: Sequence[str]
) -> tuple[list[_Planned], list[Problem]]:
    zone = ZoneInfo(event.timezone)
    label = zone_label(zone, datetime.combine(event.starts_on, time(12), zone))
    planned: list[_Planned] = []
    problems = [
        Problem(sheet.header_row, "agenda_import.wrong_zone", {"written": written, "zone": label})
        for written in sheet.header_zones
        if written != label
    ]
    for row in sheet.rows:
        found: list[Problem] = [
            Problem(row.row, "agenda_import.wrong_zone", {"written": written, "zone": label})
            for written in row.zones
            if written != label
        ]
        if not event.starts_on <= row.day <= event.ends_on:
            found.append(
                Problem(
                    row.row,
                    "agenda_import.outside_event",
                    {"date": row.day, "starts": event.starts_on, "ends": event.ends_on},
                )
            )
        class_name = _resolve_class(row, event, classes)
        if isinstance(class_name, Problem):
            found.append(class_name)
            class_name = None
        problems += found
        if found:
            continue
        planned.append(
            _Planned(
                row=row.row,
                day=row.day,
                start=row.start,
                end=row.end,
                starts_at=datetime.combine(row.day, row.start, zone).astimezone(UTC),
                ends_at=datetime.combine(row.day, row.end, zone).astimezone(UTC),
                title=row.title,
                speakers=row.speakers,
                room=row.room,
                class_name=class_name,
                description=row.description,
            )
        )
    return planned, problems + _clashes(planned)


def _clashes(planned: Sequence[_Planned]) -> list[Problem]:
    """Two sessions at once in one room for the same people (a plenary session is for
    every class), or one class in two places at once. Only sessions that share a room or
    a class can clash, so only those are compared: a thousand sessions at the same hour
    in a thousand rooms cost no more than a real agenda."""
    order = sorted(planned, key=lambda p: (p.starts_at, p.row))
    position = {id(p): i for i, p in enumerate(order)}
    groups: dict[tuple[str, str], list[_Planned]] = defaultdict(list)
    for item in order:
        if item.room:
            groups["room", words(item.room)].append(item)
        if item.class_name is not None:
            groups["class", item.class_name].append(item)
    found: dict[tuple[int, int], Problem] = {}  # by the two sessions' places in time order
    for group in groups.values():
        for i, first in enumerate(group):
            for j in range(i + 1, len(group)):
                second = group[j]
                if second.starts_at >= first.ends_at:
                    break
                problem = _clash(first, second)
                if problem is not None:
                    found[position[id(first)], position[id(second)]] = problem
                if len(found) >= MAX_CLASHES:
                    return [found[pair] for pair in sorted(found)]
    return [found[pair] for pair in sorted(found)]


def _clash(first: _Planned, second: _Planned) -> Problem | None:
    """The problem of two sessions that overlap in time, if they clash."""
    earlier, later = (first, second) if first.row < second.row else (second, first)
    same_room = bool(first.room) and words(first.room) == words(second.room)
    shared = first.class_name is None or second.class_name is None
    if same_room and (shared or first.class_name == second.class_name):
        return Problem(
            later.row, "agenda_import.overlap", {"other": earlier.row, "room": later.room}
        )
    if first.class_name is not None and first.class_name == second.class_name:
        return Problem(
            later.row,
            "agenda_import.class_clash",
            {"other": earlier.row, "name": later.class_name},
        )
    return None


def _local(moment: datetime, zone: ZoneInfo) -> time:
    return moment.astimezone(zone).time().replace(tzinfo=None)


def _changes(stored: AgendaSession, new: _Planned, zone: ZoneInfo) -> list[str]:
    same_day = stored.day == new.day
    compared = [
        ("date", same_day),
        (
            "start",
            _local(stored.starts_at, zone) == new.start
            and (not same_day or stored.starts_at == new.starts_at),
        ),
        (
            "end",
            _local(stored.ends_at, zone) == new.end
            and (not same_day or stored.ends_at == new.ends_at),
        ),
        ("title", stored.title == new.title),
        ("speakers", stored.speakers == new.speakers),
        ("room", stored.room == new.room),
        ("class", stored.class_name == new.class_name),
        ("description", stored.description == new.description),
    ]
    return [name for name, same in compared if not same]


def _class_of(name: str | None) -> str:
    return "" if name is None else class_key(name)


Pass = tuple[Callable[[Any], Hashable], bool]  # a key both sides are matched on; unique only
_SAME_START: Pass = (lambda s: (words(s.title), _class_of(s.class_name), s.starts_at), False)
_SAME_DAY: Pass = (lambda s: (words(s.title), _class_of(s.class_name), s.day), True)
_RENAMED: Pass = (lambda s: (s.starts_at, _class_of(s.class_name)), False)
_OTHER_DAY: Pass = (lambda s: (words(s.title), _class_of(s.class_name)), True)
# The title says what a session is, so it leads: same title, class, day and start; then
# same title, class and day, found once on each side (moved within the day); then same
# start and class (renamed in place); then a title and class found once on each side
# (moved to another day).
LIVE_PASSES = (_SAME_START, _SAME_DAY, _RENAMED, _OTHER_DAY)
# Archived sessions are matched only by the rows no live session took (the file updates
# what people see first), and only as the same session on the same day: same title and
# class, at the same start or found once on each side that day. Never by slot alone (a
# new session in a dropped one's slot is another session) nor on another day: the
# feedback pointing at it was about that session on that day.
ARCHIVED_PASSES = (_SAME_START, _SAME_DAY)


def _match(
    stored: Sequence[AgendaSession],
    planned: Sequence[_Planned],
    passes: Sequence[Pass],
    pairs: dict[int, AgendaSession] | None = None,
) -> dict[int, AgendaSession]:
    """Which stored session each planned row updates (by position in ``planned``),
    adding to ``pairs`` (the rows already matched). Two sessions that swap slots keep
    their own ids."""
    pairs = {} if pairs is None else dict(pairs)
    taken: set[int] = set()
    for key_of, unique_only in passes:
        free: dict[Hashable, list[AgendaSession]] = {}
        for s in stored:
            if id(s) not in taken:
                free.setdefault(key_of(s), []).append(s)
        waiting = [i for i in range(len(planned)) if i not in pairs]
        wanted: dict[Hashable, int] = {}
        for i in waiting:
            wanted[key_of(planned[i])] = wanted.get(key_of(planned[i]), 0) + 1
        for i in waiting:
            key = key_of(planned[i])
            candidates = free.get(key)
            if not candidates or (unique_only and (len(candidates) > 1 or wanted[key] > 1)):
                continue
            pairs[i] = candidates.pop(0)
            taken.add(id(pairs[i]))
    return pairs


def _fill(target: AgendaSession, new: _Planned) -> None:
    target.day = new.day
    target.starts_at = new.starts_at
    target.ends_at = new.ends_at
    target.title = new.title
    target.speakers = new.speakers
    target.room = new.room
    target.class_name = new.class_name
    target.description = new.description
    target.updated_at = utcnow()


async def import_agenda(
    session: AsyncSession,
    event: Event,
    filename: str,
    content: bytes,
    *,
    apply: bool = True,
    actor: Actor = SYSTEM,
) -> ImportReport:
    """Read the file (in a worker process: the event loop goes on meanwhile), check it
    against the event and its classes and, when ``apply``, make the stored agenda match
    it. Without ``apply`` the report says what would be added, changed and removed, and
    nothing is written. Raises AgendaFileError, storing nothing, if anything is wrong."""
    sheet = await read_file_off_loop(filename, content)
    return await import_sheet(session, event, sheet, apply=apply, actor=actor)


async def import_sheet(
    session: AsyncSession, event: Event, sheet: Sheet, *, apply: bool = True, actor: Actor = SYSTEM
) -> ImportReport:
    """``import_agenda`` for a sheet already read (a file of our own, say)."""
    planned, event_problems = _plan(sheet, event, await class_names(session, event.id))
    if sheet.problems or event_problems:
        raise AgendaFileError(sheet.problems + event_problems)
    zone = ZoneInfo(event.timezone)
    if apply:
        # One import of an event at a time: two organisers sending files at once would
        # each match against the same old agenda and add the same sessions twice.
        await session.execute(select(Event.id).where(col(Event.id) == event.id).with_for_update())
    stored = await agenda_of(session, event.id)
    pairs = _match(stored, planned, LIVE_PASSES)
    if len(pairs) < len(planned):
        archived = await archived_sessions(session, event.id)
        pairs = _match(archived, planned, ARCHIVED_PASSES, pairs)
    report = ImportReport()
    for i, new in enumerate(planned):
        target = pairs.get(i)
        if target is None:
            added = AgendaSession(
                event_id=event_id(event),
                day=new.day,
                starts_at=new.starts_at,
                ends_at=new.ends_at,
                title=new.title,
            )
            _fill(added, new)
            if apply:
                session.add(added)
            report.added.append(added)
            continue
        if target.archived_at is not None:  # back on the agenda, as a new session is
            assert target.id is not None
            report.restored.add(target.id)
            if not apply:
                target = AgendaSession(**target.model_dump())
            target.archived_at = None
            _fill(target, new)
            report.added.append(target)
            continue
        changed = _changes(target, new, zone)
        if changed:
            assert target.id is not None
            report.before[target.id] = AgendaSession(**target.model_dump())
            if not apply:  # shown as it would become; the stored one stays as it is
                target = AgendaSession(**target.model_dump())
            _fill(target, new)
            report.changed.append((target, changed))
        else:
            report.unchanged += 1
    kept = {id(s) for s in pairs.values()}
    report.removed = [old for old in stored if id(old) not in kept]
    report.archived = await sessions_in_use(
        session, [old.id for old in report.removed if old.id is not None]
    )
    if apply:
        now = utcnow()
        for old in report.removed:
            if old.id in report.archived:
                old.archived_at = now
            else:
                await session.delete(old)
        await session.flush()
        # What was planned to be said about the old agenda is not said.
        sessions, days = report.outdated()
        await cancel_outdated(session, event_id(event), session_ids=sessions, days=days)
        record(
            session,
            actor,
            AuditAction.AGENDA_IMPORTED,
            event_id=event.id,
            target="event",
            target_id=event.id,
            at=now,
            added=len(report.added),
            changed=len(report.changed),
            removed=len(report.removed),
        )
    report.added.sort(key=lambda s: (s.starts_at, s.class_name or ""))
    report.changed.sort(key=lambda c: (c[0].starts_at, c[0].class_name or ""))
    return report
