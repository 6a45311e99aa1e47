"""Runs the conversation core for one inbound message, as one database transaction."""

import hashlib
import time
import weakref
from asyncio import Lock
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import structlog
from sqlalchemy import bindparam, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql import Executable
from sqlmodel import col, select

from bot.db import SessionMaker
from bot.delivery.dispatcher import Dispatcher
from handlers import router
from handlers.event_choice import remember_events
from handlers.flow import close_ended_flows, file_step, repeat_question
from handlers.i18n import Translator, supported
from handlers.outgoing import body_of, file_of
from handlers.registry import Registry, registry
from handlers.turn import Deployment, Turn
from handlers.types import Attachment, Inbound, InboundKind, Reply
from models import (
    ChannelIdentity,
    Conversation,
    Enrollment,
    Event,
    InboundMessage,
    Person,
    outbox,
    outbox_claims,
)
from models.outbox import Outgoing, Priority
from models.outbox_claims import Claimed
from models.people import events_of_now
from models.types import utcnow

log = structlog.get_logger(__name__)

# How stale the stored time of a person's last message may get before it is written
# again: WhatsApp's 24-hour window needs it to the minute, not to the message.
LAST_INBOUND_PRECISION = timedelta(minutes=1)
# Messages held for want of a template exist only for someone silent longer than a
# channel's window (or whose window the channel closed): after a shorter silence there is
# nothing to release, and the query is not run.
HELD_AFTER_SILENCE = timedelta(hours=1)


# Built once: composing a statement costs more than running it on SQLite.
_WHO = (
    select(ChannelIdentity, Person, Conversation)
    .join(Person, col(Person.id) == col(ChannelIdentity.person_id))
    .join(Conversation, col(Conversation.identity_id) == col(ChannelIdentity.id))
    .where(
        col(ChannelIdentity.channel) == bindparam("channel"),
        col(ChannelIdentity.user_key) == bindparam("user_key"),
    )
    .with_for_update()
)
# The conversation's columns that a turn may change.
WRITTEN = ("flow", "step", "paused_flow", "paused_step", "question", "state", "offered")


@cache
def _record_statement(dialect: str) -> Executable:
    """Insert a delivery's digest unless it is there already (then: a redelivery)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(InboundMessage)
        .values(
            channel=bindparam("channel"),
            external_id=bindparam("external_id"),
            received_at=bindparam("received_at"),
        )
        .on_conflict_do_nothing(index_elements=["channel", "external_id"])
    )


Found = tuple["Row[ChannelIdentity, Person, Conversation]", list[tuple[Event, Enrollment | None]]]


def _record_and_find(
    session: Session,
    inbound: Inbound,
    key: str,
    now: datetime,
    admins: frozenset[tuple[str, str]],
) -> tuple[bool, Found | None]:
    """Record the delivery (False: seen before) and find the identity, its person and
    its conversation, locked (None: someone new); note when they last wrote. The
    person's events come along: nearly every message asks for them."""
    connection = session.connection()
    recorded = connection.execute(
        _record_statement(connection.dialect.name),
        {"channel": inbound.channel, "external_id": key, "received_at": now},
    )
    if recorded.rowcount != 1:
        return False, None
    found = session.execute(_WHO, {"channel": inbound.channel, "user_key": inbound.user_key})
    row = found.first()
    if row is None:
        return True, None
    _note_inbound(session, row[0], inbound, now)
    every = (inbound.channel, inbound.user_key) in admins
    assert row[1].id is not None
    return True, (row, events_of_now(session, row[1].id, every=every))


def _note_inbound(
    session: Session, identity: ChannelIdentity, inbound: Inbound, now: datetime
) -> None:
    """The time of the person's last message on this channel, and the address to answer
    them at. Written straight, not through the ORM's flush, which costs far more."""
    changes: dict[str, Any] = {}
    last = identity.last_inbound_at
    if last is None or now - last >= LAST_INBOUND_PRECISION or now < last:
        changes["last_inbound_at"] = now
        if last is None or now - last >= HELD_AFTER_SILENCE or identity.window_closed_at:
            assert identity.id is not None
            released = outbox_claims.release_held(session, identity.id, now)
            if released:
                log.info("outbox_held_released", rows=released)
    if inbound.address and identity.address != inbound.address:
        changes["address"] = inbound.address
    if identity.unreachable_at is not None:
        changes["unreachable_at"] = None  # whoever writes has not blocked the bot
    if not changes:
        return
    table = ChannelIdentity.__table__  # type: ignore[attr-defined]
    session.connection().execute(update(table).where(table.c.id == identity.id).values(**changes))
    for name, value in changes.items():
        set_committed_value(identity, name, value)  # stored already: not for the flush


def delivery_id(inbound: Inbound) -> str:
    """A digest of the channel's delivery key: enough to spot a redelivery, while the
    table keeps no user id or phone number that a key may contain."""
    return hashlib.blake2b(inbound.message_key.encode(), digest_size=16).hexdigest()


def offered(replies: list[Reply]) -> list[list[str]]:
    """The buttons now in front of the person: those of the last message that has any."""
    for reply in reversed(replies):
        if reply.choices:
            return [
                [c.payload, c.label, c.meaning.value, "" if c.number is None else str(c.number)]
                for c in reply.choices
            ]
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
        features: Registry | None = None,
        handler: Callable[[Turn], Awaitable[None]] = router.handle,
    ) -> None:
        self.sessions = sessions
        self._handler = handler  # the conversation itself; a test may stand in for it
        self.clock = clock
        self._deployment = deployment or Deployment()
        self.features = features or registry()
        # Sends the replies this engine writes; set by whoever runs a channel.
        self.delivery: Dispatcher | None = None
        # Orders one person's messages inside this process; the row lock does it across
        # processes (PostgreSQL) and BEGIN IMMEDIATE does it on SQLite.
        self._locks: weakref.WeakValueDictionary[tuple[str, str], Lock] = (
            weakref.WeakValueDictionary()
        )

    def _lock(self, channel: str, user_key: str) -> Lock:
        key = (channel, user_key)
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = Lock()
        return lock

    async def handle(self, inbound: Inbound) -> list[Reply]:
        if "\x00" in inbound.text or "\x00" in inbound.choice:
            # No database stores NUL in text, and no person means it.
            inbound = replace(
                inbound,
                text=inbound.text.replace("\x00", ""),
                choice=inbound.choice.replace("\x00", ""),
            )
        started = time.perf_counter()
        async with self._lock(inbound.channel, inbound.user_key):
            try:
                replies, conversation_id = await self._handle(inbound)
            except Exception:
                log.exception("inbound_failed", channel=inbound.channel)
                return await self._apologise(inbound)
        log.debug(
            "inbound_handled",
            channel=inbound.channel,
            conversation_id=conversation_id,
            replies=len(replies) if replies is not None else "duplicate",
            ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return replies or []

    async def waiting_question(self, inbound: Inbound) -> list[Reply]:
        """The question this person was last asked and has not answered, asked again
        (after a restart, say); nothing when no question is waiting."""
        async with self._lock(inbound.channel, inbound.user_key):
            now = self.clock()
            async with self.sessions() as session, session.begin():
                turn, loaded = await self._turn(session, inbound, now)
                if turn.conversation.step is None:
                    return []
                await repeat_question(turn)
                await self._finish(turn, loaded)
                key = f"w:{turn.conversation.id}:{now.isoformat()}"
                claimed = await self._queue(session, turn.identity, turn.replies, key, now)
            self._hand_over(claimed)
            return turn.replies

    async def _handle(self, inbound: Inbound) -> tuple[list[Reply] | None, int | None]:
        """The replies (None for a duplicate delivery) and the conversation's id."""
        now = self.clock()
        if inbound.kind is InboundKind.FILE:
            await self._read_ahead(inbound, now)
        async with self.sessions() as session, session.begin():
            # Recording the delivery and finding who sent it, in one pass into the
            # database layer: each pass costs more than the statements themselves.
            key = delivery_id(inbound)
            recorded, found = await session.run_sync(
                _record_and_find, inbound, key, now, self._deployment.admins
            )
            if not recorded:
                return None, None
            turn, loaded = await self._turn(
                session, inbound, now, found=found[0] if found else None
            )
            if found is not None:
                remember_events(turn, found[1])
            with structlog.contextvars.bound_contextvars(conversation_id=turn.conversation.id):
                await self._handler(turn)
            await self._finish(turn, loaded)
            claimed = await self._queue(session, turn.identity, turn.replies, f"r:{key}", now)
        self._hand_over(claimed)
        if turn.later:
            return turn.replies + await self._after_commit(turn, key), turn.conversation.id
        return turn.replies, turn.conversation.id

    async def _after_commit(self, turn: Turn, key: str) -> list[Reply]:
        """The turn's work that waited for its commit (a file written in the writer
        process, away from the database), and its replies, stored and handed over in a
        short transaction of their own. Should the process stop in between, the turn is
        stored and its file is not: asking again writes it."""
        replies: list[Reply] = []
        for work in turn.later:
            replies += await work()
        if not replies:
            return []
        now = self.clock()
        async with self.sessions() as session, session.begin():
            identity = await session.get(ChannelIdentity, turn.identity.id)
            if identity is None:  # erased meanwhile: nobody to tell
                return []
            claimed = await self._queue(session, identity, replies, f"r:{key}:after", now)
        self._hand_over(claimed)
        return replies

    async def _queue(
        self,
        session: AsyncSession,
        identity: ChannelIdentity,
        replies: Sequence[Reply],
        key: str,
        now: datetime,
    ) -> list[Claimed]:
        """Write the replies to the outbox, in the transaction that decided them. With a
        dispatcher in this process they are written claimed by it, to go out as soon as
        the transaction commits; without one (a test of the engine alone, a CLI), any
        dispatcher sends them."""
        assert identity.id is not None
        messages = [
            Outgoing(
                key=f"{key}:{index}",
                identity_id=identity.id,
                channel=identity.channel,
                kind="reply",
                body=body_of(reply),
                due_at=now,
                file=file_of(reply),
            )
            for index, reply in enumerate(replies)
        ]
        delivery = self.delivery
        claim_until = now + delivery.lease if delivery is not None else None
        ids = await session.run_sync(outbox.enqueue, messages, claim_until=claim_until)
        if delivery is None or len(ids) != len(messages):
            return []  # (a key seen before: those replies were handed over then)
        return [
            Claimed(
                id=row_id,
                identity_id=identity.id,
                channel=identity.channel,
                address=identity.address,
                kind="reply",
                priority=Priority.REPLY,
                body=message.body,
                file_id=None,
                expires_at=None,
                attempts=1,
                parts_sent=0,
                unreachable=False,
                file=message.file,
            )
            for row_id, message in zip(ids, messages, strict=True)
        ]

    def _hand_over(self, claimed: list[Claimed]) -> None:
        if claimed and self.delivery is not None:
            self.delivery.take(claimed)

    async def _read_ahead(self, inbound: Inbound, now: datetime) -> None:
        """Parse a file before the transaction that handles it, so that nobody else's
        message waits on the database while it is read. Who sent it, and whether a
        feature wants it, is asked in a short transaction of its own, rolled back."""
        attachment = inbound.attachment
        if attachment is None or attachment.content is None:
            return
        read: Callable[[Attachment], Awaitable[None]] | None = None
        async with self.sessions() as session:
            turn, _ = await self._turn(session, inbound, now)
            # A question that takes files takes this one (see handlers.router), and reads
            # it ahead itself.
            step = file_step(turn)
            if step is not None:
                read = step.read_ahead
            else:
                for candidate in self.features.read_ahead:
                    if await candidate.wanted(turn):
                        read = candidate.read
                        break
            await session.rollback()
        if read is not None:
            await read(attachment)

    async def _finish(self, turn: Turn, loaded: dict[str, Any]) -> None:
        """Write the conversation back: the columns that changed, if any. The engine is
        its only writer, so a plain UPDATE does what the ORM's flush would, for less."""
        await close_ended_flows(turn)
        turn.save_states()
        conversation = turn.conversation
        conversation.offered = offered(turn.replies)
        changed = {
            name: getattr(conversation, name)
            for name, value in loaded.items()
            if getattr(conversation, name) != value
        }
        if changed:
            conversation.updated_at = turn.now
            connection = await turn.session.connection()
            table = Conversation.__table__  # type: ignore[attr-defined]
            await connection.execute(
                update(table)
                .where(table.c.id == conversation.id)
                .values(updated_at=turn.now, **changed)
            )

    async def _turn(
        self,
        session: AsyncSession,
        inbound: Inbound,
        now: datetime,
        *,
        found: "Row[ChannelIdentity, Person, Conversation] | None" = None,
    ) -> tuple[Turn, dict[str, Any]]:
        """The turn, and the conversation's columns as loaded (to write back changes)."""
        if found is not None:
            identity, person, conversation = found
        else:
            identity, person, conversation = await self._load(session, inbound, now)
        session.expunge(conversation)
        # The JSON columns are replaced, never changed in place (Turn.save_states, offered),
        # so the values as loaded are kept as they are to compare with.
        loaded = {name: getattr(conversation, name) for name in WRITTEN}
        turn = Turn(
            inbound=inbound,
            identity=identity,
            person=person,
            conversation=conversation,
            session=session,
            now=now,
            deployment=self._deployment,
            registry=self.features,
        )
        return turn, loaded

    async def _apologise(self, inbound: Inbound) -> list[Reply]:
        """Say, in the person's language, that their message could not be handled: in
        the outbox like any reply (the failed transaction took nothing with it)."""
        now = self.clock()
        try:
            async with self.sessions() as session, session.begin():
                identity, person, _ = await self._load(session, inbound, now)
                locale = supported(person.locale or inbound.language_hint)
                apology = [Reply(Translator(locale)("error.internal"))]
                key = f"e:{delivery_id(inbound)}"
                claimed = await self._queue(session, identity, apology, key, now)
        except Exception:
            log.exception("apology_failed", channel=inbound.channel)
            return [Reply(Translator(supported(inbound.language_hint))("error.internal"))]
        self._hand_over(claimed)
        return apology

    async def _load(
        self, session: AsyncSession, inbound: Inbound, now: datetime
    ) -> tuple[ChannelIdentity, Person, Conversation]:
        """The identity, its person and its conversation, locked for this transaction;
        created at the first message (a person without any personal data yet)."""
        who = {"channel": inbound.channel, "user_key": inbound.user_key}
        found = (await session.execute(_WHO, who)).first()
        if found is None:
            try:
                async with session.begin_nested():
                    await self._create(session, inbound, now)
            except IntegrityError:
                pass  # another process created them first: theirs are as good
            found = (await session.execute(_WHO, who)).one()
        identity, person, conversation = found
        return identity, person, conversation

    @staticmethod
    async def _create(session: AsyncSession, inbound: Inbound, now: datetime) -> None:
        """A person and identity for someone new; a conversation for an identity that has
        none yet (one known only from a role given before they wrote)."""
        known = await session.execute(
            select(ChannelIdentity).where(
                col(ChannelIdentity.channel) == inbound.channel,
                col(ChannelIdentity.user_key) == inbound.user_key,
            )
        )
        identity = known.scalars().first()
        if identity is None:
            person = Person(created_at=now, updated_at=now)
            session.add(person)
            await session.flush()
            assert person.id is not None
            identity = ChannelIdentity(
                person_id=person.id,
                channel=inbound.channel,
                user_key=inbound.user_key,
                address=inbound.address or inbound.user_key,
                last_inbound_at=now,
                created_at=now,
            )
            session.add(identity)
            await session.flush()
        assert identity.id is not None
        session.add(Conversation(identity_id=identity.id, updated_at=now))
        await session.flush()
