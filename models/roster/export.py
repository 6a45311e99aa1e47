"""The participants of an event for the organisers' report: every registered participant
with their details and whether they are on the roster, then the roster's people who have
not registered."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.people import Enrollment, Person, profile_values
from models.roster.entry import RosterEntry
from models.roster.status import roster_lines


@dataclass(frozen=True, slots=True)
class Participant:
    full_name: str | None
    phone_e164: str | None
    library_name: str | None
    library_type: str | None  # one of LIBRARY_TYPES
    regency: str | None
    province: str | None
    library_role: str | None
    class_name: str | None
    registered_at: datetime | None  # when they registered for this event; None: not yet
    on_roster: bool
    person_id: int | None = None  # None: on the roster, not registered


async def participants(session: AsyncSession, event_id: int) -> list[Participant]:
    """The registered participants in the order they registered, then the roster's
    people not registered in the roster's order."""
    on_roster = select(RosterEntry.id).where(
        col(RosterEntry.event_id) == event_id,
        (col(RosterEntry.person_id) == col(Person.id))
        | (col(RosterEntry.phone_e164) == col(Person.phone_e164)),
    )
    found = await session.execute(
        select(Person, Enrollment, on_roster.exists())
        .join(Enrollment, col(Enrollment.person_id) == col(Person.id))
        .where(col(Enrollment.event_id) == event_id)
        .order_by(col(Enrollment.enrolled_at), col(Person.id))
    )
    people = [
        Participant(
            **profile_values(person),
            class_name=joined.class_name,
            registered_at=joined.enrolled_at,
            on_roster=bool(on_roster),
            person_id=person.id,
        )
        for person, joined, on_roster in found.all()
    ]
    for line in await roster_lines(session, event_id):
        if line.registered:
            continue
        entry = line.entry
        people.append(
            Participant(
                full_name=entry.full_name,
                phone_e164=entry.phone_e164,
                library_name=entry.library_name,
                library_type=entry.library_type,
                regency=entry.regency,
                province=None,
                library_role=None,
                class_name=entry.class_name,
                registered_at=None,
                on_roster=True,
            )
        )
    return people
