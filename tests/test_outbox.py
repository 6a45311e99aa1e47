"""The outbox and its dispatcher, with the real aiogram client against the fake Bot API
and real databases: what is stored, and what reaches each chat."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from aiogram import Bot
from sqlalchemy import select
from sqlmodel import col

from bot.channels.telegram import create_bot
from bot.channels.telegram_send import TelegramSender
from bot.db import SessionMaker
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.rates import RateGate
from handlers.outgoing import body_of
from handlers.types import Reply
from models import ChannelIdentity, OutboxMessage, outbox, outbox_claims
from models.outbox import Outgoing, Priority, Status
from models.types import utcnow
from tests.drivers import TelegramDriver
from tests.factories import someone
from tests.fakes.telegram_api import FakeTelegramServer, Fault

FORBIDDEN = Fault(403, "Forbidden: bot was blocked by the user")


@pytest.fixture
async def bot(telegram_server: FakeTelegramServer) -> AsyncIterator[Bot]:
    bot = create_bot(telegram_server.token, telegram_server.base_url)
    yield bot
    await bot.session.close()


def dispatcher(
    sessions: SessionMaker, bot: Bot, rate: str = "1000/second", capacity: int = 200
) -> Dispatcher:
    gate = RateGate({"telegram": rate}, {"telegram": "1000/second"})
    return Dispatcher(sessions, [TelegramSender(bot)], gate, poll_every=0.05, capacity=capacity)


async def identity_of(sessions: SessionMaker, chat: int) -> int:
    await someone(sessions, str(chat), channel="telegram")
    async with sessions() as session:
        found = await session.execute(
            select(col(ChannelIdentity.id)).where(col(ChannelIdentity.user_key) == str(chat))
        )
        identity_id = found.scalar_one()
        assert identity_id is not None
        return identity_id


async def notify(
    sessions: SessionMaker,
    chats: list[int],
    text: str,
    *,
    key: str = "note",
    priority: int = Priority.BULK,
    expires_at: datetime | None = None,
) -> None:
    """A notification to each chat, written as a broadcast or a reminder writes it."""
    identities = [await identity_of(sessions, chat) for chat in chats]
    now = utcnow()
    messages = [
        Outgoing(
            key=f"{key}:{identity}",
            identity_id=identity,
            channel="telegram",
            kind="test",
            body=body_of(Reply(text)),
            due_at=now,
            priority=priority,
            expires_at=expires_at,
        )
        for identity in identities
    ]
    async with sessions.begin() as session:
        await session.run_sync(outbox.enqueue, messages)


async def rows(sessions: SessionMaker) -> list[OutboxMessage]:
    async with sessions() as session:
        found = await session.execute(select(OutboxMessage).order_by(col(OutboxMessage.id)))
        return list(found.scalars())


@contextlib.asynccontextmanager
async def running(sender: Dispatcher) -> AsyncIterator[Dispatcher]:
    task = asyncio.create_task(sender.run())
    try:
        yield sender
    finally:
        await sender.stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def until(condition: object, within: float = 10) -> None:
    assert callable(condition)
    deadline = asyncio.get_running_loop().time() + within
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "not within time"
        await asyncio.sleep(0.02)


def texts_to(server: FakeTelegramServer, chat: int) -> list[str]:
    return [c.params["text"] for c in server.sent(chat)]


# Replies ------------------------------------------------------------------------------


async def test_a_reply_is_a_row_that_records_its_telegram_message(
    telegram_person: TelegramDriver, telegram_server: FakeTelegramServer
) -> None:
    await telegram_person.send("/start")
    sessions = telegram_person.channel_impl.dispatcher.sessions
    [row] = await rows(sessions)
    assert row.kind == "reply"
    assert row.status == Status.SENT
    assert row.attempts == 1
    assert len(telegram_server.sent(telegram_person.user_id)) == 1
    assert row.external_ids.isdigit()  # the message id Telegram gave it


async def test_a_redelivered_update_is_answered_once(
    telegram_person: TelegramDriver, telegram_server: FakeTelegramServer
) -> None:
    update_id, _ = await telegram_person.deliver(
        {"message": telegram_person._message(text="/start")}
    )
    await telegram_server.redeliver(update_id)
    await telegram_server.wait_handled(update_id)
    await telegram_person.until_sent()
    assert len(telegram_server.sent(telegram_person.user_id)) == 1
    assert len(await rows(telegram_person.channel_impl.dispatcher.sessions)) == 1


async def test_one_chats_429_holds_up_nobody_else(
    telegram_person: TelegramDriver, telegram_server: FakeTelegramServer
) -> None:
    other = telegram_person.another_person()
    telegram_server.rate_limit_chat(telegram_person.user_id, retry_after=8)
    update_id = await telegram_server.push({"message": telegram_person._message(text="/start")})
    await telegram_server.wait_handled(update_id)
    started = asyncio.get_running_loop().time()
    shown = await other.send("/start")
    assert asyncio.get_running_loop().time() - started < 2
    assert shown
    assert shown[0].text.startswith("Selamat datang")
    assert telegram_server.sent(telegram_person.user_id) == []  # still waiting its 8 s


# Notifications ---------------------------------------------------------------------------


async def test_every_notification_goes_once(
    sessions: SessionMaker, bot: Bot, telegram_server: FakeTelegramServer
) -> None:
    chats = list(range(9001, 9041))
    await notify(sessions, chats, "Pengumuman: kelas B pindah ke Ruang 2.")
    await notify(sessions, chats, "Pengumuman: kelas B pindah ke Ruang 2.")  # a second press
    async with running(dispatcher(sessions, bot)):
        await until(lambda: _all(sessions, Status.SENT, len(chats)))
    for chat in chats:
        assert texts_to(telegram_server, chat) == ["Pengumuman: kelas B pindah ke Ruang 2."]


async def _all(sessions: SessionMaker, status: Status, count: int) -> bool:
    found = await rows(sessions)
    return len(found) == count and all(r.status == status for r in found)


async def test_a_person_who_blocked_the_bot_is_not_sent_to_again(
    sessions: SessionMaker, bot: Bot, telegram_server: FakeTelegramServer
) -> None:
    telegram_server.fail_next("sendMessage", FORBIDDEN)
    await notify(sessions, [9100], "Pengingat pertama", key="first")
    async with running(dispatcher(sessions, bot)):
        await until(lambda: _all(sessions, Status.BLOCKED, 1))
        await notify(sessions, [9100], "Pengingat kedua", key="second")
        await until(lambda: _all(sessions, Status.BLOCKED, 2))
    assert texts_to(telegram_server, 9100) == []
    async with sessions() as session:
        identity = await session.get(ChannelIdentity, await identity_of(sessions, 9100))
        assert identity is not None
        assert identity.unreachable_at is not None


async def test_a_reminder_whose_moment_passed_is_dropped_not_sent_late(
    sessions: SessionMaker, bot: Bot, telegram_server: FakeTelegramServer
) -> None:
    past = utcnow() - timedelta(minutes=1)
    await notify(sessions, [9200], "Sesi dimulai 15 menit lagi", expires_at=past)
    async with running(dispatcher(sessions, bot)):
        await until(lambda: _all(sessions, Status.EXPIRED, 1))
    assert texts_to(telegram_server, 9200) == []


async def test_a_server_error_is_tried_again(
    sessions: SessionMaker, bot: Bot, telegram_server: FakeTelegramServer
) -> None:
    telegram_server.fail_next("sendMessage", Fault(502, "Bad Gateway"))
    await notify(sessions, [9300], "Sertifikat sudah bisa diunduh")
    async with running(dispatcher(sessions, bot)):
        await until(lambda: _all(sessions, Status.SENT, 1), within=15)
    assert texts_to(telegram_server, 9300) == ["Sertifikat sudah bisa diunduh"]
    [row] = await rows(sessions)
    assert row.attempts == 2


async def test_rows_of_a_dispatcher_that_died_go_out_after_its_claim_runs_out(
    sessions: SessionMaker, bot: Bot, telegram_server: FakeTelegramServer
) -> None:
    await notify(sessions, [9400, 9401], "Jadwal hari ini")
    now = utcnow()
    async with sessions.begin() as session:
        # Claimed by a process that was then killed: never sent, never settled.
        claimed = await session.run_sync(
            lambda s: outbox_claims.claim_due(
                s, channels=["telegram"], now=now, lease_until=now, limit=10
            )
        )
    assert len(claimed) == 2
    async with running(dispatcher(sessions, bot)):
        await until(lambda: _all(sessions, Status.SENT, 2))
    assert texts_to(telegram_server, 9400) == ["Jadwal hari ini"]
    assert all(row.attempts == 2 for row in await rows(sessions))  # the repeat is counted


async def test_a_stop_puts_back_what_was_not_started(
    sessions: SessionMaker, bot: Bot, telegram_server: FakeTelegramServer
) -> None:
    chats = list(range(9500, 9520))
    await notify(sessions, chats, "Pengumuman")
    slow = dispatcher(sessions, bot, rate="5/second")
    async with running(slow):
        await until(lambda: _some_sent(telegram_server))
    found = await rows(sessions)
    sent = [r for r in found if r.status == Status.SENT]
    waiting = [r for r in found if r.status == Status.PENDING]
    assert len(sent) + len(waiting) == len(chats)
    assert waiting, "the stop came before the end"
    assert all(r.attempts == 0 and r.claimed_until is None for r in waiting)
    assert len(telegram_server.sent()) == len(sent)
    async with running(dispatcher(sessions, bot)):  # the next start sends the rest
        await until(lambda: _all(sessions, Status.SENT, len(chats)))
    assert sorted(int(c.params["chat_id"]) for c in telegram_server.sent()) == chats


async def _some_sent(server: FakeTelegramServer) -> bool:
    return len(server.sent()) >= 3


async def test_a_reply_goes_before_a_broadcast_already_waiting(
    sessions: SessionMaker, bot: Bot, telegram_server: FakeTelegramServer
) -> None:
    """At 10 a second, 40 broadcast messages take four windows; a reply queued during
    the first goes out in the second, not after the 40."""
    await notify(sessions, list(range(9600, 9640)), "Pengumuman")
    sender = dispatcher(sessions, bot, rate="10/second")
    async with running(sender):
        await until(lambda: _some_sent(telegram_server))
        await notify(sessions, [9700], "Jawaban Anda", key="reply", priority=Priority.REPLY)
        sender.wake()
        await until(lambda: _sent_to(telegram_server, 9700))
        # The window's messages go side by side: the reply is one of the second ten.
        assert len(telegram_server.sent()) <= 20 + 1


async def _sent_to(server: FakeTelegramServer, chat: int) -> bool:
    return bool(server.sent(chat))


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_dispatchers_never_send_the_same_row(
    sessions: SessionMaker, bot: Bot, telegram_server: FakeTelegramServer
) -> None:
    chats = list(range(10_000, 10_300))
    await notify(sessions, chats, "Survei evaluasi sudah dibuka")
    first = dispatcher(sessions, bot, capacity=20)
    second = dispatcher(sessions, bot, capacity=20)
    async with running(first), running(second):
        await until(lambda: _all(sessions, Status.SENT, len(chats)), within=30)
    delivered = sorted(int(c.params["chat_id"]) for c in telegram_server.sent())
    assert delivered == chats


async def test_paid_broadcasts_say_so_and_keep_to_their_own_rate(
    sessions: SessionMaker, bot: Bot, telegram_server: FakeTelegramServer
) -> None:
    chats = list(range(9800, 9830))
    await notify(sessions, chats, "Pengumuman")
    gate = RateGate({"telegram": "1/second", "telegram:bulk": "1000/second"})
    paid = Dispatcher(sessions, [TelegramSender(bot, paid_broadcast=True)], gate, poll_every=0.05)
    async with running(paid):
        # At the bot's own rate of one a second, 30 copies would take half a minute.
        await until(lambda: _all(sessions, Status.SENT, len(chats)), within=5)
    assert {str(c.params.get("allow_paid_broadcast")).lower() for c in telegram_server.sent()} == {
        "true"
    }
