"""The Graph API client and what the Cloud API's errors mean for the dispatcher, against
the fake Cloud API (and, for answers the fake never gives, a transport at the network's
edge)."""

import socket
from collections.abc import AsyncIterator

import httpx
import pytest
from structlog.testing import capture_logs

from bot.channels.whatsapp_api import GraphClient, GraphError
from bot.channels.whatsapp_send import TemplateRef, WhatsAppConfig, WhatsAppSender
from bot.delivery.sending import Editor, Outcome, WindowedSender
from handlers.types import Attachment, Reply
from tests.channel_contract import JPEG, menu
from tests.fakes.whatsapp_api import PHONE_NUMBER_ID, TOKEN, FakeWhatsAppServer
from tests.fakes.whatsapp_rules import Template

SRI = "6281200000001"
SECRET_WORDS = "Nomor KTP saya 6401010101010001"


async def no_pace() -> None:
    """Rates are not under test here."""


@pytest.fixture
async def client(whatsapp_server: FakeWhatsAppServer) -> AsyncIterator[GraphClient]:
    client = GraphClient(whatsapp_server.base_url, PHONE_NUMBER_ID, TOKEN)
    try:
        yield client
    finally:
        await client.aclose()


def test_the_sender_keeps_to_a_window_and_edits_nothing() -> None:
    sender = WhatsAppSender(GraphClient("https://graph.example/v23.0", PHONE_NUMBER_ID, TOKEN))
    assert isinstance(sender, WindowedSender)
    assert not isinstance(sender, Editor)
    assert sender.window.total_seconds() == 24 * 3600


async def test_the_settings_make_a_client_without_showing_the_token(
    whatsapp_server: FakeWhatsAppServer,
) -> None:
    config = WhatsAppConfig(PHONE_NUMBER_ID, TOKEN, whatsapp_server.base_url, timeout=5)
    assert TOKEN not in repr(config)
    client = config.client()
    result = await WhatsAppSender(client).send(SRI, Reply("Halo"), skip=0, pace=no_pace)
    await client.aclose()
    assert result.outcome is Outcome.SENT
    assert [m.text for m in whatsapp_server.sent_to(SRI)] == ["Halo"]


# Errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status", "outcome", "wait"),
    [
        (131047, 400, Outcome.WINDOW_CLOSED, 0),
        (130429, 429, Outcome.RETRY_AFTER, 3),
        (131056, 429, Outcome.RETRY_AFTER, 15),
        (131026, 400, Outcome.BLOCKED, 0),
        (131051, 400, Outcome.REFUSED, 0),
        (100, 400, Outcome.REFUSED, 0),
        (131008, 400, Outcome.REFUSED, 0),
        (131009, 400, Outcome.REFUSED, 0),
        (132000, 400, Outcome.REFUSED, 0),
        (132001, 404, Outcome.REFUSED, 0),
        (1, 500, Outcome.UNAVAILABLE, 0),
        (2, 503, Outcome.UNAVAILABLE, 0),
        (131000, 500, Outcome.UNAVAILABLE, 0),
        (131016, 503, Outcome.UNAVAILABLE, 0),
        (190, 401, Outcome.UNAVAILABLE, 0),
        (999999, 502, Outcome.UNAVAILABLE, 0),  # a whatsapp_server error whatever its code
    ],
)
async def test_each_error_code_tells_the_dispatcher_what_to_do(
    whatsapp_server: FakeWhatsAppServer,
    client: GraphClient,
    code: int,
    status: int,
    outcome: Outcome,
    wait: float,
) -> None:
    whatsapp_server.fail(SRI, code, status)
    with capture_logs() as logs:
        result = await WhatsAppSender(client).send(SRI, Reply(SECRET_WORDS), skip=0, pace=no_pace)
    assert (result.outcome, result.retry_after, result.parts_sent) == (outcome, wait, 0)
    assert result.error.startswith(str(code))
    for told in (result.error, repr(logs)):
        assert SRI not in told
        assert "KTP" not in told


async def test_a_refused_token_is_logged_as_an_error(whatsapp_server: FakeWhatsAppServer) -> None:
    client = GraphClient(whatsapp_server.base_url, PHONE_NUMBER_ID, "EAAGexpired")
    with capture_logs() as logs:
        result = await WhatsAppSender(client).send(SRI, Reply(SECRET_WORDS), skip=0, pace=no_pace)
    await client.aclose()
    assert (result.outcome, result.error) == (Outcome.UNAVAILABLE, "190 access")
    assert [(e["event"], e["log_level"], e["code"]) for e in logs] == [
        ("whatsapp_access_refused", "error", 190)
    ]
    assert whatsapp_server.sent_to(SRI) == []


async def test_network_trouble_is_unavailable() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = GraphClient(f"http://127.0.0.1:{port}/v23.0", PHONE_NUMBER_ID, TOKEN, timeout=2)
    result = await WhatsAppSender(client).send(SRI, Reply(SECRET_WORDS), skip=0, pace=no_pace)
    await client.aclose()
    assert (result.outcome, result.error) == (Outcome.UNAVAILABLE, "network ConnectError")


async def test_a_slow_answer_is_a_timeout(whatsapp_server: FakeWhatsAppServer) -> None:
    whatsapp_server.latency = 0.5
    client = GraphClient(whatsapp_server.base_url, PHONE_NUMBER_ID, TOKEN, timeout=0.1)
    result = await WhatsAppSender(client).send(SRI, Reply("Halo"), skip=0, pace=no_pace)
    await client.aclose()
    assert (result.outcome, result.error) == (Outcome.UNAVAILABLE, "network ReadTimeout")


async def test_an_error_never_quotes_a_number() -> None:
    """Graph's message names the problem; should one ever quote the request, a number
    that looks like a phone number does not reach the exception."""

    def answer(request: httpx.Request) -> httpx.Response:
        message = "(#131009) Parameter value is not valid for +62 812-0000-0001"
        return httpx.Response(400, json={"error": {"message": message, "code": 131009}})

    client = GraphClient(
        "https://graph.example/v23.0", PHONE_NUMBER_ID, TOKEN, transport=httpx.MockTransport(answer)
    )
    with pytest.raises(GraphError) as raised:
        await client.send_message({"to": SRI, "type": "text", "text": {"body": SECRET_WORDS}})
    await client.aclose()
    assert (raised.value.http_status, raised.value.code) == (400, 131009)
    assert "0001" not in str(raised.value)
    assert "KTP" not in str(raised.value)


# Templates -----------------------------------------------------------------------------


async def test_after_the_window_only_a_template_goes(
    whatsapp_server: FakeWhatsAppServer, client: GraphClient
) -> None:
    whatsapp_server.window_closed.add(SRI)
    sender = WhatsAppSender(client, {"reminder": TemplateRef("bimtek_pengingat", "id")})
    text = "Pengingat:\tsesi berikut\n\n10.15  Advokasi      Perpustakaan\r\nRuang Mahakam"
    reply = Reply(text, menu(2))
    assert (await sender.send(SRI, reply, skip=0, pace=no_pace)).outcome is Outcome.WINDOW_CLOSED
    result = await sender.send_template(SRI, "reminder", reply, pace=no_pace)
    assert (result.outcome, result.parts_sent) == (Outcome.SENT, 1)
    [got] = whatsapp_server.sent_to(SRI)
    assert got.template == Template(
        "bimtek_pengingat",
        "id",
        (
            "Pengingat: sesi berikut · 10.15 Advokasi Perpustakaan · Ruang Mahakam"
            " · 1. 08.00 Sesi 1 · 2. 08.30 Sesi 2",
        ),
    )
    assert result.message_ids == (got.message_id,)


async def test_a_long_text_is_cut_after_a_word_to_fit_the_template(
    whatsapp_server: FakeWhatsAppServer, client: GraphClient
) -> None:
    sender = WhatsAppSender(client, {"digest": TemplateRef("bimtek_harian", "id", 60)})
    words = "Jadwal hari ini: pembukaan, advokasi perpustakaan, transformasi, penutupan"
    await sender.send_template(SRI, "digest", Reply(words), pace=no_pace)
    [got] = whatsapp_server.sent_to(SRI)
    assert got.template is not None
    assert got.template.parameters == ("Jadwal hari ini: pembukaan, advokasi perpustakaan,…",)


async def test_a_file_outside_the_window_goes_as_the_template_alone(
    whatsapp_server: FakeWhatsAppServer, client: GraphClient
) -> None:
    sender = WhatsAppSender(client, {"broadcast": TemplateRef("bimtek_pengumuman", "id")})
    poster = Attachment("poster.jpg", "image/jpeg", JPEG, len(JPEG))
    result = await sender.send_template(
        SRI, "broadcast", Reply("", attachment=poster), pace=no_pace
    )
    assert result.outcome is Outcome.SENT
    assert [c.kind for c in whatsapp_server.calls] == ["message"]
    assert [m.template.parameters for m in whatsapp_server.sent_to(SRI) if m.template] == [
        ("poster.jpg",)
    ]


async def test_no_template_for_the_kind_needs_one_without_a_call(
    whatsapp_server: FakeWhatsAppServer, client: GraphClient
) -> None:
    sender = WhatsAppSender(client, {"reminder": TemplateRef("bimtek_pengingat", "id")})
    paced: list[None] = []

    async def pace() -> None:
        paced.append(None)

    result = await sender.send_template(SRI, "survey", Reply("Isi survei"), pace=pace)
    assert (result.outcome, result.parts_sent, result.error) == (
        Outcome.NEEDS_TEMPLATE, 0, "no template for survey",
    )  # fmt: skip
    assert (whatsapp_server.calls, paced) == ([], [])


async def test_a_template_meta_does_not_know_is_refused(
    whatsapp_server: FakeWhatsAppServer, client: GraphClient
) -> None:
    whatsapp_server.templates = {("bimtek_pengingat", "en")}
    sender = WhatsAppSender(client, {"reminder": TemplateRef("bimtek_pengingat", "id")})
    result = await sender.send_template(SRI, "reminder", Reply("Sesi 10.15"), pace=no_pace)
    assert (result.outcome, result.error) == (Outcome.REFUSED, "132001 template")


# Fetching a person's file --------------------------------------------------------------


async def test_a_file_is_fetched_whole(
    whatsapp_server: FakeWhatsAppServer, client: GraphClient
) -> None:
    media_id = whatsapp_server.add_media(JPEG, "image/jpeg")
    fetched = await client.fetch_media(media_id, limit=len(JPEG))
    assert fetched is not None
    assert (fetched.mime_type, fetched.size, fetched.content) == ("image/jpeg", len(JPEG), JPEG)
    assert [c.kind for c in whatsapp_server.calls] == ["media_info", "download"]


async def test_a_file_declared_too_large_is_not_downloaded(
    whatsapp_server: FakeWhatsAppServer, client: GraphClient
) -> None:
    media_id = whatsapp_server.add_media(
        b"%PDF" + b"\x00" * 100, "application/pdf", size=30_000_000
    )
    fetched = await client.fetch_media(media_id, limit=5_000_000)
    assert fetched is not None
    assert (fetched.too_large, fetched.size) == (True, 30_000_000)
    assert [c.kind for c in whatsapp_server.calls] == ["media_info"]


async def test_a_file_larger_than_it_said_is_read_no_further_than_the_limit(
    whatsapp_server: FakeWhatsAppServer, client: GraphClient
) -> None:
    media_id = whatsapp_server.add_media(b"\x00" * 3_000_000, "application/pdf", size=1000)
    fetched = await client.fetch_media(media_id, limit=100_000)
    assert fetched is not None
    assert fetched.too_large
    assert 100_000 < fetched.size < 3_000_000


async def test_a_file_meta_no_longer_has_is_none(client: GraphClient) -> None:
    assert await client.fetch_media("1037543291549999", limit=1000) is None


async def test_the_token_goes_to_no_other_host_over_plain_http() -> None:
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        info = {"url": "http://media.example/file.jpg", "mime_type": "image/jpeg", "file_size": 9}
        return httpx.Response(200, json=info)

    client = GraphClient(
        "https://graph.example/v23.0", PHONE_NUMBER_ID, TOKEN, transport=httpx.MockTransport(answer)
    )
    with pytest.raises(GraphError):
        await client.fetch_media("1037543291543636", limit=1000)
    await client.aclose()
    assert asked == ["https://graph.example/v23.0/1037543291543636"]
