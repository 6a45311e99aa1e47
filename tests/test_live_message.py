"""A live message (one that changes in place as answers come in), with the real aiogram
client against the fake Bot API, and on the console: what the chat shows, and how few
calls it takes."""

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aiogram import Bot
from sqlalchemy import select
from sqlmodel import col

from bot.channels.console import ConsoleSender
from bot.channels.telegram import create_bot
from bot.channels.telegram_send import TelegramSender
from bot.db import SessionMaker
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.rates import RateGate
from bot.delivery.sending import Outcome, Pace, Sender, SendResult
from handlers.outgoing import body_of
from handlers.types import Choice, Reply
from models import ChannelIdentity, OutboxMessage
from models.live_message import EDIT_OF, UPDATE_KIND, start_live, update_live
from models.outbox import UNSENT, Status
from models.types import utcnow
from tests.factories import someone
from tests.fakes.telegram_api import FakeTelegramServer, Fault

CHAT = 7301
CLOSE = Choice("qf:close", "⛔ Tutup umpan balik")
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


class Clock:
    """The dispatcher's time, moved by the test: an update is due only when it says."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def pass_(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


def results(answers: int) -> Reply:
    return Reply(f"📊 Umpan balik sesi Advokasi: {answers} jawaban", choices=(CLOSE,))


@pytest.fixture
async def bot(telegram_server: FakeTelegramServer) -> AsyncIterator[Bot]:
    bot = create_bot(telegram_server.token, telegram_server.base_url)
    yield bot
    await bot.session.close()


@contextlib.asynccontextmanager
async def dispatching(
    sessions: SessionMaker, sender: Sender, clock: Clock
) -> AsyncIterator[Dispatcher]:
    gate = RateGate({sender.channel: "1000/second"}, {sender.channel: "1000/second"})
    dispatcher = Dispatcher(sessions, [sender], gate, clock, poll_every=0.02)
    task = asyncio.create_task(dispatcher.run())
    try:
        yield dispatcher
    finally:
        await dispatcher.stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def identity_of(sessions: SessionMaker, user_key: str, channel: str) -> int:
    await someone(sessions, user_key, channel=channel)
    async with sessions() as session:
        found = await session.execute(
            select(col(ChannelIdentity.id)).where(col(ChannelIdentity.user_key) == user_key)
        )
        identity_id = found.scalar_one()
        assert identity_id is not None
        return identity_id


class Live:
    """A trainer's live results message, written as the feature writes it: the original
    in one transaction, each participant's answer updating it in one of its own."""

    def __init__(self, sessions: SessionMaker, identity_id: int, channel: str) -> None:
        self.sessions = sessions
        self.identity_id = identity_id
        self.channel = channel
        self.original_id = 0

    async def start(self, reply: Reply, now: datetime) -> int:
        async with self.sessions.begin() as session:
            self.original_id = await start_live(
                session,
                key="qf:1:results",
                identity_id=self.identity_id,
                channel=self.channel,
                body=body_of(reply),
                now=now,
            )
        return self.original_id

    async def update(self, reply: Reply, now: datetime) -> int:
        async with self.sessions.begin() as session:
            return await update_live(
                session,
                original_id=self.original_id,
                identity_id=self.identity_id,
                channel=self.channel,
                body=body_of(reply),
                now=now,
                key_prefix="qf:1:results",
            )


async def rows(sessions: SessionMaker) -> list[OutboxMessage]:
    async with sessions() as session:
        found = await session.execute(select(OutboxMessage).order_by(col(OutboxMessage.id)))
        return list(found.scalars())


async def until(condition: Callable[[], Awaitable[bool]], within: float = 5) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "not within time"
        await asyncio.sleep(0.01)


def all_sent(sessions: SessionMaker, count: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        found = await rows(sessions)
        return len(found) == count and all(r.status not in UNSENT for r in found)

    return check


async def test_answers_in_bursts_update_one_message_in_a_few_edits(
    sessions: SessionMaker, bot: Bot, telegram_server: FakeTelegramServer
) -> None:
    clock = Clock()
    live = Live(sessions, await identity_of(sessions, str(CHAT), "telegram"), "telegram")
    async with dispatching(sessions, TelegramSender(bot), clock) as dispatcher:
        original = await live.start(results(0), clock.now)
        dispatcher.wake()
        await until(all_sent(sessions, 1))
        # Ten answers within a second: one update row, due 1.5 s after the first.
        update_ids = {await live.update(results(n), clock.pass_(0.1)) for n in range(1, 11)}
        assert len(update_ids) == 1
        [waiting] = [r for r in await rows(sessions) if r.status == Status.PENDING]
        assert waiting.body[EDIT_OF] == original
        assert waiting.body["text"] == results(10).text
        assert waiting.due_at == clock.now - timedelta(seconds=0.9) + timedelta(seconds=1.5)
        clock.pass_(1)
        dispatcher.wake()
        await until(all_sent(sessions, 2))
        # Five more, after that edit went out: a second update row.
        for n in range(11, 16):
            await live.update(results(n), clock.pass_(0.1))
        clock.pass_(2)
        dispatcher.wake()
        await until(all_sent(sessions, 3))

    found = await rows(sessions)
    assert [r.status for r in found] == [Status.SENT] * 3
    assert [r.kind for r in found] == ["live", UPDATE_KIND, UPDATE_KIND]
    message_id = int(found[0].external_ids)
    assert [int(r.external_ids) for r in found] == [message_id] * 3  # the same message
    assert telegram_server.chat(CHAT) == ["📊 Umpan balik sesi Advokasi: 15 jawaban"]
    assert len(telegram_server.sent(CHAT)) == 1
    edits = telegram_server.edits(CHAT)
    assert [(e.ok, int(e.params["message_id"])) for e in edits] == [(True, message_id)] * 2
    # The buttons stay under the edited message.
    shown = telegram_server.messages[(CHAT, message_id)]
    assert shown["reply_markup"]["inline_keyboard"] == [
        [{"text": "⛔ Tutup umpan balik", "callback_data": "qf:close"}]
    ]


@sqlite_only
async def test_an_update_before_the_original_went_out_is_the_original(
    sessions: SessionMaker, bot: Bot, telegram_server: FakeTelegramServer
) -> None:
    clock = Clock()
    live = Live(sessions, await identity_of(sessions, str(CHAT), "telegram"), "telegram")
    original = await live.start(results(0), clock.now)
    assert await live.update(results(1), clock.now) == original
    assert await live.update(results(2), clock.now) == original
    async with dispatching(sessions, TelegramSender(bot), clock):
        await until(all_sent(sessions, 1))
    assert telegram_server.sent_texts(CHAT) == [results(2).text]
    assert telegram_server.edits() == []


@sqlite_only
async def test_an_update_that_changes_nothing_counts_as_sent(
    sessions: SessionMaker, bot: Bot, telegram_server: FakeTelegramServer
) -> None:
    clock = Clock()
    live = Live(sessions, await identity_of(sessions, str(CHAT), "telegram"), "telegram")
    async with dispatching(sessions, TelegramSender(bot), clock) as dispatcher:
        await live.start(results(3), clock.now)
        dispatcher.wake()
        await until(all_sent(sessions, 1))
        await live.update(results(3), clock.now)  # a changed answer, the same counts
        clock.pass_(2)
        dispatcher.wake()
        await until(all_sent(sessions, 2))
    original, update = await rows(sessions)
    assert (update.status, update.external_ids, update.error) == (
        Status.SENT,
        original.external_ids,
        "",
    )
    [edit] = telegram_server.edits(CHAT)
    assert not edit.ok  # Telegram said "message is not modified"
    assert telegram_server.chat(CHAT) == [results(3).text]


@sqlite_only
async def test_a_message_gone_gets_its_update_as_a_new_message_which_later_ones_edit(
    sessions: SessionMaker, bot: Bot, telegram_server: FakeTelegramServer
) -> None:
    clock = Clock()
    live = Live(sessions, await identity_of(sessions, str(CHAT), "telegram"), "telegram")
    async with dispatching(sessions, TelegramSender(bot), clock) as dispatcher:
        await live.start(results(0), clock.now)
        dispatcher.wake()
        await until(all_sent(sessions, 1))
        [original] = await rows(sessions)
        telegram_server.delete_message(CHAT, int(original.external_ids))  # the trainer did
        await live.update(results(1), clock.now)
        clock.pass_(2)
        dispatcher.wake()
        await until(all_sent(sessions, 2))
        await live.update(results(2), clock.now)
        clock.pass_(2)
        dispatcher.wake()
        await until(all_sent(sessions, 3))
    original, anew, edited = await rows(sessions)
    assert anew.status == edited.status == Status.SENT
    assert anew.external_ids != original.external_ids
    assert edited.external_ids == anew.external_ids
    assert telegram_server.sent_texts(CHAT) == [results(0).text, results(1).text]
    assert telegram_server.chat(CHAT) == [results(2).text]
    edits = telegram_server.edits(CHAT)
    assert [(e.ok, int(e.params["message_id"])) for e in edits] == [
        (False, int(original.external_ids)),  # "message to edit not found"
        (True, int(anew.external_ids)),
    ]


@sqlite_only
async def test_an_update_of_an_original_that_failed_goes_as_a_new_message(
    sessions: SessionMaker, bot: Bot, telegram_server: FakeTelegramServer
) -> None:
    clock = Clock()
    live = Live(sessions, await identity_of(sessions, str(CHAT), "telegram"), "telegram")
    telegram_server.fail_next("sendMessage", Fault(400, "Bad Request: can't parse entities"))
    async with dispatching(sessions, TelegramSender(bot), clock) as dispatcher:
        await live.start(results(0), clock.now)
        dispatcher.wake()
        await until(all_sent(sessions, 1))
        await live.update(results(1), clock.now)
        clock.pass_(2)
        dispatcher.wake()
        await until(all_sent(sessions, 2))
    original, update = await rows(sessions)
    assert (original.status, update.status) == (Status.FAILED, Status.SENT)
    assert telegram_server.chat(CHAT) == [results(1).text]
    assert telegram_server.edits() == []


@sqlite_only
async def test_the_console_prints_an_update_marked_as_one(
    sessions: SessionMaker, tmp_path: Path
) -> None:
    clock = Clock()
    output = io.StringIO()
    sender = ConsoleSender(output, tmp_path)
    live = Live(sessions, await identity_of(sessions, "trainer", "console"), "console")
    async with dispatching(sessions, sender, clock) as dispatcher:
        await live.start(results(0), clock.now)
        dispatcher.wake()
        await until(all_sent(sessions, 1))
        await live.update(results(4), clock.now)
        clock.pass_(2)
        dispatcher.wake()
        await until(all_sent(sessions, 2))
    assert output.getvalue() == (
        "\n📊 Umpan balik sesi Advokasi: 0 jawaban\n  1. ⛔ Tutup umpan balik\n"
        "\n✏️ 📊 Umpan balik sesi Advokasi: 4 jawaban\n  1. ⛔ Tutup umpan balik\n"
    )
    # Another run of the console printed none of it: the update prints as a new message.
    again = io.StringIO()
    async with dispatching(sessions, ConsoleSender(again, tmp_path), clock) as dispatcher:
        await live.update(results(5), clock.now)
        clock.pass_(2)
        dispatcher.wake()
        await until(all_sent(sessions, 3))
    assert again.getvalue() == f"\n{results(5).text}\n  1. ⛔ Tutup umpan balik\n"


class Plain:
    """A channel that cannot change a message once sent (no ``edit``)."""

    channel = "console"

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(
        self, address: str, reply: Reply, *, skip: int, pace: Pace, bulk: bool = False
    ) -> SendResult:
        await pace()
        self.sent.append(reply.text)
        return SendResult(Outcome.SENT, 1, (str(len(self.sent)),))


@sqlite_only
async def test_a_channel_that_cannot_edit_gets_each_update_as_a_new_message(
    sessions: SessionMaker,
) -> None:
    clock = Clock()
    sender = Plain()
    live = Live(sessions, await identity_of(sessions, "trainer", "console"), "console")
    async with dispatching(sessions, sender, clock) as dispatcher:
        await live.start(results(0), clock.now)
        dispatcher.wake()
        await until(all_sent(sessions, 1))
        await live.update(results(1), clock.now)
        await live.update(results(2), clock.now)
        clock.pass_(2)
        dispatcher.wake()
        await until(all_sent(sessions, 2))
    assert sender.sent == [results(0).text, results(2).text]
