"""Where an event's roster stands: who on it registered, who has not but can be reached
(the bot knows their number), who the bot cannot reach yet; and linking a participant
to their row when they register.

The bot knows a number when it is a channel identity's own (a WhatsApp number writes
from it), a person's registered number (they registered for another event), or the
number someone gave while registering (they have not finished). Only the number links a
roster row to a person: names are written too many ways to match on.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.conversation import REGISTRATION_FLOW, Conversation
from models.people import NUMBER_CHANNELS, ChannelIdentity, Enrollment, Person
from models.roster.entry import RosterEntry
from models.spreadsheet.text import words


def _roster_numbers(event_id: int) -> Any:
    return select(RosterEntry.phone_e164).where(col(RosterEntry.event_id) == event_id)


def _own_number() -> Any:
    """A number channel's user key as the E.164 number it is ("6281..." → "+6281...")."""
    return sa.literal("+", sa.String).concat(col(ChannelIdentity.user_key))


def _number_being_registered() -> Any:
    table = Conversation.__table__  # type: ignore[attr-defined]
    return table.c.state[(REGISTRATION_FLOW, "answers", "phone_e164")].as_string()


def known_people(event_id: int) -> Any:
    """A query of the person ids whose number is on the event's roster, whichever way the
    bot knows it (see the module's docstring)."""
    numbers = _roster_numbers(event_id)
    conversation = Conversation.__table__  # type: ignore[attr-defined]
    on_channel = select(ChannelIdentity.person_id).where(
        col(ChannelIdentity.channel).in_(NUMBER_CHANNELS), _own_number().in_(numbers)
    )
    registered = select(Person.id).where(col(Person.phone_e164).in_(numbers))
    registering = (
        select(ChannelIdentity.person_id)
        .join(conversation, conversation.c.identity_id == col(ChannelIdentity.id))
        .where(_number_being_registered().in_(numbers))
    )
    return sa.union(on_channel, registered, registering)


async def _known_numbers(session: AsyncSession, event_id: int) -> set[str]:
    """The numbers of the event's roster the bot knows."""
    numbers = _roster_numbers(event_id)
    conversation = Conversation.__table__  # type: ignore[attr-defined]
    being_registered = _number_being_registered()
    queries = [
        select(_own_number()).where(
            col(ChannelIdentity.channel).in_(NUMBER_CHANNELS), _own_number().in_(numbers)
        ),
        select(Person.phone_e164).where(col(Person.phone_e164).in_(numbers)),
        select(being_registered).select_from(conversation).where(being_registered.in_(numbers)),
    ]
    found = await session.execute(sa.union(*queries))
    return {str(number) for number in found.scalars()}


def _enrolled(event_id: int) -> Any:
    return select(Enrollment.person_id).where(col(Enrollment.event_id) == event_id)


@dataclass(frozen=True, slots=True)
class RosterLine:
    entry: RosterEntry
    registered: bool  # linked to a participant registered for the event
    known: bool  # not registered, but the bot knows the number: it can be reminded


def _enrolled_numbers(event_id: int) -> Any:
    return (
        select(Person.phone_e164)
        .join(Enrollment, col(Enrollment.person_id) == col(Person.id))
        .where(col(Enrollment.event_id) == event_id, col(Person.phone_e164).is_not(None))
    )


def registered_rows(event_id: int) -> Any:
    """Whether a roster row's person registered for the event: the person linked to it,
    or (enrolled some other way than registering) a participant with its number."""
    return sa.or_(
        col(RosterEntry.person_id).in_(_enrolled(event_id)),
        col(RosterEntry.phone_e164).in_(_enrolled_numbers(event_id)),
    )


async def roster_lines(session: AsyncSession, event_id: int) -> list[RosterLine]:
    """The event's roster in the file's order, each row with where it stands."""
    registered = registered_rows(event_id)
    found = await session.execute(
        select(RosterEntry, registered)
        .where(col(RosterEntry.event_id) == event_id)
        .order_by(col(RosterEntry.line), col(RosterEntry.id))
    )
    rows = found.all()
    known = await _known_numbers(session, event_id) if rows else set()
    return [
        RosterLine(entry, bool(is_registered), not is_registered and entry.phone_e164 in known)
        for entry, is_registered in rows
    ]


@dataclass(frozen=True, slots=True)
class Reach:
    """An event's roster counted by where its people stand."""

    total: int
    registered: int
    known: int  # not registered; the bot can write to them
    unknown: int  # not registered; the bot has never heard of their number

    @classmethod
    def of(cls, lines: Sequence[RosterLine]) -> "Reach":
        registered = sum(1 for line in lines if line.registered)
        known = sum(1 for line in lines if line.known)
        return cls(len(lines), registered, known, len(lines) - registered - known)


async def roster_reach(session: AsyncSession, event_id: int) -> Reach:
    return Reach.of(await roster_lines(session, event_id))


async def roster_entry(session: AsyncSession, event_id: int, phone: str) -> RosterEntry | None:
    """The row of the event's roster with this number, if any."""
    found = await session.execute(
        select(RosterEntry).where(
            col(RosterEntry.event_id) == event_id, col(RosterEntry.phone_e164) == phone
        )
    )
    return found.scalars().first()


async def link_to_roster(
    session: AsyncSession, person: Person, joined: Enrollment
) -> RosterEntry | None:
    """``person`` has just registered for (or joined) the event of ``joined``: the roster
    row with their number is theirs, and its class theirs too."""
    if person.phone_e164 is None:
        return None
    entry = await roster_entry(session, joined.event_id, person.phone_e164)
    if entry is None:
        return None
    entry.person_id = person.id
    if entry.class_name is not None:
        joined.class_name = entry.class_name
    return entry


def names_match(typed: str | None, entry: RosterEntry) -> bool:
    """Whether a name someone typed is the roster row's, in any case, accents, order or
    punctuation, with or without academic titles ("Siti Rahmawati" and "Dra. Siti
    Rahmawati, M.Si"): the words of three letters or more of one are all in the other,
    and two of them at least are shared (one, when the roster's name has one). One given
    name typed alone is not enough, for many people share it."""
    if typed is None:
        return False
    mine, theirs = (
        {word for word in words(name).split() if len(word) >= 3}
        for name in (typed, entry.full_name)
    )
    if not mine or not theirs or not (mine <= theirs or theirs <= mine):
        return False
    return len(mine & theirs) >= min(2, len(theirs))
