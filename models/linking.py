"""One person across channels. A phone number belongs to one person: someone who gives
(or, on WhatsApp, has) a number already registered by a person reachable on another
channel proves it is theirs with a code sent there, and their identity then joins that
person.

A code is six random digits, stored only as a salted digest, valid for ten minutes and
five tries; one code lives per pair (asking identity, person). How many codes a pair may
ask for in a day is limited too, so that five tries a code do not add up to guessing.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy import delete, exists, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, UniqueConstraint, col, select

from models.attendance.store import Attendance, AttendanceMark, AttendanceOpening
from models.audit import AuditEntry
from models.broadcasts import Broadcast
from models.certificates.store import move_certificates
from models.people import ChannelIdentity, Consent, Enrollment, Person
from models.roles import Role
from models.surveys.store import SurveyResponse, SurveyRound, SurveyWatch
from models.types import UTCDateTime
from models.uploads import Upload

CODE_DIGITS = 6
CODE_VALID_FOR = timedelta(minutes=10)
MAX_TRIES = 5
# A new code for the same pair: not before a minute has passed, and a few a day at most.
RESEND_AFTER = timedelta(minutes=1)
CODES_PER_DAY = 5
_DAY = timedelta(days=1)


class LinkCode(SQLModel, table=True):
    """The live code of one pair: ``identity_id`` says it is ``person_id``."""

    __tablename__ = "link_code"
    __table_args__ = (UniqueConstraint("identity_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    identity_id: int = Field(foreign_key="channel_identity.id", ondelete="CASCADE")
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    code_sha256: str = Field(max_length=64)
    salt: str = Field(max_length=32)
    sent_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    tries: int = 0
    # Codes sent to this pair since ``counting_since`` (a day at most ago).
    codes_sent: int = 1
    counting_since: datetime = Field(sa_type=UTCDateTime)


@dataclass(frozen=True, slots=True)
class PhoneOwner:
    """Who registered a phone number, and where they can be reached (no profile data)."""

    person_id: int
    channels: frozenset[str]


async def phone_owner(session: AsyncSession, phone: str, asking: int) -> PhoneOwner | None:
    """The person other than ``asking`` whose number ``phone`` is, if any."""
    found = await session.execute(
        select(Person.id)
        .where(col(Person.phone_e164) == phone, col(Person.id) != asking)
        .order_by(col(Person.id))
        .limit(1)
    )
    person_id = found.scalars().first()
    if person_id is None:
        return None
    channels = await session.execute(
        select(ChannelIdentity.channel).where(col(ChannelIdentity.person_id) == person_id)
    )
    return PhoneOwner(person_id, frozenset(channels.scalars()))


def _digest(salt: str, code: str) -> str:
    return hmac.new(salt.encode(), code.encode(), hashlib.sha256).hexdigest()


async def _live(session: AsyncSession, identity_id: int, person_id: int) -> LinkCode | None:
    found = await session.execute(
        select(LinkCode).where(
            col(LinkCode.identity_id) == identity_id, col(LinkCode.person_id) == person_id
        )
    )
    return found.scalars().first()


class NotIssued(StrEnum):
    TOO_SOON = "too_soon"  # the last code went less than a minute ago
    DAILY_LIMIT = "daily_limit"


@dataclass(frozen=True, slots=True)
class Issued:
    code: str
    expires_at: datetime


async def issue_code(
    session: AsyncSession, identity_id: int, person_id: int, now: datetime
) -> Issued | NotIssued:
    """A new code for the pair, replacing any earlier one; the code itself is returned
    once, to be sent, and never stored."""
    row = await _live(session, identity_id, person_id)
    if row is not None and now - row.sent_at < RESEND_AFTER:
        return NotIssued.TOO_SOON
    counting = row is not None and now - row.counting_since < _DAY
    if row is not None and counting and row.codes_sent >= CODES_PER_DAY:
        return NotIssued.DAILY_LIMIT
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    salt = secrets.token_hex(16)
    if row is None:
        row = LinkCode(identity_id=identity_id, person_id=person_id, counting_since=now,
                       code_sha256="", salt="", sent_at=now, expires_at=now)  # fmt: skip
        session.add(row)
    elif counting:
        row.codes_sent += 1
    else:
        row.codes_sent, row.counting_since = 1, now
    row.code_sha256, row.salt = _digest(salt, code), salt
    row.sent_at, row.expires_at, row.tries = now, now + CODE_VALID_FOR, 0
    await session.flush()
    return Issued(code, row.expires_at)


class Verdict(StrEnum):
    RIGHT = "right"
    WRONG = "wrong"  # tries may be left
    EXPIRED = "expired"  # or there is no code
    EXHAUSTED = "exhausted"  # every try used


@dataclass(frozen=True, slots=True)
class Checked:
    verdict: Verdict
    tries_left: int = 0


def typed_code(text: str) -> str | None:
    """Six digits as typed ("123 456", "123-456"), or None for anything else."""
    kept = "".join(ch for ch in text if ch not in " -.\u00a0")
    if len(kept) == CODE_DIGITS and kept.isascii() and kept.isdigit():
        return kept
    return None


async def check_code(
    session: AsyncSession, identity_id: int, person_id: int, code: str, now: datetime
) -> Checked:
    """Whether ``code`` is the pair's live code. A wrong one uses a try; the right one
    is used up."""
    row = await _live(session, identity_id, person_id)
    if row is None or now >= row.expires_at:
        return Checked(Verdict.EXPIRED)
    if row.tries >= MAX_TRIES:
        return Checked(Verdict.EXHAUSTED)
    row.tries += 1
    if hmac.compare_digest(row.code_sha256, _digest(row.salt, code)):
        await session.delete(row)
        await session.flush()
        return Checked(Verdict.RIGHT)
    await session.flush()
    return Checked(Verdict.WRONG, MAX_TRIES - row.tries)


# The rows that name the person who did something: an announcement's author, an audit
# entry's actor, who started a survey round, made a manual mark, opened a code.
DONE_BY: tuple[tuple[type[SQLModel], str], ...] = (
    (Broadcast, "author_id"),
    (AuditEntry, "actor_person_id"),
    (SurveyRound, "started_by"),
    (AttendanceMark, "by_person_id"),
    (AttendanceOpening, "opened_by"),
)


async def move_deeds(session: AsyncSession, source: int, target: int | None) -> None:
    """What ``source`` did becomes ``target``'s (two people found to be one), or nobody's
    (None: the person is erased)."""
    for table, column in DONE_BY:
        await session.execute(
            update(table).where(col(getattr(table, column)) == source).values({column: target})
        )


async def link_identity(
    session: AsyncSession, identity: ChannelIdentity, into: Person, now: datetime
) -> None:
    """Move ``identity`` to the person ``into``. What the person it leaves holds
    (consent records, roles, enrolments, survey answers, attendance, certificates, waiting
    files) goes along, unless ``into`` holds the same already; that person, then empty,
    is deleted. The identity's conversation stays with it."""
    source, target = identity.person_id, into.id
    assert target is not None
    await session.flush()
    for table in (Consent, Role, Upload, AttendanceMark):
        await session.execute(
            update(table).where(col(table.person_id) == source).values(person_id=target)
        )
    # What they did stays theirs, in the audit log too.
    await move_deeds(session, source, target)
    await _move_unless_held(session, Enrollment, "event_id", source, target)
    await move_certificates(session, source, target)
    await _move_unless_held(session, Attendance, "session_id", source, target)
    await _move_unless_held(session, SurveyResponse, "round_id", source, target)
    await _move_unless_held(session, SurveyWatch, "round_id", source, target)
    left = await session.get(Person, source)
    if into.locale is None and left is not None:
        into.locale = left.locale
    into.updated_at = now
    await session.execute(
        update(ChannelIdentity)
        .where(col(ChannelIdentity.person_id) == source, col(ChannelIdentity.id) != identity.id)
        .values(person_id=target)
    )
    identity.person_id = target
    await session.flush()
    if left is not None:
        await session.delete(left)
        await session.flush()


async def _move_unless_held(session: AsyncSession, model: type[SQLModel], key: str,
                            source: int, target: int) -> None:  # fmt: skip
    """Rows of ``model`` move from ``source`` to ``target`` unless ``target`` has one for
    the same ``key`` (an event, a survey round); those left behind go."""
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    theirs = table.alias("theirs")
    held = select(theirs.c.id).where(theirs.c.person_id == target, theirs.c[key] == table.c[key])
    await session.execute(
        update(table).where(table.c.person_id == source, ~exists(held)).values(person_id=target)
    )
    await session.execute(delete(table).where(table.c.person_id == source))
