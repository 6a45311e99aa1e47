"""The bot under measurement, in a process of its own, and the benchmarks' handle on it.

The benchmarks keep the fake Bot API and the simulated people in their own process and
start the bot with ``python -m bench.bot_process``, so that the CPU time and the memory
read for the bot (from ``/proc``: Linux only) are the bot's alone. Two bots:

- ``bimtek``: ``TelegramChannel`` and ``Engine`` over the given database, stopped as
  ``python -m bot`` stops (``bot.app.until_stopped``, then the aiogram session is closed
  and the database engine disposed);
- ``echo``: a bare aiogram ``Dispatcher`` that answers each message with its text and
  each button press with a message, the baseline.

Either one long-polls the fake at ``--api-url`` and stops on SIGTERM or SIGINT, or when
its standard input closes (the benchmark that started it is gone).
"""

import argparse
import asyncio
import contextlib
import gc
import itertools
import os
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, TypeVar

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, Message

from bot.app import until_stopped
from bot.channels.telegram import TelegramChannel, create_bot
from bot.channels.telegram_send import CHANNEL, TelegramSender
from bot.db import create_engine, session_maker
from bot.delivery.dispatcher import Dispatcher as Outbox
from bot.delivery.rates import RateGate
from bot.engine import Engine
from bot.logging import configure_logging
from models.types import utcnow

ROOT = Path(__file__).resolve().parents[1]
BIMTEK, ECHO = "bimtek", "echo"
# Imports and the start-up calls take a few seconds; a slow machine should not fail here.
START_WITHIN = 120.0
STOP_WITHIN = 20.0
# The echo bot confirms an update before answering it: once the last reply has reached
# the fake, the bot may still be reading the fake's answer to it. The bot counts as done
# when its CPU time has not moved for this long (it moves in clock ticks, usually 10 ms).
SETTLED_FOR = 0.1
SETTLE_WITHIN = 3.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

T = TypeVar("T")


# In the bot's process ----------------------------------------------------------------


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


def stepping_clock(start: datetime, tick: timedelta) -> Callable[[], datetime]:
    """A clock that reads ``start`` first and ``tick`` later at each reading after."""
    ticks = itertools.count()

    def clock() -> datetime:
        return start + next(ticks) * tick

    return clock


async def serve_bimtek(args: argparse.Namespace, stop: asyncio.Event) -> None:
    clock = utcnow if args.clock is None else stepping_clock(args.clock, args.tick)
    db = create_engine(args.database)
    try:
        engine = Engine(session_maker(db), clock=clock)
        bot = create_bot(args.token, args.api_url)
        # No send rate: the echo bot beside it keeps to none, and the fake API enforces
        # none; bench.broadcast measures sending within Telegram's rates.
        unlimited = RateGate({CHANNEL: "1000000/second"})
        dispatcher = Outbox(engine.sessions, [TelegramSender(bot)], unlimited, clock)
        channel = TelegramChannel(bot, engine, args.poll_timeout, dispatcher=dispatcher)
        try:
            await until_stopped(channel.poll(), stop, on_stop=channel.stop)
        finally:
            await bot.session.close()
    finally:
        await db.dispose()


async def serve_echo(args: argparse.Namespace, stop: asyncio.Event) -> None:
    # aiogram's own client, as a bare bot has it (the Bimtek bot's sends multipart
    # forms); importing bot.channels.telegram still keeps aiogram's Response classes alive
    # here, so that rebuilding them does not raise the baseline.
    bot = Bot(args.token, session=AiohttpSession(api=TelegramAPIServer.from_base(args.api_url)))
    dispatcher = echo_dispatcher()
    # start_polling closes the bot's session when it ends.
    polling = asyncio.create_task(
        dispatcher.start_polling(bot, handle_signals=False, polling_timeout=args.poll_timeout)
    )
    stopping = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({polling, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if polling in done:
        polling.result()
        raise RuntimeError("the echo bot stopped polling by itself")
    await dispatcher.stop_polling()
    await polling


async def serve(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    def benchmark_gone() -> None:
        if not os.read(sys.stdin.fileno(), 4096):
            loop.remove_reader(sys.stdin.fileno())
            stop.set()

    loop.add_reader(sys.stdin.fileno(), benchmark_gone)
    # Start-up leaves a heap of long-lived objects (aiogram's types mostly), and the first
    # full collection after it takes 0.1-0.2 s. Left alone, it falls in the timed phase of
    # one bot and in the start-up of the other; collected here, in neither.
    gc.collect()
    try:
        await (serve_bimtek if args.side == BIMTEK else serve_echo)(args, stop)
    finally:
        loop.remove_reader(sys.stdin.fileno())


def main() -> None:
    parser = argparse.ArgumentParser(description="A bot for the benchmarks to measure.")
    parser.add_argument("side", choices=(BIMTEK, ECHO))
    parser.add_argument("--api-url", required=True, help="the fake Bot API's base URL")
    parser.add_argument("--token", required=True)
    parser.add_argument("--poll-timeout", type=int, default=1)
    parser.add_argument("--database", help="the Bimtek bot's database URL")
    parser.add_argument(
        "--clock",
        type=datetime.fromisoformat,
        help="the Bimtek engine's first reading (ISO 8601); by default the real time",
    )
    parser.add_argument(
        "--tick-us",
        dest="tick",
        type=lambda value: timedelta(microseconds=int(value)),
        default=timedelta(0),
        help="how far the clock moves at each reading",
    )
    args = parser.parse_args()
    if args.side == BIMTEK and not args.database:
        parser.error("the Bimtek bot needs --database")
    # The engine logs every message at DEBUG; printing that would be most of the work. At
    # WARNING, anything written is a fault, which the benchmark reports.
    configure_logging("WARNING")
    asyncio.run(serve(args))


# In the benchmark's process ----------------------------------------------------------


class BenchmarkError(Exception):
    """The benchmark cannot give figures: it fails, with this message."""


class BotProcessError(BenchmarkError):
    """The bot's process did not start, died, or did not stop cleanly."""


@dataclass(frozen=True)
class Usage:
    """What a process has used so far."""

    cpu_seconds: float  # user and system time, of all its threads
    peak_rss_kib: int  # VmHWM


def usage(pid: int) -> Usage | None:
    """None once the process has ended."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            # The command name, in parentheses, may hold spaces: count the fields after it.
            fields = stat.read().rpartition(")")[2].split()
        with open(f"/proc/{pid}/status") as status:
            hwm = next((line for line in status if line.startswith("VmHWM:")), None)
    except FileNotFoundError:
        return None
    if hwm is None:  # a zombie has no memory left to report
        return None
    user_ticks, system_ticks = int(fields[11]), int(fields[12])  # utime and stime
    return Usage((user_ticks + system_ticks) / CLOCK_TICKS, int(hwm.split()[1]))


@dataclass(frozen=True)
class Cost:
    """What the timed phase cost."""

    seconds: float  # wall-clock time
    bot_cpu_seconds: float  # the bot's process
    harness_cpu_seconds: float  # the benchmark's process: the fake Bot API and the people
    start_rss_kib: int  # the bot's peak after start-up, before the first message
    peak_rss_kib: int  # the bot's peak at the end


class BotProcess:
    def __init__(self, side: str, process: asyncio.subprocess.Process, log: IO[bytes]) -> None:
        self.side = side
        self.process = process
        self._log = log

    def usage(self) -> Usage:
        used = usage(self.process.pid)
        if used is None:
            raise self.failure("exited early")
        return used

    def failure(self, what: str) -> BotProcessError:
        self._log.seek(0)
        written = self._log.read().decode(errors="replace").strip()
        return BotProcessError(
            f"the {self.side} bot {what}" + (f":\n{written[-3000:]}" if written else "")
        )

    async def running(self, work: Awaitable[T], within: float | None = None) -> T:
        """``work``'s result, or BotProcessError as soon as the bot's process ends first."""
        task = asyncio.ensure_future(work)
        exited = asyncio.create_task(self.process.wait())
        try:
            await asyncio.wait({task, exited}, timeout=within, return_when=asyncio.FIRST_COMPLETED)
        finally:
            exited.cancel()
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if not task.cancelled():
            return task.result()
        if self.process.returncode is not None:
            raise self.failure(f"exited early, with status {self.process.returncode}")
        raise self.failure(f"was not ready within {within} s")

    async def settled_usage(self) -> Usage:
        """The bot's usage once its CPU time has stopped moving."""
        loop = asyncio.get_running_loop()
        last, still_since, deadline = self.usage(), loop.time(), loop.time() + SETTLE_WITHIN
        while loop.time() - still_since < SETTLED_FOR and loop.time() < deadline:
            await asyncio.sleep(SETTLED_FOR / 5)
            now = self.usage()
            if now.cpu_seconds != last.cpu_seconds:
                still_since = loop.time()
            last = now
        return last

    async def stop(self) -> None:
        """SIGTERM, then BotProcessError unless the bot stopped in time, with status 0 and
        without writing anything (it logs only warnings and errors)."""
        if self.process.returncode is not None:
            raise self.failure(
                f"exited before it was stopped, with status {self.process.returncode}"
            )
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), STOP_WITHIN)
        except TimeoutError:
            raise self.failure(f"did not stop within {STOP_WITHIN:.0f} s of SIGTERM") from None
        if self.process.returncode != 0:
            raise self.failure(f"stopped with status {self.process.returncode}")
        self._log.seek(0, os.SEEK_END)
        if self._log.tell():
            raise self.failure("wrote warnings or errors")


@contextlib.asynccontextmanager
async def bot_process(
    side: str,
    api_url: str,
    token: str,
    polling: asyncio.Event,
    *options: str,
) -> AsyncIterator[BotProcess]:
    """A bot started in a process of its own; yielded once it polls (``polling`` is set),
    stopped when the block ends. ``options`` are bench.bot_process's (--database...)."""
    # Its output goes to a file: a pipe nobody reads would fill and stall the bot.
    with tempfile.TemporaryFile() as log:
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "bench.bot_process", side),
            *("--api-url", api_url, "--token", token, *options),
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=log,
            stderr=log,
        )
        child = BotProcess(side, process, log)
        try:
            await child.running(polling.wait(), within=START_WITHIN)
            yield child
            await child.stop()
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
            assert process.stdin is not None
            process.stdin.close()


async def measure(child: BotProcess, work: Awaitable[T]) -> tuple[T, Cost]:
    """Run the load ``work`` against the polling bot, and what it cost."""
    before, harness_started = child.usage(), time.process_time()
    started = time.perf_counter()
    result = await child.running(work)
    seconds = time.perf_counter() - started
    harness_cpu = time.process_time() - harness_started
    after = await child.settled_usage()
    cost = Cost(
        seconds,
        after.cpu_seconds - before.cpu_seconds,
        harness_cpu,
        before.peak_rss_kib,
        after.peak_rss_kib,
    )
    return result, cost


# In the report -----------------------------------------------------------------------

Row = tuple[str, float, float, str]  # name, Bimtek's figure, the baseline's, format
BEYOND_THE_ECHO_TARGET = 3.0  # ms of the bot's CPU per message, as the project asks


def cost_rows(
    bimtek: Cost, bimtek_messages: int, baseline: Cost, baseline_messages: int
) -> list[Row]:
    def per_message(seconds: float, messages: int) -> float:
        return seconds * 1000 / messages if messages else 0.0

    mib = 1024
    return [
        (
            "CPU ms/message, bot process",
            per_message(bimtek.bot_cpu_seconds, bimtek_messages),
            per_message(baseline.bot_cpu_seconds, baseline_messages),
            "{:.2f}",
        ),
        (
            "CPU ms/message, fake API and people",
            per_message(bimtek.harness_cpu_seconds, bimtek_messages),
            per_message(baseline.harness_cpu_seconds, baseline_messages),
            "{:.2f}",
        ),
        (
            "CPU ms/message, both processes",
            per_message(bimtek.bot_cpu_seconds + bimtek.harness_cpu_seconds, bimtek_messages),
            per_message(baseline.bot_cpu_seconds + baseline.harness_cpu_seconds, baseline_messages),
            "{:.2f}",
        ),
        (
            "RSS start MiB, bot process",
            bimtek.start_rss_kib / mib,
            baseline.start_rss_kib / mib,
            "{:.0f}",
        ),
        (
            "peak RSS MiB, bot process",
            bimtek.peak_rss_kib / mib,
            baseline.peak_rss_kib / mib,
            "{:.0f}",
        ),
    ]


def print_rows(rows: list[Row]) -> None:
    """The table of Bimtek's figures, the baseline's, and their ratio."""
    width = max(len(name) for name, *_ in rows) + 2
    print(f"{'':<{width}}{'Bimtek':>10}{'baseline':>10}{'ratio':>8}")
    for name, mine, other, fmt in rows:
        ratio = f"{mine / other:.2f}" if name != "messages" and other else ""
        print(f"{name:<{width}}{fmt.format(mine):>10}{fmt.format(other):>10}{ratio:>8}")


def beyond_the_echo(
    bimtek: Cost, bimtek_messages: int, baseline: Cost, baseline_messages: int
) -> str:
    """The bot's own CPU per message beyond the bare echo bot's, the project's measure."""
    difference = (
        bimtek.bot_cpu_seconds * 1000 / bimtek_messages
        - baseline.bot_cpu_seconds * 1000 / baseline_messages
    )
    return (
        f"CPU beyond the echo (ms/message, bot process): {difference:.2f}"
        f" (target: at most {BEYOND_THE_ECHO_TARGET:g})"
    )


if __name__ == "__main__":
    main()
