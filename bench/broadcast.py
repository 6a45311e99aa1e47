"""Broadcast delivery: one announcement to N participants, sent by the dispatcher within
the Bot API's rate, against any Bot API server.

    TELEGRAM_API_BASE_URL=http://127.0.0.1:8081 TELEGRAM_BOT_TOKEN=... \\
        python -m bench.broadcast --n 1000
    python -m bench.broadcast --n 1000            # starts the fake Bot API itself:
                                                  # 50 ms round trip, 30 sends a second
    python -m bench.broadcast --drain-only        # sends what a killed run left
    python -m bench.broadcast --replies-during 10000   # reply latency, idle and broadcasting

A fresh database (``DATABASE_URL``, else a temporary SQLite file) gets the demo event and
N registered participants whose Telegram chat ids are 1..N; one broadcast to all of them
is created and confirmed with ``create_broadcast`` and ``confirm_broadcast``, as
``/umumkan`` does it; then the dispatcher runs until the
outbox is drained. Printed: total time from the dispatcher's start to the last message
accepted, the floor (N / rate), their ratio, the 429s received, the recipients not
reached (lost), and duplicates (recipients whose message was accepted more than once).
Then the dispatcher's own ceiling: the same against a fake server without a rate, the
dispatcher's rate raised to 1,000 a second.

``--replies-during N`` measures instead how long people asking /bantuan wait for the
first message of their answer, with the bot idle and while it broadcasts to N people.
"""

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select
from sqlmodel import col

from bench.crowd import database, seed
from bot.channels.telegram import TelegramChannel, create_bot
from bot.channels.telegram_send import CHANNEL, TelegramSender
from bot.db import SessionMaker
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.rates import RateGate
from bot.delivery.sending import Outcome, Pace, SendResult
from bot.engine import Engine
from bot.logging import configure_logging
from handlers.types import Reply
from models import OutboxMessage, outbox
from models.audience import Everyone
from models.broadcasts import confirm_broadcast, create_broadcast
from models.outbox import Status
from models.types import utcnow
from tests.fakes.telegram_api import FakeTelegramServer

ASKERS = 8
TEXT = (
    "Pengumuman: sesi praktik SLiMS hari ini pindah ke Ruang Mahakam 2, lantai 3. "
    "Mohon membawa laptop masing-masing."
)


@dataclass
class Counting:
    """The Telegram sender, counting outcomes: 429s, and messages accepted per chat."""

    inner: TelegramSender
    channel: str = CHANNEL
    outcomes: Counter[Outcome] = field(default_factory=Counter)
    accepted: Counter[str] = field(default_factory=Counter)
    last_accepted: float = 0.0

    async def send(
        self, address: str, reply: Reply, *, skip: int, pace: Pace, bulk: bool = False
    ) -> SendResult:
        result = await self.inner.send(address, reply, skip=skip, pace=pace, bulk=bulk)
        self.outcomes[result.outcome] += 1
        if result.outcome is Outcome.SENT:
            self.accepted[address] += 1
            self.last_accepted = time.monotonic()
        return result


@dataclass
class Drained:
    seconds: float
    outcomes: Counter[Outcome]
    lost: int
    duplicates: int


@contextlib.contextmanager
def fake_server(latency_ms: int, rate: float | None) -> Iterator[tuple[str, str]]:
    """The fake Bot API in a process of its own: its URL and token."""
    command = [sys.executable, "-m", "tests.fakes.telegram_api", "--port", "0"]
    command += ["--latency-ms", str(latency_ms)]
    if rate is not None:
        command += ["--rate", str(rate)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        words = process.stdout.readline().split()  # fake Bot API at URL token TOKEN
        yield words[4], words[6]
    finally:
        process.terminate()
        process.wait(10)


async def broadcast_to_everyone(sessions: SessionMaker, event_id: int) -> int:
    """The announcement to the whole event, created and confirmed as /umumkan does it;
    how many messages it wrote to the outbox."""
    now = utcnow()
    async with sessions.begin() as session:
        draft = await create_broadcast(
            session, event_id=event_id, author_id=None, text=TEXT, audience=Everyone(), now=now
        )
        assert draft.id is not None
        return await confirm_broadcast(session, draft.id, now)


async def drain(
    sessions: SessionMaker, api_url: str, token: str, rate: float, lease: float = 30
) -> Drained:
    """Run the dispatcher until nothing is waiting to be sent (rows a killed run had
    claimed: once their claim of ``lease`` seconds has run out)."""
    bot = create_bot(token, api_url)
    sender = Counting(TelegramSender(bot))
    gate = RateGate({CHANNEL: f"{rate:g}/second"}, {CHANNEL: f"{max(rate, 1):g}/second"})
    dispatcher = Dispatcher(
        sessions, [sender], gate, poll_every=0.1, capacity=500, lease=timedelta(seconds=lease)
    )
    started = time.monotonic()
    running = asyncio.create_task(dispatcher.run())
    try:
        while await waiting(sessions):  # noqa: ASYNC110 (the database is what tells)
            await asyncio.sleep(0.1)
    finally:
        await dispatcher.stop()
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await bot.session.close()
    async with sessions() as session:
        statuses = await outbox.counts(session)
    lost = sum(n for status, n in statuses.items() if status != Status.SENT)
    duplicates = sum(1 for n in sender.accepted.values() if n > 1)
    seconds = (sender.last_accepted or time.monotonic()) - started
    return Drained(seconds, sender.outcomes, lost, duplicates)


async def waiting(sessions: SessionMaker) -> int:
    async with sessions() as session:
        found = await session.execute(
            select(func.count())
            .select_from(OutboxMessage)
            .where(col(OutboxMessage.status).in_([Status.PENDING, Status.SENDING]))
        )
        return int(found.scalar_one())


async def run_once(
    url: str | None, api_url: str, token: str, n: int, rate: float, lease: float = 30
) -> Drained:
    async with database(url) as sessions:
        event_id = await seed(sessions, n, utcnow(), classes=False)
        recipients = await broadcast_to_everyone(sessions, event_id)
        assert recipients == n, (recipients, n)
        return await drain(sessions, api_url, token, rate, lease)


async def replies_while(broadcasting: bool, n: int, people: int, seconds: float) -> list[float]:
    """Reply latencies (update pushed → first message of the answer accepted) of ``people``
    sending /bantuan one after another for ``seconds``, to the whole bot (channel, engine,
    dispatcher) in this process, against a fake keeping Telegram's rate; with a broadcast
    to ``n`` participants under way, or with the bot idle."""
    server = await FakeTelegramServer(latency=0.05, rate_limit=30).start()
    latencies: list[float] = []
    try:
        async with database(None) as sessions:
            event_id = await seed(sessions, n, utcnow(), classes=False)
            if broadcasting:
                await broadcast_to_everyone(sessions, event_id)
            bot = create_bot(server.token, server.base_url)
            engine = Engine(sessions)
            dispatcher = Dispatcher(
                sessions, [TelegramSender(bot)], RateGate({CHANNEL: "30/second"}), poll_every=0.1
            )
            channel = TelegramChannel(bot, engine, 1, dispatcher=dispatcher)
            polling = asyncio.create_task(channel.poll())
            try:
                await asyncio.sleep(2)  # the broadcast is under way
                deadline = time.monotonic() + seconds
                await asyncio.gather(
                    *(
                        asker(server, n + 1 + person, deadline, latencies)
                        for person in range(people)
                    )
                )
            finally:
                channel.stop()
                await polling
                await bot.session.close()
    finally:
        await server.stop()
    return latencies


async def asker(
    server: FakeTelegramServer, chat: int, deadline: float, latencies: list[float]
) -> None:
    user = {"id": chat, "is_bot": False, "first_name": "P", "language_code": "id"}
    message_id = 0
    while time.monotonic() < deadline:
        message_id += 1
        before = len(server.sent(chat))
        update = {
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat, "type": "private"},
                "from": user,
                "text": "/bantuan",
            }
        }
        started = time.monotonic()
        await server.push(update)
        while len(server.sent(chat)) == before:  # noqa: ASYNC110 (the fake has no event)
            await asyncio.sleep(0.002)
        latencies.append(time.monotonic() - started)
        await asyncio.sleep(1)  # reads the answer


def percentile(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(title: str, n: int, rate: float, drained: Drained) -> None:
    floor = n / rate
    refused = drained.outcomes[Outcome.RETRY_AFTER]
    print(title)
    print(f"  recipients            {n}")
    print(f"  total s               {drained.seconds:.2f}")
    print(f"  floor s (N / rate)    {floor:.2f}")
    print(f"  ratio                 {drained.seconds / floor:.3f}")
    print(f"  429s received         {refused} ({100 * refused / n:.2f} %)")
    print(f"  failures              {drained.outcomes[Outcome.UNAVAILABLE]}")
    print(f"  lost                  {drained.lost}")
    print(f"  duplicates            {drained.duplicates}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="participants, all recipients")
    parser.add_argument("--rate", type=float, default=30.0, help="the dispatcher's sends/s")
    parser.add_argument("--latency-ms", type=int, default=50, help="of the fake started here")
    parser.add_argument("--drain-only", action="store_true", help="send what DATABASE_URL holds")
    parser.add_argument("--no-ceiling", action="store_true", help="skip the 1,000/s run")
    parser.add_argument(
        "--lease", type=float, default=30, help="seconds a dispatcher holds what it claimed"
    )
    parser.add_argument(
        "--replies-during",
        type=int,
        metavar="N",
        help="instead: reply latency idle and during a broadcast to N participants",
    )
    args = parser.parse_args()
    configure_logging("WARNING", "console")
    url = os.environ.get("DATABASE_URL") or None
    given = os.environ.get("TELEGRAM_API_BASE_URL"), os.environ.get("TELEGRAM_BOT_TOKEN")

    async def with_server(api_url: str, token: str) -> None:
        if args.drain_only:
            async with database(url) as sessions:
                drained = await drain(sessions, api_url, token, args.rate, args.lease)
            report("drained what was left", drained.outcomes[Outcome.SENT], args.rate, drained)
            return
        drained = await run_once(url, api_url, token, args.n, args.rate, args.lease)
        report(f"broadcast at {args.rate:g}/s", args.n, args.rate, drained)

    if args.replies_during:
        pass
    elif given[0] and given[1]:
        asyncio.run(with_server(given[0], given[1]))
    else:
        with fake_server(args.latency_ms, args.rate) as (api_url, token):
            print(f"fake Bot API: {args.latency_ms} ms round trip, {args.rate:g} sends/s")
            asyncio.run(with_server(api_url, token))
    if args.replies_during:
        # Eight people, each asking about once a second, want some 16 messages a second
        # (/bantuan answers a newcomer in two): within the bot's 30, with room to spare.
        idle = asyncio.run(replies_while(False, args.replies_during, ASKERS, 15))
        busy = asyncio.run(replies_while(True, args.replies_during, ASKERS, 15))
        print(f"replies by {ASKERS} people during a broadcast to {args.replies_during}")
        for name, found in (("idle", idle), ("broadcasting", busy)):
            p50, p99 = percentile(found, 50) * 1000, percentile(found, 99) * 1000
            print(f"  {name:<14} n={len(found)}  p50 {p50:.0f} ms  p99 {p99:.0f} ms")
        print(
            f"  p99 difference        {(percentile(busy, 99) - percentile(idle, 99)) * 1000:.0f} ms"
        )
        return
    if args.drain_only or args.no_ceiling:
        return
    with fake_server(args.latency_ms, None) as (api_url, token):
        drained = asyncio.run(run_once(None, api_url, token, args.n, 1000.0))
    report("the dispatcher's ceiling (no server rate, 1,000/s allowed)", args.n, 1000.0, drained)
    print(f"  messages/s            {args.n / drained.seconds:.1f}")


if __name__ == "__main__":
    main()
