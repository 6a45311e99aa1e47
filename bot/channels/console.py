"""The bot in a terminal: no token needed. Choices print as numbered lines; typing the
number or the label picks one. Reads standard input line by line, so piped input works.
Files the bot sends are saved in a folder and shown as a line with their path."""

import asyncio
import sys
import threading
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

import structlog

from bot.channels.rendering import numbered, safe_filename, split_extension
from bot.engine import Engine
from handlers.types import Choice, Inbound, InboundKind, Reply

CHANNEL = "console"
FILE_MARK = "📎"

log = structlog.get_logger(__name__)


class ConsoleChannel:
    def __init__(
        self, engine: Engine, user_key: str, output: TextIO, files_dir: Path | None = None
    ) -> None:
        self._engine = engine
        self._user_key = user_key
        self._output = output
        self._files_dir = Path.cwd() if files_dir is None else files_dir
        self._run_id = uuid.uuid4().hex[:12]
        self._count = 0
        self._choices: tuple[Choice, ...] = ()  # the numbered lines last printed

    async def submit(self, line: str) -> list[str]:
        """One line typed by the person; returns (and prints) what the bot answers. A
        number picks the choice printed with it, as a button press would."""
        self._count += 1
        text = line.rstrip("\r\n")
        typed = text.strip()
        number = int(typed) if typed.isascii() and typed.isdigit() else 0
        if 1 <= number <= len(self._choices):
            kind, choice = InboundKind.CHOICE, self._choices[number - 1].payload
        else:
            kind, choice = InboundKind.TEXT, ""
        inbound = Inbound(
            channel=CHANNEL,
            user_key=self._user_key,
            message_key=f"{self._run_id}:{self._count}",
            kind=kind,
            text=text if kind is InboundKind.TEXT else "",
            choice=choice,
        )
        replies = await self._engine.handle(inbound)
        offered = [reply.choices for reply in replies if reply.choices]
        if replies:
            self._choices = offered[-1] if offered else ()
        shown = [self._show(reply) for reply in replies]
        for text in shown:
            print(f"\n{text}", file=self._output, flush=True)
        return shown

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
