from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, Index, SQLModel, UniqueConstraint, col, select

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
    the event's time zone, for grouping."""

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
    """An event's sessions in the order of the day (parallel classes side by side)."""
    found = await session.execute(
        select(AgendaSession)
        .where(col(AgendaSession.event_id) == event_id)
        .order_by(
            col(AgendaSession.starts_at), col(AgendaSession.class_name), col(AgendaSession.id)
        )
    )
    return list(found.scalars())


async def sessions_for(
    session: AsyncSession, event_id: int, class_name: str | None
) -> list[AgendaSession]:
    """What a person of ``class_name`` attends: their class's sessions and the plenary
    ones; everything when they have no class."""
    query = select(AgendaSession).where(col(AgendaSession.event_id) == event_id)
    if class_name is not None:
        query = query.where(
            (col(AgendaSession.class_name) == class_name) | col(AgendaSession.class_name).is_(None)
        )
    query = query.order_by(col(AgendaSession.starts_at), col(AgendaSession.class_name))
    return list((await session.execute(query)).scalars())
