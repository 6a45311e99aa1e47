"""The fake Bot API behaves like Telegram under load, as the real aiogram client sees it."""

import asyncio
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import Message

from tests.fakes.telegram_api import FakeTelegramServer

ROOT = Path(__file__).resolve().parent.parent
ALICE, BUDI = 801, 802


def client(base_url: str, token: str) -> Bot:
    return Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(base_url)))


@pytest.fixture
async def bot(telegram_server: FakeTelegramServer) -> AsyncIterator[Bot]:
    bot = client(telegram_server.base_url, telegram_server.token)
    yield bot
    await bot.session.close()


async def timed(call: Awaitable[Any]) -> float:
    """The seconds ``call`` took; it must succeed."""
    started = time.monotonic()
    await call
    return time.monotonic() - started


async def test_latency_delays_every_answer_but_calls_wait_side_by_side(
    bot: Bot, telegram_server: FakeTelegramServer
) -> None:
    telegram_server.latency = 0.05
    assert await timed(bot.get_me()) >= 0.05

    sends = [bot.send_message(ALICE + i, "Halo") for i in range(100)]
    took = await timed(asyncio.gather(*sends))
    assert 0.05 <= took < 1.0  # one after another would take 5 s


async def test_sends_past_the_rate_are_refused_as_telegram_does(
    bot: Bot, telegram_server: FakeTelegramServer
) -> None:
    telegram_server.rate_limit = 30
    await bot.get_me()  # not a send: never refused nor counted
    answers = await asyncio.gather(
        *(bot.send_message(ALICE + i, f"Pesan {i}") for i in range(60)), return_exceptions=True
    )

    accepted = [a for a in answers if isinstance(a, Message)]
    refused = [a for a in answers if isinstance(a, TelegramRetryAfter)]
    assert (len(accepted), len(refused)) == (30, 30)
    assert all(r.retry_after >= 1 for r in refused)
    assert telegram_server.refused_for_rate == 30
    assert len(telegram_server.outbox()) == 30
    assert [c.ok for c in telegram_server.calls].count(False) == 30

    await asyncio.sleep(1.0)  # the window is a second long
    await bot.send_message(ALICE, "Sesudah jeda")
    assert len(telegram_server.outbox()) == 31


async def test_a_blocked_chat_is_forbidden_and_only_it(
    bot: Bot, telegram_server: FakeTelegramServer
) -> None:
    telegram_server.block_chat(ALICE)
    for _ in range(2):
        with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
            await bot.send_message(ALICE, "Halo")
    await bot.send_message(BUDI, "Halo")
    assert list(telegram_server.delivered()) == [BUDI]


async def test_a_chat_rate_limit_answers_that_chat_only_so_many_times(
    bot: Bot, telegram_server: FakeTelegramServer
) -> None:
    telegram_server.rate_limit_chat(ALICE, retry_after=8, times=2)
    for _ in range(2):
        with pytest.raises(TelegramRetryAfter) as refused:
            await bot.send_message(ALICE, "Halo")
        assert refused.value.retry_after == 8
        await bot.send_message(BUDI, "Halo")
    await bot.send_message(ALICE, "Halo")
    assert telegram_server.sent_texts(ALICE) == ["Halo"]
    assert telegram_server.sent_texts(BUDI) == ["Halo", "Halo"]
    assert telegram_server.refused_for_rate == 0  # counts only the bot-wide limit


async def test_a_slow_chat_delays_only_its_own_sends(
    bot: Bot, telegram_server: FakeTelegramServer
) -> None:
    telegram_server.slow_chat(ALICE, 0.3)
    slow, quick = await asyncio.gather(
        timed(bot.send_message(ALICE, "Halo")), timed(bot.send_message(BUDI, "Halo"))
    )
    assert slow >= 0.3
    assert quick < 0.2


async def test_sends_get_increasing_message_ids_that_the_calls_record(
    bot: Bot, telegram_server: FakeTelegramServer
) -> None:
    messages = [await bot.send_message(ALICE + i % 2, f"Pesan {i}") for i in range(4)]
    ids = [m.message_id for m in messages]
    assert ids == sorted(set(ids))
    assert [c.message_id for c in telegram_server.outbox()] == ids


async def test_counting_helpers(bot: Bot, telegram_server: FakeTelegramServer) -> None:
    for chat_id, text in [(ALICE, "Halo"), (BUDI, "Halo"), (ALICE, "Apa kabar"), (ALICE, "Halo")]:
        await bot.send_message(chat_id, text)
    delivered = telegram_server.delivered()
    assert [c.params["text"] for c in delivered[ALICE]] == ["Halo", "Apa kabar", "Halo"]
    assert telegram_server.sent_texts(BUDI) == ["Halo"]
    assert telegram_server.duplicates() == {ALICE}
    assert telegram_server.summary() == "accepted sends 4, 429s 0, duplicates 1"


@pytest.mark.subprocess
async def test_standalone_serves_until_sigterm_then_sums_up() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakes.telegram_api",
        "--port",
        "0",
        "--latency-ms",
        "10",
        "--rate",
        "30",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        started = (await asyncio.wait_for(process.stdout.readline(), 10)).decode().split()
        assert started[:3] == ["fake", "Bot", "API"]
        base_url, token = started[4], started[6]
        bot = client(base_url, token)
        try:
            sent = await bot.send_message(ALICE, "Halo")
        finally:
            await bot.session.close()
        assert sent.text == "Halo"
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(process.communicate(), 10)
    assert process.returncode == 0, stderr.decode()
    assert stdout.decode().strip() == "accepted sends 1, 429s 0, duplicates 0"
    assert not stderr
