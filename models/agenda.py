from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import Field, Index, SQLModel, UniqueConstraint, col, select

from models.event import Event
from models.types import UTCDateTime, utcnow


class EventClass(SQLModel, table=True):
    """A parallel group (kelas) of an event: participants of a class attend its sessions
    and the plenary ones."""

    __tablename__ = "event_class"
    __table_args__ = (UniqueConstraint("event_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=40)


class AgendaSession(SQLModel, table=True):
    """One session of an event's agenda. Times are stored in UTC; ``day`` is the date in
    the event's time zone, for grouping.

    An archived session (``archived_at`` set) is one a re-imported agenda dropped while
    something pointed at it (feedback): the row stays for what points at it, but it is
    on nobody's agenda. Every look-up reads the agenda through ``agenda_of`` or
    ``agenda``, which leave it out; ``session_titles`` and ``archived_sessions`` are for
    the few readers that need it."""

    __tablename__ = "agenda_session"
    __table_args__ = (Index("ix_agenda_session_event_start", "event_id", "starts_at"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", ondelete="CASCADE")
    day: date
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    title: str = Field(max_length=200)
    speakers: str = Field(default="", max_length=300)
    room: str = Field(default="", max_length=100)
    class_name: str | None = Field(default=None, max_length=40, description="None: plenary")
    description: str = Field(default="", max_length=1000)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


_LIVE = col(AgendaSession.archived_at).is_(None)
_ARCHIVED = col(AgendaSession.archived_at).is_not(None)


async def classes_of(session: AsyncSession, event_id: int | None) -> list[EventClass]:
    found = await session.execute(
        select(EventClass)
        .where(col(EventClass.event_id) == event_id)
        .order_by(col(EventClass.name))
    )
    return list(found.scalars())


async def class_names(session: AsyncSession, event_id: int | None) -> list[str]:
    return [found.name for found in await classes_of(session, event_id)]


async def agenda_of(session: AsyncSession, event_id: int | None) -> list[AgendaSession]:
    """An event's sessions in the order of the day (parallel classes side by side);
    archived ones are not on its agenda."""
    found = await session.execute(
        select(AgendaSession)
        .where(col(AgendaSession.event_id) == event_id, _LIVE)
        .order_by(
            col(AgendaSession.starts_at), col(AgendaSession.class_name), col(AgendaSession.id)
        )
    )
    return list(found.scalars())


async def archived_sessions(session: AsyncSession, event_id: int | None) -> list[AgendaSession]:
    """An event's archived sessions, oldest first: what a later import may bring back."""
    found = await session.execute(
        select(AgendaSession)
        .where(col(AgendaSession.event_id) == event_id, _ARCHIVED)
        .order_by(col(AgendaSession.starts_at), col(AgendaSession.id))
    )
    return list(found.scalars())


async def session_titles(session: AsyncSession, ids: Iterable[int]) -> dict[int, str]:
    """The titles of these sessions by id, archived ones included: results and exports
    name the session feedback was given on, whether or not it is still on the agenda."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    found = await session.execute(
        select(AgendaSession.id, AgendaSession.title).where(col(AgendaSession.id).in_(wanted))
    )
    return {int(ident): str(title) for ident, title in found.all()}


# --- an event's agenda as read by look-ups, kept between messages --------------------------


@dataclass(frozen=True, slots=True)
class AgendaItem:
    """One session as look-ups read it: a plain value, safe to keep between messages."""

    id: int
    event_id: int
    day: date
    starts_at: datetime
    ends_at: datetime
    title: str
    speakers: str
    room: str
    class_name: str | None
    description: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Agenda:
    event_id: int
    created_at: datetime  # the event's: an id alone may name another event in another database
    version: int  # Event.agenda_version it was read at
    items: tuple[AgendaItem, ...]  # in the order of the day
    classes: tuple[str, ...]

    def for_class(self, class_name: str | None) -> list[AgendaItem]:
        """What a person of ``class_name`` attends: their class's sessions and the plenary
        ones; everything when they have no class."""
        if class_name is None:
            return list(self.items)
        return [i for i in self.items if i.class_name in (None, class_name)]

    def item(self, ident: int) -> AgendaItem | None:
        return next((i for i in self.items if i.id == ident), None)


_ITEMS = (
    select(AgendaSession)
    .where(col(AgendaSession.event_id) == bindparam("event_id"), _LIVE)
    .order_by(col(AgendaSession.starts_at), col(AgendaSession.class_name), col(AgendaSession.id))
)
_CLASSES = (
    select(EventClass.name)
    .where(col(EventClass.event_id) == bindparam("event_id"))
    .order_by(col(EventClass.name))
)
_KEPT: "OrderedDict[tuple[int, datetime], Agenda]" = OrderedDict()
KEEP_AGENDAS = 64  # events whose agenda is kept in memory at once


async def agenda(session: AsyncSession, event: Event) -> Agenda:
    """The event's agenda, read again only when it changed (its version moved on, in
    this process or another)."""
    assert event.id is not None
    key = (event.id, event.created_at)
    kept = _KEPT.get(key)
    if kept is not None and kept.version == event.agenda_version:
        _KEPT.move_to_end(key)
        return kept
    params = {"event_id": event.id}
    rows = (await session.execute(_ITEMS, params)).scalars()
    items = tuple(
        AgendaItem(**{name: getattr(row, name) for name in AgendaItem.__slots__}) for row in rows
    )
    classes = tuple((await session.execute(_CLASSES, params)).scalars())
    fresh = Agenda(event.id, event.created_at, event.agenda_version, items, classes)
    _KEPT[key] = fresh
    while len(_KEPT) > KEEP_AGENDAS:
        _KEPT.popitem(last=False)
    return fresh


@sa_event.listens_for(Session, "before_flush")
def _agenda_changed(session: Session, _context: Any, _instances: Any) -> None:
    """Whatever adds, changes or removes a session or a class moves the event's agenda
    version on, in the same transaction, so that every process reads it again."""
    touched = {
        row.event_id
        for row in (*session.new, *session.dirty, *session.deleted)
        if isinstance(row, AgendaSession | EventClass)
    }
    with session.no_autoflush:
        for event_id in touched:
            changed = session.get(Event, event_id)
            if changed is not None:
                changed.agenda_version += 1
