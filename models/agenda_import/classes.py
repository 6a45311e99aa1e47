"""An event's parallel classes (kelas): their names, and declaring them."""

import re
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models import AgendaSession, Enrollment, Event, EventClass
from models.agenda_import.limits import LIMITS
from models.agenda_import.problems import ClassNamesError
from models.audit import SYSTEM, Actor, AuditAction, record
from models.spreadsheet.problems import Problem
from models.spreadsheet.text import clean, words

MAX_CLASSES = 20
CLASS_NAME_MAX = LIMITS["class"]
PLENARY = {
    "", "semua", "semua kelas", "semua peserta", "seluruh peserta", "pleno", "umum", "all",
    "all classes", "everyone", "plenary",
}  # fmt: skip


def is_plenary(text: str) -> bool:
    return words(text) in PLENARY


def event_id(event: Event) -> int:
    if event.id is None:
        raise ValueError("the event must be stored first")
    return event.id


_CLASS_PREFIX = re.compile(r"(?:kelas|class|kelompok|group)\s+")
_CLASS_CHARS = re.compile(r"[\w .,'()/&+\-]+")


def class_key(name: str) -> str:
    """ "Kelas A", "kelas a" and "A" name the same class."""
    return _CLASS_PREFIX.sub("", words(name), count=1)


async def _class_use(session: AsyncSession, event: Event) -> list[tuple[str, str, int]]:
    """(problem key, class name as stored, how many) for the sessions and participants
    that name a class. Archived sessions do not hold a class: they are on no agenda the
    organiser sees, and one brought back must name a declared class again anyway."""
    use: list[tuple[str, str, int]] = []
    for key, model in (
        ("agenda_import.classes.in_use", AgendaSession),
        ("agenda_import.classes.has_participants", Enrollment),
    ):
        name = col(model.class_name)
        query = select(name, func.count()).where(col(model.event_id) == event.id, name.is_not(None))
        if model is AgendaSession:
            query = query.where(col(AgendaSession.archived_at).is_(None))
        found = await session.execute(query.group_by(name))
        use += [(key, str(row[0]), int(row[1])) for row in found.all()]
    return use


def check_class_names(names: Sequence[str]) -> tuple[list[str], list[Problem]]:
    cleaned: list[str] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for raw in names:
        name = clean(raw)
        if not name:
            continue
        if len(name) > CLASS_NAME_MAX:
            problems.append(
                Problem(
                    0, "agenda_import.classes.too_long", {"name": name, "max_len": CLASS_NAME_MAX}
                )
            )
        elif not _CLASS_CHARS.fullmatch(name):
            problems.append(Problem(0, "agenda_import.classes.bad_chars", {"name": name}))
        elif is_plenary(name) or not class_key(name):
            problems.append(Problem(0, "agenda_import.classes.plenary_word", {"name": name}))
        elif class_key(name) in seen:
            problems.append(Problem(0, "agenda_import.classes.duplicate", {"name": name}))
        else:
            seen.add(class_key(name))
            cleaned.append(name)
    if len(cleaned) > MAX_CLASSES:
        problems.append(Problem(0, "agenda_import.classes.too_many", {"max": MAX_CLASSES}))
    return cleaned, problems


async def set_classes(
    session: AsyncSession,
    event: Event,
    names: Sequence[str],
    *,
    actor: Actor = SYSTEM,
    now: datetime | None = None,
) -> list[str]:
    """Declare the event's classes, replacing the old list. A class still named by a
    session or a participant cannot be dropped; a new spelling ("a" → "A") renames it."""
    cleaned = await store_classes(session, event, names)
    record(
        session,
        actor,
        AuditAction.AGENDA_CHANGED,
        event_id=event.id,
        target="event",
        target_id=event.id,
        at=now,
        classes=len(cleaned),
    )
    return cleaned


async def store_classes(session: AsyncSession, event: Event, names: Sequence[str]) -> list[str]:
    """``set_classes`` as part of a larger action that is audited itself (a roster)."""
    cleaned, problems = check_class_names(names)
    wanted = {class_key(n): n for n in cleaned}
    for key, name, count in await _class_use(session, event):
        if class_key(name) not in wanted:
            problems.append(Problem(0, key, {"name": name, "count": count}))
    if problems:
        raise ClassNamesError(problems)
    found = await session.execute(select(EventClass).where(col(EventClass.event_id) == event.id))
    stored = {class_key(c.name): c for c in found.scalars()}
    for key, row in stored.items():
        if key not in wanted:
            await session.delete(row)
        elif row.name != wanted[key]:
            await _rename_class(session, event, row.name, wanted[key])
            row.name = wanted[key]
    await session.flush()  # deletions first: a new row may reuse a deleted spelling
    for key, name in wanted.items():
        if key not in stored:
            session.add(EventClass(event_id=event_id(event), name=name))
    await session.flush()
    return cleaned


async def _rename_class(session: AsyncSession, event: Event, old: str, new: str) -> None:
    sessions = await session.execute(
        select(AgendaSession).where(col(AgendaSession.event_id) == event.id)
    )
    enrollments = await session.execute(
        select(Enrollment).where(col(Enrollment.event_id) == event.id)
    )
    rows: list[AgendaSession | Enrollment] = [*sessions.scalars(), *enrollments.scalars()]
    for row in rows:
        if row.class_name is not None and class_key(row.class_name) == class_key(old):
            row.class_name = new
