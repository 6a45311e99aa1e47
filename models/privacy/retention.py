"""Retention: an event's personal data are kept for a while after it ends, then removed
(UU PDP: no longer than the purpose needs; the report, the certificates and the
follow-up of the action plan need them for some time after).

Each event keeps them ``retention_days`` after its last day (None: two calendar years).
Then ``purge_event`` removes the event's enrolments, attendance (with the hand-made changes
and their reasons), roster, uploads, messages about it (reminders, announcements), the
announcements' texts and files, the certificates' names and papers (the numbers still
verify), live result messages, its roles and invites; its consents stay as the record
they were given, linked to nobody; its survey answers stay as anonymous figures
(models/privacy/anonymous.py). Whoever is then tied to no other event, holds no role
elsewhere and is no admin is erased entirely (``erase_person``). The purge is in the audit
log, by whoever ran it. The event row stays, marked
``purged_at``: its name, dates and the figures about it are nobody's personal data.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.attendance.store import Attendance, AttendanceMark
from models.audit import SYSTEM, Actor, AuditAction, record
from models.broadcasts import Broadcast
from models.certificates.store import Certificate
from models.event import Event
from models.notifications import Notification
from models.outbox import OutboxMessage, SentMessage
from models.outbox_retention import forget_unused_files
from models.people import ChannelIdentity, Consent, Enrollment, Person
from models.privacy.anonymous import anonymise_responses, day_of
from models.privacy.erasure import erase_person
from models.roles import Invite, Role
from models.roster.entry import RosterEntry
from models.surveys.store import SurveyResponse, SurveyRound, SurveyWatch
from models.uploads import Upload

DEFAULT_YEARS = 2
MAX_DAYS = 3653  # ten years: beyond that no purpose of a training event holds


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return day.replace(year=day.year + years, day=28)


def kept_until(event: Event) -> date:
    """The last day the event's personal data are kept."""
    if event.retention_days is None:
        return add_years(event.ends_on, DEFAULT_YEARS)
    return event.ends_on + timedelta(days=event.retention_days)


def local_today(event: Event, now: datetime) -> date:
    return now.astimezone(ZoneInfo(event.timezone)).date()


def has_ended(event: Event, now: datetime) -> bool:
    """Whether the event's last day is over in its own zone."""
    return local_today(event, now) > event.ends_on


def is_due(event: Event, now: datetime) -> bool:
    return event.purged_at is None and local_today(event, now) > kept_until(event)


def retention_days_for(event: Event, *, years: int | None = None, days: int | None = None) -> int:
    """The days ``years`` calendar years (or ``days``) after the event's end make."""
    if years is not None:
        return (add_years(event.ends_on, years) - event.ends_on).days
    assert days is not None
    return days


@dataclass(frozen=True, slots=True)
class Purge:
    """What a purge removes (or, in a preview, would remove)."""

    people: int = 0  # registered for the event
    erased: int = 0  # of them (and others only it tied here), erased entirely
    answers: int = 0  # survey responses kept as anonymous figures
    texts: int = 0  # answers dropped: free text, unfinished drafts
    attendance: int = 0
    roster: int = 0
    certificates: int = 0  # names and papers removed
    files: int = 0  # uploads and certificate papers
    messages: int = 0  # outbox rows
    broadcasts: int = 0  # announcement texts


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def due_events(session: AsyncSession, now: datetime) -> list[Event]:
    """The events whose retention has passed and whose data are still there."""
    # Every event ends at least a day before it can be due: a coarse filter in SQL, the
    # exact one (the event's zone, its own retention) here.
    found = await session.execute(
        select(Event)
        .where(col(Event.purged_at).is_(None), col(Event.ends_on) < now.date())
        .order_by(col(Event.id))
    )
    return [event for event in found.scalars() if is_due(event, now)]


async def purge_event(
    session: AsyncSession,
    event_id: int,
    now: datetime,
    admins: Collection[tuple[str, str]] = frozenset(),
    *,
    actor: Actor = SYSTEM,
) -> Purge:
    """Remove the event's personal data (see the module's notes), in the caller's
    transaction; what went. The caller checks that the event is over."""
    event = await session.get(Event, event_id, with_for_update=True)
    assert event is not None
    rounds = select(SurveyRound.id).where(col(SurveyRound.event_id) == event_id)
    ties = [
        select(Enrollment.person_id).where(col(Enrollment.event_id) == event_id),
        select(Attendance.person_id).where(col(Attendance.event_id) == event_id),
        select(Certificate.person_id).where(col(Certificate.event_id) == event_id),
        select(RosterEntry.person_id).where(col(RosterEntry.event_id) == event_id),
        select(Upload.person_id).where(col(Upload.event_id) == event_id),
        select(SurveyResponse.person_id).where(col(SurveyResponse.round_id).in_(rounds)),
        select(Role.person_id).where(col(Role.event_id) == event_id),
    ]
    tied: Any = await session.execute(sa.union(*ties))
    people = sorted({int(pid) for pid in tied.scalars() if pid is not None})
    registered = (
        await session.execute(select(sa.func.count()).where(col(Enrollment.event_id) == event_id))
    ).scalar_one()

    answers = texts = 0
    for person_id in people:
        kept, dropped = await anonymise_responses(session, person_id, event_id=event_id)
        answers, texts = answers + kept, texts + dropped
    attendance = _count(
        await session.execute(delete(Attendance).where(col(Attendance.event_id) == event_id))
    )
    await session.execute(delete(AttendanceMark).where(col(AttendanceMark.event_id) == event_id))
    roster = _count(
        await session.execute(delete(RosterEntry).where(col(RosterEntry.event_id) == event_id))
    )
    papers = (
        await session.execute(
            select(sa.func.count()).where(
                col(Certificate.event_id) == event_id, col(Certificate.pdf).is_not(None)
            )
        )
    ).scalar_one()
    certificates = _count(
        await session.execute(
            update(Certificate)
            .where(col(Certificate.event_id) == event_id, col(Certificate.holder_name) != "")
            .values(holder_name="", pdf=None, person_id=None, manual_reason=None)
        )
    )
    uploads = _count(await session.execute(delete(Upload).where(col(Upload.event_id) == event_id)))
    await session.execute(delete(Enrollment).where(col(Enrollment.event_id) == event_id))
    await session.execute(delete(SurveyWatch).where(col(SurveyWatch.round_id).in_(rounds)))
    await session.execute(
        update(Person).where(col(Person.viewing_event_id) == event_id).values(viewing_event_id=None)
    )
    messages, broadcasts = await _forget_messages(session, event_id)
    await _unlink_consents(session, event_id)
    # Who organised or taught it, and the codes that made them so, go with it.
    await session.execute(delete(Invite).where(col(Invite.event_id) == event_id))
    await session.execute(delete(Role).where(col(Role.event_id) == event_id))

    erased = 0
    for person_id in people:
        if await _still_tied(session, person_id, admins):
            continue
        done = await erase_person(session, person_id, now)
        if done is not None:
            erased += 1
            messages += done.messages
    event.purged_at = now
    event.is_open = False  # nobody joins an event whose people are gone
    record(session, actor, AuditAction.PURGE, event_id=event_id, target="event", at=now)
    await session.flush()
    return Purge(
        people=registered,
        erased=erased,
        answers=answers,
        texts=texts,
        attendance=attendance,
        roster=roster,
        certificates=certificates,
        files=uploads + papers,
        messages=messages,
        broadcasts=broadcasts,
    )


async def _unlink_consents(session: AsyncSession, event_id: int) -> None:
    """The consents given for the event stay as the record that they were given, linked
    to nobody, their times cut to the day (as an erasure leaves them)."""
    found = await session.execute(select(Consent).where(col(Consent.event_id) == event_id))
    for consent in found.scalars():
        if consent.person_id is not None:
            consent.person_id = None
            consent.agreed_at = day_of(consent.agreed_at)
            if consent.withdrawn_at is not None:
                consent.withdrawn_at = day_of(consent.withdrawn_at)


async def _forget_messages(session: AsyncSession, event_id: int) -> tuple[int, int]:
    """The outbox rows about the event (reminders, digests, announcements), the
    announcements' texts and files; (rows deleted, texts removed)."""
    outbox = OutboxMessage.__table__  # type: ignore[attr-defined]
    broadcasts = Broadcast.__table__  # type: ignore[attr-defined]
    of_event = select(broadcasts.c.id).where(broadcasts.c.event_id == event_id)
    about = sa.union(
        select(Notification.outbox_id).where(col(Notification.event_id) == event_id),
        select(outbox.c.id).where(outbox.c.broadcast_id.in_(of_event)),
    ).subquery()
    ids = select(about.c.outbox_id)
    await session.execute(delete(SentMessage).where(col(SentMessage.outbox_id).in_(ids)))
    messages = _count(await session.execute(delete(outbox).where(outbox.c.id.in_(ids))))
    texts = _count(
        await session.execute(
            update(broadcasts)
            .where(broadcasts.c.event_id == event_id)
            .where((broadcasts.c.text != "") | broadcasts.c.file_id.is_not(None))
            .values(text="", file_id=None, author_id=None)
        )
    )
    await session.run_sync(forget_unused_files)
    return messages, texts


async def _still_tied(
    session: AsyncSession, person_id: int, admins: Collection[tuple[str, str]]
) -> bool:
    """Whether the person stays: registered for another event, holding a role, or an
    admin (by a channel identity the deployment names)."""
    for query in (
        select(sa.exists().where(col(Enrollment.person_id) == person_id)),
        select(sa.exists().where(col(Role.person_id) == person_id)),
    ):
        if (await session.execute(query)).scalar():
            return True
    if admins:
        found = await session.execute(
            select(ChannelIdentity.channel, ChannelIdentity.user_key).where(
                col(ChannelIdentity.person_id) == person_id
            )
        )
        if any((channel, key) in admins for channel, key in found.all()):
            return True
    return False


async def preview_purge(
    session: AsyncSession,
    event_id: int,
    now: datetime,
    admins: Collection[tuple[str, str]] = frozenset(),
) -> Purge:
    """What ``purge_event`` would remove, counted by doing it in a savepoint and rolling
    it back: the preview cannot drift from the purge."""
    async with session.begin_nested() as savepoint:
        counted = await purge_event(session, event_id, now, admins)
        await savepoint.rollback()
    session.expire_all()
    return counted
