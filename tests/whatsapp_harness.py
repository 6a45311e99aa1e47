"""WhatsApp's incoming half, as the channel contract (tests/channel_contract.py) and the
webhook tests reach it: Meta's signed deliveries posted to the real webhook under
uvicorn, files served where the Graph API would serve them.

``WhatsAppInboundHarness`` has the contract's ``translate``, ``receive`` and
``other_deliveries``; combined with the sending half's ``render`` it is a
``PlatformHarness``. Every expectation here is written from Meta's documentation of the
payloads and ``handlers.types``, not computed with the channel's own helpers.
"""

import asyncio
import contextlib
import copy
import hashlib
import hmac
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import uvicorn
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels.whatsapp import PATH, SIGNATURE_HEADER, Handler, OnReceipts, WhatsAppChannel
from bot.channels.whatsapp_parse import parse
from bot.db import SessionMaker, create_engine, session_maker
from handlers.types import Attachment, Inbound, InboundKind, Reply
from models import WebhookInbox

FIXTURES = Path(__file__).parent / "fixtures" / "whatsapp"
PHONE_NUMBER_ID = "109876543210001"  # the bot's number, as the fixtures' metadata name it
APP_SECRET = "app-secret-for-tests-only"
VERIFY_TOKEN = "verify-token-for-tests-only"
SRI, ANDI, RAHMAT = "6281200001001", "6281200001002", "6281200001003"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Payload = dict[str, Any]


def whatsapp(user: str, key: str, **fields: Any) -> Inbound:
    return Inbound(channel="whatsapp", user_key=user, message_key=key, address=user, **fields)


def load(name: str) -> Payload:
    payload: Payload = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return payload


def wamid(name: str, place: int = 0) -> str:
    """The id of a fixture's message, read straight from the file."""
    value = load(name)["entry"][0]["changes"][0]["value"]
    message_id: str = value["messages"][place]["id"]
    return message_id


TEXT, CHOICE, FILE, PHOTO, UNSUPPORTED = (
    InboundKind.TEXT,
    InboundKind.CHOICE,
    InboundKind.FILE,
    InboundKind.PHOTO,
    InboundKind.UNSUPPORTED,
)
# The key is the message's wamid: Meta's redelivery of a message carries the same one.
WHATSAPP_EXPECTED: dict[str, Inbound | None] = {
    "text.json": whatsapp(SRI, wamid("text.json"), kind=TEXT, text="Perpustakaan Desa Loa Kulu 📚"),
    "button_reply.json": whatsapp(RAHMAT, wamid("button_reply.json"), kind=CHOICE, choice="?1|en"),
    "list_reply.json": whatsapp(SRI, wamid("list_reply.json"), kind=CHOICE, choice="?4|23"),
    # A template's quick-reply button: its payload, not the label shown.
    "template_button.json": whatsapp(
        ANDI, wamid("template_button.json"), kind=CHOICE, choice="menu|today"
    ),
    "document.json": whatsapp(
        SRI,
        wamid("document.json"),
        kind=FILE,
        text="Agenda final KUKAR2024, mohon dicek",
        attachment=Attachment("Agenda Bimtek KUKAR 2024.xlsx", XLSX, None, 0),
    ),
    "image_caption.json": whatsapp(
        SRI,
        wamid("image_caption.json"),
        kind=PHOTO,
        text="Foto kegiatan hari pertama",
        attachment=Attachment("photo.jpg", "image/jpeg", None, 0),
    ),
    "sticker.json": whatsapp(RAHMAT, wamid("sticker.json"), kind=UNSUPPORTED),
    "location.json": whatsapp(ANDI, wamid("location.json"), kind=UNSUPPORTED),
    "voice.json": whatsapp(RAHMAT, wamid("voice.json"), kind=UNSUPPORTED),
    # Meta's own "type unknown to us": the bot says what it can read.
    "unsupported.json": whatsapp(ANDI, wamid("unsupported.json"), kind=UNSUPPORTED),
    # A reply to one of the bot's old messages is a message like any other.
    "reply_with_context.json": whatsapp(
        ANDI, wamid("reply_with_context.json"), kind=TEXT, text="Ruang Mahakam di lantai berapa?"
    ),
    # A reaction waits for no answer; an edit would answer a question already answered.
    # The chat opened for the first time: as Telegram's Start button, "/start".
    "request_welcome.json": whatsapp(ANDI, wamid("request_welcome.json"), kind=TEXT, text="/start"),
    "reaction.json": None,
    "edit.json": None,
    "system_number_changed.json": None,
    "other_number.json": None,  # to another number of the business account
    "status_sent.json": None,
    "status_delivered.json": None,
    "status_read.json": None,
    "status_failed_131047.json": None,
    "status_failed_131026.json": None,
}


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True)
class Media:
    """A file as the Graph API hands it over (the sending half's ``FetchedMedia``)."""

    content: bytes | None
    mime_type: str
    size: int


@dataclass
class MediaStore:
    """Where the Graph API keeps the files people send: served by id, the way the real
    client answers (no content for a file over the limit asked for)."""

    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    asked: list[tuple[str, int]] = field(default_factory=list)  # (media id, limit)

    async def fetch(self, media_id: str, limit: int) -> Media | None:
        self.asked.append((media_id, limit))
        stored = self.files.get(media_id)
        if stored is None:
            return None
        content, media_type = stored
        return Media(content if len(content) <= limit else None, media_type, len(content))


class Webhook:
    """The channel's webhook served by uvicorn on 127.0.0.1, as Meta reaches it."""

    def __init__(self, channel: WhatsAppChannel, sessions: SessionMaker, *, running: bool = True):
        self.channel = channel
        self.sessions = sessions
        port = free_port()
        self.url = f"http://127.0.0.1:{port}{PATH}"

        @contextlib.asynccontextmanager
        async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
            if not running:
                yield
                return
            async with channel.running():
                yield

        app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
        app.include_router(channel.routes())
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
        )
        self._serving: asyncio.Task[None] | None = None
        self.http = aiohttp.ClientSession()

    async def start(self) -> "Webhook":
        self._serving = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if self._serving.done():
                self._serving.result()
            await asyncio.sleep(0.01)
        return self

    async def stop(self) -> None:
        await self.http.close()
        self.server.should_exit = True
        if self._serving is not None:
            await self._serving

    async def post(self, body: bytes | Payload, headers: dict[str, str] | None = None) -> int:
        """Deliver ``body`` as Meta does, signed unless ``headers`` say otherwise; the
        status answered."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        sent = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(raw)}
        async with self.http.post(self.url, data=raw, headers=sent | (headers or {})) as answer:
            return answer.status

    async def deliver(self, payload: Payload) -> None:
        """Post ``payload`` and wait until the channel has read it."""
        assert await self.post(payload) == 200
        await self.wait_read()

    async def stored(self) -> int:
        async with self.sessions() as session:
            count = await session.execute(select(func.count()).select_from(WebhookInbox))
        return count.scalar_one()

    async def wait_read(self, within: float = 10) -> None:
        """Until every stored delivery is read (and so deleted)."""
        async with asyncio.timeout(within):
            while await self.stored():
                await asyncio.sleep(0.01)


class RecordingEngine:
    """Stands in for the engine: keeps what the channel hands over."""

    def __init__(self) -> None:
        self.inbound: list[Inbound] = []

    async def handle(self, inbound: Inbound) -> list[Reply]:
        self.inbound.append(inbound)
        return []


def channel(
    engine: Handler,
    sessions: SessionMaker,
    media: MediaStore | None = None,
    on_receipts: OnReceipts | None = None,
    **options: Any,
) -> WhatsAppChannel:
    return WhatsAppChannel(
        engine,
        sessions,
        phone_number_id=PHONE_NUMBER_ID,
        app_secret=APP_SECRET,
        verify_token=VERIFY_TOKEN,
        fetch_media=options.pop("fetch_media", media.fetch if media is not None else None),
        on_receipts=on_receipts,
        **options,
    )


def files_named(payload: Payload) -> list[tuple[str, str]]:
    """The (media id, kind) of every document and picture in a delivery."""
    named = []
    for entry in payload.get("entry", []):
        for change in entry.get("changes", []):
            for message in change.get("value", {}).get("messages", []):
                kind = message.get("type")
                if kind in ("document", "image"):
                    named.append((message[kind]["id"], kind))
    return named


class WhatsAppInboundHarness:
    """``translate``, ``receive`` and ``other_deliveries`` of the channel contract, over
    a database of the harness's own (``database_url``: a migrated, empty one)."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.engine = RecordingEngine()
        self.media = MediaStore()
        self._db: AsyncEngine | None = None
        self._webhook: Webhook | None = None

    async def webhook(self) -> Webhook:
        """The webhook and its processor, started when first needed: the tests of
        translation alone need neither."""
        if self._webhook is None:
            self._db = create_engine(self.database_url)
            sessions = session_maker(self._db)
            live = channel(self.engine, sessions, self.media)
            self._webhook = await Webhook(live, sessions).start()
        return self._webhook

    def translate(self, payload: Payload) -> Inbound | None:
        messages = parse(payload, PHONE_NUMBER_ID).messages
        assert len(messages) <= 1
        return messages[0].inbound if messages else None

    async def receive(self, payload: Payload) -> Inbound | None:
        webhook = await self.webhook()
        for media_id, kind in files_named(payload):
            if kind == "document":
                self.media.files[media_id] = (b"PK\x03\x04" + b"\x00" * 18230, XLSX)
            else:
                self.media.files[media_id] = (b"\xff\xd8\xff\xe0" + b"\x00" * 4000, "image/jpeg")
        before = len(self.engine.inbound)
        await webhook.deliver(payload)
        handed = self.engine.inbound[before:]
        assert len(handed) <= 1
        return handed[0] if handed else None

    def other_deliveries(self, payload: Payload) -> list[Payload]:
        """The next message of the same kind: Meta gives every message an id of its own."""
        later = copy.deepcopy(payload)
        for entry in later["entry"]:
            for change in entry["changes"]:
                for message in change["value"].get("messages", []):
                    message["id"] = message["id"][:-4] + "QQ=="
                    message["timestamp"] = str(int(message["timestamp"]) + 1)
        return [later]

    async def close(self) -> None:
        webhook, self._webhook = self._webhook, None
        if webhook is not None:
            await webhook.stop()
        if self._db is not None:
            await self._db.dispose()
