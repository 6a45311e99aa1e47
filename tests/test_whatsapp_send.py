"""WhatsApp, outgoing: what a person's phone shows for a reply, and what the dispatcher
is told, against the fake Cloud API. Expectations are written from Meta's documented
limits, not computed with the renderer's helpers."""

from collections.abc import AsyncIterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.channels.whatsapp_api import GraphClient
from bot.channels.whatsapp_send import TemplateRef, WhatsAppSender
from bot.delivery.sending import Outcome
from handlers.types import Attachment, Choice, Reply
from tests.channel_contract import (
    CALENDAR,
    FUZZ,
    JPEG,
    choice_line,
    menu,
    spans,
    without_trailing_lines,
)
from tests.fakes.whatsapp_api import PHONE_NUMBER_ID, TOKEN, FakeWhatsAppServer
from tests.fakes.whatsapp_rules import Option, Received

SRI = "6281200000001"
TEMPLATES = {
    "reminder": TemplateRef("bimtek_pengingat", "id"),
    "broadcast": TemplateRef("bimtek_pengumuman", "id", parameter_limit=100),
}


class Paces:
    """Counts the waits the sender asks for."""

    def __init__(self) -> None:
        self.count = 0

    async def __call__(self) -> None:
        self.count += 1


@pytest.fixture
async def sender(whatsapp_server: FakeWhatsAppServer) -> AsyncIterator[WhatsAppSender]:
    client = GraphClient(whatsapp_server.base_url, PHONE_NUMBER_ID, TOKEN)
    try:
        yield WhatsAppSender(client, TEMPLATES)
    finally:
        await client.aclose()


async def shown(
    sender: WhatsAppSender, whatsapp_server: FakeWhatsAppServer, reply: Reply
) -> list[Received]:
    result = await sender.send(SRI, reply, skip=0, pace=Paces())
    assert result.outcome is Outcome.SENT, result
    got = whatsapp_server.sent_to(SRI)
    assert result.message_ids == tuple(m.message_id for m in got)
    assert result.parts_sent == len(got)
    return got


# Choices -----------------------------------------------------------------------------


async def test_up_to_three_short_labels_are_reply_buttons(
    sender: WhatsAppSender, whatsapp_server: FakeWhatsAppServer
) -> None:
    choices = (Choice("?1|yes", "✅ Setuju"), Choice("?1|no", "Tidak setuju"))
    got = await shown(sender, whatsapp_server, Reply("Setuju dengan pemrosesan data?", choices))
    assert [(m.type, m.text) for m in got] == [("button", "Setuju dengan pemrosesan data?")]
    assert got[0].options == (Option("?1|yes", "✅ Setuju"), Option("?1|no", "Tidak setuju"))


async def test_a_label_of_21_characters_makes_a_list_not_buttons(
    sender: WhatsAppSender, whatsapp_server: FakeWhatsAppServer
) -> None:
    label = "Perpustakaan Sekolah!"  # 21 characters: over a button's 20, within a row's 24
    got = await shown(
        sender, whatsapp_server, Reply("Jenis?", (Choice("t|1", label), Choice("t|2", "TBM")))
    )
    assert [m.type for m in got] == ["list"]
    assert got[0].options == (Option("t|1", label), Option("t|2", "TBM"))
    assert got[0].list_button == "Menu"


async def test_four_to_ten_choices_are_a_list(
    sender: WhatsAppSender, whatsapp_server: FakeWhatsAppServer
) -> None:
    got = await shown(sender, whatsapp_server, Reply("Pilih sesi:", menu(10)))
    assert [(m.type, m.text) for m in got] == [("list", "Pilih sesi:")]
    assert [(o.id, o.title, o.description) for o in got[0].options] == [
        (f"sesi|{100 + i}", f"{8 + i // 2:02d}.{30 * (i % 2):02d} Sesi {i + 1}", "")
        for i in range(10)
    ]


async def test_a_long_label_keeps_its_words_and_is_read_whole(
    sender: WhatsAppSender, whatsapp_server: FakeWhatsAppServer
) -> None:
    label = "10.15 Advokasi untuk Pengembangan Perpustakaan Desa"
    choices = (Choice("sesi|7", label), *menu(3))
    got = await shown(sender, whatsapp_server, Reply("Sesi hari ini:", choices))
    assert got[0].options[0] == Option("sesi|7", "10.15 Advokasi untuk…", label)


async def test_a_long_word_is_cut_between_characters(
    sender: WhatsAppSender, whatsapp_server: FakeWhatsAppServer
) -> None:
    label = "Perpustakaan" + "👨‍👩‍👧‍👦" * 3  # no space to cut at; the family is 7 code points
    got = await shown(sender, whatsapp_server, Reply("?", (Choice("a", label), *menu(3))))
    assert got[0].options[0] == Option("a", "Perpustakaan👨‍👩‍👧‍👦…", label)


@pytest.mark.parametrize(
    "choices",
    [menu(11), (Choice("x|1", "Ya"), Choice("x|2", "L" * 73))],
    ids=["eleven choices", "a label over 72 characters"],
)
async def test_what_no_list_can_show_is_numbered_lines(
    sender: WhatsAppSender, whatsapp_server: FakeWhatsAppServer, choices: tuple[Choice, ...]
) -> None:
    got = await shown(sender, whatsapp_server, Reply("Pilih:", choices))
    lines = [f"  {place}. {choice.label}" for place, choice in enumerate(choices, 1)]
    assert [(m.type, m.text) for m in got] == [("text", "\n".join(["Pilih:", *lines]))]


async def test_choices_without_text_show_their_lines_as_the_body(
    sender: WhatsAppSender, whatsapp_server: FakeWhatsAppServer
) -> None:
    got = await shown(sender, whatsapp_server, Reply("", menu(2)))
    assert got[0].text == "  1. 08.00 Sesi 1\n  2. 08.30 Sesi 2"
    assert [o.id for o in got[0].options] == ["sesi|100", "sesi|101"]


async def test_the_phone_request_is_a_question_to_type_the_answer_to(
    sender: WhatsAppSender, whatsapp_server: FakeWhatsAppServer
) -> None:
    got = await shown(
        sender, whatsapp_server, Reply("Nomor HP Anda?", share_phone="📱 Kirim nomor saya")
    )
    assert [(m.type, m.text, m.options) for m in got] == [("text", "Nomor HP Anda?", ())]


# Long texts ----------------------------------------------------------------------------


async def test_a_long_text_goes_in_parts_and_the_buttons_with_its_end(
    sender: WhatsAppSender, whatsapp_server: FakeWhatsAppServer
) -> None:
    text = "\n".join(
        f"Baris {n:04d} jadwal Bimtek di Ruang Mahakam, lantai dua." for n in range(200)
    )
    got = await shown(sender, whatsapp_server, Reply(text, menu(2)))
    assert [m.type for m in got] == ["text", "text", "text", "button"]
    assert all(len(m.text) <= 4096 for m in got[:-1])
    assert 900 < len(got[-1].text) <= 1024, "the buttons come with as much text as fits"
    assert got[-1].text.startswith("Baris"), "cut at a line break"
    spans(text, [m.text for m in got])


async def test_a_text_that_fits_is_one_message(
    sender: WhatsAppSender, whatsapp_server: FakeWhatsAppServer
) -> None:
    got = await shown(sender, whatsapp_server, Reply("x" * 4096))
    assert [(m.type, len(m.text)) for m in got] == [("text", 4096)]


# Files ---------------------------------------------------------------------------------


async def test_a_file_is_uploaded_then_sent_by_its_media_id(
    sender: WhatsAppSender, whatsapp_server: FakeWhatsAppServer
) -> None:
    ics = Attachment("bimtek-KUKAR2024.ics", "text/calendar", CALENDAR, len(CALENDAR))
    got = await shown(sender, whatsapp_server, Reply("Simpan di kalender Anda.", attachment=ics))
    assert [c.kind for c in whatsapp_server.calls] == ["upload", "message", "message"]
    # The Cloud API takes no text/calendar: the calendar goes as text under its own name.
    assert whatsapp_server.calls[0].body["type"] == "text/plain"
    document = whatsapp_server.calls[1].body["document"]
    assert document["id"] in whatsapp_server.media
    assert document["filename"] == "bimtek-KUKAR2024.ics"
    assert [(m.type, m.filename, m.text) for m in got] == [
        ("document", "bimtek-KUKAR2024.ics", ""),
        ("text", "", "Simpan di kalender Anda."),
    ]
    assert got[0].media is not None
    assert got[0].media.content == CALENDAR


async def test_a_picture_takes_its_text_as_caption(
    sender: WhatsAppSender, whatsapp_server: FakeWhatsAppServer
) -> None:
    photo = Attachment("poster.png", "image/png", JPEG, len(JPEG))
    text = "📢 " + "x" * 1022  # 1,024 characters: a caption's most
    got = await shown(sender, whatsapp_server, Reply(text, attachment=photo))
    assert [(m.type, m.text) for m in got] == [("image", text)]
    assert got[0].media is not None
    assert got[0].media.content == JPEG


async def test_a_picture_with_choices_leaves_the_text_to_the_buttons(
    sender: WhatsAppSender, whatsapp_server: FakeWhatsAppServer
) -> None:
    photo = Attachment("photo.jpg", "image/jpeg", JPEG, len(JPEG))
    got = await shown(sender, whatsapp_server, Reply("Hadir?", menu(2), attachment=photo))
    assert [(m.type, m.text) for m in got] == [("image", ""), ("button", "Hadir?")]


async def test_a_broadcast_file_is_uploaded_once(
    sender: WhatsAppSender, whatsapp_server: FakeWhatsAppServer
) -> None:
    pdf = Attachment("materi.pdf", "application/pdf", b"%PDF-1.4 ...", 12)
    for wa_id in ("6281200000002", "6281200000003", "6281200000004"):
        result = await sender.send(wa_id, Reply("Materi", attachment=pdf), skip=0, pace=Paces())
        assert result.outcome is Outcome.SENT
    assert len(whatsapp_server.of_kind("upload")) == 1
    assert (
        len(
            {
                c.body["document"]["id"]
                for c in whatsapp_server.of_kind("message")
                if "document" in c.body
            }
        )
        == 1
    )


async def test_a_type_whatsapp_does_not_take_is_refused(
    sender: WhatsAppSender, whatsapp_server: FakeWhatsAppServer
) -> None:
    archive = Attachment("foto.zip", "application/zip", b"PK\x03\x04", 4)
    result = await sender.send(SRI, Reply("Foto", attachment=archive), skip=0, pace=Paces())
    assert (result.outcome, result.parts_sent, result.error) == (
        Outcome.REFUSED,
        0,
        "100 invalid parameter",
    )


# Pace and skip -------------------------------------------------------------------------


async def test_pace_is_awaited_once_a_message_and_skip_is_honoured(
    sender: WhatsAppSender, whatsapp_server: FakeWhatsAppServer
) -> None:
    pdf = Attachment("materi.pdf", "application/pdf", b"%PDF-1.4 ...", 12)
    reply = Reply("y" * 5000, menu(2), attachment=pdf)  # document, text, text with buttons
    paces = Paces()
    first = await sender.send(SRI, reply, skip=0, pace=paces)
    assert (first.parts_sent, paces.count, len(whatsapp_server.of_kind("upload"))) == (3, 3, 1)
    paces = Paces()
    again = await sender.send("6281200000009", reply, skip=2, pace=paces)
    assert (again.outcome, again.parts_sent, len(again.message_ids), paces.count) == (
        Outcome.SENT, 3, 1, 1,
    )  # fmt: skip
    assert [m.type for m in whatsapp_server.sent_to("6281200000009")] == ["button"]


async def test_a_failure_midway_says_how_many_parts_went(
    sender: WhatsAppSender, whatsapp_server: FakeWhatsAppServer
) -> None:
    whatsapp_server.rate_limit = 1
    result = await sender.send(SRI, Reply("z" * 5000), skip=0, pace=Paces())
    assert (result.outcome, result.parts_sent, len(result.message_ids)) == (
        Outcome.RETRY_AFTER, 1, 1,
    )  # fmt: skip
    assert (result.error, result.retry_after) == ("130429 rate", 3)


# Any reply -----------------------------------------------------------------------------

WORDS = st.sampled_from(["Sesi", "Advokasi", "perpustakaan", "📚", "é", "👨‍👩‍👧‍👦", "🇮🇩", "x" * 30])
long_labels = st.lists(WORDS, min_size=1, max_size=12).map(" ".join).filter(lambda s: len(s) <= 90)


@FUZZ
@given(
    text=st.text(max_size=3000),
    names=st.lists(long_labels, max_size=14),
)
async def test_any_choices_reach_the_person(
    sender: WhatsAppSender, whatsapp_server: FakeWhatsAppServer, text: str, names: list[str]
) -> None:
    """The fake never refuses what is sent; every choice is a button or a row whose title
    is its label, or whose description is its label under a title that starts it, or a
    numbered line; and no text is lost."""
    choices = tuple(Choice(f"c|{n}", name) for n, name in enumerate(names))
    before = len(whatsapp_server.sent_to(SRI))
    result = await sender.send(SRI, Reply(text, choices), skip=0, pace=Paces())
    assert result.outcome is Outcome.SENT, result
    got = whatsapp_server.sent_to(SRI)[before:]
    options = [o for m in got for o in m.options]
    if options:
        assert [o.id for o in options] == [c.payload for c in choices]
        for option, choice in zip(options, choices, strict=True):
            if option.title != choice.label:
                assert option.description == choice.label
                assert option.title.endswith("…")
                assert choice.label.startswith(option.title[:-1].rstrip())
    lines = [] if options else [choice_line(place, c) for place, c in enumerate(choices, 1)]
    pieces = without_trailing_lines([m.text for m in got], lines)
    if text.strip():
        spans(text, pieces)
