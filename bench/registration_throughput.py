"""Registration throughput: the whole Bimtek stack next to a bare aiogram echo bot.

Both bots long-poll their own fake Telegram Bot API (tests/fakes/telegram_api.py) over
real HTTP. Simulated people talk at the same time, each waiting for the bot to handle a
message before sending the next. Run from the project root:

    python -m bench.registration_throughput --users 20
"""

import argparse
import asyncio
import contextlib
import itertools
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import CallbackQuery, Message
from sqlalchemy import text

from bot.channels.telegram import TelegramChannel, create_bot
from bot.db import create_engine, session_maker, upgrade
from bot.demo import ensure_demo_event
from bot.engine import Engine
from bot.logging import configure_logging
from handlers.i18n import Translator
from tests.fakes.telegram_api import FakeTelegramServer

ID = Translator("id")
FIRST_USER_ID = 800001
POLL_TIMEOUT = 1
# Generous, so that a slow machine only shows up as slow figures, yet a hang still fails.
STEP_WITHIN = 60.0

Params = dict[str, Any]


@dataclass(frozen=True)
class Step:
    text: str
    press: bool = False  # press the button with this label instead of typing the text


def script(help_messages: int) -> list[Step]:
    """One person's registration, as register_in_indonesian in tests/test_registration.py."""
    return [
        Step("/start"),
        Step("Bahasa Indonesia", press=True),
        Step(ID("consent.agree"), press=True),
        Step("Siti Rahmawati, S.Sos"),
        Step("0812-3456-7890"),
        Step("Perpustakaan Desa Sukamaju"),
        Step(ID("library_type.desa"), press=True),
        Step("Kutai Kartanegara"),
        Step(ID("nav.next"), press=True),
        Step(ID("nav.next"), press=True),
        Step("Kalimantan Timur", press=True),
        Step("Kepala Perpustakaan"),
        Step(ID("summary.confirm"), press=True),
        *[Step("/bantuan")] * help_messages,
    ]


class WatchedServer(FakeTelegramServer):
    """The fake API, also keeping each chat's messages and waking whoever waits for one.

    aiogram's Dispatcher confirms an update (polls past it) before its handler has run,
    so the confirmation alone would time only the baseline's receipt of a message: a
    message counts as handled once it is confirmed *and* its reply has arrived. (The
    Bimtek channel replies before it confirms, so for it the second wait is free.)
    """

    def __post_init__(self) -> None:
        super().__post_init__()
        self.inbox: defaultdict[int, list[Params]] = defaultdict(list)
        self._arrived: defaultdict[int, asyncio.Event] = defaultdict(asyncio.Event)
        self.polling = asyncio.Event()

    async def _api_getUpdates(self, params: Params) -> Any:  # noqa: N802 (Bot API's name)
        self.polling.set()
        return await super()._api_getUpdates(params)

    async def _api_sendMessage(self, params: Params) -> Any:  # noqa: N802 (Bot API's name)
        chat_id = int(params["chat_id"])
        self.inbox[chat_id].append(params)
        self._arrived[chat_id].set()
        return await super()._api_sendMessage(params)

    async def wait_reply(self, chat_id: int, seen: int) -> None:
        while len(self.inbox[chat_id]) <= seen:
            self._arrived[chat_id].clear()
            await self._arrived[chat_id].wait()


ButtonFinder = Callable[[WatchedServer, int, str], tuple[Params, str]]


def real_button(server: WatchedServer, chat_id: int, label: str) -> tuple[Params, str]:
    """The newest message the bot sent this person with that button, and its data."""
    for params in reversed(server.inbox[chat_id]):
        for row in (params.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if button["text"] == label:
                    return params, str(button["callback_data"])
    raise AssertionError(f"the bot never showed {chat_id} a button {label!r}")


def echoed_button(server: WatchedServer, chat_id: int, label: str) -> tuple[Params, str]:
    # The echo bot shows no buttons; press one as if it had, with the label as its data.
    return {"text": label}, label


def user(user_id: int) -> Params:
    return {"id": user_id, "is_bot": False, "first_name": "Peserta", "language_code": "id"}


def message_update(user_id: int, message_id: int, text: str) -> Params:
    message: Params = {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private"},
        "from": user(user_id),
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return {"message": message}


def callback_update(user_id: int, shown: Params, data: str) -> Params:
    message = {
        "message_id": 1,
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private"},
        "text": shown["text"],
        "reply_markup": shown.get("reply_markup"),
    }
    query = {
        "id": f"cb{time.monotonic_ns()}",
        "from": user(user_id),
        "chat_instance": "ci-1",
        "message": message,
        "data": data,
    }
    return {"callback_query": query}


@dataclass
class Result:
    latencies: list[float]
    seconds: float

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, p: int) -> float:
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1]


async def person(
    server: WatchedServer,
    user_id: int,
    steps: list[Step],
    button: ButtonFinder,
    latencies: list[float],
) -> None:
    message_ids = itertools.count(1)
    for step in steps:
        if step.press:
            update = callback_update(user_id, *button(server, user_id, step.text))
        else:
            update = message_update(user_id, next(message_ids), step.text)
        seen = len(server.inbox[user_id])
        started = time.perf_counter()
        update_id = await server.push(update)
        await server.wait_handled(update_id, within=STEP_WITHIN)
        await asyncio.wait_for(server.wait_reply(user_id, seen), STEP_WITHIN)
        latencies.append(time.perf_counter() - started)


async def drive(
    server: WatchedServer, users: int, steps: list[Step], button: ButtonFinder
) -> Result:
    await server.polling.wait()  # start-up calls (getMe, setMyCommands...) are not timed
    latencies: list[float] = []
    started = time.perf_counter()
    await asyncio.gather(
        *(person(server, FIRST_USER_ID + i, steps, button, latencies) for i in range(users))
    )
    return Result(latencies, time.perf_counter() - started)


async def cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def fake_api_and_bot(stack: contextlib.AsyncExitStack) -> tuple[WatchedServer, Bot]:
    """A fresh fake Bot API and a client for it, both closed with ``stack``."""
    server = WatchedServer(max_poll_wait=POLL_TIMEOUT)
    await server.start()
    stack.push_async_callback(server.stop)
    bot = create_bot(server.token, server.base_url)
    stack.push_async_callback(bot.session.close)
    return server, bot


async def run_bimtek(users: int, steps: list[Step]) -> Result:
    async with contextlib.AsyncExitStack() as stack:
        server, bot = await fake_api_and_bot(stack)
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        db = create_engine(f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}")
        stack.push_async_callback(db.dispose)
        await upgrade(db)
        sessions = session_maker(db)
        async with sessions.begin() as session:
            await ensure_demo_event(session)
        channel = TelegramChannel(bot, Engine(sessions), POLL_TIMEOUT)
        stack.push_async_callback(cancel, asyncio.create_task(channel.poll()))

        result = await drive(server, users, steps, real_button)

        async with db.connect() as connection:
            registered = (
                await connection.execute(
                    text("SELECT count(*) FROM person WHERE registered_at IS NOT NULL")
                )
            ).scalar_one()
    if registered != users:
        raise SystemExit(f"FAILED: {registered} of {users} people ended up registered")
    return result


def echo_dispatcher() -> Dispatcher:
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "?")

    @dispatcher.callback_query()
    async def pressed(query: CallbackQuery, bot: Bot) -> None:
        await query.answer()
        await bot.send_message(query.from_user.id, query.data or "?")

    return dispatcher


async def run_baseline(users: int, steps: list[Step]) -> Result:
    async with contextlib.AsyncExitStack() as stack:
        server, bot = await fake_api_and_bot(stack)
        dispatcher = echo_dispatcher()
        polling = asyncio.create_task(
            dispatcher.start_polling(bot, handle_signals=False, polling_timeout=POLL_TIMEOUT)
        )
        stack.push_async_callback(asyncio.wait_for, polling, 10)
        stack.push_async_callback(dispatcher.stop_polling)
        return await drive(server, users, steps, echoed_button)


def report(users: int, steps: list[Step], bimtek: Result, baseline: Result) -> None:
    presses = sum(step.press for step in steps)
    print(
        f"{users} people x {len(steps)} messages "
        f"({len(steps) - presses} typed, {presses} button presses), all at once"
    )
    rows = [
        ("messages", len(bimtek.latencies), len(baseline.latencies), "{:.0f}"),
        ("messages/s", bimtek.rate, baseline.rate, "{:.1f}"),
        ("p50 ms", bimtek.percentile(50) * 1000, baseline.percentile(50) * 1000, "{:.1f}"),
        ("p99 ms", bimtek.percentile(99) * 1000, baseline.percentile(99) * 1000, "{:.1f}"),
    ]
    print(f"{'':<12}{'Bimtek':>10}{'baseline':>10}{'ratio':>8}")
    for name, ours, theirs, fmt in rows:
        ratio = f"{ours / theirs:.2f}" if name != "messages" else ""
        print(f"{name:<12}{fmt.format(ours):>10}{fmt.format(theirs):>10}{ratio:>8}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=20, help="people registering at once")
    parser.add_argument(
        "--help-messages", type=int, default=3, help="/bantuan messages each sends afterwards"
    )
    args = parser.parse_args()
    if args.users < 1:
        parser.error("--users must be at least 1")
    # The engine logs every message at DEBUG; printing that would be most of the work.
    configure_logging("WARNING")
    steps = script(args.help_messages)
    bimtek = await run_bimtek(args.users, steps)
    baseline = await run_baseline(args.users, steps)
    report(args.users, steps, bimtek, baseline)


if __name__ == "__main__":
    asyncio.run(main())
