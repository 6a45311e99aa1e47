"""Registration throughput: the whole Bimtek stack next to a bare aiogram echo bot.

Each bot runs in a process of its own (bench/bot_process.py) and long-polls its own fake
Telegram Bot API (tests/fakes/telegram_api.py) over real HTTP; the fake and the simulated
people run in the benchmark's process. The people talk at the same time, each waiting for
the bot to handle a message before sending the next. Run from the project root:

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

from sqlalchemy import text

from bench.bot_process import (
    BIMTEK,
    ECHO,
    BenchmarkError,
    Cost,
    Row,
    beyond_the_echo,
    bot_process,
    cost_rows,
    measure,
    print_rows,
)
from bot.db import create_engine, session_maker, upgrade
from bot.demo import ensure_demo_event
from bot.logging import configure_logging
from handlers.i18n import Translator
from tests.fakes.telegram_api import FakeTelegramServer

ID = Translator("id")
FIRST_USER_ID = 800001
POLL_TIMEOUT = 1
# Generous, so that a slow machine only shows up as slow figures, yet a hang still fails.
STEP_WITHIN = 60.0

Params = dict[str, Any]


# Each person types a number of their own: a number registered once is refused to anyone
# else (it belongs to one person).
PHONE = "<phone>"


def phone_of(user_id: int) -> str:
    return f"0812-{user_id:07d}"


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
        Step(PHONE),
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


async def until_shown(
    server: WatchedServer, chat_id: int, label: str, button: ButtonFinder
) -> tuple[Params, str]:
    """The button, once the message carrying it has arrived: a reply of several messages
    comes from the outbox one message after another, and the buttons are on the last."""
    while True:
        seen = len(server.inbox[chat_id])
        try:
            return button(server, chat_id, label)
        except LookupError:
            await server.wait_reply(chat_id, seen)


def real_button(server: WatchedServer, chat_id: int, label: str) -> tuple[Params, str]:
    """The newest message the bot sent this person with that button, and its data."""
    for params in reversed(server.inbox[chat_id]):
        for row in (params.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if button["text"] == label:
                    return params, str(button["callback_data"])
    raise LookupError(f"the bot never showed {chat_id} a button {label!r}")


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
            found = await asyncio.wait_for(
                until_shown(server, user_id, step.text, button), STEP_WITHIN
            )
            update = callback_update(user_id, *found)
        else:
            text = phone_of(user_id) if step.text == PHONE else step.text
            update = message_update(user_id, next(message_ids), text)
        seen = len(server.inbox[user_id])
        started = time.perf_counter()
        update_id = await server.push(update)
        await server.wait_handled(update_id, within=STEP_WITHIN)
        await asyncio.wait_for(server.wait_reply(user_id, seen), STEP_WITHIN)
        latencies.append(time.perf_counter() - started)


async def drive(
    server: WatchedServer, users: int, steps: list[Step], button: ButtonFinder
) -> list[float]:
    latencies: list[float] = []
    await asyncio.gather(
        *(person(server, FIRST_USER_ID + i, steps, button, latencies) for i in range(users))
    )
    return latencies


async def run_side(side: str, users: int, steps: list[Step]) -> tuple[Result, Cost]:
    """One bot's run: the bot in a process of its own, long-polling a fake API that runs
    here with the simulated people, so that the bot's CPU time is its own."""
    async with contextlib.AsyncExitStack() as stack:
        server = WatchedServer(max_poll_wait=POLL_TIMEOUT)
        await server.start()
        stack.push_async_callback(server.stop)
        options = ["--poll-timeout", str(POLL_TIMEOUT)]
        if side == BIMTEK:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            url = f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}"
            await with_demo_event(url)
            options += ["--database", url]
        # Start-up (imports, getMe, setMyCommands, the first poll) is not measured.
        async with bot_process(
            side, server.base_url, server.token, server.polling, *options
        ) as bot:
            button = real_button if side == BIMTEK else echoed_button
            latencies, cost = await measure(bot, drive(server, users, steps, button))
        if side == BIMTEK:
            registered = await count_registered(url)
            if registered != users:
                raise BenchmarkError(f"{registered} of {users} people ended up registered")
    return Result(latencies, cost.seconds), cost


async def with_demo_event(url: str) -> None:
    db = create_engine(url)
    try:
        await upgrade(db)
        async with session_maker(db).begin() as session:
            await ensure_demo_event(session)
    finally:
        await db.dispose()


async def count_registered(url: str) -> int:
    db = create_engine(url)
    try:
        async with db.connect() as connection:
            query = text("SELECT count(*) FROM person WHERE registered_at IS NOT NULL")
            return int((await connection.execute(query)).scalar_one())
    finally:
        await db.dispose()


def report(
    users: int, steps: list[Step], bimtek: tuple[Result, Cost], baseline: tuple[Result, Cost]
) -> None:
    (ours, our_cost), (theirs, their_cost) = bimtek, baseline
    presses = sum(step.press for step in steps)
    print(
        f"{users} people x {len(steps)} messages "
        f"({len(steps) - presses} typed, {presses} button presses), all at once"
    )
    rows: list[Row] = [
        ("messages", len(ours.latencies), len(theirs.latencies), "{:.0f}"),
        ("messages/s", ours.rate, theirs.rate, "{:.1f}"),
        ("p50 ms", ours.percentile(50) * 1000, theirs.percentile(50) * 1000, "{:.1f}"),
        ("p99 ms", ours.percentile(99) * 1000, theirs.percentile(99) * 1000, "{:.1f}"),
        *cost_rows(our_cost, len(ours.latencies), their_cost, len(theirs.latencies)),
    ]
    print_rows(rows)
    print(beyond_the_echo(our_cost, len(ours.latencies), their_cost, len(theirs.latencies)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=20, help="people registering at once")
    parser.add_argument(
        "--help-messages", type=int, default=3, help="/bantuan messages each sends afterwards"
    )
    args = parser.parse_args()
    if args.users < 1:
        parser.error("--users must be at least 1")
    # Here only the migrations and the fake's web server log, and only their warnings matter.
    configure_logging("WARNING")
    steps = script(args.help_messages)

    async def run() -> tuple[tuple[Result, Cost], tuple[Result, Cost]]:
        # One bot after the other, so that neither takes CPU from the other.
        return await run_side(BIMTEK, args.users, steps), await run_side(ECHO, args.users, steps)

    try:
        bimtek, baseline = asyncio.run(run())
    except BenchmarkError as failed:
        raise SystemExit(f"FAILED: {failed}") from None
    report(args.users, steps, bimtek, baseline)


if __name__ == "__main__":
    main()
