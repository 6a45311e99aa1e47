"""The channel contract (tests/channel_contract.py), run over every channel."""

import asyncio
import contextlib
import copy
import io
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, cast

import pytest

pytest.register_assert_rewrite("tests.channel_contract")

from aiogram import Bot  # noqa: E402
from aiogram.types import Update  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from structlog.testing import capture_logs  # noqa: E402

from bot.channels.console import ConsoleSender  # noqa: E402
from bot.channels.rendering import split_text  # noqa: E402
from bot.channels.telegram import TelegramChannel, create_bot, to_inbound  # noqa: E402
from bot.channels.telegram_send import CallbackDataWarning, TelegramSender  # noqa: E402
from bot.channels.whatsapp_api import GraphClient  # noqa: E402
from bot.channels.whatsapp_send import WhatsAppSender  # noqa: E402
from bot.db import SessionMaker  # noqa: E402
from bot.delivery.dispatcher import Dispatcher  # noqa: E402
from bot.delivery.rates import RateGate  # noqa: E402
from bot.delivery.sending import Outcome  # noqa: E402
from bot.engine import Engine  # noqa: E402
from handlers.types import Attachment, Choice, Inbound, InboundKind, Reply  # noqa: E402
from tests.channel_contract import (  # noqa: E402
    FIXTURES,
    FUZZ,
    JPEG,
    Button,
    ChannelHarness,
    Payload,
    PlatformContract,
    PlatformHarness,
    RecordingEngine,
    RenderingContract,
    Sent,
    Text,
    check_reply,
    clustered,
    menu,
    spans,
)
from tests.fakes.telegram_api import Call, FakeTelegramServer, StoredFile, Upload  # noqa: E402
from tests.fakes.whatsapp_api import PHONE_NUMBER_ID, TOKEN, FakeWhatsAppServer  # noqa: E402
from tests.fakes.whatsapp_rules import Option, Received  # noqa: E402
from tests.whatsapp_harness import FIXTURES as WHATSAPP_FIXTURES  # noqa: E402
from tests.whatsapp_harness import WHATSAPP_EXPECTED, WhatsAppInboundHarness  # noqa: E402

# Telegram ---------------------------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SRI, ANDI, RAHMAT = "6011223344", "5522334455", "7033445566"


def telegram(user: str, key: str, **fields: Any) -> Inbound:
    return Inbound(channel="telegram", user_key=user, message_key=key, address=user, **fields)


TEXT, CHOICE, FILE, PHOTO, UNSUPPORTED = (
    InboundKind.TEXT,
    InboundKind.CHOICE,
    InboundKind.FILE,
    InboundKind.PHOTO,
    InboundKind.UNSUPPORTED,
)
# The key is "<update_id>:<user>:<message_id>" for a message, "<update_id>:<query id>" for
# a button: pinned, since changing it would let a redelivery across a deploy through.
TELEGRAM_EXPECTED: dict[str, Inbound | None] = {
    "text_private.json": telegram(
        SRI,
        "483920101:212",
        kind=TEXT,
        text="Perpustakaan Desa Loa Kulu 📚",
        language_hint="id",
    ),
    "command_start_deep_link.json": telegram(
        ANDI, "483920102:1", kind=TEXT, text="/start KUKAR2024"
    ),
    # The core reads a command's name up to the "@": the channel passes it as typed.
    "command_addressed.json": telegram(
        SRI, "483920103:213", kind=TEXT, text="/jadwal@BimtekKukarBot", language_hint="id"
    ),
    "callback_query.json": telegram(
        RAHMAT, "483920104:4598273615512340987", kind=CHOICE, choice="?1|en", language_hint="en"
    ),
    # A button under a message too old for the bot to see (Telegram sends it with date 0).
    "callback_query_old_message.json": telegram(
        RAHMAT,
        "483920105:4598273617022938811",
        kind=CHOICE,
        choice="menu|today",
        language_hint="en",
    ),
    # One's own number, from the contact button: Telegram leaves out the "+".
    "contact_own.json": telegram(
        SRI, "483920106:214", kind=TEXT, text="+6281200000001", language_hint="id"
    ),
    "contact_other.json": telegram(SRI, "483920107:215", kind=UNSUPPORTED, language_hint="id"),
    "document_xlsx.json": telegram(
        SRI,
        "483920108:216",
        kind=FILE,
        text="Agenda final KUKAR2024, mohon dicek",
        language_hint="id",
        attachment=Attachment("Agenda Bimtek KUKAR 2024.xlsx", XLSX, None, 18234),
    ),
    "document_bare.json": telegram(
        SRI,
        "483920109:217",
        kind=FILE,
        language_hint="id",
        attachment=Attachment("file", "application/octet-stream", None, 5120),
    ),
    # Neither a media type nor a size: the type comes from the name, the size from getFile.
    "document_csv_unsized.json": telegram(
        SRI,
        "483920118:219",
        kind=FILE,
        language_hint="id",
        attachment=Attachment("jadwal.csv", "text/csv", None, 0),
    ),
    # A photo: its largest size, as a JPEG without a name of its own, the caption as text.
    "photo_caption.json": telegram(
        RAHMAT,
        "483920110:89",
        kind=PHOTO,
        text="Foto kegiatan hari pertama",
        language_hint="en",
        attachment=Attachment("photo.jpg", "image/jpeg", None, 190528),
    ),
    # The largest size the channel fetches (5 MB at most; the largest here is made bigger
    # than Telegram's own to test that): the 1280 × 960 one.
    "photo_large.json": telegram(
        SRI,
        "483920119:220",
        kind=PHOTO,
        language_hint="id",
        attachment=Attachment("photo.jpg", "image/jpeg", None, 402116),
    ),
    "sticker.json": telegram(RAHMAT, "483920111:90", kind=UNSUPPORTED, language_hint="en"),
    "voice.json": telegram(RAHMAT, "483920112:91", kind=UNSUPPORTED, language_hint="en"),
    # A GIF carries a copy of itself as a document; it is no file the person chose to send.
    "animation.json": telegram(SRI, "483920113:218", kind=UNSUPPORTED, language_hint="id"),
    # An edit would answer a question already answered: the first answer stands.
    "edited_message.json": None,
    "group_message.json": None,
    "channel_post.json": None,
    "my_chat_member_blocked.json": None,
}


@dataclass
class LiveTelegram:
    server: FakeTelegramServer
    bot: Bot
    channel: TelegramChannel
    polling: "asyncio.Task[None] | None" = None


class TelegramHarness(PlatformHarness):
    text_limit = 4096
    caption_limit = 1024
    payload_limit = 64
    contact_button = True
    chat_id = 6011223344

    def __init__(self) -> None:
        self.engine = RecordingEngine()
        self.calls: list[Call] = []  # the Bot API calls of the last render
        self._live: LiveTelegram | None = None

    async def live(self) -> LiveTelegram:
        """The fake Bot API and the channel in front of it, started when first needed:
        the tests of translation alone need neither."""
        if self._live is None:
            server = await FakeTelegramServer().start()
            server.max_poll_wait = 0.05  # a stopping poller waits no longer than this
            bot = create_bot(server.token, server.base_url)
            # Only what comes in is checked here: the dispatcher has nothing to send.
            idle = Dispatcher(cast(SessionMaker, None), [], RateGate({}))
            channel = TelegramChannel(bot, cast(Engine, self.engine), 1, dispatcher=idle)
            self._live = LiveTelegram(server, bot, channel)
        return self._live

    def measure(self, text: str) -> int:
        return len(text.encode("utf-16-le")) // 2

    async def render(self, reply: Reply) -> list[Sent]:
        live = await self.live()
        before = len(live.server.calls)
        result = await TelegramSender(live.bot).send(str(self.chat_id), reply, skip=0, pace=no_pace)
        assert result.outcome is Outcome.SENT, result
        self.calls = live.server.calls[before:]
        assert all(c.ok for c in self.calls)
        return [sent(c) for c in self.calls if c.method in SENDS]

    def translate(self, payload: Payload) -> Inbound | None:
        translated = to_inbound(Update.model_validate(payload))
        return None if translated is None else translated[0]

    async def receive(self, payload: Payload) -> Inbound | None:
        live = await self.live()
        if live.polling is None:
            live.polling = asyncio.create_task(live.channel.poll())
        message = payload.get("message") or {}
        document = message.get("document")
        if document is not None:
            content = b"PK\x03\x04" + b"\x00" * (document.get("file_size", 100) - 4)
            path = f"documents/{document['file_unique_id']}"
            name = document.get("file_name", "")
            live.server.files[document["file_id"]] = StoredFile(name, content, len(content), path)
        for size in message.get("photo", []):
            # Each size is served; one over what the channel fetches, only as big as said.
            length = size["file_size"] if size["file_size"] <= 5 * 1024 * 1024 else 16
            content = b"\xff\xd8\xff" + b"\x00" * (length - 3)
            path = f"photos/{size['file_unique_id']}.jpg"
            live.server.files[size["file_id"]] = StoredFile("", content, size["file_size"], path)
        before = len(self.engine.inbound)
        update_id = await live.server.push(payload)
        await live.server.wait_handled(update_id)
        handed = self.engine.inbound[before:]
        assert len(handed) <= 1
        return handed[0] if handed else None

    def other_deliveries(self, payload: Payload) -> list[Payload]:
        """The next update of the same kind, and the same update id with another message:
        Telegram draws update ids afresh after a quiet week."""
        later = copy.deepcopy(payload)
        later["update_id"] += 1
        reused = copy.deepcopy(payload)
        for update in (later, reused):
            if "callback_query" in update:
                update["callback_query"]["id"] = str(int(update["callback_query"]["id"]) + 1)
            else:
                update["message"]["message_id"] += 1
        return [later, reused]

    async def close(self) -> None:
        live, self._live = self._live, None
        if live is None:
            return
        if live.polling is not None:
            live.polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await live.polling
        await live.bot.session.close()
        await live.server.stop()


async def no_pace() -> None:
    """Rendering is tested without rates."""


def sent(call: Call) -> Sent:
    markup = call.params.get("reply_markup") or {}
    rows = markup.get("inline_keyboard", [])
    buttons = tuple(Button(b["text"], b["callback_data"]) for row in rows for b in row)
    contact = [
        b["text"] for row in markup.get("keyboard", []) for b in row if b.get("request_contact")
    ]
    assert len(contact) <= 1
    contact_button = contact[0] if contact else None
    if call.method in ("sendDocument", "sendPhoto"):
        upload: Upload = call.params["document" if call.method == "sendDocument" else "photo"]
        document = (upload.filename, upload.content)
        return Sent(call.params.get("caption", ""), buttons, contact_button, document)
    return Sent(call.params["text"], buttons, contact_button)


SENDS = ("sendMessage", "sendDocument", "sendPhoto")


class TestTelegramContract(PlatformContract):
    fixtures = FIXTURES / "telegram"
    expected: ClassVar[dict[str, Inbound | None]] = TELEGRAM_EXPECTED

    @pytest.fixture
    async def harness(self) -> AsyncIterator[TelegramHarness]:
        harness = TelegramHarness()
        try:
            yield harness
        finally:
            await harness.close()

    async def test_texts_are_sent_as_written(self, harness: TelegramHarness) -> None:
        """No parse mode: a title with "<", "&" or "*" is shown as typed, and the length
        Telegram checks is the length of what was sent."""
        reply = Reply("Sesi <Advokasi> & *Evaluasi*_akhir_ [RTL](x)")
        await self.render(harness, reply)
        assert [c.params.get("parse_mode") for c in harness.calls] == [None]

    async def test_a_plain_message_takes_away_the_contact_button(
        self, harness: TelegramHarness
    ) -> None:
        await self.render(harness, Reply("Nama perpustakaan Anda?"))
        assert harness.calls[-1].params["reply_markup"] == {"remove_keyboard": True}

    async def test_a_picture_goes_as_a_photo_with_its_text_as_caption(
        self, harness: TelegramHarness
    ) -> None:
        photo = Attachment("photo.jpg", "image/jpeg", JPEG, len(JPEG))
        text = "📚" * 500 + "x" * 24  # 1,024 UTF-16 units: a caption's most
        await self.render(harness, Reply(text, menu(2), attachment=photo))
        assert [c.method for c in harness.calls] == ["sendPhoto"]
        assert harness.calls[0].params["caption"] == text
        assert harness.calls[0].params["reply_markup"]["inline_keyboard"]

    async def test_a_text_longer_than_a_caption_follows_the_photo(
        self, harness: TelegramHarness
    ) -> None:
        photo = Attachment("poster.png", "image/png", JPEG, len(JPEG))
        text = "📚" * 500 + "x" * 25  # one unit over
        await self.render(harness, Reply(text, menu(2), attachment=photo))
        assert [c.method for c in harness.calls] == ["sendPhoto", "sendMessage"]
        assert "caption" not in harness.calls[0].params
        assert "reply_markup" not in harness.calls[0].params
        assert harness.calls[1].params["text"] == text

    async def test_other_files_go_as_documents(self, harness: TelegramHarness) -> None:
        pdf = Attachment("materi.pdf", "application/pdf", b"%PDF-1.4", 8)
        await self.render(harness, Reply("Materi hari ini.", attachment=pdf))
        assert [c.method for c in harness.calls] == ["sendDocument", "sendMessage"]

    async def test_a_payload_over_the_limit_fails_the_tests(self, harness: TelegramHarness) -> None:
        reply = Reply("Pilih:", (Choice("invite:speaker|" + "x" * 60, "Rachmawati"),))
        with pytest.raises(CallbackDataWarning):
            await harness.render(reply)

    async def test_a_payload_over_the_limit_becomes_a_line_to_type(
        self, harness: TelegramHarness
    ) -> None:
        """In production the rest of the reply still goes out, and the log tells the size
        of the payload, not what it holds."""
        secret = "invite:speaker|Dr. Rachmawati Sri Lestari Wulandari, S.Sos., M.Si., M.Hum."
        reply = Reply("Pilih narasumber:", (Choice("?2|1", "Taufik"), Choice(secret, "Rachmawati")))
        with pytest.warns(CallbackDataWarning), capture_logs() as logs:
            sent = await self.render(harness, reply)
        assert sent == [Sent("Pilih narasumber:\n  2. Rachmawati", (Button("Taufik", "?2|1"),))]
        assert [e["event"] for e in logs if e["log_level"] == "error"] == [
            "telegram_callback_data_too_long"
        ]
        assert "Rachmawati" not in repr(logs)

    @FUZZ
    @given(
        ids=st.lists(
            st.tuples(st.integers(1, 2**31), st.integers(1, 2**52), st.integers(1, 2**31)),
            min_size=2,
            max_size=2,
            unique=True,
        )
    )
    async def test_message_keys_tell_deliveries_apart(
        self, harness: TelegramHarness, ids: list[tuple[int, int, int]]
    ) -> None:
        keys = set()
        for update_id, user_id, message_id in ids:
            payload = {
                "update_id": update_id,
                "message": {
                    "message_id": message_id,
                    "from": {"id": user_id, "is_bot": False, "first_name": "P"},
                    "chat": {"id": user_id, "first_name": "P", "type": "private"},
                    "date": 1731456120,
                    "text": "ya",
                },
            }
            inbound = harness.translate(payload)
            assert inbound is not None
            keys.add(inbound.message_key)
        assert len(keys) == 2


# Console ----------------------------------------------------------------------------


class ConsoleHarness(ChannelHarness):
    """The console prints every reply whole, choices as numbered lines, and saves files."""

    def __init__(self, files_dir: Path) -> None:
        self.files_dir = files_dir
        self.sender = ConsoleSender(io.StringIO(), files_dir)

    async def render(self, reply: Reply) -> list[Sent]:
        before = len(self.sender.printed)
        result = await self.sender.send("console", reply, skip=0, pace=no_pace)
        assert result.outcome is Outcome.SENT, result
        return [self.sent(block) for block in self.sender.printed[before:]]

    def sent(self, block: str) -> Sent:
        first, _, rest = block.partition("\n")
        name, saved, path = first.partition(f" → {self.files_dir.resolve()}/")
        if not saved:
            return Sent(block)
        assert name.startswith("📎 ")
        return Sent(rest, document=(name[2:], (self.files_dir / path).read_bytes()))


class TestConsoleContract(RenderingContract):
    @pytest.fixture
    def harness(self) -> Iterator[ConsoleHarness]:
        # Not tmp_path: hypothesis runs many examples in one test, each saving files.
        with tempfile.TemporaryDirectory(prefix="bimtek-contract-") as folder:
            yield ConsoleHarness(Path(folder))


# WhatsApp (what goes out; what comes in is the webhook's) ------------------------------


class WhatsAppHarness(ChannelHarness):
    """Replies sent by the WhatsApp sender to the fake Cloud API, read back as the phone
    shows them. WhatsApp counts a text's length in characters."""

    text_limit = 4096
    caption_limit = 1024
    wa_id = "6281200000001"

    def __init__(self, server: FakeWhatsAppServer, sender: WhatsAppSender) -> None:
        self.server = server
        self.sender = sender

    async def render(self, reply: Reply) -> list[Sent]:
        before = len(self.server.sent_to(self.wa_id))
        result = await self.sender.send(self.wa_id, reply, skip=0, pace=no_pace)
        assert result.outcome is Outcome.SENT, result
        return [whatsapp_sent(m) for m in self.server.sent_to(self.wa_id)[before:]]


def whatsapp_sent(message: Received) -> Sent:
    buttons = tuple(Button(shown_label(option), option.id) for option in message.options)
    media = message.media
    document = None if media is None else (message.filename or media.filename, media.content)
    return Sent(message.text, buttons, document=document)


def shown_label(option: Option) -> str:
    """The label a button or a list row shows in full. A row whose title was shortened
    shows the whole label as its description, under a title that begins it."""
    if not option.description:
        return option.title
    assert option.title.endswith("…"), option
    assert option.description.startswith(option.title[:-1].rstrip()), option
    return option.description


class WhatsAppPlatformHarness(WhatsAppHarness, PlatformHarness):
    """Both halves: replies through the sender to the fake Cloud API, deliveries through
    the real webhook (signed, stored, read) with captured payloads."""

    def __init__(
        self, server: FakeWhatsAppServer, sender: WhatsAppSender, inbound: WhatsAppInboundHarness
    ) -> None:
        super().__init__(server, sender)
        self.inbound = inbound

    def translate(self, payload: Payload) -> Inbound | None:
        return self.inbound.translate(payload)

    async def receive(self, payload: Payload) -> Inbound | None:
        return await self.inbound.receive(payload)

    def other_deliveries(self, payload: Payload) -> list[Payload]:
        return self.inbound.other_deliveries(payload)


class TestWhatsAppContract(PlatformContract):
    fixtures = WHATSAPP_FIXTURES
    expected: ClassVar[dict[str, Inbound | None]] = WHATSAPP_EXPECTED

    @pytest.fixture
    async def harness(
        self, sqlite_template: Path, tmp_path: Path
    ) -> AsyncIterator[WhatsAppPlatformHarness]:
        database = tmp_path / "bimtek.sqlite3"
        shutil.copyfile(sqlite_template, database)
        inbound = WhatsAppInboundHarness(f"sqlite+aiosqlite:///{database}")
        server = await FakeWhatsAppServer().start()
        client = GraphClient(server.base_url, PHONE_NUMBER_ID, TOKEN)
        try:
            yield WhatsAppPlatformHarness(server, WhatsAppSender(client), inbound)
        finally:
            await inbound.close()
            await client.aclose()
            await server.stop()


def test_check_reply_catches_what_it_should() -> None:
    """The checker itself: a lost choice, a lost word, an empty message, too long a text."""
    harness = TelegramHarness.__new__(TelegramHarness)  # its limits, without a server
    choices = (Choice("sesi|1", "08.30 Pembukaan"),)
    button = Button("08.30 Pembukaan", "sesi|1")
    reply = Reply("Pilih sesi hari ini:", choices)
    check_reply(harness, reply, [Sent(reply.text, (button,))])
    check_reply(harness, reply, [Sent(reply.text + "\n  1. 08.30 Pembukaan")])
    long = Reply(reply.text + "📚" * 2039, choices)
    wrong = [
        (reply, [Sent(reply.text)]),  # the choice lost
        (reply, [Sent("Pilih sesi:", (button,))]),  # words lost
        (reply, [Sent(" "), Sent(reply.text, (button,))]),  # an empty message
        (long, [Sent(long.text, (button,))]),  # 4,098 UTF-16 units
        (reply, [Sent(reply.text, (Button(button.label, "sesi|1" + "x" * 60),))]),
        (Reply("Nomor HP?", share_phone="Kirim"), [Sent("Nomor HP?")]),
    ]
    for given_reply, given_sent in wrong:
        with pytest.raises(AssertionError):
            check_reply(harness, given_reply, given_sent)


# Splitting on its own, at limits small enough to put a cut anywhere ---------------------


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@FUZZ
@given(text=st.text(max_size=200).map(Text), limit=st.integers(2, 40))
def test_any_text_splits_within_the_limit(text: Text, limit: int) -> None:
    parts = split_text(text.value, limit, utf16)
    assert all(part.strip() for part in parts)
    assert all(utf16(part) <= limit for part in parts)
    spans(text.value, parts)


@FUZZ
@given(text=clustered(st.integers(0, 300)), limit=st.integers(14, 60))
def test_no_cut_inside_a_character(text: Text, limit: int) -> None:
    """Above 14 units, the longest cluster drawn (a subdivision flag) fits in a part."""
    parts = split_text(text.value, limit, utf16)
    assert all(utf16(part) <= limit for part in parts)
    assert text.boundaries is not None
    for start, end in spans(text.value, parts):
        assert start in text.boundaries
        assert end in text.boundaries


words = st.lists(st.text("abcdefghij", min_size=1, max_size=8), min_size=1, max_size=6)


@FUZZ
@given(lines=st.lists(words, min_size=1, max_size=30), limit=st.integers(53, 100))
def test_lines_are_kept_whole_when_they_fit(lines: list[list[str]], limit: int) -> None:
    text = "\n".join(" ".join(line) for line in lines)  # no line over 53 characters
    for start, end in spans(text, split_text(text, limit)):
        assert start == 0 or text[start - 1] == "\n"
        assert end == len(text) or text[end] == "\n"


@FUZZ
@given(line=words.map(" ".join), limit=st.integers(8, 30))
def test_words_are_kept_whole_when_they_fit(line: str, limit: int) -> None:
    for start, end in spans(line, split_text(line, limit)):
        assert start == 0 or line[start - 1] == " "
        assert end == len(line) or line[end] == " "
