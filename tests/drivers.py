"""Drive the bot as a person would, on each channel, and read what they would see."""

import asyncio
import contextlib
import io
import itertools
import re
import time
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels.console import ConsoleChannel
from bot.channels.telegram import TelegramChannel, create_bot
from bot.db import create_engine, session_maker
from bot.engine import Engine
from tests.fakes.telegram_api import FakeTelegramServer


@dataclass(frozen=True)
class Shown:
    """One message as the person sees it: its text and the buttons under it."""

    text: str
    buttons: tuple[str, ...] = ()
    keyboard: tuple[str, ...] = ()  # Telegram reply-keyboard buttons (the contact request)


class Driver(Protocol):
    channel: str
    user_key: str

    async def send(self, text: str) -> list[Shown]: ...
    async def press(self, label: str) -> list[Shown]: ...
    async def send_unsupported(self, kind: str = "sticker") -> list[Shown]: ...
    async def restart(self) -> None: ...
    async def close(self) -> None: ...


_NUMBERED = re.compile(r"^  (\d+)\. (.+)$")


class ConsoleDriver:
    channel = "console"

    def __init__(self, database_url: str, user_key: str = "console") -> None:
        self.database_url = database_url
        self.user_key = user_key
        self.output = io.StringIO()
        self.last: list[Shown] = []
        self._start()

    def _start(self) -> None:
        self.db: AsyncEngine = create_engine(self.database_url)
        self.console = ConsoleChannel(Engine(session_maker(self.db)), self.user_key, self.output)

    async def send(self, text: str) -> list[Shown]:
        shown = [self._parse(block) for block in await self.console.submit(text)]
        self.last = shown or self.last
        return shown

    async def press(self, label: str) -> list[Shown]:
        for message in reversed(self.last):
            if label in message.buttons:
                return await self.send(str(message.buttons.index(label) + 1))
        raise AssertionError(f"no option {label!r} in {self.last}")

    async def send_unsupported(self, kind: str = "sticker") -> list[Shown]:
        raise NotImplementedError("a terminal can only send text")

    async def restart(self) -> None:
        await self.db.dispose()
        self._start()

    async def close(self) -> None:
        await self.db.dispose()

    @staticmethod
    def _parse(block: str) -> Shown:
        lines = block.split("\n")
        buttons: list[str] = []
        while lines and (match := _NUMBERED.match(lines[-1])):
            buttons.insert(0, match.group(2))
            lines.pop()
        return Shown("\n".join(lines), tuple(buttons))


class TelegramDriver:
    """A Telegram user talking to the real aiogram-based channel through the fake API."""

    channel = "telegram"
    _ids = itertools.count(700001)

    def __init__(
        self, server: FakeTelegramServer, database_url: str, language_code: str = "id"
    ) -> None:
        self.server = server
        self.database_url = database_url
        self.user_id = next(self._ids)
        self.user_key = str(self.user_id)
        self.language_code = language_code
        self._message_ids = itertools.count(1)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> "TelegramDriver":
        self.db = create_engine(self.database_url)
        self.bot = create_bot(self.server.token, self.server.base_url)
        self.channel_impl = TelegramChannel(self.bot, Engine(session_maker(self.db)), 1)
        self._task = asyncio.create_task(self.channel_impl.poll())
        return self

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.bot.session.close()
        await self.db.dispose()

    async def restart(self) -> None:
        await self.close()
        await self.start()

    def _user(self) -> dict[str, Any]:
        return {
            "id": self.user_id,
            "is_bot": False,
            "first_name": "Peserta",
            "language_code": self.language_code,
        }

    def _message(self, **content: Any) -> dict[str, Any]:
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": self.user_id, "type": "private"},
            "from": self._user(),
            **content,
        }

    async def deliver(self, update: dict[str, Any]) -> tuple[int, list[Shown]]:
        before = len(self.server.calls)
        update_id = await self.server.push(update)
        await self.server.wait_handled(update_id)
        return update_id, self.shown_since(before)

    def shown_since(self, before: int) -> list[Shown]:
        return [_shown(call.params) for call in self.server.sent(self.user_id, since=before)]

    async def send(self, text: str) -> list[Shown]:
        entities = []
        if text.startswith("/"):
            entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        content: dict[str, Any] = {"text": text}
        if entities:
            content["entities"] = entities
        return (await self.deliver({"message": self._message(**content)}))[1]

    async def send_unsupported(self, kind: str = "sticker") -> list[Shown]:
        """A sticker, a photo (with a caption) or a voice note, as Telegram sends them."""
        file = {"file_id": "AgACAgUAAxkBAAIBa2", "file_unique_id": "AQADa2"}
        kinds: dict[str, dict[str, Any]] = {
            "sticker": {
                "sticker": {
                    **file,
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                }
            },
            "photo": {
                "photo": [{**file, "width": 1280, "height": 960}],
                "caption": "Budi Santoso",
            },
            "voice": {"voice": {**file, "duration": 4}},
        }
        content = kinds[kind]
        return (await self.deliver({"message": self._message(**content)}))[1]

    async def send_contact(self, phone: str, *, own: bool = True) -> list[Shown]:
        """Share a contact card: one's own (the contact button) or somebody else's."""
        contact = {
            "phone_number": phone,
            "first_name": "Peserta",
            "user_id": self.user_id if own else self.user_id + 1,
        }
        return (await self.deliver({"message": self._message(contact=contact)}))[1]

    def find_button(self, label: str, *, newest: bool = True) -> tuple[dict[str, Any], str]:
        """The newest (or oldest) message sent to this user with a button ``label``."""
        calls = self.server.sent(self.user_id)
        for call in reversed(calls) if newest else calls:
            markup = call.params.get("reply_markup") or {}
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    if button["text"] == label:
                        return call.params, button["callback_data"]
        raise AssertionError(f"no button {label!r} was ever shown")

    async def press(self, label: str, *, newest: bool = True) -> list[Shown]:
        params, data = self.find_button(label, newest=newest)
        message = {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": self.user_id, "type": "private"},
            "text": params["text"],
            "reply_markup": params.get("reply_markup"),
        }
        query = {
            "id": f"cb{time.monotonic_ns()}",
            "from": self._user(),
            "chat_instance": "ci-1",
            "message": message,
            "data": data,
        }
        return (await self.deliver({"callback_query": query}))[1]


def _shown(params: dict[str, Any]) -> Shown:
    markup = params.get("reply_markup") or {}
    labels = tuple(b["text"] for row in markup.get("inline_keyboard", []) for b in row)
    keyboard = tuple(b["text"] for row in markup.get("keyboard", []) for b in row)
    return Shown(str(params["text"]), labels, keyboard)


def texts(shown: list[Shown]) -> str:
    return "\n---\n".join(s.text for s in shown)
