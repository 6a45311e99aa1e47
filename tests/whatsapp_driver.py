"""A person on WhatsApp, end to end: Meta's signed deliveries posted to the bot's real web
app (uvicorn on 127.0.0.1), the real engine and dispatcher, and what the real sender put
through the fake Cloud API read back as the phone shows it."""

import asyncio
import hashlib
import itertools
import json
import mimetypes
import re
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import aiohttp
import uvicorn
from sqlalchemy import func, select

from bot.channels.whatsapp import PATH, SIGNATURE_HEADER, WhatsAppChannel
from bot.channels.whatsapp_api import GraphClient
from bot.channels.whatsapp_parse import CHANNEL
from bot.channels.whatsapp_receipts import recorder
from bot.channels.whatsapp_send import TemplateRef, WhatsAppSender
from bot.db import create_engine, session_maker
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.rates import RateGate
from bot.engine import Engine
from bot.web import WebPart, web_app
from handlers.turn import Deployment
from models import WebhookInbox, outbox
from models.types import utcnow
from tests.drivers import Shown
from tests.fakes.whatsapp_api import FakeWhatsAppServer
from tests.fakes.whatsapp_rules import Received
from tests.whatsapp_harness import APP_SECRET, VERIFY_TOKEN, free_port, sign

_NUMBERED = re.compile(r"^  (?:(\d+)\.|•) (.+)$")


class WhatsAppBot:
    """The bot's WhatsApp side as ``python -m bot`` runs it: webhook, engine, dispatcher
    and sender on one database, against the fake Cloud API."""

    def __init__(
        self,
        server: FakeWhatsAppServer,
        database_url: str,
        clock: Callable[[], datetime] = utcnow,
        deployment: Deployment | None = None,
        templates: Mapping[str, TemplateRef] | None = None,
    ) -> None:
        self.server = server
        self.database_url = database_url
        self.clock = clock
        self.deployment = deployment
        self.templates = dict(templates or {})
        self.url = ""

    async def start(self) -> "WhatsAppBot":
        self.db = create_engine(self.database_url)
        sessions = session_maker(self.db)
        self.engine = Engine(sessions, self.clock, self.deployment)
        self.client = GraphClient(
            self.server.base_url, self.server.phone_number_id, self.server.token
        )
        gate = RateGate({CHANNEL: "1000/second"}, {CHANNEL: "1000/second"})
        sender = WhatsAppSender(self.client, self.templates)
        self.dispatcher = Dispatcher(sessions, [sender], gate, self.clock, poll_every=0.05)
        self.engine.delivery = self.dispatcher
        self.channel = WhatsAppChannel(
            self.engine,
            sessions,
            phone_number_id=self.server.phone_number_id,
            app_secret=APP_SECRET,
            verify_token=VERIFY_TOKEN,
            fetch_media=self.client.fetch_media,
            on_receipts=recorder(sessions),
            clock=self.clock,
        )
        app = web_app(self.dispatcher, [WebPart(self.channel.routes(), self.channel.running)])
        port = free_port()
        self.url = f"http://127.0.0.1:{port}{PATH}"
        self.server_task = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
        )
        self._serving = asyncio.create_task(self.server_task.serve())
        while not self.server_task.started:
            if self._serving.done():
                self._serving.result()
            await asyncio.sleep(0.01)
        self.http = aiohttp.ClientSession()
        return self

    async def stop(self) -> None:
        await self.http.close()
        self.server_task.should_exit = True
        await self._serving
        await self.client.aclose()
        await self.db.dispose()

    async def post(self, value: dict[str, Any]) -> None:
        """One delivery from Meta (its ``value``), signed, and wait until it is read."""
        payload = {
            "object": "whatsapp_business_account",
            "entry": [
                {"id": "102938475610001", "changes": [{"value": value, "field": "messages"}]}
            ],
        }
        raw = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(raw)}
        async with self.http.post(self.url, data=raw, headers=headers) as answer:
            assert answer.status == 200, answer.status
        async with asyncio.timeout(10):
            while await self._stored():
                await asyncio.sleep(0.01)

    async def _stored(self) -> int:
        async with self.engine.sessions() as session:
            found = await session.execute(select(func.count()).select_from(WebhookInbox))
        return found.scalar_one()

    def metadata(self) -> dict[str, str]:
        return {
            "display_phone_number": "6281100000000",
            "phone_number_id": self.server.phone_number_id,
        }

    async def until_sent(self, wa_id: str, within: float = 10) -> None:
        await self.dispatcher.settled()
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            async with self.engine.sessions() as session:
                if not await outbox.unsent(session, CHANNEL, wa_id):
                    return
            await asyncio.sleep(0.02)
        raise AssertionError(f"still unsent after {within} s")


class WhatsAppDriver:
    channel = "whatsapp"
    _numbers = itertools.count(6281200003001)

    def __init__(self, bot: WhatsAppBot, wa_id: str | None = None, name: str = "Peserta") -> None:
        self.bot = bot
        self.user_key = wa_id or str(next(self._numbers))
        self.name = name
        self._keys = itertools.count(1)

    @property
    def server(self) -> FakeWhatsAppServer:
        return self.bot.server

    def _message(self, kind: str, **content: Any) -> dict[str, Any]:
        key = hashlib.sha1(f"{self.user_key}:{next(self._keys)}:{time.time_ns()}".encode())
        return {
            "from": self.user_key,
            "id": "wamid.HBgN" + key.hexdigest()[:28].upper(),
            "timestamp": str(int(self.bot.clock().timestamp())),
            "type": kind,
            **content,
        }

    async def deliver(self, message: dict[str, Any]) -> list[Shown]:
        before = len(self.server.sent_to(self.user_key))
        value = {
            "messaging_product": "whatsapp",
            "metadata": self.bot.metadata(),
            "contacts": [{"profile": {"name": self.name}, "wa_id": self.user_key}],
            "messages": [message],
        }
        await self.bot.post(value)
        await self.bot.until_sent(self.user_key)
        return self.shown_since(before)

    def shown_since(self, before: int) -> list[Shown]:
        return shown(self.server.sent_to(self.user_key)[before:])

    async def send(self, text: str) -> list[Shown]:
        return await self.deliver(self._message("text", text={"body": text}))

    async def press(self, label: str, *, newest: bool = True) -> list[Shown]:
        """Tap the reply button or list row ``label``, or type the number of the numbered
        line that offers it."""
        received = self.server.sent_to(self.user_key)
        for message in reversed(received) if newest else received:
            for option in message.options:
                if label in (option.title, option.description):
                    kind = "button_reply" if message.type == "button" else "list_reply"
                    reply = {"id": option.id, "title": option.title}
                    if kind == "list_reply" and option.description:
                        reply["description"] = option.description
                    interactive = {"type": kind, kind: reply}
                    return await self.deliver(self._message("interactive", interactive=interactive))
            for line in message.text.split("\n"):
                found = _NUMBERED.match(line)
                if found and found.group(2) == label:
                    return await self.send(found.group(1) or label)
        raise AssertionError(f"no button {label!r} was ever shown")

    async def send_unsupported(self, kind: str = "sticker") -> list[Shown]:
        content: dict[str, dict[str, Any]] = {
            "sticker": {"sticker": {"id": "1094", "mime_type": "image/webp", "animated": False}},
            "location": {"location": {"latitude": -0.43, "longitude": 116.98}},
            "voice": {
                "audio": {"id": "1095", "mime_type": "audio/ogg; codecs=opus", "voice": True}
            },
        }
        message_kind = "audio" if kind == "voice" else kind
        return await self.deliver(self._message(message_kind, **content[kind]))

    async def send_file(
        self,
        filename: str,
        content: bytes,
        media_type: str | None = None,
        caption: str = "",
        size: int | None = None,
    ) -> list[Shown]:
        kind = media_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        media_id = self.server.add_media(content, kind, filename, size)
        document = {
            "id": media_id,
            "mime_type": kind,
            "sha256": hashlib.sha256(content).hexdigest(),
            "filename": filename,
            **({"caption": caption} if caption else {}),
        }
        return await self.deliver(self._message("document", document=document))

    async def restart(self) -> None:
        await self.bot.stop()
        await self.bot.start()

    async def close(self) -> None:
        """The bot is the fixture's to stop."""


def shown(received: list[Received]) -> list[Shown]:
    """Messages as the person reads them: a document joins the text that follows it (one
    reply); a template shows its parameter; numbered lines are the choices."""
    out: list[Shown] = []
    pending: tuple[str, bytes] | None = None
    for message in received:
        if message.media is not None:
            if pending is not None:
                out.append(Shown("", document=pending))
            pending = (message.filename or message.media.filename, message.media.content)
            if message.text:  # a caption: the whole reply
                out.append(_text(message.text, pending))
                pending = None
            continue
        if message.template is not None:
            out.append(Shown(" ".join(message.template.parameters), document=pending))
        elif message.options:
            labels = tuple(o.description or o.title for o in message.options)
            out.append(Shown(message.text, labels, document=pending))
        else:
            out.append(_text(message.text, pending))
        pending = None
    if pending is not None:
        out.append(Shown("", document=pending))
    return out


def _text(text: str, document: tuple[str, bytes] | None) -> Shown:
    lines = text.split("\n")
    buttons: list[str] = []
    while lines and (match := _NUMBERED.match(lines[-1])):
        buttons.insert(0, match.group(2))
        lines.pop()
    return Shown("\n".join(lines), tuple(buttons), document=document)
