"""Sends what the outbox holds, within each channel's rates, and records what happened.

Rows reach it two ways: the engine hands over the replies it has just written, already
claimed by this process (``take``), and ``run`` claims whatever else is due (reminders,
broadcasts, rows put back after a 429, rows whose dispatcher died). Each person's rows go
in order, one at a time; different people's go side by side, so one chat's 429 or slow
answer holds up nobody else. Outcomes are written in small batches. A row that updates a
live message edits the message sent before where the channel allows (``_edit``).

A channel with a window for free-form messages (WhatsApp: 24 hours after the person's last
message) gets notifications outside it as templates; one with no template configured for
the kind of message is ``held`` until the person writes again (``_send_windowed``).
"""

import asyncio
import contextlib
import contextvars
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime, timedelta

import structlog
from sqlalchemy.orm import Session

from bot.db import SessionMaker
from bot.delivery.rates import RateGate
from bot.delivery.sending import (
    Editor,
    Outcome,
    Pace,
    ReportingSender,
    Sender,
    SendResult,
    WindowedSender,
)
from handlers.outgoing import reply_of
from handlers.types import Reply
from models import live_message, outbox, outbox_claims
from models.outbox import FileToSend, Priority, Status
from models.outbox_claims import Claimed, Settled
from models.types import utcnow

log = structlog.get_logger(__name__)

# How long an update of a live message waits for an earlier one still in flight.
EDIT_WAIT = timedelta(seconds=1)


class Dispatcher:
    def __init__(
        self,
        sessions: SessionMaker,
        senders: Sequence[Sender],
        gate: RateGate,
        clock: Callable[[], datetime] = utcnow,
        *,
        lease: timedelta = timedelta(seconds=30),
        poll_every: float = 1.0,
        capacity: int = 200,
        max_attempts: int = 6,
        send_timeout: float = 60.0,
        flush_every: float = 0.02,
    ) -> None:
        self.sessions = sessions
        self._senders = {sender.channel: sender for sender in senders}
        self._gate = gate
        self._clock = clock
        self.lease = lease
        self._poll_every = poll_every
        self._capacity = capacity
        self._max_attempts = max_attempts
        self._send_timeout = send_timeout
        self._flush_every = flush_every
        self._queues: dict[int, deque[Claimed]] = {}  # by identity, in order
        self._drains: dict[int, asyncio.Task[None]] = {}
        self._held: set[int] = set()  # row ids claimed by this process, not yet settled
        self._in_gate: set[int] = set()  # people whose next message waits for its place
        self._settled: list[Settled] = []
        self._blocked: set[int] = set()  # identities found unreachable, to record
        self._windows_closed: set[int] = set()  # identities whose window closed, to record
        self._flushing: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._stopping = False
        self._files: OrderedDict[int, FileToSend] = OrderedDict()
        self._users = 0  # of ``running``: each channel of the process enters it
        self._running: asyncio.Task[None] | None = None

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(self._senders)

    # Rows in --------------------------------------------------------------------------

    def take(self, rows: Sequence[Claimed]) -> None:
        """Rows this process claimed already (the replies the engine just committed)."""
        for row in rows:
            if row.id in self._held:
                continue
            self._held.add(row.id)
            self._queues.setdefault(row.identity_id, deque()).append(row)
            self._idle.clear()
            if row.identity_id not in self._drains:
                # A context of its own: not the log context of the message that caused it.
                self._drains[row.identity_id] = asyncio.create_task(
                    self._drain(row.identity_id), context=contextvars.Context()
                )

    def wake(self) -> None:
        """Something new may be due: claim now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Claim and send what is due until stopped (``stop``) or cancelled."""
        renewed = self._clock()
        while not self._stopping:
            try:
                await self._claim()
                if self._clock() - renewed > self.lease / 3:
                    await self._renew()
                    renewed = self._clock()
            except Exception:
                log.exception("outbox_claim_failed")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll_every)

    async def _claim(self) -> None:
        room = self._capacity - len(self._held)
        if room <= 0 or not self._senders:
            return
        now = self._clock()
        async with self.sessions.begin() as session:
            rows = await session.run_sync(
                _claim_due, self.channels, now, now + self.lease, room, frozenset(self._held)
            )
        if rows:
            log.debug("outbox_claimed", rows=len(rows))
            self.take(rows)

    async def _renew(self) -> None:
        """Rows held longer than a third of the lease (waiting for their turn) keep it."""
        held = list(self._held)
        if held:
            until = self._clock() + self.lease
            async with self.sessions.begin() as session:
                await session.run_sync(_renew, held, until)

    # Sending --------------------------------------------------------------------------

    async def _drain(self, identity_id: int) -> None:
        queue = self._queues[identity_id]
        try:
            while queue and not self._stopping:
                row = queue[0]
                settled = await self._send(row)
                queue.popleft()
                self._record(settled)
                if settled.status is Status.PENDING:
                    # Waits (429, network): the rest of this person's rows wait with it,
                    # so that they still arrive in order.
                    while queue:
                        later = queue.popleft()
                        self._record(
                            Settled(later.id, Status.PENDING, settled.at, due_at=settled.due_at)
                        )
                elif settled.status is Status.BLOCKED:
                    while queue:
                        later = queue.popleft()
                        self._record(Settled(later.id, Status.BLOCKED, settled.at, error="blocked"))
        finally:
            if queue:  # stopping: not started, so for any dispatcher to send
                self._release([row.id for row in queue])
                queue.clear()
            del self._queues[identity_id]
            del self._drains[identity_id]
            if len(self._held) < self._capacity // 2:
                self._wake.set()

    async def _send(self, row: Claimed) -> Settled:
        now = self._clock()
        if row.expires_at is not None and now >= row.expires_at:
            log.info("outbox_expired", kind=row.kind, row=row.id)
            return Settled(row.id, Status.EXPIRED, now, row.parts_sent, error="expired")
        if row.unreachable and row.priority != Priority.REPLY:
            return Settled(row.id, Status.BLOCKED, now, row.parts_sent, error="blocked")
        sender = self._senders.get(row.channel)
        if sender is None:
            return Settled(row.id, Status.FAILED, now, row.parts_sent, error="no such channel")
        try:
            file = row.file
            if file is None and row.file_id is not None:
                file = await self._file(row.file_id)
            reply = reply_of(row.body, file)

            bulk = row.priority == Priority.BULK
            # Broadcast copies keep to a rate of their own where the channel has one.
            lane = f"{row.channel}:bulk"
            lane = lane if bulk and self._gate.has_lane(lane) else row.channel

            async def pace() -> None:
                self._in_gate.add(row.identity_id)
                try:
                    await self._gate.wait(
                        lane,
                        row.address,
                        row.priority,
                        per_chat=row.priority != Priority.REPLY,
                    )
                finally:
                    self._in_gate.discard(row.identity_id)

            original = live_message.edit_of(row.body)
            if isinstance(sender, WindowedSender):
                result = await asyncio.wait_for(
                    self._send_windowed(sender, row, reply, pace, now), self._send_timeout
                )
            elif original is None:
                result = await asyncio.wait_for(
                    sender.send(row.address, reply, skip=row.parts_sent, pace=pace, bulk=bulk),
                    self._send_timeout,
                )
            else:
                async with self.sessions() as session:
                    target = await live_message.target_of(
                        session, identity_id=row.identity_id, original_id=original, update_id=row.id
                    )
                if target.waiting:
                    due = now + EDIT_WAIT
                    return Settled(
                        row.id, Status.PENDING, now, row.parts_sent, due_at=due, uncount=True
                    )
                result = await asyncio.wait_for(
                    self._edit(sender, row, target.message_id, reply, pace), self._send_timeout
                )
        except Exception as exc:
            log.exception("outbox_send_failed", row=row.id)
            result = SendResult(Outcome.UNAVAILABLE, row.parts_sent, error=type(exc).__name__)
        return self._outcome(row, result)

    async def _send_windowed(
        self, sender: WindowedSender, row: Claimed, reply: Reply, pace: Pace, now: datetime
    ) -> SendResult:
        """Free-form inside the person's window, a template outside it. A reply answers a
        message just received: it is never a template (a reply the window closed on fails)."""
        notice = row.priority != Priority.REPLY
        since = row.window_since
        if notice and (since is None or now - since >= sender.window):
            return await sender.send_template(row.address, row.kind, reply, pace=pace)
        result = await sender.send(
            row.address, reply, skip=row.parts_sent, pace=pace, bulk=row.priority == Priority.BULK
        )
        if result.outcome is Outcome.WINDOW_CLOSED:
            # The window closed sooner than the person's last message says (their clock,
            # the platform's): noted, so that what follows goes as templates at once.
            self._windows_closed.add(row.identity_id)
            if notice and result.parts_sent == row.parts_sent:
                log.info("outbox_window_closed", channel=row.channel, row=row.id)
                return await sender.send_template(row.address, row.kind, reply, pace=pace)
        return result

    async def _edit(
        self, sender: Sender, row: Claimed, message_id: str | None, reply: Reply, pace: Pace
    ) -> SendResult:
        """An update of a live message: shown in place of ``message_id`` where the channel
        can, else as a new message (see ``models.live_message``)."""
        if message_id is not None and isinstance(sender, Editor):
            result = await sender.edit(row.address, message_id, reply, pace=pace)
            if result.outcome is not Outcome.NOT_EDITABLE:
                return result
            log.info("outbox_edit_sent_anew", channel=row.channel, row=row.id, error=result.error)
        return await sender.send(row.address, reply, skip=row.parts_sent, pace=pace)

    def _outcome(self, row: Claimed, result: SendResult) -> Settled:
        now = self._clock()
        parts = result.parts_sent
        match result.outcome:
            case Outcome.SENT:
                ids = ",".join(result.message_ids)
                reports = isinstance(self._senders.get(row.channel), ReportingSender)
                tracked = result.message_ids if reports else ()
                return Settled(
                    row.id,
                    Status.SENT,
                    now,
                    parts,
                    external_ids=ids,
                    tracked=tracked,
                    channel=row.channel,
                )
            case Outcome.NEEDS_TEMPLATE:
                log.info("outbox_held", channel=row.channel, kind=row.kind, row=row.id)
                return Settled(row.id, Status.HELD, now, parts, error="needs template")
            case Outcome.RETRY_AFTER:
                log.warning(
                    "outbox_rate_limited", channel=row.channel, retry_after=result.retry_after
                )
                due = now + timedelta(seconds=max(result.retry_after, 0.5))
                return Settled(
                    row.id, Status.PENDING, now, parts, result.error, due_at=due, uncount=True
                )
            case Outcome.BLOCKED:
                log.info("outbox_blocked", channel=row.channel, row=row.id)
                self._blocked.add(row.identity_id)
                return Settled(row.id, Status.BLOCKED, now, parts, error="blocked")
            case Outcome.REFUSED | Outcome.NOT_EDITABLE | Outcome.WINDOW_CLOSED:
                log.warning("outbox_refused", channel=row.channel, row=row.id, error=result.error)
                return Settled(row.id, Status.FAILED, now, parts, error=result.error)
        if row.attempts >= self._max_attempts:
            log.error("outbox_gave_up", channel=row.channel, row=row.id, error=result.error)
            return Settled(row.id, Status.FAILED, now, parts, error=result.error or "unavailable")
        backoff = timedelta(seconds=min(2**row.attempts, 60))
        return Settled(row.id, Status.PENDING, now, parts, result.error, due_at=now + backoff)

    async def _file(self, file_id: int) -> FileToSend | None:
        """A broadcast's document is read once, not once a recipient."""
        if file_id in self._files:
            self._files.move_to_end(file_id)
            return self._files[file_id]
        async with self.sessions() as session:
            stored = await outbox.load_file(session, file_id)
        if stored is None:
            return None
        file = FileToSend(stored.filename, stored.media_type, stored.content)
        self._files[file_id] = file
        if len(self._files) > 8:
            self._files.popitem(last=False)
        return file

    # Recording ------------------------------------------------------------------------

    def _record(self, settled: Settled) -> None:
        self._settled.append(settled)
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush_soon())

    def _release(self, ids: list[int]) -> None:
        now = self._clock()
        for row_id in ids:
            self._settled.append(Settled(row_id, Status.PENDING, now, due_at=now, uncount=True))

    async def _flush_soon(self) -> None:
        await asyncio.sleep(self._flush_every)
        await self._flush()

    async def _flush(self) -> None:
        while self._settled or self._blocked or self._windows_closed:
            batch, self._settled = self._settled, []
            blocked, self._blocked = self._blocked, set()
            closed, self._windows_closed = self._windows_closed, set()
            now = self._clock()
            try:
                async with self.sessions.begin() as session:
                    await session.run_sync(_write, batch, blocked, closed, now)
            except Exception:
                # Kept to try again: losing them would send those rows twice.
                log.exception("outbox_record_failed", rows=len(batch))
                self._settled[:0] = batch
                self._blocked |= blocked
                self._windows_closed |= closed
                await asyncio.sleep(1)
                continue
            self._held.difference_update(s.id for s in batch)
        if not self._held and not self._drains:
            self._idle.set()

    # Stopping -------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Sends while the channels take messages. Every channel of the process enters
        it; at the last one's exit, what is in flight finishes and the rest is put back
        for the next start."""
        self._users += 1
        if self._running is None:
            self._running = asyncio.create_task(self.run())
        try:
            yield
        finally:
            self._users -= 1
            if self._users == 0:
                running, self._running = self._running, None
                await self.stop()
                running.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await running

    async def settled(self) -> None:
        """Until everything held so far is sent (or put back) and recorded."""
        while True:
            await self._idle.wait()
            if self._flushing is not None:
                await self._flushing
            if self._idle.is_set() and not self._settled:
                return

    async def stop(self, grace: float = 5.0) -> None:
        """Stop claiming; let sends in flight finish (within ``grace`` seconds), put the
        rest back for the next start, and record everything."""
        self._stopping = True
        self._wake.set()
        # A message still waiting for its place is not in flight: it waits for the next
        # start (a reply in several messages may then repeat the ones already sent).
        for identity_id, task in self._drains.items():
            if identity_id in self._in_gate:
                task.cancel()
        drains = list(self._drains.values())
        if drains:
            _, late = await asyncio.wait(drains, timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        await self._flush()
        await self._gate.close()


def _claim_due(
    session: Session,
    channels: Sequence[str],
    now: datetime,
    lease_until: datetime,
    room: int,
    held: frozenset[int],
) -> list[Claimed]:
    rows = outbox_claims.claim_due(
        session, channels=channels, now=now, lease_until=lease_until, limit=room
    )
    # A row of ours whose claim ran out while it waited is ours still: never twice.
    return [row for row in rows if row.id not in held]


def _renew(session: Session, ids: list[int], until: datetime) -> None:
    outbox_claims.renew(session, ids, until)


def _write(
    session: Session, batch: list[Settled], blocked: set[int], closed: set[int], now: datetime
) -> None:
    outbox_claims.settle(session, batch)
    for identity_id in blocked:
        outbox_claims.mark_unreachable(session, identity_id, now)
    if closed:
        outbox_claims.mark_window_closed(session, closed, now)
