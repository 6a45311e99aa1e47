"""The contract every channel passes, whatever its platform.

A channel only translates: a platform's update becomes a neutral ``Inbound`` (or nothing),
and a ``Reply`` becomes the platform's calls. These tests check the first half once per
channel, against payloads captured from the platform.
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
"""

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from handlers.types import Inbound, Reply

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


# Texts, and where they may be cut ---------------------------------------------------


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


FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # the harness holds no state between examples
        HealthCheck.too_slow,
    ],
)


# The contract ---------------------------------------------------------------------


class PlatformContract:
    """What a channel does with its platform's payloads. A subclass provides ``harness``."""

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
