"""Checking a read roster against an event and making the stored roster match it.

The organiser's file is the list of people expected. Importing it again replaces the
roster: rows are matched by phone number (kept rows keep their ids, and the person they
are linked to), new numbers are added and numbers no longer in the file are removed. A
row is linked to the event's registered participant with its number, and that person's
class becomes the roster's.

Classes: the event's classes are the ones declared (``/kelas``, ``bimtek event classes``,
or a roster). A roster for an event that has declared none declares those it names:
splitting people into classes is often decided on the participant list, before the
agenda names them, and declaring them by hand first would only copy the file. Once an
event has classes, a class it does not have is a mistake in the file (a typo, most
often), refused on its row like the agenda's, rather than a new class made silently.
"""

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.agenda import class_names
from models.agenda_import.classes import MAX_CLASSES, check_class_names, class_key, store_classes
from models.agenda_import.problems import ClassNamesError
from models.audit import SYSTEM, Actor, AuditAction, record
from models.event import Event
from models.people import Enrollment, Person
from models.roster.columns import RosterFileError
from models.roster.entry import RosterEntry
from models.roster.reader import read_roster_off_loop
from models.roster.sheet import RosterRow, RosterSheet
from models.spreadsheet.problems import Problem
from models.types import utcnow


@dataclass
class RosterReport:
    """What an import did (or would do): counts for the preview, and the file's notes."""

    count: int = 0
    classes: Counter[str | None] = field(default_factory=Counter)  # None: no class
    new_classes: list[str] = field(default_factory=list)  # declared by this import
    registered: int = 0  # rows of people who registered for the event already
    added: int = 0
    changed: int = 0  # rows kept whose details changed
    removed: int = 0
    moved: int = 0  # registered participants whose class the roster sets or changes
    had_roster: bool = False
    ignored: tuple[str, ...] = ()
    same_names: tuple[tuple[str, tuple[int, ...]], ...] = ()


def _classes(
    rows: list[RosterRow], declared: list[str]
) -> tuple[dict[int, str | None], list[str], list[Problem]]:
    """Each row's class as the event names it, the classes to declare (only when the
    event has none), and the rows naming a class that cannot be."""
    by_key = {class_key(c): c for c in declared}
    resolved: dict[int, str | None] = {}
    new: dict[str, str] = {}
    problems: list[Problem] = []
    for row in rows:
        if row.class_name is None:
            resolved[row.row] = None
            continue
        key = class_key(row.class_name)
        if declared:
            found = by_key.get(key)
            if found is None:
                values = {"value": row.class_name, "classes": ", ".join(declared)}
                problems.append(Problem(row.row, "roster_import.unknown_class", values))
            resolved[row.row] = found
            continue
        if key not in new:
            cleaned, wrong = check_class_names([row.class_name])
            problems += [Problem(row.row, p.key, p.values) for p in wrong]
            if wrong:
                continue
            new[key] = cleaned[0]
        resolved[row.row] = new[key]
    if len(new) > MAX_CLASSES:
        problems.append(Problem(0, "agenda_import.classes.too_many", {"max": MAX_CLASSES}))
    return resolved, list(new.values()), problems


async def _registered(session: AsyncSession, event_id: int) -> dict[int, tuple[str, Enrollment]]:
    """The event's registered participants: their number and enrolment, by person id."""
    found = await session.execute(
        select(Person.id, Person.phone_e164, Enrollment)
        .join(Enrollment, col(Enrollment.person_id) == col(Person.id))
        .where(col(Enrollment.event_id) == event_id)
    )
    return {int(pid): (phone or "", joined) for pid, phone, joined in found.all()}


async def import_roster_file(
    session: AsyncSession,
    event: Event,
    filename: str,
    content: bytes,
    *,
    apply: bool = True,
    actor: Actor = SYSTEM,
) -> RosterReport:
    """Read the file (in the reader process: the event loop goes on meanwhile), check it
    against the event and, when ``apply``, make the stored roster match it. Raises
    RosterFileError, storing nothing, if anything is wrong."""
    sheet = await read_roster_off_loop(filename, content)
    return await import_roster(session, event, sheet, apply=apply, actor=actor)


async def import_roster(
    session: AsyncSession,
    event: Event,
    sheet: RosterSheet,
    *,
    apply: bool = True,
    actor: Actor = SYSTEM,
) -> RosterReport:
    """``import_roster_file`` for a file already read. Without ``apply`` the report says
    what the file would do, and nothing is written."""
    assert event.id is not None
    declared = await class_names(session, event.id)
    resolved, new_classes, problems = _classes(sheet.rows, declared)
    if sheet.problems or problems:
        raise RosterFileError(sheet.problems + problems)
    if apply:
        # One import of an event at a time: two organisers sending files at once would
        # each add the same numbers.
        await session.execute(select(Event.id).where(col(Event.id) == event.id).with_for_update())
    stored = {
        e.phone_e164: e
        for e in (
            await session.execute(select(RosterEntry).where(col(RosterEntry.event_id) == event.id))
        ).scalars()
    }
    people = await _registered(session, event.id)
    by_phone = {phone: pid for pid, (phone, _) in people.items() if phone}
    report = RosterReport(
        count=len(sheet.rows),
        new_classes=new_classes,
        had_roster=bool(stored),
        ignored=sheet.ignored,
        same_names=sheet.same_names,
    )
    if apply and new_classes:
        try:
            await store_classes(session, event, new_classes)
        except ClassNamesError as exc:  # participants named a class meanwhile
            raise RosterFileError(exc.problems) from None
    linked: set[int] = set()
    now = utcnow()
    for row in sheet.rows:
        class_name = resolved[row.row]
        report.classes[class_name] += 1
        old = stored.pop(row.phone_e164, None)
        # A kept row stays linked to whoever registered with it (even with a number they
        # changed since); a row nobody registered with links to the participant whose
        # number it is.
        person_id = old.person_id if old is not None and old.person_id in people else None
        if person_id is None or person_id in linked:
            person_id = by_phone.get(row.phone_e164)
        if person_id in linked:
            person_id = None
        if person_id is not None:
            linked.add(person_id)
            report.registered += 1
            joined = people[person_id][1]
            if class_name is not None and joined.class_name != class_name:
                report.moved += 1
                if apply:
                    joined.class_name = class_name
        details = {
            "full_name": row.full_name,
            "library_name": row.library_name,
            "library_type": row.library_type,
            "regency": row.regency,
            "class_name": class_name,
        }
        if old is None:
            report.added += 1
            old = RosterEntry(
                event_id=event.id, line=row.row, full_name=row.full_name, phone_e164=row.phone_e164
            )
            if apply:
                session.add(old)
        elif any(getattr(old, name) != value for name, value in details.items()):
            report.changed += 1
        if apply:
            for name, value in details.items():
                setattr(old, name, value)
            old.line, old.person_id, old.imported_at = row.row, person_id, now
    report.removed = len(stored)
    if apply:
        for gone in stored.values():
            await session.delete(gone)
        await session.flush()
        record(
            session,
            actor,
            AuditAction.ROSTER_IMPORTED,
            event_id=event.id,
            target="roster",
            target_id=event.id,
            at=now,
            rows=report.count,
            added=report.added,
            changed=report.changed,
            removed=report.removed,
            classes=len(new_classes),
        )
    return report
