"""Who may do what in an event: admins (from settings), organisers and trainers (per
event, granted by one-time invite codes, revocable)."""

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from handlers.turn import Turn
from models import Event, Invite, Role, RoleName

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
    event: Event,
    role: RoleName,
    *,
    created_by: str,
    now: datetime,
    speaker: str = "",
) -> str:
    """A new one-time code for ``role`` in ``event``; only its digest is stored."""
    assert event.id is not None
    code = new_code()
    session.add(
        Invite(
            event_id=event.id,
            role=role,
            code_sha256=code_digest(code),
            speaker=speaker,
            created_by=created_by,
            created_at=now,
            expires_at=now + INVITE_VALID_FOR,
        )
    )
    await session.flush()
    return code


async def find_invite(session: AsyncSession, typed: str) -> Invite | None:
    if not looks_like_invite(typed):
        return None
    found = await session.execute(
        select(Invite).where(col(Invite.code_sha256) == code_digest(typed)).with_for_update()
    )
    return found.scalars().first()


async def active_roles(turn: Turn, event: Event) -> set[RoleName]:
    key = ("roles", event.id)
    if key not in turn.memo:
        turn.memo[key] = await _load_roles(turn, event)
    return set(turn.memo[key])


async def _load_roles(turn: Turn, event: Event) -> set[RoleName]:
    conversation = turn.conversation
    found = await turn.session.execute(
        select(Role.role).where(
            col(Role.event_id) == event.id,
            col(Role.channel) == conversation.channel,
            col(Role.user_key) == conversation.user_key,
            col(Role.revoked_at).is_(None),
        )
    )
    return {RoleName(name) for name in found.scalars()}


async def my_role(turn: Turn, event: Event, role: RoleName) -> Role | None:
    conversation = turn.conversation
    found = await turn.session.execute(
        select(Role).where(
            col(Role.event_id) == event.id,
            col(Role.role) == role,
            col(Role.channel) == conversation.channel,
            col(Role.user_key) == conversation.user_key,
            col(Role.revoked_at).is_(None),
        )
    )
    return found.scalars().first()


async def may(turn: Turn, event: Event | None, needed: RoleName) -> bool:
    """Whether this person may act as ``needed`` in ``event``. Organisers may do what
    trainers may; admins may do everything everywhere."""
    if turn.is_admin:
        return True
    if event is None:
        return False
    held = await active_roles(turn, event)
    if needed is RoleName.TRAINER:
        return bool(held)
    return RoleName.ORGANIZER in held


async def event_ids_with_roles(turn: Turn) -> list[int]:
    conversation = turn.conversation
    found = await turn.session.execute(
        select(Role.event_id)
        .where(
            col(Role.channel) == conversation.channel,
            col(Role.user_key) == conversation.user_key,
            col(Role.revoked_at).is_(None),
        )
        .distinct()
    )
    return list(found.scalars())


async def team(session: AsyncSession, event: Event) -> Sequence[Role]:
    found = await session.execute(
        select(Role)
        .where(col(Role.event_id) == event.id, col(Role.revoked_at).is_(None))
        .order_by(col(Role.role), col(Role.id))
    )
    return list(found.scalars())


async def pending_invites(session: AsyncSession, event: Event, now: datetime) -> Sequence[Invite]:
    found = await session.execute(
        select(Invite)
        .where(
            col(Invite.event_id) == event.id,
            col(Invite.used_at).is_(None),
            col(Invite.revoked_at).is_(None),
            col(Invite.expires_at) > now,
        )
        .order_by(col(Invite.id))
    )
    return list(found.scalars())


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
