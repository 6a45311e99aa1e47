"""The bot in a terminal: no token needed. Choices print as numbered lines; typing the
number or the label picks one. Reads standard input line by line, so piped input works."""

import asyncio
import sys
import threading
import uuid
from collections.abc import Iterable
from typing import TextIO

from bot.channels.rendering import numbered
from bot.engine import Engine
from handlers.types import Inbound

CHANNEL = "console"


class ConsoleChannel:
    def __init__(self, engine: Engine, user_key: str, output: TextIO) -> None:
        self._engine = engine
        self._user_key = user_key
        self._output = output
        self._run_id = uuid.uuid4().hex[:12]
        self._count = 0

    async def submit(self, line: str) -> list[str]:
        """One line typed by the person; returns (and prints) what the bot answers."""
        self._count += 1
        inbound = Inbound(
            channel=CHANNEL,
            user_key=self._user_key,
            message_key=f"{self._run_id}:{self._count}",
            text=line.rstrip("\r\n"),
        )
        shown = [numbered(reply) for reply in await self._engine.handle(inbound)]
        for text in shown:
            print(f"\n{text}", file=self._output, flush=True)
        return shown

    async def run(self, lines: "asyncio.Queue[str | None]", stop: asyncio.Event) -> None:
        while not stop.is_set():
            print("> ", end="", file=self._output, flush=True)
            line_task = asyncio.ensure_future(lines.get())
            stop_task = asyncio.ensure_future(stop.wait())
            done, _ = await asyncio.wait({line_task, stop_task}, return_when="FIRST_COMPLETED")
            for task in (line_task, stop_task):
                if task not in done:
                    task.cancel()
            if line_task not in done:
                return
            line = line_task.result()
            if line is None:
                return
            if line.strip():
                await self.submit(line)


def stdin_lines(source: Iterable[str] = sys.stdin) -> "asyncio.Queue[str | None]":
    """Feed lines from a blocking source into a queue from a daemon thread, so that
    Ctrl-C never waits for Enter. None marks the end of input."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def pump() -> None:
        for line in source:
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=pump, name="console-stdin", daemon=True).start()
    return queue
