"""Who a broadcast reaches, as data: a small typed spec stored with the broadcast, and the
query that turns it into one channel identity per person.

A new kind of audience (people who have not answered a survey, who have not checked in)
is one more spec class and one more case in ``_people``: nothing else changes.
"""

from dataclasses import dataclass
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import col, select

from models.conversation import REGISTRATION_FLOW, Conversation
from models.people import ChannelIdentity, Enrollment, Person, delivery_order
from models.roles import Role
from models.roster.status import known_people


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Everyone(_Spec):
    """Everyone registered for the event, and its organisers and trainers."""

    kind: Literal["everyone"] = "everyone"


class InClass(_Spec):
    """The participants of one class (kelas)."""

    kind: Literal["class"] = "class"
    name: str = Field(min_length=1, max_length=40)


class InRegion(_Spec):
    """The participants from a province, a regency, or a regency of a province (as their
    profile names them; compared without case or surrounding spaces)."""

    kind: Literal["region"] = "region"
    province: str | None = Field(default=None, max_length=40)
    regency: str | None = Field(default=None, max_length=80)


class Unregistered(_Spec):
    """People who began joining the event (opened its link) and have not finished
    registering: their conversation still holds the registration under way; and the
    people of its roster the bot knows (models/roster/status.py) who have not registered
    for it."""

    kind: Literal["unregistered"] = "unregistered"


Audience = Annotated[Everyone | InClass | InRegion | Unregistered, Field(discriminator="kind")]
_AUDIENCE: TypeAdapter[Audience] = TypeAdapter(Audience)


def audience_from(stored: dict[str, Any]) -> Audience:
    """The spec a broadcast stored (raises pydantic's ValidationError for anything else)."""
    return _AUDIENCE.validate_python(stored)


def stored(spec: Audience) -> dict[str, Any]:
    return spec.model_dump(mode="json")


@dataclass(frozen=True, slots=True)
class Recipient:
    """One person a broadcast reaches, and the identity it goes to."""

    identity_id: int
    person_id: int
    channel: str
    # False when the person blocked the bot on that channel: the row is still written,
    # and the report counts it as blocked unless they write to the bot again meanwhile.
    reachable: bool


def _folded(column: Any, value: str) -> Any:
    return sa.func.lower(sa.func.trim(column)) == value.strip().lower()


def _enrolled(event_id: int) -> Any:
    return select(Enrollment.person_id).where(col(Enrollment.event_id) == event_id)


def _people(event_id: int, spec: Audience) -> Any:
    """A query of the person ids ``spec`` means in the event."""
    match spec:
        case Everyone():
            team = select(Role.person_id).where(
                col(Role.event_id) == event_id, col(Role.revoked_at).is_(None)
            )
            return sa.union(_enrolled(event_id), team)
        case InClass(name=name):
            return _enrolled(event_id).where(_folded(col(Enrollment.class_name), name))
        case InRegion(province=province, regency=regency):
            query = _enrolled(event_id).join(Person, col(Person.id) == col(Enrollment.person_id))
            if province:
                query = query.where(_folded(col(Person.province), province))
            if regency:
                query = query.where(_folded(col(Person.regency), regency))
            if not province and not regency:
                query = query.where(sa.false())
            return query
        case Unregistered():
            return sa.union(_joining(event_id), _expected(event_id))


def _joining(event_id: int) -> Any:
    """People whose registration under way names the event, not enrolled in it."""
    conversation = Conversation.__table__  # type: ignore[attr-defined]
    joining = conversation.c.state[(REGISTRATION_FLOW, "event_id")].as_integer()
    return (
        select(ChannelIdentity.person_id)
        .join(conversation, conversation.c.identity_id == col(ChannelIdentity.id))
        .where(joining == event_id, col(ChannelIdentity.person_id).not_in(_enrolled(event_id)))
    )


def _expected(event_id: int) -> Any:
    """People on the event's roster the bot knows, not enrolled in it."""
    expected = known_people(event_id).subquery()
    return select(expected.c[0]).where(expected.c[0].not_in(_enrolled(event_id)))


def recipients_query(event_id: int, spec: Audience) -> Any:
    """The people ``spec`` reaches in the event, one row each (``identity_id``,
    ``person_id``, ``channel``, ``unreachable_at``): the identity to send to is the first
    by ``delivery_order`` (one they have not blocked the bot on, on the channel they
    chose, else the one they last wrote from). Someone who has not finished registering
    is written to where they are registering."""
    identity = ChannelIdentity.__table__  # type: ignore[attr-defined]
    person = Person.__table__  # type: ignore[attr-defined]
    conversation = Conversation.__table__  # type: ignore[attr-defined]
    order = delivery_order(identity, person.c.notify_channel)
    source = identity.join(person, person.c.id == identity.c.person_id)
    if isinstance(spec, Unregistered):
        # Someone on the roster may be known only from an identity without a conversation.
        source = source.outerjoin(conversation, conversation.c.identity_id == identity.c.id)
        joining = conversation.c.state[(REGISTRATION_FLOW, "event_id")].as_integer()
        order.insert(0, sa.case((joining == event_id, 0), else_=1))
    ranked = (
        sa.select(
            identity.c.id.label("identity_id"),
            identity.c.person_id,
            identity.c.channel,
            identity.c.unreachable_at,
            sa.func.row_number()
            .over(partition_by=identity.c.person_id, order_by=order)
            .label("rank"),
        )
        .select_from(source)
        .where(identity.c.person_id.in_(_people(event_id, spec)))
        .subquery()
    )
    return sa.select(
        ranked.c.identity_id, ranked.c.person_id, ranked.c.channel, ranked.c.unreachable_at
    ).where(ranked.c.rank == 1)


def audience_now(session: Session, event_id: int, spec: Audience) -> list[Recipient]:
    """``audience_of`` for code already inside the database layer (Session.run_sync)."""
    query = recipients_query(event_id, spec).subquery()
    rows = session.execute(select(query).order_by(query.c.person_id))
    return [
        Recipient(row.identity_id, row.person_id, row.channel, row.unreachable_at is None)
        for row in rows
    ]


async def audience_of(session: AsyncSession, event_id: int, spec: Audience) -> list[Recipient]:
    """The people ``spec`` reaches in the event, one identity each, by person id."""
    return await session.run_sync(audience_now, event_id, spec)


@dataclass(frozen=True, slots=True)
class Size:
    people: int
    blocked: int  # of them, those who blocked the bot where they would be written to


async def audience_size(session: AsyncSession, event_id: int, spec: Audience) -> Size:
    """How many people ``spec`` reaches, counted by the database."""
    query = recipients_query(event_id, spec).subquery()
    blocked = sa.func.count(query.c.unreachable_at)
    found = await session.execute(select(sa.func.count(), blocked).select_from(query))
    people, unreachable = found.one()
    return Size(people, unreachable)


@dataclass(frozen=True, slots=True)
class Region:
    """A province or a regency the event's participants come from, and how many."""

    province: str | None
    regency: str | None
    people: int


async def regions_of(session: AsyncSession, event_id: int) -> list[Region]:
    """The provinces, then the regencies, of the event's participants, most people first
    (names that differ only in case or spacing count as one)."""
    regions: list[Region] = []
    for is_province, column in ((True, col(Person.province)), (False, col(Person.regency))):
        name = sa.func.trim(column)
        people = sa.func.count(sa.distinct(col(Person.id)))
        found = await session.execute(
            select(sa.func.min(name), people)
            .join(Enrollment, col(Enrollment.person_id) == col(Person.id))
            .where(col(Enrollment.event_id) == event_id, sa.func.coalesce(name, "") != "")
            .group_by(sa.func.lower(name))
            .order_by(people.desc(), sa.func.min(name))
        )
        for place, count in found.all():
            province, regency = (place, None) if is_province else (None, place)
            regions.append(Region(province, regency, count))
    return regions
