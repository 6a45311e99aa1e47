"""WhatsApp's webhook over HTTP, with the real engine on a real database: Meta's
handshake, signatures, size limits, stored deliveries read once (across restarts and
redeliveries), receipts, people side by side, files fetched, and nothing personal in
the logs. Translation itself is checked in test_whatsapp_inbound.py."""

import asyncio
import copy
import io
import json
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlmodel import col
from structlog.testing import capture_logs

from bot.channels.whatsapp import ATTEMPTS, LEASE, SIGNATURE_HEADER
from bot.channels.whatsapp_parse import Receipt
from bot.db import SessionMaker
from bot.engine import Engine
from bot.logging import configure_logging
from handlers.i18n import Translator
from handlers.outgoing import reply_of
from handlers.types import Inbound, InboundKind, Reply
from models import ChannelIdentity, Event, InboundMessage, OutboxMessage, webhook_inbox
from models.types import utcnow
from tests.channel_contract import FUZZ
from tests.test_whatsapp_inbound import mutated_fixtures
from tests.whatsapp_harness import (
    RAHMAT,
    SRI,
    VERIFY_TOKEN,
    XLSX,
    MediaStore,
    Payload,
    RecordingEngine,
    Webhook,
    channel,
    load,
    sign,
    wamid,
)

ID = Translator("id")


def text_from(who: str, text: str, key: str) -> Payload:
    """Meta's delivery of one text message (the shape of text.json)."""
    payload = load("text.json")
    value = payload["entry"][0]["changes"][0]["value"]
    value["contacts"][0]["wa_id"] = who
    message = value["messages"][0]
    message.update({"from": who, "id": key, "text": {"body": text}})
    return payload


def together(*payloads: Payload) -> Payload:
    """Several deliveries' messages in one, as Meta batches them."""
    joined = copy.deepcopy(payloads[0])
    value = joined["entry"][0]["changes"][0]["value"]
    for payload in payloads[1:]:
        value["messages"] += payload["entry"][0]["changes"][0]["value"]["messages"]
    return joined


async def replies_to(sessions: SessionMaker, who: str) -> list[Reply]:
    """What the engine wrote to the outbox for ``who`` on WhatsApp, oldest first."""
    async with sessions() as session:
        rows = await session.execute(
            select(col(OutboxMessage.body))
            .join(ChannelIdentity, col(ChannelIdentity.id) == col(OutboxMessage.identity_id))
            .where(col(ChannelIdentity.channel) == "whatsapp", col(ChannelIdentity.user_key) == who)
            .order_by(col(OutboxMessage.id))
        )
        return [reply_of(body) for body in rows.scalars().all()]


async def count(sessions: SessionMaker, table: Any) -> int:
    async with sessions() as session:
        found = await session.execute(select(func.count()).select_from(table))
    return found.scalar_one()


@pytest.fixture
def media() -> MediaStore:
    return MediaStore()


@pytest.fixture
async def webhook(
    sessions: SessionMaker, demo_event: Event, media: MediaStore
) -> AsyncIterator[Webhook]:
    hook = await Webhook(channel(Engine(sessions), sessions, media), sessions).start()
    yield hook
    await hook.stop()


# Meta's handshake and what it signs ---------------------------------------------------


async def test_the_handshake_answers_the_challenge_for_the_agreed_token(webhook: Webhook) -> None:
    asked = {
        "hub.mode": "subscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "1158201444",
    }
    async with webhook.http.get(webhook.url, params=asked) as answer:
        assert answer.status == 200
        assert answer.content_type == "text/plain"
        assert await answer.text() == "1158201444"
    for wrong in (
        {"hub.verify_token": VERIFY_TOKEN + "x"},
        {"hub.verify_token": ""},
        {"hub.mode": "unsubscribe"},
    ):
        async with webhook.http.get(webhook.url, params=asked | wrong) as answer:
            assert answer.status == 403
    async with webhook.http.get(webhook.url) as answer:
        assert answer.status == 403


async def test_a_delivery_without_the_apps_signature_is_refused(
    webhook: Webhook, sessions: SessionMaker
) -> None:
    body = json.dumps(text_from(SRI, "/start", "wamid.unsigned-1")).encode()
    assert await webhook.post(body, {SIGNATURE_HEADER: ""}) == 403
    async with webhook.http.post(webhook.url, data=body) as answer:
        assert answer.status == 401, "no signature at all"
    for signature in (
        sign(body, "another-apps-secret"),
        sign(body + b" "),
        sign(body).replace("sha256=", "sha1="),
        sign(body)[:-1],
        "sha256=" + "é" * 64,
    ):
        assert await webhook.post(body, {SIGNATURE_HEADER: signature}) == 403, signature
    assert await webhook.post(body, {SIGNATURE_HEADER: sign(body).upper()}) == 403
    assert await webhook.stored() == 0
    assert await count(sessions, InboundMessage) == 0
    assert await replies_to(sessions, SRI) == []


async def test_a_signature_in_upper_case_hex_is_the_same_signature(
    webhook: Webhook, sessions: SessionMaker
) -> None:
    body = json.dumps(text_from(SRI, "/start", "wamid.upper-1")).encode()
    signature = "sha256=" + sign(body).removeprefix("sha256=").upper()
    assert await webhook.post(body, {SIGNATURE_HEADER: signature}) == 200
    await webhook.wait_read()
    assert [r.text for r in await replies_to(sessions, SRI)] == [ID("ask.language")]


async def test_an_oversized_delivery_is_refused_before_it_is_read(
    sessions: SessionMaker, demo_event: Event
) -> None:
    limit = 4096
    hook = await Webhook(channel(Engine(sessions), sessions, body_limit=limit), sessions).start()
    try:
        padded = text_from(SRI, "/start", "wamid.big-1")
        padded["padding"] = "x" * limit
        big = json.dumps(padded).encode()
        assert await hook.post(big) == 413

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(big), 1024):
                yield big[start : start + 1024]

        headers = {SIGNATURE_HEADER: sign(big), "Content-Type": "application/json"}
        async with hook.http.post(hook.url, data=chunks(), headers=headers) as answer:
            assert answer.status == 413, "a body streamed without its length"
        assert await hook.stored() == 0

        at_limit = text_from(SRI, "/start", "wamid.big-2")
        at_limit["padding"] = ""
        at_limit["padding"] = "x" * (limit - len(json.dumps(at_limit).encode()))
        assert len(json.dumps(at_limit).encode()) == limit
        assert await hook.post(at_limit) == 200
        await hook.wait_read()
        assert [r.text for r in await replies_to(sessions, SRI)] == [ID("ask.language")]
    finally:
        await hook.stop()


async def test_a_malformed_delivery_is_acknowledged_logged_and_not_handled(
    sessions: SessionMaker, demo_event: Event
) -> None:
    """Meta would send a refused delivery again and again: it is taken, logged and
    dropped; nothing of it reaches the engine."""
    stored = await Webhook(channel(Engine(sessions), sessions), sessions, running=False).start()
    try:
        assert await stored.post(b"{not json") == 200
        assert await stored.post(b"\xff\xfe\x00garbage") == 200
        assert await stored.post({"object": "page", "entry": []}) == 200
        assert await stored.post(b"[1, 2, 3]") == 200
        assert await stored.stored() == 4, "kept as they came, like any signed delivery"
    finally:
        await stored.stop()
    with capture_logs() as logs:
        hook = await Webhook(channel(Engine(sessions), sessions), sessions).start()
        try:
            await hook.wait_read()
        finally:
            await hook.stop()
    malformed = [e for e in logs if e["event"] == "whatsapp_delivery_malformed"]
    assert len(malformed) == 4
    assert all(isinstance(e["inbox_id"], int) for e in malformed)
    assert await count(sessions, InboundMessage) == 0
    assert await count(sessions, OutboxMessage) == 0
    assert await count(sessions, ChannelIdentity) == 0


# Read once, whatever happens --------------------------------------------------------


async def test_a_message_meta_delivers_twice_is_answered_once(
    webhook: Webhook, sessions: SessionMaker
) -> None:
    payload = load("text.json")
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = "/start"
    await webhook.deliver(payload)
    await webhook.deliver(payload)
    await webhook.deliver(together(payload, payload))
    assert [r.text for r in await replies_to(sessions, SRI)] == [ID("ask.language")]
    assert await count(sessions, InboundMessage) == 1
    async with sessions() as session:
        identity = (await session.execute(select(ChannelIdentity))).scalar_one()
    assert (identity.channel, identity.user_key, identity.address) == ("whatsapp", SRI, SRI)


async def test_what_the_bot_cannot_read_is_answered_plainly(
    webhook: Webhook, sessions: SessionMaker
) -> None:
    await webhook.deliver(load("sticker.json"))
    await webhook.deliver(load("reaction.json"))  # Sri's: waits for no answer
    assert (await replies_to(sessions, RAHMAT))[0].text == ID("invalid.unsupported")
    assert await replies_to(sessions, SRI) == []


async def test_two_people_in_one_delivery_each_get_their_answer(
    webhook: Webhook, sessions: SessionMaker
) -> None:
    await webhook.deliver(load("batches/two_people.json"))
    assert [r.text for r in await replies_to(sessions, SRI)] == [ID("ask.language")]
    assert [r.text for r in await replies_to(sessions, RAHMAT)] == [ID("ask.language")]


async def test_a_delivery_stored_while_nothing_read_it_is_read_at_the_next_start(
    sessions: SessionMaker, demo_event: Event
) -> None:
    first = await Webhook(channel(Engine(sessions), sessions), sessions, running=False).start()
    try:
        assert await first.post(text_from(SRI, "/start", "wamid.restart-1")) == 200
    finally:
        await first.stop()
    assert await replies_to(sessions, SRI) == []

    second = await Webhook(channel(Engine(sessions), sessions), sessions).start()
    try:
        await second.wait_read()
    finally:
        await second.stop()
    assert [r.text for r in await replies_to(sessions, SRI)] == [ID("ask.language")]


async def test_a_delivery_left_by_a_process_that_died_is_read_when_its_claim_runs_out(
    sessions: SessionMaker, demo_event: Event
) -> None:
    body = json.dumps(text_from(SRI, "/start", "wamid.died-1")).encode()
    now = utcnow()
    async with sessions.begin() as session:  # as the dead process stored and claimed it
        await session.run_sync(webhook_inbox.store, "whatsapp", body, now, now + LEASE)

    alive = await Webhook(channel(Engine(sessions), sessions), sessions).start()
    try:
        await asyncio.sleep(0.3)
        assert await alive.stored() == 1, "taken while the other process may still read it"
    finally:
        await alive.stop()

    later = lambda: utcnow() + LEASE + timedelta(seconds=1)  # noqa: E731
    hook = await Webhook(channel(Engine(sessions), sessions, clock=later), sessions).start()
    try:
        await hook.wait_read()
    finally:
        await hook.stop()
    assert [r.text for r in await replies_to(sessions, SRI)] == [ID("ask.language")]


# Receipts ---------------------------------------------------------------------------


async def test_receipts_are_passed_on_in_order(sessions: SessionMaker, demo_event: Event) -> None:
    names = [
        "status_sent.json",
        "status_delivered.json",
        "status_read.json",
        "status_failed_131047.json",
        "status_failed_131026.json",
    ]
    stored = await Webhook(channel(Engine(sessions), sessions), sessions, running=False).start()
    try:
        for name in names:
            assert await stored.post(load(name)) == 200
    finally:
        await stored.stop()

    batches: list[list[Receipt]] = []

    async def on_receipts(receipts: Sequence[Receipt]) -> None:
        batches.append(list(receipts))

    live = channel(Engine(sessions), sessions, on_receipts=on_receipts)
    hook = await Webhook(live, sessions).start()
    try:
        await hook.wait_read()
    finally:
        await hook.stop()

    def status_id(name: str) -> str:
        value: str = load(name)["entry"][0]["changes"][0]["value"]["statuses"][0]["id"]
        return value

    ours = status_id("status_sent.json")
    at = datetime(2024, 11, 13, 2, 20, tzinfo=UTC)
    assert batches == [
        [
            Receipt(ours, "sent", at + timedelta(seconds=900)),
            Receipt(ours, "delivered", at + timedelta(seconds=901)),
            Receipt(ours, "read", at + timedelta(seconds=960)),
            Receipt(
                status_id("status_failed_131047.json"),
                "failed",
                at + timedelta(seconds=1000),
                error_code=131047,
                error_title="Re-engagement message",
            ),
            Receipt(
                status_id("status_failed_131026.json"),
                "failed",
                at + timedelta(seconds=1001),
                error_code=131026,
                error_title="Message undeliverable",
            ),
        ]
    ]
    assert await count(sessions, OutboxMessage) == 0


async def test_receipts_that_could_not_be_passed_on_are_kept_for_another_try(
    sessions: SessionMaker, demo_event: Event
) -> None:
    calls: list[int] = []

    async def on_receipts(receipts: Sequence[Receipt]) -> None:
        calls.append(len(receipts))
        if len(calls) == 1:
            raise ConnectionError("the database went away")

    hook = await Webhook(
        channel(Engine(sessions), sessions, on_receipts=on_receipts), sessions
    ).start()
    try:
        assert await hook.post(load("status_read.json")) == 200
        async with asyncio.timeout(5):
            while not calls:
                await asyncio.sleep(0.01)
        assert await hook.stored() == 1
    finally:
        await hook.stop()
    later = lambda: utcnow() + LEASE + timedelta(seconds=1)  # noqa: E731
    retry = channel(Engine(sessions), sessions, on_receipts=on_receipts, clock=later)
    hook = await Webhook(retry, sessions).start()
    try:
        await hook.wait_read()
    finally:
        await hook.stop()
    assert calls == [1, 1]


# Side by side, in order -------------------------------------------------------------


class GatedEngine(RecordingEngine):
    """Sri's first message waits until Rahmat's has been handled: they can only both
    finish if different people's messages run side by side. Rahmat's fails."""

    def __init__(self) -> None:
        super().__init__()
        self.rahmat_done = asyncio.Event()

    async def handle(self, inbound: Inbound) -> list[Reply]:
        if inbound.user_key == SRI and inbound.text == "satu":
            await asyncio.wait_for(self.rahmat_done.wait(), 5)
        await super().handle(inbound)
        if inbound.user_key == RAHMAT:
            self.rahmat_done.set()
            raise RuntimeError("a message that cannot be handled")
        return []


async def test_people_side_by_side_each_in_order_and_a_failure_stops_no_one(
    sessions: SessionMaker,
) -> None:
    engine = GatedEngine()
    hook = await Webhook(channel(engine, sessions), sessions).start()
    try:
        assert (
            await hook.post(
                together(
                    text_from(SRI, "satu", "wamid.order-1"),
                    text_from(RAHMAT, "boom", "wamid.order-2"),
                    text_from(SRI, "dua", "wamid.order-3"),
                )
            )
            == 200
        )
        assert await hook.post(text_from(SRI, "tiga", "wamid.order-4")) == 200
        async with asyncio.timeout(5):
            while len(engine.inbound) < 4:
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)
        assert await hook.stored() == 1, "the delivery with the failed message is kept"
    finally:
        await hook.stop()
    said = [(i.user_key, i.text) for i in engine.inbound]
    assert said[0] == (RAHMAT, "boom")
    assert [text for who, text in said if who == SRI] == ["satu", "dua", "tiga"]


# Files ------------------------------------------------------------------------------


async def test_a_document_is_fetched_within_the_limit_before_the_engine_sees_it(
    sessions: SessionMaker, media: MediaStore
) -> None:
    engine = RecordingEngine()
    hook = await Webhook(channel(engine, sessions, media), sessions).start()
    try:
        small = b"PK\x03\x04" + b"\x00" * 996
        payload = load("document.json")
        document = payload["entry"][0]["changes"][0]["value"]["messages"][0]["document"]
        media.files[document["id"]] = (small, XLSX)
        await hook.deliver(payload)

        too_big = copy.deepcopy(payload)
        message = too_big["entry"][0]["changes"][0]["value"]["messages"][0]
        message["id"] = "wamid.too-big-1"
        message["document"]["id"] = "5550001"
        media.files["5550001"] = (b"PK" + b"\x00" * (6 * 1024 * 1024), XLSX)
        await hook.deliver(too_big)

        gone = copy.deepcopy(too_big)  # the Graph API no longer has it
        gone["entry"][0]["changes"][0]["value"]["messages"][0].update(
            {"id": "wamid.gone-1", "document": {**message["document"], "id": "5550002"}}
        )
        await hook.deliver(gone)
    finally:
        await hook.stop()
    assert media.asked == [
        (document["id"], 5 * 1024 * 1024),
        ("5550001", 5 * 1024 * 1024),
        ("5550002", 5 * 1024 * 1024),
    ]
    fetched, big, missing = (i.attachment for i in engine.inbound)
    assert fetched is not None
    assert (fetched.content, fetched.size) == (small, len(small))
    assert fetched.filename == "Agenda Bimtek KUKAR 2024.xlsx"
    assert big is not None
    assert (big.content, big.size) == (None, 6 * 1024 * 1024 + 2)
    assert missing is not None
    assert (missing.content, missing.size) == (None, 0)
    assert [i.kind for i in engine.inbound] == [InboundKind.FILE] * 3


async def test_a_fetch_that_fails_still_hands_the_message_over(sessions: SessionMaker) -> None:
    engine = RecordingEngine()

    async def broken(media_id: str, limit: int) -> None:
        raise aiohttp.ClientConnectionError("graph.facebook.com unreachable")

    hook = await Webhook(channel(engine, sessions, fetch_media=broken), sessions).start()
    try:
        await hook.deliver(load("image_caption.json"))
    finally:
        await hook.stop()
    (photo,) = engine.inbound
    assert photo.kind is InboundKind.PHOTO
    assert photo.text == "Foto kegiatan hari pertama"
    assert photo.attachment is not None
    assert photo.attachment.content is None


# Logs -------------------------------------------------------------------------------


@pytest.fixture
def debug_logs() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging("DEBUG", "json", stream)
    yield stream
    configure_logging("INFO", "console")


async def test_no_personal_data_in_logs(
    debug_logs: io.StringIO, webhook: Webhook, sessions: SessionMaker, media: MediaStore
) -> None:
    await webhook.deliver(text_from(SRI, "/start", "wamid.logs-1"))
    await webhook.deliver(load("text.json"))
    await webhook.deliver(load("document.json"))  # not served: its fetch fails
    await webhook.deliver(load("status_failed_131047.json"))
    broken = load("reply_with_context.json")
    broken["entry"][0]["changes"][0]["value"]["messages"].append({"from": SRI, "id": 7})
    await webhook.deliver(broken)
    assert await webhook.post(b'{"nama": "Sri Lestari", "nomor": "6281200001001"') == 200
    await webhook.wait_read()
    logs = debug_logs.getvalue()
    assert '"event": "whatsapp_delivery_partly_read"' in logs
    assert '"event": "whatsapp_delivery_malformed"' in logs
    assert '"event": "whatsapp_media_fetch_failed"' in logs
    for secret in (
        SRI,
        "Sri Lestari",
        "Perpustakaan",
        "Agenda",
        "Ruang Mahakam",
        wamid("text.json")[6:30],
    ):
        assert secret not in logs, f"{secret!r} leaked into the logs"


async def test_a_backlog_is_read_batch_after_batch(sessions: SessionMaker) -> None:
    """Deliveries piled up while no process read them (250: more than one batch) are all
    read at the start, without waiting for the next sweep."""
    now = utcnow()
    async with sessions.begin() as session:
        for n in range(250):
            body = json.dumps(text_from(SRI, f"pesan {n}", f"wamid.backlog-{n}")).encode()
            await session.run_sync(webhook_inbox.store, "whatsapp", body, now, None)
    engine = RecordingEngine()
    hook = await Webhook(channel(engine, sessions, sweep_every=600), sessions).start()
    try:
        await hook.wait_read()
    finally:
        await hook.stop()
    assert [i.text for i in engine.inbound] == [f"pesan {n}" for n in range(250)]


async def test_a_delivery_that_keeps_failing_is_given_up(sessions: SessionMaker) -> None:
    body = json.dumps(text_from(SRI, "halo", "wamid.poison-1")).encode()
    now = utcnow()
    async with sessions.begin() as session:
        stored = await session.run_sync(webhook_inbox.store, "whatsapp", body, now, now)
        for _ in range(ATTEMPTS - 1):  # as earlier tries left it
            await session.run_sync(webhook_inbox.claim, "whatsapp", now, now, 10)
    engine = RecordingEngine()
    with capture_logs() as logs:
        hook = await Webhook(channel(engine, sessions), sessions).start()
        try:
            await hook.wait_read()
        finally:
            await hook.stop()
    assert engine.inbound == []
    (given_up,) = [e for e in logs if e["event"] == "whatsapp_inbox_given_up"]
    assert given_up["inbox_ids"] == [stored.id]
    assert given_up["log_level"] == "error"


@settings(FUZZ, max_examples=10)
@given(bodies=st.lists(mutated_fixtures(), min_size=3, max_size=8))
async def test_odd_deliveries_signed_by_meta_are_taken_and_break_nothing(
    sessions: SessionMaker, bodies: list[Any]
) -> None:
    engine = RecordingEngine()
    hook = await Webhook(channel(engine, sessions), sessions).start()
    try:
        for body in bodies:
            assert await hook.post(json.dumps(body).encode()) == 200
        await hook.deliver(text_from(RAHMAT, "masih hidup?", f"wamid.alive-{len(bodies)}"))
    finally:
        await hook.stop()
    assert all(i.user_key.isascii() and i.user_key.isdigit() for i in engine.inbound)
    assert engine.inbound[-1].text == "masih hidup?"
