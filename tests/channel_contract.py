"""The contract every channel passes, whatever its platform.

A channel only translates: a platform's update becomes a neutral ``Inbound`` (or nothing),
and a ``Reply`` becomes the platform's calls. These tests check both halves once per
channel, against payloads captured from the platform and against the platform's limits.
Every expectation is written here or in the channel's table from the platform's
documentation and ``handlers.types``, never computed with the channel's own helpers.

Adding a channel (WhatsApp, say):

1. Payloads as the platform sends them in ``tests/fixtures/whatsapp/*.json``.
2. A ``PlatformHarness``: ``render`` through the channel's real send path (against a fake
   of the platform's API, capturing the calls), ``translate`` with the channel's own
   parser, ``receive`` through its real transport (the webhook), ``other_deliveries``;
   and the platform's limits, with ``measure`` counting as the platform counts.
3. ``class TestWhatsAppContract(PlatformContract)`` in ``tests/test_channel_contract.py``
   with ``fixtures`` (the folder), ``expected`` (each file's ``Inbound``, or None for an
   update to ignore) and a ``harness`` fixture.

A channel without platform payloads (the console) subclasses ``RenderingContract`` only.
"""

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from handlers.types import Attachment, Choice, Inbound, Reply

Payload = dict[str, Any]

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass(frozen=True)
class Button:
    label: str
    payload: str  # what pressing it sends back


@dataclass(frozen=True)
class Sent:
    """One message as the platform received it, in neutral terms."""

    text: str = ""
    buttons: tuple[Button, ...] = ()
    contact_button: str | None = None  # the label of a one-tap "share my number" button
    document: tuple[str, bytes] | None = None  # a file's name and content


class RecordingEngine:
    """Stands in for the engine: keeps what the channel hands over, answers ``replies``."""

    def __init__(self) -> None:
        self.inbound: list[Inbound] = []
        self.replies: list[Reply] = []

    async def handle(self, inbound: Inbound) -> list[Reply]:
        self.inbound.append(inbound)
        return list(self.replies)


class ChannelHarness(ABC):
    """How the contract reaches one channel."""

    text_limit: int | None = None  # of one message's text, as ``measure`` counts
    caption_limit: int | None = None  # of the text sent in the same message as a file
    payload_limit: int | None = None  # bytes (UTF-8) of a button's payload
    contact_button: bool = False  # whether ``Reply.share_phone`` becomes a button

    def measure(self, text: str) -> int:
        """A text's length as the platform counts it, computed by the test."""
        return len(text)

    @abstractmethod
    async def render(self, reply: Reply) -> list[Sent]:
        """What the platform receives, in order, when the channel sends ``reply``."""


class PlatformHarness(ChannelHarness):
    @abstractmethod
    def translate(self, payload: Payload) -> Inbound | None:
        """The channel's own translation of one update."""

    @abstractmethod
    async def receive(self, payload: Payload) -> Inbound | None:
        """What the engine is handed when the platform delivers ``payload`` through the
        channel's real transport; files the payload names are served by the fake."""

    @abstractmethod
    def other_deliveries(self, payload: Payload) -> list[Payload]:
        """Payloads the platform could deliver later that are not ``payload`` again (the
        next message of the same kind; the platform's ids reused, where they may be)."""


# What every rendered reply must keep --------------------------------------------------


def check_reply(harness: ChannelHarness, reply: Reply, sent: Sequence[Sent]) -> None:
    """The invariants of any reply on any channel: nothing over the platform's limits,
    no empty message, every choice reachable, nothing of the text lost, the file sent
    before the text and the contact button offered where the channel has one."""
    for message in sent:
        assert message.document is not None or message.text.strip(), f"empty message {sent}"
        if harness.text_limit is not None:
            length = harness.measure(message.text)
            assert length <= harness.text_limit, f"a text of {length} units"
        if harness.caption_limit is not None and message.document is not None:
            length = harness.measure(message.text)
            assert length <= harness.caption_limit, f"a caption of {length} units"
        for button in message.buttons:
            if harness.payload_limit is not None:
                assert len(button.payload.encode()) <= harness.payload_limit, button
    lines = [choice_line(place, c) for place, c in unbuttoned(reply, sent)]
    pieces = without_trailing_lines([m.text for m in sent if m.text], lines)
    if reply.text.strip():
        spans(reply.text, pieces)
    if reply.attachment is not None and reply.attachment.content:
        documents = [m for m in sent if m.document is not None]
        assert len(documents) == 1, "one file"
        assert sent[0] is documents[0], "the file before the text"
        assert documents[0].document is not None
        assert documents[0].document[1] == reply.attachment.content
    offered = [m.contact_button for m in sent if m.contact_button is not None]
    if harness.contact_button and reply.share_phone and not reply.choices:
        assert offered == [reply.share_phone]
        assert sent[-1].contact_button == reply.share_phone, "the button under the question"
    else:
        assert offered == []


def unbuttoned(reply: Reply, sent: Sequence[Sent]) -> list[tuple[int, Choice]]:
    """The choices (with their place) that no button carries, label and payload."""
    buttons = {button for message in sent for button in message.buttons}
    return [
        (place, choice)
        for place, choice in enumerate(reply.choices, 1)
        if Button(choice.label, choice.payload) not in buttons
    ]


def choice_line(place: int, choice: Choice) -> str:
    """A choice as a line to type from, as ``handlers.types.Choice`` describes it: its
    number (its place unless it has one), or a bullet and its label for number 0."""
    number = place if choice.number is None else choice.number
    return f"{number}. {choice.label}" if number else f"• {choice.label}"


def without_trailing_lines(pieces: Sequence[str], lines: Sequence[str]) -> list[str]:
    """``pieces`` without ``lines``, which must end them, in order (whitespace around
    each line aside): the choices shown as lines to type from."""
    left = list(pieces)
    for line in reversed(lines):
        while left and not left[-1].strip():
            left.pop()
        assert left, f"no line {line!r}"
        head, _, last = left[-1].rpartition("\n")
        assert last.strip() == line, f"{line!r} is not reachable: {last!r}"
        left[-1] = head
    return left


def spans(original: str, pieces: Sequence[str]) -> list[tuple[int, int]]:
    """Where each piece lies in ``original``: they must follow each other with nothing but
    whitespace between them and around them, so that nothing is lost or changed."""
    found: list[tuple[int, int]] = []
    at = 0
    for piece in pieces:
        text = piece.strip()
        if not text:
            continue
        while at < len(original) and original[at].isspace():
            at += 1
        assert original.startswith(text, at), f"text lost or changed at {at}: {text[:40]!r}"
        found.append((at, at + len(text)))
        at += len(text)
    assert not original[at:].strip(), f"text lost from {at}: {original[at : at + 40]!r}"
    return found


# Texts built of known characters-as-people-see-them, to check where they are cut ------

# Each is one extended grapheme cluster (UAX #29), written out by hand.
CLUSTERS = [
    "a",
    "é",  # precomposed
    "e\u0301",  # e and a combining acute accent
    "📚",  # beyond the BMP: two UTF-16 units
    "👍🏽",  # with a skin tone
    "👨\u200d👩\u200d👧\u200d👦",  # a family: four emoji joined by ZWJ, 11 units
    "🇮🇩",  # a flag: two regional indicators
    "1\ufe0f\u20e3",  # a keycap
    "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",  # Scotland, by tags
    "\u1112\u1161\u11ab",  # 한 as three jamo
    "कि",  # a consonant and a spacing vowel sign
    "𝔸",
]
SPACES = [" ", "\n", "\r\n", "\n\n"]


@dataclass(frozen=True)
class Text:
    """A text, and where it may be cut when it is made of known clusters."""

    value: str
    boundaries: frozenset[int] | None = None

    @staticmethod
    def of(clusters: Sequence[str]) -> "Text":
        at, cuts = 0, {0}
        for cluster in clusters:
            at += len(cluster)
            cuts.add(at)
        return Text("".join(clusters), frozenset(cuts))


def check_cuts(text: Text, reply: Reply, sent: Sequence[Sent]) -> None:
    """No part begins or ends inside one of ``text``'s clusters."""
    if text.boundaries is None or not text.value.strip():
        return
    lines = [choice_line(place, c) for place, c in unbuttoned(reply, sent)]
    pieces = without_trailing_lines([m.text for m in sent if m.text], lines)
    for start, end in spans(text.value, pieces):
        assert start in text.boundaries, f"a part begins inside a character at {start}"
        assert end in text.boundaries, f"a part ends inside a character at {end}"


LONG_TEXTS = {
    "agenda lines": Text.of(
        list("Sesi 08.30–10.00 WITA: Strategi Transformasi Perpustakaan, Ruang Mahakam\n") * 80
    ),
    "emoji only": Text.of(["📚"] * 4096),
    "one line without spaces": Text.of(["x"] * 5000),
    "words and emoji": Text.of(
        ["Peserta", " ", CLUSTERS[5], " ", "dari", " ", CLUSTERS[6], " ", CLUSTERS[4], " "] * 600
    ),
    "emoji families without spaces": Text.of([CLUSTERS[5]] * 700),
    "flags without spaces": Text.of([CLUSTERS[6]] * 1500),
    "accents without spaces": Text.of([CLUSTERS[2]] * 5000),
    "jamo without spaces": Text.of([CLUSTERS[9]] * 2000),
    "CRLF lines": Text.of(["Baris", " ", "dengan", " ", "CRLF", "\r\n"] * 600),
    "every cluster": Text.of(CLUSTERS * 400),
}


# What hypothesis draws --------------------------------------------------------------

LABEL_CHARACTERS = st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp"))
labels = st.text(LABEL_CHARACTERS, min_size=1, max_size=30).map(str.strip).filter(bool)
# Within what handlers.types promises: at most 64 bytes, as Telegram's callback data.
payloads = st.text(min_size=1, max_size=64).filter(lambda p: len(p.encode()) <= 64)


def repeated(pieces: Sequence[str], size: int) -> list[str]:
    """``pieces`` over and over, ``size`` code points or a little more."""
    return list(pieces) * (size // max(1, sum(map(len, pieces))) + 1)


def clustered(sizes: st.SearchStrategy[int]) -> st.SearchStrategy[Text]:
    """Known clusters and spaces, repeated to about ``sizes``."""
    return st.builds(
        lambda clusters, size: Text.of(repeated(clusters, size)),
        st.lists(st.sampled_from(CLUSTERS + SPACES), min_size=1, max_size=30),
        sizes,
    )


def texts(sizes: st.SearchStrategy[int]) -> st.SearchStrategy[Text]:
    """Random text or known clusters, repeated to about ``sizes``."""
    anything = st.builds(
        lambda text, size: Text("".join(repeated([text], size))), st.text(min_size=1), sizes
    )
    return st.one_of(anything, clustered(sizes))


short_texts = st.one_of(st.text(max_size=300).map(Text), texts(st.integers(0, 300)))
# Longer than a Telegram message even in code points, which count once or twice there.
long_texts = texts(st.integers(4097, 12000))


@st.composite
def choice_lists(draw: st.DrawFn) -> tuple[Choice, ...]:
    count = draw(st.integers(0, 14))
    names = draw(st.lists(labels, min_size=count, max_size=count))
    data = draw(st.lists(payloads, min_size=count, max_size=count, unique=True))
    numbers: list[int | None] = [None] * count
    if draw(st.booleans()):
        # A page of a long list: items keep their numbers, page buttons are numbered 0.
        first = draw(st.integers(1, 60))
        pages = draw(st.lists(st.booleans(), min_size=count, max_size=count))
        numbers = [0 if page else first + i for i, page in enumerate(pages)]
    return tuple(Choice(d, n, number=k) for d, n, k in zip(data, names, numbers, strict=True))


attachments = st.builds(
    lambda kind, content: Attachment(kind[0], kind[1], content, len(content)),
    st.sampled_from(
        [
            ("bimtek-KUKAR2024.ics", "text/calendar"),
            ("Agenda Bimtek KUKAR 2024.xlsx", "application/vnd.ms-excel"),
            ("jadwal.csv", "text/csv"),
            ("photo.jpg", "image/jpeg"),  # a picture: shown in the chat, the text its caption
            ("poster.png", "image/png"),
        ]
    ),
    st.binary(min_size=1, max_size=200),
)


@st.composite
def replies(draw: st.DrawFn, of: st.SearchStrategy[Text] = short_texts) -> tuple[Reply, Text]:
    text = draw(of)
    choices = draw(choice_lists())
    # The core asks for a phone number with no other choice on offer.
    share_phone = None if choices else draw(st.none() | labels)
    attachment = draw(st.none() | attachments)
    return Reply(text.value, choices, share_phone, attachment), text


FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # the harness holds no state between examples
        HealthCheck.too_slow,
        # One test inherited by every channel's class: an example saved by one channel's
        # failure is replayed on the others too, which only makes them check it as well.
        HealthCheck.differing_executors,
    ],
)

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64 + b"\xff\xd9"
CALENDAR = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Bimtek Bot//id\r\nEND:VCALENDAR\r\n"


def menu(count: int) -> tuple[Choice, ...]:
    return tuple(
        Choice(f"sesi|{100 + i}", f"{8 + i // 2:02d}.{30 * (i % 2):02d} Sesi {i + 1}")
        for i in range(count)
    )


# The contract ---------------------------------------------------------------------


class RenderingContract:
    """What every channel does with a ``Reply``. A subclass provides ``harness``."""

    async def render(self, harness: ChannelHarness, reply: Reply) -> list[Sent]:
        sent = await harness.render(reply)
        check_reply(harness, reply, sent)
        return sent

    async def test_plain_text(self, harness: ChannelHarness) -> None:
        reply = Reply("Selamat datang di Bimtek SPP-TIK Kabupaten Kutai Kartanegara.")
        sent = await self.render(harness, reply)
        assert [m.text.strip() for m in sent] == [reply.text]
        assert [m.buttons for m in sent] == [()]

    @pytest.mark.parametrize("count", [1, 2, 3, 4, 7, 10, 11, 38])
    async def test_choices(self, harness: ChannelHarness, count: int) -> None:
        reply = Reply("Pilih sesi:", menu(count))
        sent = await self.render(harness, reply)
        assert sent[0].text.startswith("Pilih sesi:")
        shown = [b for m in sent for b in m.buttons]
        assert shown == [] or shown == [Button(c.label, c.payload) for c in reply.choices]

    async def test_a_page_of_a_long_list(self, harness: ChannelHarness) -> None:
        items = [Choice(f"?4|{n}", f"Provinsi {n}", number=n) for n in range(11, 21)]
        pages = [
            Choice("?4|page:0", "« Sebelumnya", number=0),
            Choice("?4|page:2", "Berikutnya »", number=0),
        ]
        await self.render(harness, Reply("Provinsi Anda? (11–20 dari 38)", (*items, *pages)))

    async def test_choices_with_an_empty_text(self, harness: ChannelHarness) -> None:
        await self.render(harness, Reply("", menu(3)))

    @pytest.mark.parametrize("name", sorted(LONG_TEXTS))
    async def test_a_long_text(self, harness: ChannelHarness, name: str) -> None:
        text = LONG_TEXTS[name]
        reply = Reply(text.value)
        sent = await self.render(harness, reply)
        check_cuts(text, reply, sent)
        if harness.text_limit is not None:
            # Long as Telegram counts (UTF-16 units); a platform that counts characters
            # takes some of them (4,096 emoji) in one message.
            over = harness.measure(text.value) > harness.text_limit
            assert (len(sent) > 1) == over, f"{len(sent)} messages"

    async def test_a_long_text_with_choices(self, harness: ChannelHarness) -> None:
        text = LONG_TEXTS["words and emoji"]
        reply = Reply(text.value, menu(5))
        sent = await self.render(harness, reply)
        check_cuts(text, reply, sent)
        assert all(not m.buttons for m in sent[:-1]), "buttons under the last part"

    async def test_a_text_at_the_limit_is_one_message(self, harness: ChannelHarness) -> None:
        if harness.text_limit is None:
            pytest.skip("no limit")
        text = "📚" * (harness.text_limit // harness.measure("📚"))
        text += "x" * (harness.text_limit - harness.measure(text))
        assert harness.measure(text) == harness.text_limit
        sent = await self.render(harness, Reply(text))
        assert [m.text for m in sent] == [text]

    async def test_a_file_with_text(self, harness: ChannelHarness) -> None:
        attachment = Attachment("bimtek-KUKAR2024.ics", "text/calendar", CALENDAR, len(CALENDAR))
        reply = Reply("Simpan jadwal ini di kalender Anda.", menu(2), attachment=attachment)
        sent = await self.render(harness, reply)
        assert sent[0].document == ("bimtek-KUKAR2024.ics", CALENDAR)

    async def test_a_file_without_text(self, harness: ChannelHarness) -> None:
        attachment = Attachment("bimtek-KUKAR2024.ics", "text/calendar", CALENDAR, len(CALENDAR))
        for reply in (Reply("", attachment=attachment), Reply("", menu(2), attachment=attachment)):
            sent = await self.render(harness, reply)
            assert sent[0].document == ("bimtek-KUKAR2024.ics", CALENDAR)

    async def test_a_photo_with_its_text(self, harness: ChannelHarness) -> None:
        photo = Attachment("photo.jpg", "image/jpeg", JPEG, len(JPEG))
        reply = Reply("📢 Bimtek KUKAR\n\nSesi pindah ke Ruang Mahakam.", menu(2), attachment=photo)
        sent = await self.render(harness, reply)
        assert sent[0].document == ("photo.jpg", JPEG)

    async def test_a_photo_with_a_text_longer_than_a_caption(self, harness: ChannelHarness) -> None:
        photo = Attachment("photo.jpg", "image/jpeg", JPEG, len(JPEG))
        text = LONG_TEXTS["agenda lines"].value[:3000]
        sent = await self.render(harness, Reply(text, menu(2), attachment=photo))
        assert sent[0].document == ("photo.jpg", JPEG)

    async def test_the_phone_request(self, harness: ChannelHarness) -> None:
        reply = Reply("Nomor HP Anda? (contoh: 0812 0000 0000)", share_phone="📱 Kirim nomor saya")
        await self.render(harness, reply)

    async def test_the_phone_request_without_text(self, harness: ChannelHarness) -> None:
        await self.render(harness, Reply("", share_phone="📱 Kirim nomor saya"))

    async def test_an_empty_reply_sends_nothing(self, harness: ChannelHarness) -> None:
        assert await self.render(harness, Reply("")) == []
        assert await self.render(harness, Reply(" \n ")) == []

    @FUZZ
    @given(case=replies())
    @example(case=(Reply("📚" * 4096), Text.of(["📚"] * 4096)))
    @example(case=(Reply("x" * 5000, menu(12)), Text.of(["x"] * 5000)))
    async def test_any_reply(self, harness: ChannelHarness, case: tuple[Reply, Text]) -> None:
        reply, text = case
        sent = await self.render(harness, reply)
        check_cuts(text, reply, sent)

    @FUZZ
    @given(case=replies(long_texts))
    async def test_any_long_reply(self, harness: ChannelHarness, case: tuple[Reply, Text]) -> None:
        reply, text = case
        sent = await self.render(harness, reply)
        check_cuts(text, reply, sent)


class PlatformContract(RenderingContract):
    """What a channel with a platform's payloads does with them, besides rendering."""

    fixtures: ClassVar[Path]
    expected: ClassVar[Mapping[str, Inbound | None]]

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "fixture_name" in metafunc.fixturenames:
            metafunc.parametrize("fixture_name", sorted(self.expected))
        if "message_name" in metafunc.fixturenames:  # the fixtures that are not ignored
            names = sorted(name for name, inbound in self.expected.items() if inbound)
            metafunc.parametrize("message_name", names)

    def load(self, name: str) -> Payload:
        payload: Payload = json.loads((self.fixtures / name).read_text(encoding="utf-8"))
        return payload

    def test_every_fixture_has_an_expectation(self) -> None:
        assert sorted(p.name for p in self.fixtures.glob("*.json")) == sorted(self.expected)

    def test_a_fixture_becomes_its_inbound(
        self, harness: PlatformHarness, fixture_name: str
    ) -> None:
        assert harness.translate(self.load(fixture_name)) == self.expected[fixture_name]

    async def test_a_fixture_reaches_the_engine_as_its_inbound(
        self, harness: PlatformHarness, fixture_name: str
    ) -> None:
        expected = self.expected[fixture_name]
        received = await harness.receive(self.load(fixture_name))
        if expected is not None and expected.attachment is not None:
            assert received is not None
            assert received.attachment is not None
            content = received.attachment.content
            assert content is not None, "the file was not fetched"
            assert received.attachment.size == len(content)
            if expected.attachment.size:  # the file of that size, not another
                assert len(content) == expected.attachment.size
            fetched = replace(received.attachment, content=None, size=expected.attachment.size)
            received = replace(received, attachment=fetched)
        assert received == expected

    def test_a_redelivery_keeps_its_key(self, harness: PlatformHarness, message_name: str) -> None:
        first = harness.translate(self.load(message_name))
        again = harness.translate(self.load(message_name))
        assert first is not None
        assert again is not None
        assert again.message_key == first.message_key

    def test_another_delivery_has_another_key(
        self, harness: PlatformHarness, message_name: str
    ) -> None:
        payload = self.load(message_name)
        first = harness.translate(payload)
        assert first is not None
        others = harness.other_deliveries(payload)
        assert others
        for other in others:
            inbound = harness.translate(other)
            assert inbound is not None
            assert inbound.message_key != first.message_key

    def test_keys_are_unique_across_fixtures(self, harness: PlatformHarness) -> None:
        keys = [
            inbound.message_key
            for name in self.expected
            if (inbound := harness.translate(self.load(name))) is not None
        ]
        assert keys
        assert all(keys)
        assert len(set(keys)) == len(keys)
