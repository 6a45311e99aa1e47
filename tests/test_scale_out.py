"""Several bot workers in webhook mode on one PostgreSQL database, their rates held in
Redis: each update is answered once, and a batch of notifications reaches every chat
once, whichever worker sends it."""

import asyncio
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest
from sqlalchemy import select, text
from sqlmodel import col

from bot.db import create_engine, session_maker
from bot.delivery.rates import RateGate
from handlers.outgoing import body_of
from handlers.types import Reply
from models import ChannelIdentity, outbox
from models.outbox import Outgoing, Priority
from tests.fakes.telegram_api import FakeTelegramServer
from tests.postgres import throwaway_database

SECRET = "scale-out-test-secret-0123456789"
REDIS = "redis://127.0.0.1:6379"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def start_worker(
    database_url: str, server: FakeTelegramServer, port: int
) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "TELEGRAM_BOT_TOKEN": server.token,
        "TELEGRAM_API_BASE_URL": server.base_url,
        "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "WEBHOOK_LISTEN_PORT": str(port),
        "RATE_LIMIT_STORAGE": REDIS,
        "LOG_LEVEL": "WARNING",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", env=env, stderr=asyncio.subprocess.PIPE
    )


async def until_listening(port: int, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            assert time.monotonic() < deadline, f"no worker on port {port}"
            await asyncio.sleep(0.1)
            continue
        writer.close()
        await writer.wait_closed()
        return


def update(update_id: int, chat: int) -> dict[str, object]:
    user = {"id": chat, "is_bot": False, "first_name": "P", "language_code": "id"}
    message = {
        "message_id": update_id,
        "date": int(time.time()),
        "chat": {"id": chat, "type": "private"},
        "from": user,
        "text": "/bantuan",
    }
    return {"update_id": update_id, "message": message}


@pytest.fixture
async def database_url() -> AsyncIterator[str]:
    async with throwaway_database("bimtek_scale") as url:
        yield url


@pytest.mark.subprocess
async def test_two_webhook_workers_answer_and_notify_once(database_url: str) -> None:
    server = await FakeTelegramServer(latency=0.05).start()
    ports = [free_port(), free_port()]
    workers = [await start_worker(database_url, server, port) for port in ports]
    try:
        for port in ports:
            await until_listening(port)
        chats = list(range(1, 21))
        async with aiohttp.ClientSession() as http:
            for number, chat in enumerate(chats, 1):
                port = ports[number % 2]  # the load balancer's choice
                async with http.post(
                    f"http://127.0.0.1:{port}/telegram",
                    json=update(number, chat),
                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                ) as answer:
                    assert answer.status == 200
        await notify_everyone(database_url, "Kelas B pindah ke Ruang 2.")
        await until_all_sent(database_url)
        await asyncio.sleep(0.5)  # a duplicate would have arrived by now
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        errors = []
        for worker in workers:
            _, stderr = await asyncio.wait_for(worker.communicate(), 30)
            errors.append((worker.returncode, stderr.decode()))
        await server.stop()
    assert errors == [(0, ""), (0, "")]
    expected = await rows_per_chat(database_url)
    assert sorted(expected) == chats
    for chat in chats:
        texts = server.sent_texts(chat)
        assert len(texts) == expected[chat], (chat, texts)
        assert texts[-1] == "Kelas B pindah ke Ruang 2."
    assert server.duplicates() == set()


async def notify_everyone(database_url: str, words: str) -> None:
    """A notification to every identity, as a broadcast writes it, for the workers'
    dispatchers to find."""
    engine = create_engine(database_url)
    try:
        async with session_maker(engine).begin() as session:
            found = await session.execute(select(col(ChannelIdentity.id)))
            identities = found.scalars().all()
            now = datetime.now(UTC)
            messages = [
                Outgoing(
                    key=f"scale:{identity}",
                    identity_id=identity,
                    channel="telegram",
                    kind="broadcast",
                    body=body_of(Reply(words)),
                    due_at=now,
                    priority=Priority.BULK,
                )
                for identity in identities
                if identity is not None
            ]
            await session.run_sync(outbox.enqueue, messages)
    finally:
        await engine.dispose()


async def until_all_sent(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        deadline = time.monotonic() + 30
        while True:
            async with engine.connect() as connection:
                found = await connection.execute(
                    text("SELECT count(*) FROM outbox WHERE status <> 'sent'")
                )
                if found.scalar_one() == 0:
                    return
            assert time.monotonic() < deadline, "the outbox was not drained"
            await asyncio.sleep(0.1)
    finally:
        await engine.dispose()


async def rows_per_chat(database_url: str) -> dict[int, int]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            found = await connection.execute(
                text(
                    "SELECT channel_identity.address, count(*) FROM outbox"
                    " JOIN channel_identity ON channel_identity.id = outbox.identity_id"
                    " GROUP BY channel_identity.address"
                )
            )
            return {int(address): count for address, count in found.all()}
    finally:
        await engine.dispose()


async def test_rates_held_in_redis_hold_across_gates() -> None:
    """Two gates (two processes' worth) sharing Redis keep to one bot-wide rate."""
    namespace = f"bimtek-test-{time.monotonic_ns()}"
    gates = [RateGate({"telegram": "10/second"}, storage=REDIS, namespace=namespace) for _ in "ab"]
    started = time.monotonic()
    await asyncio.gather(
        *(gate.wait("telegram", str(n), 1, per_chat=False) for gate in gates for n in range(15))
    )
    # 30 messages at 10 a second: the first ten at once, the last ten two seconds later.
    assert time.monotonic() - started >= 1.9
    for gate in gates:
        await gate.close()
