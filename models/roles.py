"""Who may do what in an event: organisers and trainers, per event, granted by one-time
invite codes and revocable. (Admins come from the settings, not from this table.)"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col, select

from models.audit import SYSTEM, Actor, AuditAction, record
from models.types import UTCDateTime, utcnow


class RoleName(StrEnum):
    ORGANIZER = "organizer"
    TRAINER = "trainer"


class Role(SQLModel, table=True):
    """A person's role in one event. Revoking keeps the row (who held what, and when)
    and sets ``revoked_at``."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    role: str = Field(max_length=16)
    # A trainer teaches the sessions whose speakers include this name, as the agenda
    # spells it; re-importing the agenda keeps the link.
    speaker: str = Field(default="", max_length=300)
    invite_id: int | None = Field(default=None, foreign_key="invite.id", ondelete="SET NULL")
    granted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Invite(SQLModel, table=True):
    """A one-time code that grants a role. Only a digest of the code is stored: the code
    itself is a credential."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    role: str = Field(max_length=16)
    code_sha256: str = Field(max_length=64, unique=True)
    speaker: str = Field(default="", max_length=300)
    created_by: str = Field(max_length=32, description="'cli', 'admin' or 'role:<id>'")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# --- holding roles ----------------------------------------------------------------------


async def roles_in(session: AsyncSession, person_id: int, event_id: int) -> set[RoleName]:
    found = await session.execute(
        select(Role.role).where(
            col(Role.event_id) == event_id,
            col(Role.person_id) == person_id,
            col(Role.revoked_at).is_(None),
        )
    )
    return {RoleName(name) for name in found.scalars()}


async def role_of(
    session: AsyncSession, person_id: int, event_id: int, role: RoleName
) -> Role | None:
    found = await session.execute(
        select(Role).where(
            col(Role.event_id) == event_id,
            col(Role.role) == role,
            col(Role.person_id) == person_id,
            col(Role.revoked_at).is_(None),
        )
    )
    return found.scalars().first()


async def event_ids_with_roles(session: AsyncSession, person_id: int) -> list[int]:
    found = await session.execute(
        select(Role.event_id)
        .where(col(Role.person_id) == person_id, col(Role.revoked_at).is_(None))
        .distinct()
    )
    return list(found.scalars())


def grants(held: set[RoleName], needed: RoleName) -> bool:
    """Organisers may do what trainers may."""
    if needed is RoleName.TRAINER:
        return bool(held)
    return RoleName.ORGANIZER in held


async def team(session: AsyncSession, event_id: int) -> list[Role]:
    found = await session.execute(
        select(Role)
        .where(col(Role.event_id) == event_id, col(Role.revoked_at).is_(None))
        .order_by(col(Role.role), col(Role.id))
    )
    return list(found.scalars())


# --- invites ----------------------------------------------------------------------------

INVITE_VALID_FOR = timedelta(days=7)
# No 0/O, 1/I/L: a code is read aloud in a hall and typed on a phone.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_CODE_GROUPS = 3
_CODE_GROUP_LENGTH = 4


def new_code() -> str:
    groups = (
        "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_GROUP_LENGTH))
        for _ in range(_CODE_GROUPS)
    )
    return "-".join(groups)


def normalise_code(typed: str) -> str:
    return "".join(ch for ch in typed.upper() if ch.isascii() and ch.isalnum())


def code_digest(typed: str) -> str:
    return hashlib.sha256(normalise_code(typed).encode()).hexdigest()


def looks_like_invite(typed: str) -> bool:
    code = normalise_code(typed)
    return len(code) == _CODE_GROUPS * _CODE_GROUP_LENGTH and all(
        ch in _CODE_ALPHABET for ch in code
    )


async def create_invite(
    session: AsyncSession,
    event_id: int,
    role: RoleName,
    *,
    created_by: str,
    now: datetime,
    speaker: str = "",
    actor: Actor = SYSTEM,
) -> str:
    """A new one-time code for ``role`` in the event; only its digest is stored."""
    code = new_code()
    invite = Invite(
        event_id=event_id,
        role=role,
        code_sha256=code_digest(code),
        speaker=speaker,
        created_by=created_by,
        created_at=now,
        expires_at=now + INVITE_VALID_FOR,
    )
    session.add(invite)
    await session.flush()
    record(
        session,
        actor,
        AuditAction.INVITE_CREATED,
        event_id=event_id,
        target="invite",
        target_id=invite.id,
        at=now,
        role=str(role),
    )
    return code


async def find_invite(session: AsyncSession, typed: str) -> Invite | None:
    """The invite a typed code names, locked until the transaction ends."""
    if not looks_like_invite(typed):
        return None
    found = await session.execute(
        select(Invite).where(col(Invite.code_sha256) == code_digest(typed)).with_for_update()
    )
    return found.scalars().first()


class Redeemed(StrEnum):
    GRANTED = "granted"
    ALREADY = "already"  # the person holds that role already; the code stays unused
    USED = "used"  # used or cancelled
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Redemption:
    outcome: Redeemed
    invite: Invite


async def redeem_invite(
    session: AsyncSession, invite: Invite, person_id: int, now: datetime
) -> Redemption:
    """Give the person the role ``invite`` grants, once."""
    if invite.revoked_at is not None or invite.used_at is not None:
        return Redemption(Redeemed.USED, invite)
    if invite.expires_at <= now:
        return Redemption(Redeemed.EXPIRED, invite)
    role = RoleName(invite.role)
    if await role_of(session, person_id, invite.event_id, role) is not None:
        return Redemption(Redeemed.ALREADY, invite)
    invite.used_at = now
    granted = Role(
        event_id=invite.event_id,
        person_id=person_id,
        role=role,
        speaker=invite.speaker,
        invite_id=invite.id,
        granted_at=now,
    )
    session.add(granted)
    await session.flush()
    # The one who typed the code takes the role: they are the actor.
    record(
        session,
        Actor.person(person_id),
        AuditAction.ROLE_GRANTED,
        event_id=invite.event_id,
        target="role",
        target_id=granted.id,
        at=now,
        role=str(role),
    )
    return Redemption(Redeemed.GRANTED, invite)


def revoke_role(session: AsyncSession, role: Role, now: datetime, *, actor: Actor) -> bool:
    """Take the role away; False when it was revoked already."""
    if role.revoked_at is not None:
        return False
    role.revoked_at = now
    record(
        session,
        actor,
        AuditAction.ROLE_REVOKED,
        event_id=role.event_id,
        target="role",
        target_id=role.id,
        at=now,
        role=role.role,
    )
    return True


def cancel_invite(session: AsyncSession, invite: Invite, now: datetime, *, actor: Actor) -> bool:
    """Cancel a code not used yet; False when it was used or cancelled already."""
    if invite.revoked_at is not None or invite.used_at is not None:
        return False
    invite.revoked_at = now
    record(
        session,
        actor,
        AuditAction.INVITE_CANCELLED,
        event_id=invite.event_id,
        target="invite",
        target_id=invite.id,
        at=now,
        role=invite.role,
    )
    return True


async def pending_invites(session: AsyncSession, event_id: int, now: datetime) -> list[Invite]:
    found = await session.execute(
        select(Invite)
        .where(
            col(Invite.event_id) == event_id,
            col(Invite.used_at).is_(None),
            col(Invite.revoked_at).is_(None),
            col(Invite.expires_at) > now,
        )
        .order_by(col(Invite.id))
    )
    return list(found.scalars())


# --- speakers ---------------------------------------------------------------------------


def split_speakers(speakers: str) -> list[str]:
    """The people in an agenda's speaker cell. Only ';', '/', '&' and line breaks
    separate them: commas belong to academic titles ("Taufik, S.Sos, M.Si") and "dan"
    to institutions ("Dinas Kearsipan dan Perpustakaan")."""
    text = speakers
    for separator in ("\n", "/", "&"):
        text = text.replace(separator, ";")
    return [name.strip() for name in text.split(";") if name.strip()]


def name_key(name: str) -> str:
    """A name compared without case, spacing or punctuation: "Taufik, S.Sos., M.Si."
    is "Taufik, S.Sos, M.Si"."""
    kept = "".join(ch if ch.isalnum() else " " for ch in name.casefold())
    return " ".join(kept.split())


def teaches(speaker: str, speakers: str) -> bool:
    """Whether ``speaker`` is one of the people in an agenda's speaker cell."""
    wanted = name_key(speaker)
    return bool(wanted) and any(name_key(name) == wanted for name in split_speakers(speakers))
