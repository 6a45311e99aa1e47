"""Drive the bot as a person would, on each channel, and read what they would see."""

import asyncio
import contextlib
import io
import itertools
import mimetypes
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels.console import FILE_MARK, ConsoleChannel
from bot.channels.telegram import TelegramChannel, create_bot
from bot.db import create_engine, session_maker
from bot.engine import Engine
from handlers.turn import Deployment
from handlers.types import Attachment, Inbound, InboundKind, Reply
from models import outbox
from models.types import utcnow
from tests.fakes.telegram_api import Call, FakeTelegramServer, Upload


@dataclass(frozen=True)
class Shown:
    """One message as the person sees it: its text, the buttons under it and the file that
    came with it (its name and bytes; a reply's file is shown with the reply's text)."""

    text: str
    buttons: tuple[str, ...] = ()
    keyboard: tuple[str, ...] = ()  # Telegram reply-keyboard buttons (the contact request)
    document: tuple[str, bytes] | None = None


class Driver(Protocol):
    channel: str
    user_key: str

    async def send(self, text: str) -> list[Shown]: ...
    async def press(self, label: str, *, newest: bool = True) -> list[Shown]: ...
    async def send_unsupported(self, kind: str = "sticker") -> list[Shown]: ...
    async def send_file(
        self,
        filename: str,
        content: bytes,
        media_type: str | None = None,
        caption: str = "",
        size: int | None = None,
    ) -> list[Shown]: ...
    async def restart(self) -> None: ...
    async def close(self) -> None: ...


class EngineDriver:
    """Someone talking to the engine itself, as a channel with buttons would deliver it:
    typed text, pressed buttons (their payloads), files, things it cannot read. What the
    person sees is the replies as the core wrote them, before any channel renders them."""

    channel = "engine"
    _ids = itertools.count(1)

    def __init__(
        self,
        database_url: str,
        user_key: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        deployment: Deployment | None = None,
        language_code: str | None = None,
    ) -> None:
        self.database_url = database_url
        self.user_key = user_key or f"orang-{next(self._ids)}"
        self.clock = clock
        self.deployment = deployment
        self.language_code = language_code
        self.replies: list[Reply] = []  # every reply so far, oldest first
        self._count = itertools.count(1)
        self._start()

    def _start(self) -> None:
        self.db: AsyncEngine = create_engine(self.database_url)
        self.engine = Engine(session_maker(self.db), self.clock, self.deployment)

    async def _deliver(self, **content: Any) -> list[Shown]:
        inbound = Inbound(
            channel=self.channel,
            user_key=self.user_key,
            message_key=f"{self.user_key}:{next(self._count)}",
            language_hint=self.language_code,
            **content,
        )
        replies = await self.engine.handle(inbound)
        self.replies += replies
        return [_neutral(reply) for reply in replies]

    async def send(self, text: str) -> list[Shown]:
        return await self._deliver(text=text)

    async def press(self, label: str, *, newest: bool = True) -> list[Shown]:
        """Press the button ``label`` of the newest (or oldest) message that showed it."""
        for reply in reversed(self.replies) if newest else self.replies:
            for choice in reply.choices:
                if choice.label == label:
                    return await self._deliver(kind=InboundKind.CHOICE, choice=choice.payload)
        raise AssertionError(f"no button {label!r} was ever shown")

    async def send_unsupported(self, kind: str = "sticker") -> list[Shown]:
        return await self._deliver(kind=InboundKind.UNSUPPORTED)

    async def send_photo(self, content: bytes, caption: str = "") -> list[Shown]:
        """A photo as a channel hands it over: a JPEG without a name of its own."""
        attachment = Attachment("photo.jpg", "image/jpeg", content, len(content))
        return await self._deliver(kind=InboundKind.PHOTO, text=caption, attachment=attachment)

    async def send_file(
        self,
        filename: str,
        content: bytes,
        media_type: str | None = None,
        caption: str = "",
        size: int | None = None,
    ) -> list[Shown]:
        attachment = Attachment(
            filename,
            media_type or mimetypes.guess_type(filename)[0] or "application/octet-stream",
            content if size is None else None,
            len(content) if size is None else size,
        )
        return await self._deliver(kind=InboundKind.FILE, text=caption, attachment=attachment)

    async def restart(self) -> None:
        await self.db.dispose()
        self._start()

    async def close(self) -> None:
        await self.db.dispose()


def _neutral(reply: Reply) -> Shown:
    attachment = reply.attachment
    document = None
    if attachment is not None and attachment.content is not None:
        document = (attachment.filename, attachment.content)
    keyboard = (reply.share_phone,) if reply.share_phone else ()
    return Shown(reply.text, tuple(c.label for c in reply.choices), keyboard, document)


_NUMBERED = re.compile(r"^  (?:(\d+)\.|•) (.+)$")
_SAVED_FILE = re.compile(rf"^{FILE_MARK} (.+) → (/.+)$")


class ConsoleDriver:
    channel = "console"

    def __init__(
        self,
        database_url: str,
        user_key: str = "console",
        clock: Callable[[], datetime] = utcnow,
        deployment: Deployment | None = None,
    ) -> None:
        self.database_url = database_url
        self.user_key = user_key
        self.clock = clock
        self.deployment = deployment
        self.output = io.StringIO()
        self.last: list[Shown] = []
        self.numbers: dict[str, str] = {}  # label → what to type to pick it
        # Not a TemporaryDirectory: a driver left unclosed must not warn (warnings fail tests).
        self.files_dir = Path(tempfile.mkdtemp(prefix="bimtek-console-"))
        self._start()

    def _start(self) -> None:
        self.db: AsyncEngine = create_engine(self.database_url)
        engine = Engine(session_maker(self.db), self.clock, self.deployment)
        self.console = ConsoleChannel(engine, self.user_key, self.output, self.files_dir)

    async def send(self, text: str) -> list[Shown]:
        blocks = await self.console.submit(text)
        shown = [self._parse(block) for block in blocks]
        if shown:
            self.last = shown
            matches = [_NUMBERED.match(line) for b in blocks for line in b.split("\n")]
            self.numbers = {m.group(2): m.group(1) for m in matches if m and m.group(1)}
        return shown

    async def press(self, label: str, *, newest: bool = True) -> list[Shown]:
        """Type the number printed beside ``label`` (or, without one, the label)."""
        for message in reversed(self.last):
            if label in message.buttons:
                return await self.send(self.numbers.get(label, label))
        raise AssertionError(f"no option {label!r} in {self.last}")

    async def send_unsupported(self, kind: str = "sticker") -> list[Shown]:
        raise NotImplementedError("a terminal can only send text")

    async def send_file(
        self,
        filename: str,
        content: bytes,
        media_type: str | None = None,
        caption: str = "",
        size: int | None = None,
    ) -> list[Shown]:
        raise NotImplementedError("a terminal can only send text")

    async def restart(self) -> None:
        await self.db.dispose()
        self._start()

    async def close(self) -> None:
        await self.db.dispose()
        shutil.rmtree(self.files_dir, ignore_errors=True)

    @staticmethod
    def _parse(block: str) -> Shown:
        lines = block.split("\n")
        document = None
        if lines and (saved := _SAVED_FILE.match(lines[0])):
            document = (saved.group(1), Path(saved.group(2)).read_bytes())
            lines.pop(0)
        buttons: list[str] = []
        while lines and (match := _NUMBERED.match(lines[-1])):
            buttons.insert(0, match.group(2))
            lines.pop()
        return Shown("\n".join(lines), tuple(buttons), document=document)


class TelegramDriver:
    """A Telegram user talking to the real aiogram-based channel through the fake API."""

    channel = "telegram"
    _ids = itertools.count(700001)

    def __init__(
        self,
        server: FakeTelegramServer,
        database_url: str,
        language_code: str = "id",
        clock: Callable[[], datetime] = utcnow,
        deployment: Deployment | None = None,
    ) -> None:
        self.server = server
        self.database_url = database_url
        self.clock = clock
        self.deployment = deployment
        self.user_id = next(self._ids)
        self.user_key = str(self.user_id)
        self.language_code = language_code
        self._message_ids = itertools.count(1)
        self._task: asyncio.Task[None] | None = None
        self._owner = False

    async def start(self) -> "TelegramDriver":
        self.db = create_engine(self.database_url)
        self.bot = create_bot(self.server.token, self.server.base_url)
        self.channel_impl = TelegramChannel(
            self.bot, Engine(session_maker(self.db), self.clock, self.deployment), 1
        )
        self._task = asyncio.create_task(self.channel_impl.poll())
        self._owner = True
        return self

    def another_person(self, language_code: str = "id") -> "TelegramDriver":
        """A second user of the same bot. They share this driver's poller: two pollers on
        one Bot API would each take the other's updates."""
        other = TelegramDriver(
            self.server, self.database_url, language_code, self.clock, self.deployment
        )
        other.db, other.bot, other.channel_impl = self.db, self.bot, self.channel_impl
        other._owner = False
        return other

    async def close(self) -> None:
        if not self._owner:
            return
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
        await self.until_sent()
        return update_id, self.shown_since(before)

    async def until_sent(self, within: float = 30) -> None:
        """Until everything the bot means to say to this person is out: answers put back
        after a 429 go out a moment later, from the outbox (about 2 s; the bound is for a
        machine busy with the browser tests, where 10 s once ran out)."""
        dispatcher = self.channel_impl.dispatcher
        await dispatcher.settled()
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            async with dispatcher.sessions() as session:
                if not await outbox.unsent(session, "telegram", self.user_key):
                    return
            await asyncio.sleep(0.02)
        raise AssertionError(f"still unsent after {within} s")

    def shown_since(self, before: int) -> list[Shown]:
        """What arrived since call ``before``. A document or photo joins the text sent after
        it, as they are one reply; one that carries the reply's keyboard or its text (a
        photo's caption) is the whole reply."""
        shown: list[Shown] = []
        pending: tuple[str, bytes] | None = None
        for call in self.server.outbox(self.user_id, since=before):
            if call.method == "sendMessage":
                shown.append(_shown(call.params, pending))
                pending = None
                continue
            if pending is not None:
                shown.append(Shown("", document=pending))
            pending = _document(call)
            if call.params.get("reply_markup") or call.params.get("caption"):
                text = call.params.get("caption", "")
                shown.append(_shown({**call.params, "text": text}, pending))
                pending = None
        if pending is not None:
            shown.append(Shown("", document=pending))
        return shown

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

    async def send_file(
        self,
        filename: str,
        content: bytes,
        media_type: str | None = None,
        caption: str = "",
        size: int | None = None,
    ) -> list[Shown]:
        """Send a document, as a Telegram app does: the media type guessed from the name
        unless given; ``size`` fakes the size Telegram reports (a file over the limit)."""
        file_id = self.server.add_file(content, filename, size)
        document: dict[str, Any] = {
            "file_id": file_id,
            "file_unique_id": f"AgAD{file_id[-6:]}",
            "file_name": filename,
            "mime_type": media_type
            or mimetypes.guess_type(filename)[0]
            or "application/octet-stream",
            "file_size": len(content) if size is None else size,
        }
        message = self._message(document=document, **({"caption": caption} if caption else {}))
        return (await self.deliver({"message": message}))[1]

    async def send_photo(self, content: bytes, caption: str = "") -> list[Shown]:
        """Send a photo, as a Telegram app does: the sizes it made of it, the largest last
        (here all of them the same bytes)."""
        file_id = self.server.add_file(content, "photo.jpg")
        sizes = [
            {"file_id": file_id, "file_unique_id": f"AQAD{file_id[-6:]}{side}",
             "file_size": len(content), "width": side, "height": side * 3 // 4}
            for side in (90, 320, 1280)
        ]  # fmt: skip
        message = self._message(photo=sizes, **({"caption": caption} if caption else {}))
        return (await self.deliver({"message": message}))[1]

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


def _shown(params: dict[str, Any], document: tuple[str, bytes] | None = None) -> Shown:
    markup = params.get("reply_markup") or {}
    labels = tuple(b["text"] for row in markup.get("inline_keyboard", []) for b in row)
    keyboard = tuple(b["text"] for row in markup.get("keyboard", []) for b in row)
    return Shown(str(params["text"]), labels, keyboard, document)


def _document(call: Call) -> tuple[str, bytes]:
    upload: Upload = call.params["photo" if call.method == "sendPhoto" else "document"]
    return upload.filename, upload.content


def texts(shown: list[Shown]) -> str:
    return "\n---\n".join(s.text for s in shown)
