"""Planning notifications: who is told what, and when.

A planner is a function of one ``Round`` (an event, its agenda, its audience, its
settings, the time) to the notifications due within the look-ahead. It is pure: the
periodic job (``scheduler/notifications.py``) reads the round and writes what the
planners return; keys make a round run late or twice harmless. A new kind of
notification (a survey prompt when a session ends, a check-in opening) is one more
planner in ``PLANNERS`` and its texts.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.agenda_view import View, view_for
from handlers.i18n import Translator, supported
from handlers.notice_texts import change_text, digest_text, reminder_text
from handlers.outgoing import body_of
from handlers.types import Reply
from models import Event
from models.agenda import Agenda, agenda
from models.agenda_import import ScheduleChange
from models.notifications import Kind, Planned, Recipient, audience, unplanned, write
from models.reminders import Reminders, is_break, reminders_of

# How far ahead rows are written. The job runs every minute, so a row is in the outbox a
# few minutes before its moment; planning no further keeps what it says fresh (an agenda
# change after that cancels it and it is written again).
LOOKAHEAD = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Round:
    """What the planners of one event see in one round."""

    event: Event
    agenda: Agenda
    audience: Sequence[Recipient]
    settings: Reminders
    now: datetime

    @property
    def event_id(self) -> int:
        assert self.event.id is not None
        return self.event.id


Planner = Callable[[Round], list[Planned]]


def _body(text: str) -> dict[str, Any]:
    return body_of(Reply(text))


def session_reminders(round_: Round) -> list[Planned]:
    """Before each session (not a break) a reminder to each participant it is for, at
    each of the event's offsets. A reminder is not sent once its session has begun, nor
    once the next, closer reminder is due: it would only arrive beside it."""
    settings, event, now = round_.settings, round_.event, round_.now
    if not settings.before_sessions:
        return []
    offsets = sorted(settings.offsets, reverse=True)
    horizon = now + LOOKAHEAD
    texts: dict[tuple[str, int], dict[str, Any]] = {}
    planned = []
    for item in round_.agenda.items:  # in order of start
        if item.starts_at - timedelta(minutes=offsets[0]) > horizon:
            break
        if item.starts_at <= now or is_break(item.title):
            continue
        for index, minutes in enumerate(offsets):
            due = item.starts_at - timedelta(minutes=minutes)
            closer = offsets[index + 1] if index + 1 < len(offsets) else 0
            expires = item.starts_at - timedelta(minutes=closer)
            if due > horizon or now >= expires:
                continue
            start = item.starts_at.astimezone(UTC).strftime("%Y%m%dT%H%MZ")
            for person in round_.audience:
                if not person.attends(item.class_name):
                    continue
                locale = supported(person.locale)
                if (locale, item.id) not in texts:
                    texts[locale, item.id] = _body(reminder_text(Translator(locale), event, item))
                planned.append(
                    Planned(
                        key=f"reminder:{item.id}:{start}:{minutes}:p{person.person_id}",
                        kind=Kind.REMINDER,
                        recipient=person,
                        body=texts[locale, item.id],
                        due_at=due,
                        expires_at=expires,
                        event_id=round_.event_id,
                        day=item.day,
                        session_id=item.id,
                    )
                )
    return planned


def morning_digest(round_: Round) -> list[Planned]:
    """On each day of the event, at the set local time, each participant's sessions of
    the day, as ``/jadwal`` shows them. Not sent once the next of them has begun, nor on
    a day with none of theirs still to come."""
    settings, event, now = round_.settings, round_.event, round_.now
    if not settings.digest:
        return []
    zone = ZoneInfo(event.timezone)
    horizon = now + LOOKAHEAD
    planned = []
    for day in sorted({now.astimezone(zone).date(), horizon.astimezone(zone).date()}):
        due = datetime.combine(day, settings.digest_at, zone).astimezone(UTC)
        if not event.starts_on <= day <= event.ends_on or due > horizon:
            continue
        # What each class sees that day, and when its next session begins.
        views: dict[str | None, tuple[View, datetime | None]] = {}
        texts: dict[tuple[str, str | None], dict[str, Any]] = {}
        for person in round_.audience:
            group = person.class_name
            if group not in views:
                view = view_for(round_.agenda, event, group)
                ahead = [s.starts_at for s in view.sessions if s.day == day and s.starts_at > due]
                views[group] = view, min(ahead, default=None)
            view, next_start = views[group]
            if next_start is None or now >= next_start:
                continue
            locale = supported(person.locale)
            if (locale, group) not in texts:
                texts[locale, group] = _body(digest_text(Translator(locale), view, day))
            planned.append(
                Planned(
                    key=f"digest:{round_.event_id}:{day.isoformat()}:p{person.person_id}",
                    kind=Kind.DIGEST,
                    recipient=person,
                    body=texts[locale, group],
                    due_at=due,
                    expires_at=next_start,
                    event_id=round_.event_id,
                    day=day,
                )
            )
    return planned


PLANNERS: tuple[Planner, ...] = (session_reminders, morning_digest)


async def plan_event(session: AsyncSession, event: Event, now: datetime) -> int:
    """One round for one event: write the notifications due soon that are not written
    yet; how many were written."""
    assert event.id is not None
    settings = await reminders_of(session, event.id)
    if not settings.any:
        return 0
    whole = await agenda(session, event)
    people = await audience(session, event.id) if whole.items else []
    if not people:
        return 0
    round_ = Round(event, whole, people, settings, now)
    planned = [found for planner in PLANNERS for found in planner(round_)]
    fresh = await unplanned(session, planned) if planned else []
    return await session.run_sync(write, fresh)


# --- schedule changes: said once the organiser confirms ---------------------------------


def concerned(person: Recipient, changes: Sequence[ScheduleChange]) -> list[ScheduleChange]:
    """The changes about sessions this person attends (or attended, before the change)."""
    return [c for c in changes if person.attends(c.class_name) or person.attends(c.old_class)]


def change_notices(
    event: Event,
    version: int,
    changes: Sequence[ScheduleChange],
    people: Sequence[Recipient],
    now: datetime,
) -> list[Planned]:
    """One short notice for each person concerned by today's ``changes``, however many of
    their sessions changed; once per agenda version. Not sent after today."""
    assert event.id is not None
    zone = ZoneInfo(event.timezone)
    today = now.astimezone(zone).date()
    end_of_day = datetime.combine(today + timedelta(days=1), time(0), zone).astimezone(UTC)
    planned = []
    for person in people:
        mine = concerned(person, changes)
        if not mine:
            continue
        text = change_text(Translator(supported(person.locale)), event, mine, today)
        planned.append(
            Planned(
                key=f"change:{event.id}:{version}:p{person.person_id}",
                kind=Kind.SCHEDULE_CHANGE,
                recipient=person,
                body=_body(text),
                due_at=now,
                expires_at=end_of_day,
                event_id=event.id,
                day=today,
            )
        )
    return planned


async def concerned_people(
    session: AsyncSession, event: Event, changes: Sequence[ScheduleChange]
) -> list[Recipient]:
    assert event.id is not None
    return [p for p in await audience(session, event.id) if concerned(p, changes)]


async def send_change_notices(
    session: AsyncSession,
    event: Event,
    version: int,
    changes: Sequence[ScheduleChange],
    now: datetime,
) -> int:
    """Write the schedule-change notices (the organiser said yes); how many."""
    people = await concerned_people(session, event, changes)
    planned = change_notices(event, version, changes, people, now)
    return await session.run_sync(write, planned)
