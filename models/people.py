"""People, the channel identities they write from, their consents and enrolments.

A person is one row whatever channel they use: a Telegram account and a WhatsApp number
of the same person point at the same row. Language, consent and roles belong to the
person; a conversation belongs to one channel identity.
"""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import bindparam, exists
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel, UniqueConstraint, col, select

from models.event import Event
from models.roles import Role
from models.types import UTCDateTime, utcnow

# The registration fields, in the order they are asked.
PROFILE_FIELDS = (
    "full_name",
    "phone_e164",
    "library_name",
    "library_type",
    "regency",
    "province",
    "library_role",
)


class Person(SQLModel, table=True):
    """Someone who has written to the bot. The profile fields stay empty until they have
    consented and registered."""

    id: int | None = Field(default=None, primary_key=True)
    locale: str | None = Field(default=None, max_length=8, description="None: not chosen yet")
    full_name: str | None = Field(default=None, max_length=100)
    phone_e164: str | None = Field(default=None, max_length=20, index=True)
    library_name: str | None = Field(default=None, max_length=120)
    library_type: str | None = Field(default=None, max_length=16)
    regency: str | None = Field(default=None, max_length=80)
    province: str | None = Field(default=None, max_length=40)
    library_role: str | None = Field(default=None, max_length=80)
    registered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The event look-ups are about, once chosen (by registering, accepting an invite or
    # switching); a switch made by the person beats the running event for a while.
    viewing_event_id: int | None = Field(default=None, foreign_key="event.id", ondelete="SET NULL")
    event_chosen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Set when they muted reminders (/pengingat), in every event; None: they get them.
    reminders_muted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The channel reminders and announcements go to, chosen in /pengingat by someone who
    # writes from several; None (or that channel unreachable): the one written from last.
    notify_channel: str | None = Field(default=None, max_length=16)
    # Erased (/hapus): nothing is kept but the identity their last reply goes to; the
    # row goes once that reply is sent (models.privacy.erasure.finish_erasures).
    erased_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def is_registered(self) -> bool:
        return self.registered_at is not None


# Channels whose user key is the person's own phone number, in E.164 without the "+":
# the platform has checked it, so nobody is asked to type it.
NUMBER_CHANNELS = frozenset({"whatsapp"})


def profile_values(person: Person) -> dict[str, str | None]:
    """The registration fields' values by name (PROFILE_FIELDS), as reports copy them."""
    return {name: getattr(person, name) for name in PROFILE_FIELDS}


class ChannelIdentity(SQLModel, table=True):
    """One way to reach a person: a Telegram account, a WhatsApp number, the console."""

    __tablename__ = "channel_identity"
    __table_args__ = (UniqueConstraint("channel", "user_key"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    channel: str = Field(max_length=16)
    user_key: str = Field(max_length=64, description="who, stable on that channel")
    address: str = Field(max_length=64, description="where to send: chat id, number")
    # WhatsApp allows free-form messages only within 24 hours of the person's last one.
    last_inbound_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Set when a send was refused because the person blocked the bot; nothing more is
    # sent until they write again.
    unreachable_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Set when the channel refused a free-form message because its window had closed
    # sooner than ``last_inbound_at`` says (WhatsApp's 131047); templates until they write.
    window_closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Enrollment(SQLModel, table=True):
    """A person's registration for one event."""

    __table_args__ = (UniqueConstraint("person_id", "event_id"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    class_name: str | None = Field(default=None, max_length=40, description="kelas, if any")
    enrolled_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Consent(SQLModel, table=True):
    """Proof of consent under UU PDP: which text, in which language, on which channel,
    when. Kept after erasure, unlinked from the person, as the record of what was agreed
    and withdrawn."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int | None = Field(
        default=None, foreign_key="person.id", index=True, ondelete="SET NULL"
    )
    # The event whose organiser the notice named as data controller: consent is given per
    # event. A plain column, not a foreign key: the proof outlives an event purged. None:
    # given before consent was per event and never tied to one (see migration 0016).
    event_id: int | None = Field(default=None, index=True)
    channel: str = Field(max_length=16)
    text_version: str = Field(max_length=32)
    locale: str = Field(max_length=8)
    text_sha256: str = Field(max_length=64)
    agreed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


async def has_consented(session: AsyncSession, person_id: int, event_id: int | None = None) -> bool:
    """Whether the person's consent stands for ``event_id``; None: for any event (there
    is something of theirs stored)."""
    holds = [col(Consent.person_id) == person_id, col(Consent.withdrawn_at).is_(None)]
    if event_id is not None:
        holds.append(col(Consent.event_id) == event_id)
    found = await session.execute(select(exists().where(*holds)))
    return bool(found.scalar())


async def enrollment(session: AsyncSession, person_id: int, event_id: int) -> Enrollment | None:
    found = await session.execute(
        select(Enrollment).where(
            col(Enrollment.person_id) == person_id, col(Enrollment.event_id) == event_id
        )
    )
    return found.scalars().first()


_ENROLLED = col(Enrollment.person_id) == bindparam("person_id")
_EVENTS_JOINED = (
    select(Event, Enrollment)
    .outerjoin(Enrollment, (col(Enrollment.event_id) == col(Event.id)) & _ENROLLED)
    .order_by(col(Event.starts_on), col(Event.id))
)
_HOLDS_ROLE = select(Role.event_id).where(
    col(Role.person_id) == bindparam("person_id"), col(Role.revoked_at).is_(None)
)
_MY_EVENTS = _EVENTS_JOINED.where(col(Enrollment.id).is_not(None) | col(Event.id).in_(_HOLDS_ROLE))


async def events_of(
    session: AsyncSession, person_id: int, *, every: bool = False
) -> list[tuple[Event, Enrollment | None]]:
    """The events a person registered for or holds a role in (``every``: all events),
    each with their enrolment, if any, in one query."""
    return await session.run_sync(events_of_now, person_id, every=every)


def events_of_now(
    session: Session, person_id: int, *, every: bool = False
) -> list[tuple[Event, Enrollment | None]]:
    """``events_of`` for code already inside the database layer (Session.run_sync)."""
    query = _EVENTS_JOINED if every else _MY_EVENTS
    found = session.execute(query, {"person_id": person_id})
    return [(event, joined) for event, joined in found.all()]


async def enrolled_people(
    session: AsyncSession, event_id: int, class_name: str | None = None
) -> list[Person]:
    """The registered people of an event; with ``class_name``, those of that class."""
    query = (
        select(Person)
        .join(Enrollment, col(Enrollment.person_id) == col(Person.id))
        .where(col(Enrollment.event_id) == event_id)
        .order_by(col(Person.id))
    )
    if class_name is not None:
        query = query.where(col(Enrollment.class_name) == class_name)
    return list((await session.execute(query)).scalars())


def enroll(session: AsyncSession, person: Person, event_id: int, now: datetime) -> Enrollment:
    """Register ``person`` for the event, which their look-ups then show."""
    assert person.id is not None
    joined = Enrollment(person_id=person.id, event_id=event_id, enrolled_at=now)
    session.add(joined)
    person.viewing_event_id = event_id
    return joined


def delivery_order(identity: sa.Table, notify_channel: Any) -> list[Any]:
    """How a person's identities rank as the one to write to, best first: one they have
    not blocked the bot on; the channel they chose (``notify_channel``, a column or a
    value); the one they wrote from last; of those never written from, the newest. Every
    query that picks one identity per person orders by this."""
    return [
        identity.c.unreachable_at.is_not(None),
        sa.case((identity.c.channel == notify_channel, 0), else_=1),
        identity.c.last_inbound_at.is_(None),
        identity.c.last_inbound_at.desc(),
        identity.c.id.desc(),
    ]


async def preferred_identity(
    session: AsyncSession, person: "Person", *, besides: str | None = None
) -> ChannelIdentity | None:
    """The identity a message to ``person`` goes to (on a channel other than
    ``besides``, when given)."""
    table = ChannelIdentity.__table__  # type: ignore[attr-defined]
    query = (
        select(ChannelIdentity)
        .where(col(ChannelIdentity.person_id) == person.id)
        .order_by(*delivery_order(table, person.notify_channel))
        .limit(1)
    )
    if besides is not None:
        query = query.where(col(ChannelIdentity.channel) != besides)
    return (await session.execute(query)).scalars().first()


async def identities_of(session: AsyncSession, person_id: int) -> list[ChannelIdentity]:
    found = await session.execute(
        select(ChannelIdentity)
        .where(col(ChannelIdentity.person_id) == person_id)
        .order_by(col(ChannelIdentity.id))
    )
    return list(found.scalars())
