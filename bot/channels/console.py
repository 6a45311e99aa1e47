"""The bot in a terminal: no token needed. Choices print as numbered lines; typing the
number or the label picks one. Reads standard input line by line, so piped input works.
Files the bot sends are saved in a folder and shown as a line with their path."""

import asyncio
import contextlib
import sys
import threading
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TextIO

import structlog

from bot.channels.rendering import numbered, safe_filename, split_extension
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.rates import RateGate
from bot.delivery.sending import Outcome, Pace, SendResult
from bot.engine import Engine
from handlers.types import Inbound, InboundKind, Reply

CHANNEL = "console"
FILE_MARK = "📎"
UPDATE_MARK = "✏️"  # before an update of a live message, printed anew

log = structlog.get_logger(__name__)


class ConsoleSender:
    """Prints an outbox row's reply: its file's line (when it has one) above its text. A
    terminal cannot change what it printed: an update of a live message prints anew,
    marked as the update of the message printed before."""

    channel = CHANNEL

    def __init__(self, output: TextIO, files_dir: Path) -> None:
        self._output = output
        self._files_dir = files_dir
        self.printed: list[str] = []
        # The messages' ids, unique across runs: an id stored by an earlier run names
        # nothing printed by this one.
        self._run = uuid.uuid4().hex[:8]
        self._shown: dict[str, str] = {}  # what each message printed by this run shows

    async def send(
        self, address: str, reply: Reply, *, skip: int, pace: Pace, bulk: bool = False
    ) -> SendResult:
        # A reply with nothing to show (no text, choice or file) prints no blank block.
        if skip == 0 and (text := self._show(reply)).strip():
            await pace()
            self._print(text)
            message_id = f"{self._run}.{len(self._shown) + 1}"
            self._shown[message_id] = text
            return SendResult(Outcome.SENT, 1, (message_id,))
        return SendResult(Outcome.SENT, 1)

    async def edit(self, address: str, message_id: str, reply: Reply, *, pace: Pace) -> SendResult:
        if message_id not in self._shown or reply.attachment is not None:
            return SendResult(Outcome.NOT_EDITABLE, 0, error="message to edit not found")
        text = numbered(reply)
        if text != self._shown[message_id]:  # what it shows already is not printed again
            await pace()
            self._print(f"{UPDATE_MARK} {text}")
            self._shown[message_id] = text
        return SendResult(Outcome.SENT, 1, (message_id,))

    def _print(self, text: str) -> None:
        print(f"\n{text}", file=self._output, flush=True)
        self.printed.append(text)

    def _show(self, reply: Reply) -> str:
        """The reply as printed: its file's line (when it has one) above its text."""
        text = numbered(reply)
        if reply.attachment is None:
            return text
        name = safe_filename(reply.attachment.filename)
        line = f"{FILE_MARK} {name} ✗"  # shown when the file could not be saved
        if reply.attachment.content is None:
            log.warning("console_file_without_content")
        else:
            try:
                line = f"{FILE_MARK} {name} → {self._save(name, reply.attachment.content)}"
            except OSError as exc:
                log.warning("console_file_not_saved", error=type(exc).__name__)
        return f"{line}\n{text}" if text else line

    def _save(self, name: str, content: bytes) -> Path:
        """Write the file under a name not taken yet (name.ics, name-2.ics...)."""
        stem, suffix = split_extension(name)
        self._files_dir.mkdir(parents=True, exist_ok=True)
        number = 1
        while True:
            path = self._files_dir / (name if number == 1 else f"{stem}-{number}{suffix}")
            try:
                # Exclusive creation: a file already there is never overwritten.
                with path.open("xb") as file:
                    file.write(content)
            except FileExistsError:
                number += 1
                continue
            return path.resolve()


class ConsoleChannel:
    """The person at the terminal. What the bot says goes through the outbox like on any
    channel (a reminder due while the console runs is printed too); after each line
    typed, the console waits until the replies are printed before showing its prompt."""

    def __init__(
        self,
        engine: Engine,
        user_key: str,
        output: TextIO,
        files_dir: Path | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._engine = engine
        self._user_key = user_key
        self._output = output
        self.sender = ConsoleSender(output, Path.cwd() if files_dir is None else files_dir)
        self.dispatcher = Dispatcher(
            engine.sessions, [self.sender], RateGate({}), clock or engine.clock
        )
        engine.delivery = self.dispatcher
        self._run_id = uuid.uuid4().hex[:12]
        self._count = 0

    async def submit(self, line: str) -> list[str]:
        """One line typed by the person; returns (and prints) what the bot answers. The
        engine reads a typed number or label as the choice it names."""
        self._count += 1
        inbound = Inbound(
            channel=CHANNEL,
            user_key=self._user_key,
            message_key=f"{self._run_id}:{self._count}",
            kind=InboundKind.TEXT,
            text=line.rstrip("\r\n"),
        )
        return await self._printed_after(self._engine.handle(inbound))

    async def greet(self) -> list[str]:
        """After a restart: the question left unanswered, asked again."""
        inbound = Inbound(channel=CHANNEL, user_key=self._user_key, message_key="")
        return await self._printed_after(self._engine.waiting_question(inbound))

    async def _printed_after(self, handling: Awaitable[object]) -> list[str]:
        before = len(self.sender.printed)
        await handling
        await self.dispatcher.settled()
        return self.sender.printed[before:]

    async def run(self, lines: "asyncio.Queue[str | None]", stop: asyncio.Event) -> None:
        sending = asyncio.create_task(self.dispatcher.run())
        try:
            await self._converse(lines, stop)
        finally:
            await self.dispatcher.stop()
            sending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sending

    async def _converse(self, lines: "asyncio.Queue[str | None]", stop: asyncio.Event) -> None:
        await self.greet()
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
