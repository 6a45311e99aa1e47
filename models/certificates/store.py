"""Certificates as rows: an event's certificate settings (the rule, the text and the
signatory) and the certificates issued, with the queries over them.

A certificate keeps what its paper says (the name as registered, the event, its dates,
the JP) as it was when issued, so that it verifies as printed whatever changes later. It
is one per person per event; numbers run per event ("001/BIMTEK-KUKAR2024/2024"). A
revoked one stays, with its reason, and verifies as revoked.
"""

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import UniqueConstraint, func, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Column, Field, SQLModel, col, select

from models.audit import CLI, SYSTEM, Actor, AuditAction, record
from models.certificates.rule import Rule
from models.event import Event
from models.profile_checks import InvalidInputError, free_text
from models.types import UTCDateTime, utcnow

# Crockford's base32: no I, L, O or U, so that a code read off paper is typed right.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10  # 50 random bits
_TYPED_ALIKE = str.maketrans({"O": "0", "I": "1", "L": "1"})
MAX_REASON = 500
MIN_REASON = 5  # "Data ganda" at least: a word or two, not a stray key
_DEFAULT = Rule()


class CertificateSettings(SQLModel, table=True):
    """An event's certificate rule and design, once an organiser changed the defaults.
    Empty text fields take the catalog's defaults in the certificate's language."""

    __tablename__ = "certificate_settings"

    event_id: int = Field(primary_key=True, foreign_key="event.id", ondelete="CASCADE")
    min_attendance: int = _DEFAULT.min_attendance
    needs_evaluation: bool = _DEFAULT.evaluation
    needs_post_test: bool = _DEFAULT.post_test
    jp_minutes: int = _DEFAULT.jp_minutes
    automatic: bool = _DEFAULT.automatic
    locale: str = Field(default="id", max_length=8, description="the paper's language")
    title: str = Field(default="", max_length=120)
    body: str = Field(default="", max_length=1000, description="with {name}, {event}...")
    signatory_name: str = Field(default="", max_length=120)
    signatory_title: str = Field(default="", max_length=200)
    signing_place: str = Field(default="", max_length=100)
    signing_date: date | None = None  # None: the event's last day
    logo: bytes | None = Field(default=None, sa_column=Column(sa.LargeBinary, nullable=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    def rule(self) -> Rule:
        return Rule(
            min_attendance=self.min_attendance,
            evaluation=self.needs_evaluation,
            post_test=self.needs_post_test,
            jp_minutes=self.jp_minutes,
            automatic=self.automatic,
        )


class Certificate(SQLModel, table=True):
    __tablename__ = "certificate"
    __table_args__ = (
        UniqueConstraint("event_id", "person_id"),
        UniqueConstraint("event_id", "seq"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    # None once the person is gone (linked into another whose certificate for the event
    # came first); the certificate still verifies.
    person_id: int | None = Field(
        default=None, foreign_key="person.id", index=True, ondelete="SET NULL"
    )
    seq: int
    number: str = Field(max_length=80, unique=True)
    code: str = Field(max_length=16, unique=True, description="verification code, public")
    holder_name: str = Field(max_length=100)
    class_name: str | None = Field(default=None, max_length=40)
    jp: int
    event_name: str = Field(max_length=200)
    starts_on: date
    ends_on: date
    venue: str = Field(default="", max_length=200)
    issued_at: datetime = Field(sa_type=UTCDateTime)
    issued_by: str = Field(max_length=40, description="auto, cli, person:<id>")
    # Issued by hand to someone the rule does not qualify, and why.
    manual_reason: str | None = Field(default=None, max_length=MAX_REASON)
    pdf: bytes | None = Field(default=None, sa_column=Column(sa.LargeBinary, nullable=True))
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # written to the outbox
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_reason: str | None = Field(default=None, max_length=MAX_REASON)
    revoked_by: str | None = Field(default=None, max_length=40)

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


async def settings_of(session: AsyncSession, event_id: int) -> CertificateSettings:
    """The event's settings; the defaults (not stored) when none were changed."""
    found = await session.get(CertificateSettings, event_id)
    return found if found is not None else CertificateSettings(event_id=event_id)


async def settings_for_update(
    session: AsyncSession,
    event_id: int,
    *,
    actor: Actor = SYSTEM,
    fields: Sequence[str] = (),
) -> CertificateSettings:
    """The event's settings row to change, created with the defaults when missing; the
    change (of ``fields``) is audited as ``actor``'s."""
    found = await session.get(CertificateSettings, event_id, with_for_update=True)
    if found is None:
        found = CertificateSettings(event_id=event_id)
        session.add(found)
    found.updated_at = utcnow()
    record(
        session,
        actor,
        AuditAction.CERTIFICATE_SETTINGS,
        event_id=event_id,
        target="settings",
        at=found.updated_at,
        fields=sorted(fields),
    )
    return found


def actor_of(label: str) -> Actor:
    """The actor an ``issued_by`` or ``revoked_by`` label names: "cli", "person:<id>",
    anything else (``auto``) the bot itself."""
    if label == "cli":
        return CLI
    kind, _, number = label.partition(":")
    if kind == "person" and number.isdigit():
        return Actor.person(int(number))
    return SYSTEM


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def typed_code(text: str) -> str | None:
    """A verification code as typed ("k7m2 qx9p-4t", an O for a 0); None when it cannot
    be one."""
    code = "".join(text.split()).replace("-", "").upper().translate(_TYPED_ALIKE)
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    return code


def certificate_number(seq: int, event: Event) -> str:
    return f"{seq:03d}/BIMTEK-{event.code.upper()}/{event.ends_on.year}"


async def by_code(session: AsyncSession, text: str) -> Certificate | None:
    code = typed_code(text)
    if code is None:
        return None
    found = await session.execute(select(Certificate).where(col(Certificate.code) == code))
    return found.scalars().first()


async def by_number(session: AsyncSession, event_id: int, text: str) -> Certificate | None:
    """The event's certificate numbered as typed: in full, or its running number ("7")."""
    typed = text.strip()
    query = select(Certificate).where(col(Certificate.event_id) == event_id)
    if typed.isascii() and typed.isdigit() and len(typed) <= 6:
        query = query.where(col(Certificate.seq) == int(typed))
    else:
        query = query.where(func.upper(Certificate.number) == typed.upper())
    return (await session.execute(query)).scalars().first()


async def certificates_of(session: AsyncSession, event_id: int) -> list[Certificate]:
    found = await session.execute(
        select(Certificate)
        .where(col(Certificate.event_id) == event_id)
        .order_by(col(Certificate.seq))
    )
    return list(found.scalars())


async def certificate_of(
    session: AsyncSession, event_id: int, person_id: int
) -> Certificate | None:
    found = await session.execute(
        select(Certificate).where(
            col(Certificate.event_id) == event_id, col(Certificate.person_id) == person_id
        )
    )
    return found.scalars().first()


@dataclass(frozen=True, slots=True)
class Holder:
    """Who a certificate is issued to, as its paper names them."""

    person_id: int
    full_name: str
    class_name: str | None
    jp: int


async def issue(
    session: AsyncSession,
    event: Event,
    holders: list[Holder],
    now: datetime,
    *,
    issued_by: str,
    manual_reason: str | None = None,
) -> list[Certificate]:
    """Certificates for ``holders`` who have none in the event yet, numbered on from the
    event's last; the new ones. The event row is locked meanwhile, so that two issuers
    never take the same number."""
    assert event.id is not None
    await session.get(Event, event.id, with_for_update=True)
    held = set(
        (
            await session.execute(
                select(Certificate.person_id).where(col(Certificate.event_id) == event.id)
            )
        ).scalars()
    )
    last = (
        await session.execute(
            select(func.max(Certificate.seq)).where(col(Certificate.event_id) == event.id)
        )
    ).scalar()
    seq = int(last or 0)
    issued = []
    for holder in holders:
        if holder.person_id in held:
            continue
        held.add(holder.person_id)
        seq += 1
        certificate = Certificate(
            event_id=event.id,
            person_id=holder.person_id,
            seq=seq,
            number=certificate_number(seq, event),
            code=new_code(),
            holder_name=holder.full_name,
            class_name=holder.class_name,
            jp=holder.jp,
            event_name=event.name,
            starts_on=event.starts_on,
            ends_on=event.ends_on,
            venue=event.venue,
            issued_at=now,
            issued_by=issued_by,
            manual_reason=manual_reason,
        )
        session.add(certificate)
        issued.append(certificate)
    await session.flush()
    if issued:  # one entry for a bulk issue; the manual reason stays on the certificate
        ids = [c.id for c in issued]
        target = ("certificate", ids[0]) if len(ids) == 1 else ("certificates", None)
        record(
            session,
            actor_of(issued_by),
            AuditAction.CERTIFICATE_ISSUED,
            event_id=event.id,
            target=target[0],
            target_id=target[1],
            at=now,
            count=len(ids),
            certificate_ids=ids,
            manual=manual_reason is not None,
        )
    return issued


def checked_reason(text: str) -> str:
    """A reason to issue by hand or to revoke, as the chat and the dashboard take it:
    plain text of MIN_REASON to MAX_REASON characters. Raises InvalidInputError, whose
    key says why."""
    reason = free_text(text, max_len=MAX_REASON)
    if len(reason) < MIN_REASON:
        raise InvalidInputError("certificate.reason_short")
    return reason


def revoke(
    session: AsyncSession, certificate: Certificate, reason: str, now: datetime, *, by: str
) -> bool:
    """Revoke it with ``reason`` (kept on the certificate, not in the audit log); False
    when it was revoked already (the first reason stays)."""
    if certificate.revoked_at is not None:
        return False
    certificate.revoked_at, certificate.revoked_reason, certificate.revoked_by = now, reason, by
    record(
        session,
        actor_of(by),
        AuditAction.CERTIFICATE_REVOKED,
        event_id=certificate.event_id,
        target="certificate",
        target_id=certificate.id,
        at=now,
    )
    return True


async def move_certificates(session: AsyncSession, source: int, target: int) -> None:
    """Linking two people: ``source``'s certificates go to ``target``, except for an
    event where ``target`` holds one already (that one stays with ``source`` and outlives
    it without a person)."""
    theirs = sa.alias(Certificate.__table__, "theirs")  # type: ignore[attr-defined]
    table = Certificate.__table__  # type: ignore[attr-defined]
    held = select(theirs.c.id).where(
        theirs.c.person_id == target, theirs.c.event_id == table.c.event_id
    )
    await session.execute(
        update(table).where(table.c.person_id == source, ~sa.exists(held)).values(person_id=target)
    )
