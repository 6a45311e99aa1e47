"""The bot as its own process, stopped or killed in the middle of a batch: every update
is answered, by rows in the outbox, once (a send in flight at a kill may repeat)."""

import asyncio
import os
import signal
import sqlite3
import sys
import time
from pathlib import Path

import pytest

from tests.fakes.telegram_api import FakeTelegramServer

pytestmark = pytest.mark.subprocess
ROOT = Path(__file__).resolve().parents[1]

PEOPLE = 12
COMMANDS = ("/bantuan", "/help", "/bantuan", "/help")


def update(chat: int, message_id: int, text: str) -> dict[str, object]:
    user = {"id": chat, "is_bot": False, "first_name": "P", "language_code": "id"}
    return {
        "message": {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat, "type": "private"},
            "from": user,
            "text": text,
        }
    }


async def start_bot(database: Path, server: FakeTelegramServer) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "TELEGRAM_BOT_TOKEN": server.token,
        "TELEGRAM_API_BASE_URL": server.base_url,
        "TELEGRAM_POLL_TIMEOUT": "1",
        "OUTBOX_LEASE_SECONDS": "2",
        "LOG_LEVEL": os.environ.get("DBG_LEVEL", "WARNING"),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", env=env, cwd=database.parent, stderr=asyncio.subprocess.PIPE
    )


def stored(database: Path) -> tuple[int, dict[str, int]]:
    """Updates recorded as handled, and outbox rows by status."""
    with sqlite3.connect(database) as connection:
        handled = connection.execute("SELECT count(*) FROM inboundmessage").fetchone()[0]
        rows = dict(connection.execute("SELECT status, count(*) FROM outbox GROUP BY status"))
    return handled, rows


def rows_per_chat(database: Path) -> dict[int, int]:
    with sqlite3.connect(database) as connection:
        found = connection.execute(
            "SELECT channel_identity.address, count(*) FROM outbox"
            " JOIN channel_identity ON channel_identity.id = outbox.identity_id"
            " GROUP BY channel_identity.address"
        )
        return {int(address): count for address, count in found}


def finished(database: Path, updates: int) -> bool:
    """Every update handled, and every message it caused sent."""
    if not database.exists():
        return False
    try:
        handled, rows = stored(database)
    except sqlite3.OperationalError:  # the bot is still creating the tables
        return False
    return handled == updates and set(rows) == {"sent"}


async def until(condition: object, within: float = 60) -> None:
    assert callable(condition)
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "not within time"
        await asyncio.sleep(0.1)


async def push_round(server: FakeTelegramServer, first_message: int) -> None:
    """Everyone sends the commands, one round after another."""
    for number, command in enumerate(COMMANDS, first_message):
        for chat in range(1, PEOPLE + 1):
            await server.push(update(chat, number, command))


async def test_stopped_then_killed_in_the_middle_every_reply_comes_once(tmp_path: Path) -> None:
    """SIGTERM in the middle of a batch loses and repeats nothing; after kill -9 in the
    middle of the next, everything still comes, and only a send in flight at the kill
    may repeat (at most one per chat)."""
    server = await FakeTelegramServer(latency=0.1, max_poll_wait=0.5).start()
    database = tmp_path / "bimtek.sqlite3"
    updates = PEOPLE * len(COMMANDS)
    bot = await start_bot(database, server)
    try:
        await push_round(server, 1)
        await until(lambda: len(server.sent()) >= 10)
        bot.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(bot.communicate(), 30)
        assert bot.returncode == 0, stderr.decode()
        bot = await start_bot(database, server)
        await until(lambda: finished(database, updates))
        after_sigterm = rows_per_chat(database)
        assert sorted(after_sigterm) == list(range(1, PEOPLE + 1))
        assert {c: len(calls) for c, calls in server.delivered().items()} == after_sigterm

        sent_before = len(server.sent())
        await push_round(server, len(COMMANDS) + 1)
        await until(lambda: len(server.sent()) >= sent_before + 10)
        bot.kill()
        await bot.wait()
        bot = await start_bot(database, server)
        await until(lambda: finished(database, 2 * updates))
    finally:
        if bot.returncode is None:
            bot.send_signal(signal.SIGTERM)
            await asyncio.wait_for(bot.communicate(), 30)
        await server.stop()
    delivered = server.delivered()
    for chat, count in rows_per_chat(database).items():
        assert count <= len(delivered[chat]) <= count + 1, chat


async def test_a_broadcast_killed_midway_reaches_everyone_once(tmp_path: Path) -> None:
    """bench.broadcast sends to 150 people at 50 a second and is killed after some went;
    its --drain-only sends the rest: every recipient has one sent row, and only a send in
    flight at the kill may have reached its chat twice."""
    server = await FakeTelegramServer(latency=0.05).start()
    database = tmp_path / "broadcast.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "TELEGRAM_API_BASE_URL": server.base_url,
        "TELEGRAM_BOT_TOKEN": server.token,
    }
    command = [sys.executable, "-m", "bench.broadcast", "--rate", "50", "--lease", "2"]
    try:
        sending = await asyncio.create_subprocess_exec(
            *command, "--n", "150", "--no-ceiling", env=env, cwd=ROOT
        )
        await until(lambda: len(server.sent()) >= 40)
        sending.kill()
        await sending.wait()
        reached = len(server.sent())
        assert reached < 150, "killed too late to prove anything"
        draining = await asyncio.create_subprocess_exec(
            *command, "--drain-only", env=env, cwd=ROOT, stdout=asyncio.subprocess.PIPE
        )
        printed, _ = await asyncio.wait_for(draining.communicate(), 60)
        assert draining.returncode == 0
        assert b"lost                  0" in printed
    finally:
        await server.stop()
    with sqlite3.connect(database) as connection:
        rows = dict(connection.execute("SELECT status, count(*) FROM outbox GROUP BY status"))
    assert rows == {"sent": 150}
    delivered = server.delivered()
    assert sorted(delivered) == list(range(1, 151))
    repeats = {chat: len(calls) for chat, calls in delivered.items() if len(calls) > 1}
    assert all(count == 2 for count in repeats.values()), repeats
    assert len(repeats) <= 10  # the sends in flight at the kill, at 50 a second
