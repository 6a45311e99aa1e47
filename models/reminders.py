"""Reminder settings. Per event, which kinds of reminder it uses (before each session, a
morning digest of the day), how many minutes before a session and at what local time the
digest goes; per person, whether they muted them (``/pengingat``).

An event without a row of its own uses the defaults: 15 minutes before each session and
a digest at 06.30 in the event's zone.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import JSON, Column, Field, SQLModel

from models.audit import SYSTEM, Actor, AuditAction, record
from models.notifications import Kind, cancel_for_person, cancel_kind
from models.people import Person
from models.text import clean_text
from models.types import UTCDateTime, utcnow

DEFAULT_OFFSETS = (15,)
DEFAULT_DIGEST_AT = time(6, 30)
# Minutes before a session. Further ahead is the morning digest's job: a reminder says
# the time of day only, never the date.
MAX_OFFSET = 240
MAX_OFFSETS = 3

# Breaks are on the agenda too, but nobody needs a reminder of a coffee break: the
# session after it gets one. Compared with the title's first words, in lower case.
BREAKS = ("rehat", "istirahat", "ishoma", "coffee break", "break", "makan siang", "lunch")


class ReminderSettings(SQLModel, table=True):
    """An event's reminder settings, once an organiser changed the defaults."""

    __tablename__ = "event_reminders"

    event_id: int = Field(primary_key=True, foreign_key="event.id", ondelete="CASCADE")
    before_sessions: bool = True
    # Minutes before each session, largest first: [60, 15] reminds an hour and a quarter
    # of an hour before.
    offsets: list[int] = Field(
        default_factory=lambda: list(DEFAULT_OFFSETS), sa_column=Column(JSON, nullable=False)
    )
    digest: bool = True
    digest_at: time = DEFAULT_DIGEST_AT  # in the event's zone
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


@dataclass(frozen=True, slots=True)
class Reminders:
    """An event's settings as planners read them."""

    before_sessions: bool = True
    offsets: tuple[int, ...] = DEFAULT_OFFSETS  # largest first
    digest: bool = True
    digest_at: time = DEFAULT_DIGEST_AT

    @property
    def any(self) -> bool:
        return self.before_sessions or self.digest


class ReminderSettingError(ValueError):
    """What was typed cannot be a setting; ``key`` names the catalog message saying why."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


def _value(stored: ReminderSettings | None) -> Reminders:
    if stored is None:
        return Reminders()
    return Reminders(
        before_sessions=stored.before_sessions,
        offsets=tuple(stored.offsets),
        digest=stored.digest,
        digest_at=stored.digest_at,
    )


async def reminders_of(session: AsyncSession, event_id: int) -> Reminders:
    return _value(await session.get(ReminderSettings, event_id))


async def update_reminders(
    session: AsyncSession,
    event_id: int,
    now: datetime,
    *,
    before_sessions: bool | None = None,
    offsets: Iterable[int] | None = None,
    digest: bool | None = None,
    digest_at: time | None = None,
    actor: Actor = SYSTEM,
) -> Reminders:
    """Change what is given (None: unchanged); the settings as they now are. What was
    planned by the old settings and waits is called off; the next planning round (within
    a minute) follows the new ones."""
    stored = await session.get(ReminderSettings, event_id, with_for_update=True)
    if stored is None:
        stored = ReminderSettings(event_id=event_id)
        session.add(stored)
    before = _value(stored)
    if before_sessions is not None:
        stored.before_sessions = before_sessions
    if offsets is not None:
        stored.offsets = list(checked_offsets(offsets))
    if digest is not None:
        stored.digest = digest
    if digest_at is not None:
        stored.digest_at = digest_at.replace(second=0, microsecond=0, tzinfo=None)
    stored.updated_at = now
    await session.flush()
    after = _value(stored)
    if (before.before_sessions, before.offsets) != (after.before_sessions, after.offsets):
        await cancel_kind(session, event_id, Kind.REMINDER)
    if (before.digest, before.digest_at) != (after.digest, after.digest_at):
        await cancel_kind(session, event_id, Kind.DIGEST)
    given = {"before_sessions": before_sessions, "offsets": offsets, "digest": digest,
             "digest_at": digest_at}  # fmt: skip
    record(
        session,
        actor,
        AuditAction.EVENT_SETTINGS,
        event_id=event_id,
        target="settings",
        at=now,
        fields=sorted(k for k, v in given.items() if v is not None),
    )
    return after


def checked_offsets(offsets: Iterable[int]) -> tuple[int, ...]:
    """Distinct minutes within 1..MAX_OFFSET, at most MAX_OFFSETS, largest first."""
    found = sorted(set(offsets), reverse=True)
    if not found:
        raise ReminderSettingError("reminders.bad_offsets")
    if any(not 1 <= minutes <= MAX_OFFSET for minutes in found):
        raise ReminderSettingError("reminders.offset_range", max=MAX_OFFSET)
    if len(found) > MAX_OFFSETS:
        raise ReminderSettingError("reminders.too_many_offsets", count=MAX_OFFSETS)
    return tuple(found)


_SEPARATORS = re.compile(r"[\s,;/+&]+")
_UNITS = {"menit", "mnt", "m", "min", "mins", "minute", "minutes", "dan", "and"}
_CLOCK = re.compile(r"([01]?[0-9]|2[0-3])[.:]?([0-5][0-9])")


def parse_offsets(text: str) -> tuple[int, ...]:
    """ "15", "60, 15", "60 dan 15 menit": the minutes, checked, largest first."""
    words = [w for w in _SEPARATORS.split(clean_text(text).casefold()) if w and w not in _UNITS]
    if not words or not all(w.isascii() and w.isdigit() and len(w) <= 4 for w in words):
        raise ReminderSettingError("reminders.bad_offsets")
    return checked_offsets(int(w) for w in words)


def parse_clock(text: str) -> time:
    """ "06.30", "6:30", "0630": a time of day, as the event's people write it."""
    typed = clean_text(text).casefold()
    for label in ("wib", "wita", "wit"):  # the zone is always the event's own
        typed = typed.removesuffix(label).strip()
    found = _CLOCK.fullmatch(typed)
    if found is None:
        raise ReminderSettingError("reminders.bad_time")
    return time(int(found.group(1)), int(found.group(2)))


def is_break(title: str) -> bool:
    words = " ".join(title.casefold().split())
    return any(words == b or words.startswith((f"{b} ", f"{b}:", f"{b},")) for b in BREAKS)


# Items of an agenda that teach nothing: no feedback on them, no hours of learning (JP),
# and the tests and the evaluation are timed by the sessions that do.
CEREMONIES = (
    "registrasi", "pendaftaran", "daftar ulang", "pembukaan", "penutupan", "upacara",
    "evaluasi kegiatan", "registration", "opening", "closing",
)  # fmt: skip


def is_ceremony(title: str) -> bool:
    words = " ".join(title.casefold().split())
    return words.startswith(CEREMONIES)


async def set_muted(session: AsyncSession, person: Person, muted: bool, now: datetime) -> int:
    """Mute or unmute a person's reminders, in every event. Muting also calls off what
    is planned for them already; the number of messages called off."""
    person.reminders_muted_at = now if muted else None
    person.updated_at = now
    if not muted:
        return 0
    assert person.id is not None
    return await cancel_for_person(session, person.id, "muted")
