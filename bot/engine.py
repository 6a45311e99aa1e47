"""Runs the conversation core for one inbound message, as one database transaction."""

import hashlib
import time
import weakref
from asyncio import Lock
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

import structlog
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.db import SessionMaker
from handlers import router
from handlers.i18n import Translator, supported
from handlers.turn import Deployment, Turn
from handlers.types import Inbound, Reply
from models import Conversation, InboundMessage
from models.types import utcnow

log = structlog.get_logger(__name__)


def _insert(session: AsyncSession, table: type[InboundMessage] | type[Conversation]) -> object:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def delivery_id(inbound: Inbound) -> str:
    """A digest of the channel's delivery key: enough to spot a redelivery, while the
    table keeps no user id or phone number that a key may contain."""
    return hashlib.blake2b(inbound.message_key.encode(), digest_size=16).hexdigest()


def offered(replies: list[Reply]) -> list[list[str]]:
    """The buttons now in front of the person: those of the last message that has any."""
    for reply in reversed(replies):
        if reply.choices:
            return [[choice.payload, choice.label] for choice in reply.choices]
    return []


class Engine:
    """Record the message, lock the conversation, run the handler, commit; then reply.

    A delivery seen before (same channel and message key) is dropped, so a redelivered
    update is handled once. Replies are returned only after the commit, so nothing is
    said that was not stored.
    """

    def __init__(
        self,
        sessions: SessionMaker,
        clock: Callable[[], datetime] = utcnow,
        deployment: Deployment | None = None,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._deployment = deployment or Deployment()
        # Orders one person's messages inside this process; the row lock does it across
        # processes (PostgreSQL) and BEGIN IMMEDIATE does it on SQLite.
        self._locks: weakref.WeakValueDictionary[tuple[str, str], Lock] = (
            weakref.WeakValueDictionary()
        )

    async def handle(self, inbound: Inbound) -> list[Reply]:
        if "\x00" in inbound.text or "\x00" in inbound.choice:
            # No database stores NUL in text, and no person means it.
            inbound = replace(
                inbound,
                text=inbound.text.replace("\x00", ""),
                choice=inbound.choice.replace("\x00", ""),
            )
        key = (inbound.channel, inbound.user_key)
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = Lock()
        started = time.perf_counter()
        async with lock:
            try:
                replies, conversation_id = await self._handle(inbound)
            except Exception:
                log.exception("inbound_failed", channel=inbound.channel)
                return [Reply(Translator(await self._locale(inbound))("error.internal"))]
        log.debug(
            "inbound_handled",
            channel=inbound.channel,
            conversation_id=conversation_id,
            replies=len(replies) if replies is not None else "duplicate",
            ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return replies or []

    async def _handle(self, inbound: Inbound) -> tuple[list[Reply] | None, int | None]:
        """The replies (None for a duplicate delivery) and the conversation's id."""
        now = self._clock()
        async with self._sessions() as session, session.begin():
            if not await self._record(session, inbound, now):
                return None, None
            conversation = await self._conversation(session, inbound, now)
            turn = Turn(
                inbound=inbound,
                conversation=conversation,
                session=session,
                now=now,
                deployment=self._deployment,
            )
            with structlog.contextvars.bound_contextvars(conversation_id=conversation.id):
                await router.handle(turn)
            conversation.offered = offered(turn.replies)
            conversation.updated_at = now
        return turn.replies, conversation.id

    async def _locale(self, inbound: Inbound) -> str:
        """The person's chosen language, for an apology when their message failed."""
        try:
            async with self._sessions() as session:
                chosen = await session.execute(
                    select(Conversation.locale).where(
                        col(Conversation.channel) == inbound.channel,
                        col(Conversation.user_key) == inbound.user_key,
                    )
                )
                return supported(chosen.scalar() or inbound.language_hint)
        except Exception:
            return supported(inbound.language_hint)

    async def _record(self, session: AsyncSession, inbound: Inbound, now: datetime) -> bool:
        insert = _insert(session, InboundMessage)
        result = await session.execute(
            insert.values(  # type: ignore[attr-defined]
                channel=inbound.channel, external_id=delivery_id(inbound), received_at=now
            ).on_conflict_do_nothing()
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def _conversation(
        self, session: AsyncSession, inbound: Inbound, now: datetime
    ) -> Conversation:
        query = (
            select(Conversation)
            .where(
                col(Conversation.channel) == inbound.channel,
                col(Conversation.user_key) == inbound.user_key,
            )
            .with_for_update()
        )
        conversation = (await session.execute(query)).scalars().first()
        if conversation is None:
            insert = _insert(session, Conversation)
            await session.execute(
                insert.values(  # type: ignore[attr-defined]
                    channel=inbound.channel, user_key=inbound.user_key, data={}, updated_at=now
                ).on_conflict_do_nothing()
            )
            conversation = (await session.execute(query)).scalars().one()
        return conversation
