"""Broadcast delivery on WhatsApp: one announcement to N participants, sent by the
dispatcher within the number's rate (WHATSAPP_RATE, 80 a second by default) through the
real WhatsApp sender, against the fake Cloud API keeping that rate (130429 past it).

    python -m bench.whatsapp_broadcast --n 1000 [--rate 80] [--latency-ms 50]

A fresh temporary SQLite database gets the demo event and N registered participants on
WhatsApp; one broadcast to all of them is created and confirmed as /umumkan does it; the
dispatcher runs until the outbox is drained. Printed: time from the dispatcher's start
to the last message accepted, the floor (N / rate) and their ratio, 130429s received,
recipients not reached (lost) and reached twice (duplicates). The fake runs in this
process, on the same event loop as the bot: the figures are an upper bound.
"""

import argparse
import asyncio
import contextlib
import time
from collections import Counter
from datetime import timedelta

from bench.broadcast import broadcast_to_everyone, waiting
from bench.crowd import database, seed
from bot.channels.whatsapp_api import GraphClient
from bot.channels.whatsapp_parse import CHANNEL
from bot.channels.whatsapp_send import WhatsAppSender
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.rates import RateGate
from bot.logging import configure_logging
from models import outbox
from models.outbox import Status
from models.types import utcnow
from tests.fakes.whatsapp_api import FakeWhatsAppServer


def wa_id(chat: int) -> str:
    return f"62812{chat:08d}"


async def run(n: int, rate: float, latency: float) -> int:
    server = await FakeWhatsAppServer(latency=latency, rate_limit=rate).start()
    client = GraphClient(server.base_url, server.phone_number_id, server.token)
    try:
        async with database(None) as sessions:
            event_id = await seed(
                sessions, n, utcnow(), classes=False, channel=CHANNEL, address=wa_id
            )
            written = await broadcast_to_everyone(sessions, event_id)
            assert written == n, (written, n)
            gate = RateGate({CHANNEL: f"{rate:g}/second"}, {CHANNEL: "10/minute"})
            dispatcher = Dispatcher(
                sessions, [WhatsAppSender(client)], gate, poll_every=0.1, capacity=500,
                lease=timedelta(seconds=30),
            )  # fmt: skip
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
            async with sessions() as session:
                statuses = await outbox.counts(session)
    finally:
        await client.aclose()
        await server.stop()
    calls = server.of_kind("message")
    answered = [call for call in calls if call.status == 200]
    refusals = Counter(call.status for call in calls if call.status != 200)
    reached = Counter(call.to for call in answered)
    last = max((call.at for call in answered), default=started)
    seconds = last - started
    floor = n / rate
    lost = sum(number for status, number in statuses.items() if status != Status.SENT)
    duplicates = sum(1 for number in reached.values() if number > 1)
    print(f"WhatsApp broadcast to {n} people at {rate:g}/s, {latency * 1000:.0f} ms round trip")
    print(f"  time {seconds:.2f} s · floor {floor:.2f} s · ratio {seconds / floor:.3f}")
    print(f"  requests {len(calls)} · refused (by HTTP status) {dict(refusals)}")
    print(f"  lost {lost} · duplicates {duplicates}")
    return 1 if lost or duplicates else 0


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.whatsapp_broadcast")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=80.0)
    parser.add_argument("--latency-ms", type=int, default=50)
    args = parser.parse_args()
    configure_logging("WARNING")
    raise SystemExit(asyncio.run(run(args.n, args.rate, args.latency_ms / 1000)))


if __name__ == "__main__":
    main()
