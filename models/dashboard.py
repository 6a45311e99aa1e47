"""Signing in to the organisers' web dashboard: one-time links and the sessions they start.

A link's token and a session's id are credentials: only their SHA-256 digests are stored
(as invite codes are, see models/roles.py), so a copy of the database signs nobody in. A
link works once, for ``LINK_VALID_FOR``; a session ends when it expires or is revoked
(signing out). Who may see what is decided per page and event by the roles, not here."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col, select

from models.audit import Actor, AuditAction, record
from models.types import UTCDateTime

LINK_VALID_FOR = timedelta(minutes=10)
_TOKEN_BYTES = 32  # 256 bits: URL-safe text of 43 characters


class DashboardLink(SQLModel, table=True):
    """A one-time sign-in link for a person, asked for in the chat or on the server."""

    __tablename__ = "dashboard_link"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    token_sha256: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DashboardSession(SQLModel, table=True):
    """A signed-in browser. ``locale`` is the language chosen on the pages (None: the
    default)."""

    __tablename__ = "dashboard_session"

    id: int | None = Field(default=None, primary_key=True)
    session_sha256: str = Field(max_length=64, unique=True)
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    locale: str | None = Field(default=None, max_length=8)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(_TOKEN_BYTES)


async def mint_link(session: AsyncSession, person_id: int, now: datetime) -> str:
    """A new one-time sign-in token for the person; only its digest is stored."""
    token = new_secret()
    session.add(
        DashboardLink(
            person_id=person_id,
            token_sha256=digest(token),
            created_at=now,
            expires_at=now + LINK_VALID_FOR,
        )
    )
    await session.flush()
    return token


class LinkOutcome(StrEnum):
    OK = "ok"
    UNKNOWN = "unknown"  # never minted (mistyped, forged)
    USED = "used"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Redeemed:
    outcome: LinkOutcome
    person_id: int | None = None


async def _link(session: AsyncSession, token: str, *, lock: bool) -> DashboardLink | None:
    if not 20 <= len(token) <= 100:
        return None
    query = select(DashboardLink).where(col(DashboardLink.token_sha256) == digest(token))
    found = await session.execute(query.with_for_update() if lock else query)
    return found.scalars().first()


def _outcome(link: DashboardLink | None, now: datetime) -> LinkOutcome:
    if link is None:
        return LinkOutcome.UNKNOWN
    if link.used_at is not None:
        return LinkOutcome.USED
    if link.expires_at <= now:
        return LinkOutcome.EXPIRED
    return LinkOutcome.OK


async def link_outcome(session: AsyncSession, token: str, now: datetime) -> LinkOutcome:
    """What using the link would give, without using it."""
    return _outcome(await _link(session, token, lock=False), now)


async def redeem_link(session: AsyncSession, token: str, now: datetime) -> Redeemed:
    """Use the link ``token`` names, once: the person it signs in, or why it does not."""
    link = await _link(session, token, lock=True)
    outcome = _outcome(link, now)
    if link is None or outcome is not LinkOutcome.OK:
        return Redeemed(outcome)
    link.used_at = now
    await session.flush()
    return Redeemed(LinkOutcome.OK, link.person_id)


async def start_session(
    session: AsyncSession, person_id: int, now: datetime, lasts: timedelta, locale: str | None
) -> str:
    """A new session for the person: its id, which only the browser keeps."""
    session_id = new_secret()
    started = DashboardSession(
        session_sha256=digest(session_id),
        person_id=person_id,
        created_at=now,
        expires_at=now + lasts,
        locale=locale,
    )
    session.add(started)
    await session.flush()
    # Who opened the pages that show everyone's data, and when (the breach report's "read").
    record(
        session,
        Actor.person(person_id),
        AuditAction.DASHBOARD_SIGNED_IN,
        event_id=None,
        target="dashboard_session",
        target_id=started.id,
        at=now,
    )
    return session_id


async def live_session(
    session: AsyncSession, session_id: str, now: datetime
) -> DashboardSession | None:
    """The session ``session_id`` names, if it is neither expired nor revoked."""
    found = await session.execute(
        select(DashboardSession).where(col(DashboardSession.session_sha256) == digest(session_id))
    )
    held = found.scalars().first()
    if held is None or held.revoked_at is not None or held.expires_at <= now:
        return None
    return held


async def revoke_session(session: AsyncSession, session_id: str, now: datetime) -> bool:
    held = await live_session(session, session_id, now)
    if held is None:
        return False
    held.revoked_at = now
    await session.flush()
    return True


async def remember_locale(session: AsyncSession, session_id: str, locale: str) -> None:
    found = await session.execute(
        select(DashboardSession).where(col(DashboardSession.session_sha256) == digest(session_id))
    )
    held = found.scalars().first()
    if held is not None:
        held.locale = locale
        await session.flush()


# How long ended links and sessions are kept (who signed in when) before they go.
KEEP_ENDED = timedelta(days=30)


async def prune(session: AsyncSession, now: datetime) -> None:
    """Forget links and sessions that ended more than KEEP_ENDED ago; run at each sign-in,
    so the tables stay small without a job of their own."""
    before = now - KEEP_ENDED
    await session.execute(delete(DashboardLink).where(col(DashboardLink.expires_at) < before))
    await session.execute(
        delete(DashboardSession).where(
            (col(DashboardSession.expires_at) < before)
            | (col(DashboardSession.revoked_at) < before)
        )
    )


SIGN_IN_PATH = "/dasbor/masuk"


def sign_in_url(public_base_url: str, token: str) -> str:
    """The link that signs in with ``token``, on the server at ``public_base_url``."""
    return f"{public_base_url.rstrip('/')}{SIGN_IN_PATH}/{token}"
