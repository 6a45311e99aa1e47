"""Whose data a time window touched, for a breach notification (UU PDP No. 27/2022 art. 46:
the people concerned are told within 3 × 24 hours).

For one event and a window [since, until), every person of the event whose data was
written or changed (registering, consenting, the profile, survey answers, attendance, a
certificate, a message sent to them) or read (an export in the window covers everyone of
the event, and for the participant list the roster's people who never registered too).
It errs on the side of telling: a message sent to a person of the event counts whatever
event it was about, and a profile change counts for each event the person is in.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.attendance.store import Attendance, AttendanceMark
from models.audit import AuditAction, AuditEntry, ExportKind
from models.certificates.store import Certificate
from models.outbox import OutboxMessage
from models.people import ChannelIdentity, Consent, Enrollment, Person
from models.roster.entry import RosterEntry
from models.surveys.store import SurveyResponse, SurveyRound

NOTIFY_WITHIN = timedelta(hours=72)


class Touch(StrEnum):
    REGISTERED = "registered"
    CONSENT = "consent"
    PROFILE = "profile"
    ANSWERS = "answers"
    ATTENDANCE = "attendance"
    CERTIFICATE = "certificate"
    MESSAGE = "message"
    EXPORTED = "exported"


@dataclass
class Touched:
    """One person, or one roster row of someone who never wrote to the bot."""

    ref: str  # "person 12" or "roster 7"
    name: str | None
    phone: str | None
    channels: list[str] = field(default_factory=list)
    touched: set[str] = field(default_factory=set)  # Touch values; exports as "exported:kind"


def _between(column: Any, since: datetime, until: datetime) -> Any:
    return (column >= since) & (column < until)


async def touched_people(
    session: AsyncSession, event_id: int, since: datetime, until: datetime
) -> list[Touched]:
    """Everyone of ``event_id`` whose data the window touched, people first (by id), then
    roster rows, each with what was touched."""
    found: dict[int, set[str]] = defaultdict(set)

    async def add(query: Any, touch: str) -> None:
        for (person_id,) in (await session.execute(query)).all():
            if person_id is not None:
                found[person_id].add(touch)

    def written(*times: Any) -> Any:
        """Any of the times within the window."""
        return sa.or_(*(_between(col(at), since, until) for at in times))

    async def add_of_event(table: Any, touch: str, *times: Any) -> None:
        """The people of a table's rows of the event (its person_id and event_id) that
        the window wrote or changed, as any of ``times`` says."""
        query = sa.select(col(table.person_id)).where(
            col(table.event_id) == event_id, written(*times)
        )
        await add(query, touch)

    enrolled = sa.select(col(Enrollment.person_id)).where(col(Enrollment.event_id) == event_id)
    await add(enrolled.where(_between(col(Enrollment.enrolled_at), since, until)), Touch.REGISTERED)
    await add_of_event(Consent, Touch.CONSENT, Consent.agreed_at, Consent.withdrawn_at)
    await add(
        sa.select(col(Person.id)).where(
            col(Person.id).in_(enrolled), _between(col(Person.updated_at), since, until)
        ),
        Touch.PROFILE,
    )
    await add(
        sa.select(col(SurveyResponse.person_id))
        .join(SurveyRound, col(SurveyRound.id) == col(SurveyResponse.round_id))
        .where(
            col(SurveyRound.event_id) == event_id,
            written(SurveyResponse.started_at, SurveyResponse.updated_at),
        ),
        Touch.ANSWERS,
    )
    await add_of_event(
        Attendance,
        Touch.ATTENDANCE,
        Attendance.checked_in_at,
        Attendance.checked_out_at,
        Attendance.unmarked_at,
    )
    await add_of_event(AttendanceMark, Touch.ATTENDANCE, AttendanceMark.at)
    await add_of_event(
        Certificate,
        Touch.CERTIFICATE,
        Certificate.issued_at,
        Certificate.sent_at,
        Certificate.revoked_at,
    )
    await add(
        sa.select(col(ChannelIdentity.person_id))
        .join(OutboxMessage, col(OutboxMessage.identity_id) == col(ChannelIdentity.id))
        .where(
            col(ChannelIdentity.person_id).in_(enrolled),
            _between(col(OutboxMessage.sent_at), since, until),
        ),
        Touch.MESSAGE,
    )
    exports = (
        await session.execute(
            sa.select(col(AuditEntry.target_kind)).where(
                col(AuditEntry.event_id) == event_id,
                col(AuditEntry.action) == AuditAction.EXPORT,
                _between(col(AuditEntry.at), since, until),
            )
        )
    ).scalars()
    kinds = sorted(set(exports))
    for kind in kinds:
        await add(enrolled, f"{Touch.EXPORTED}:{kind}")
    people = await _people(session, sorted(found))
    result = [
        Touched(f"person {pid}", *people.get(pid, (None, None, [])), touched=found[pid])
        for pid in sorted(found)
    ]
    roster_kinds = [k for k in kinds if k in (ExportKind.PARTICIPANTS, ExportKind.ROSTER)]
    if roster_kinds:
        rows = await session.execute(
            sa.select(RosterEntry).where(
                col(RosterEntry.event_id) == event_id, col(RosterEntry.person_id).is_(None)
            )
        )
        for (entry,) in rows.all():
            result.append(
                Touched(
                    f"roster {entry.id}",
                    entry.full_name,
                    entry.phone_e164,
                    [],
                    {f"{Touch.EXPORTED}:{k}" for k in roster_kinds},
                )
            )
    return result


async def _people(
    session: AsyncSession, ids: list[int]
) -> dict[int, tuple[str | None, str | None, list[str]]]:
    if not ids:
        return {}
    found = await session.execute(
        sa.select(col(Person.id), col(Person.full_name), col(Person.phone_e164)).where(
            col(Person.id).in_(ids)
        )
    )
    channels: dict[int, list[str]] = defaultdict(list)
    identities = await session.execute(
        sa.select(col(ChannelIdentity.person_id), col(ChannelIdentity.channel))
        .where(col(ChannelIdentity.person_id).in_(ids))
        .order_by(col(ChannelIdentity.id))
    )
    for person_id, channel in identities.all():
        if channel not in channels[person_id]:
            channels[person_id].append(channel)
    return {
        pid: (name, phone, channels[pid]) for pid, name, phone in found.all() if pid is not None
    }


def notify_by(until: datetime, discovered: datetime | None = None) -> datetime:
    """The deadline to tell them: 72 hours from the discovery (else the window's end)."""
    return (discovered or until) + NOTIFY_WITHIN
