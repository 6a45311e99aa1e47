"""What WhatsApp's deliveries say, beyond the captured payloads the channel contract
checks (tests/test_channel_contract.py, ``TestWhatsAppContract``): odd shapes, names and
types of files, and no delivery, however odd, breaks the parser."""

import copy
from datetime import datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.whatsapp_parse import MalformedPayloadError, parse
from handlers.types import Attachment, Inbound, InboundKind
from tests.channel_contract import FUZZ
from tests.whatsapp_harness import (
    ANDI,
    PHONE_NUMBER_ID,
    SRI,
    WHATSAPP_EXPECTED,
    Payload,
    load,
    whatsapp,
)

# Cases the fixtures do not show ------------------------------------------------------


def delivery(*messages: Any, phone_number_id: str = PHONE_NUMBER_ID) -> Payload:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "6281200000100", "phone_number_id": phone_number_id},
        "messages": list(messages),
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102938475610001", "changes": [{"value": value, "field": "messages"}]}],
    }


def sent(kind: str, sender: Any = SRI, key: Any = "wamid.case-1", **content: Any) -> Payload:
    return delivery({"from": sender, "id": key, "timestamp": "1731464400", "type": kind, **content})


def only(payload: Payload) -> Inbound | None:
    messages = parse(payload, PHONE_NUMBER_ID).messages
    assert len(messages) <= 1
    return messages[0].inbound if messages else None


UNSUPPORTED = whatsapp(SRI, "wamid.case-1", kind=InboundKind.UNSUPPORTED)


@pytest.mark.parametrize(
    "sender",
    ["+6281200001001", "US.13491208655302741918", "٦٢٨١٢٠٠٠٠١٠٠١", "", None, 6281200001001],
)
def test_a_sender_without_a_number_is_no_one_to_answer(sender: Any) -> None:
    assert only(sent("text", sender, text={"body": "halo"})) is None


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (sent("text", text={"body": ""}), whatsapp(SRI, "wamid.case-1", text="")),
        (sent("text", text={"body": 5}), UNSUPPORTED),
        (sent("text"), UNSUPPORTED),
        (sent("video", video={"id": "1", "mime_type": "video/mp4"}), UNSUPPORTED),
        (sent("contacts", contacts=[{"name": {"formatted_name": "Andi"}}]), UNSUPPORTED),
        (sent("a_type_meta_adds_later"), UNSUPPORTED),
        # A WhatsApp Flow's answers: the bot sends no Flow.
        (sent("interactive", interactive={"type": "nfm_reply", "nfm_reply": {}}), UNSUPPORTED),
        (
            sent("interactive", interactive={"type": "button_reply", "button_reply": {}}),
            UNSUPPORTED,
        ),
        (sent("interactive", interactive={"type": ["list_reply"]}), UNSUPPORTED),
        (sent("button", button={"text": "Ya"}), UNSUPPORTED),
        (sent("request_welcome"), whatsapp(SRI, "wamid.case-1", text="/start")),
        (sent("revoke", revoke={"original_message_id": "wamid.case-0"}), None),
        (sent("text", key="", text={"body": "halo"}), None),
        (sent("text", key=None, text={"body": "halo"}), None),
        (
            sent("text", text={"body": "halo \ud83d"}),
            whatsapp(SRI, "wamid.case-1", text="halo \ufffd"),
        ),
    ],
)
def test_messages(payload: Payload, expected: Inbound | None) -> None:
    assert only(payload) == expected


@pytest.mark.parametrize(
    ("document", "filename", "media_type"),
    [
        ({"id": "9", "mime_type": "text/csv"}, "file", "text/csv"),
        ({"id": "9", "filename": "jadwal.csv"}, "jadwal.csv", "text/csv"),
        ({"id": "9", "filename": "../../etc/passwd"}, "passwd", "application/octet-stream"),
        (
            {"id": "9", "filename": "a.pdf", "mime_type": "Application/PDF; x=1"},
            "a.pdf",
            "application/pdf",
        ),
        ({"id": "9", "filename": "a.pdf", "mime_type": "not a type"}, "a.pdf", "application/pdf"),
    ],
)
def test_a_documents_name_and_type(
    document: dict[str, Any], filename: str, media_type: str
) -> None:
    (received,) = parse(sent("document", document=document), PHONE_NUMBER_ID).messages
    assert received.media_id == "9"
    assert received.inbound.attachment == Attachment(filename, media_type, None, 0)


def test_a_picture_is_named_for_its_type() -> None:
    (received,) = parse(
        sent("image", image={"id": "77", "mime_type": "image/png"}), PHONE_NUMBER_ID
    ).messages
    assert received.media_id == "77"
    assert received.inbound == whatsapp(
        SRI,
        "wamid.case-1",
        kind=InboundKind.PHOTO,
        attachment=Attachment("photo.png", "image/png", None, 0),
    )


def test_a_delivery_of_several_parts_keeps_what_it_can_read() -> None:
    payload = delivery(
        {"from": SRI, "id": "wamid.part-1", "type": "text", "text": {"body": "satu"}},
        "not a message",
        {"from": SRI, "type": "text"},  # no id
        {"from": ANDI, "id": "wamid.part-2", "type": "text", "text": {"body": "dua"}},
    )
    payload["entry"][0]["changes"] += [
        {"field": "message_template_status_update", "value": {"event": "APPROVED"}},
        {"field": "messages", "value": "not an object"},
        "not a change",
    ]
    payload["entry"] += [{"id": "1", "changes": None}]
    other = delivery({"from": SRI, "id": "wamid.part-3", "type": "text"}, phone_number_id="1")
    payload["entry"] += other["entry"]
    read = parse(payload, PHONE_NUMBER_ID)
    assert [r.inbound.text for r in read.messages] == ["satu", "dua"]
    assert read.skipped == 5


@pytest.mark.parametrize(
    "payload",
    [None, [], "x", {}, {"object": "page", "entry": []}, {"object": "whatsapp_business_account"}],
)
def test_what_is_no_delivery_at_all_is_refused_whole(payload: Any) -> None:
    with pytest.raises(MalformedPayloadError):
        parse(payload, PHONE_NUMBER_ID)


@pytest.mark.parametrize(
    "status",
    [
        {"id": "wamid.s", "status": "read", "timestamp": "soon"},
        {"id": "wamid.s", "status": "read", "timestamp": "9" * 40},
        {"id": "wamid.s", "status": "read", "timestamp": 1731464400.5},
        {"id": "wamid.s", "status": "", "timestamp": "1731464400"},
        {"id": 5, "status": "read", "timestamp": "1731464400"},
        {"status": "read", "timestamp": "1731464400"},
    ],
)
def test_a_status_that_cannot_be_read_is_skipped(status: dict[str, Any]) -> None:
    payload = delivery()
    payload["entry"][0]["changes"][0]["value"]["statuses"] = [status]
    read = parse(payload, PHONE_NUMBER_ID)
    assert (read.receipts, read.skipped) == ((), 1)


def test_a_failed_status_with_odd_errors_still_counts() -> None:
    payload = load("status_failed_131047.json")
    status = payload["entry"][0]["changes"][0]["value"]["statuses"][0]
    for errors, code, title in (
        ([{"code": "131047", "title": 7}], None, None),
        ([{"code": True}], None, None),
        (["x"], None, None),
        ("x", None, None),
    ):
        status["errors"] = errors
        (receipt,) = parse(payload, PHONE_NUMBER_ID).receipts
        assert (receipt.status, receipt.error_code, receipt.error_title) == ("failed", code, title)


# Any delivery at all ------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=25,
)
# Keys and values Meta uses, so that drawn deliveries reach deep into the parser.
WORDS = [
    "object",
    "entry",
    "changes",
    "field",
    "value",
    "metadata",
    "phone_number_id",
    "messages",
    "statuses",
    "from",
    "id",
    "type",
    "text",
    "body",
    "interactive",
    "button_reply",
    "list_reply",
    "button",
    "payload",
    "document",
    "image",
    "caption",
    "filename",
    "mime_type",
    "status",
    "timestamp",
    "errors",
    "code",
    "title",
    "whatsapp_business_account",
    PHONE_NUMBER_ID,
    SRI,
]
near_values = st.recursive(
    st.none() | st.integers() | st.sampled_from(WORDS) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(WORDS), inner, max_size=6)
    ),
    max_leaves=40,
)


def paths(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Where each part of a JSON value sits."""
    found = [at]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += paths(inner, (*at, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += paths(inner, (*at, index))
    return found


# What a sender, an id or a type could be instead of what Meta sends.
ODD = st.sampled_from(
    ["+6281200001001", "US.13491208655302741918", "٦٢٨١٢", "", "0", "6281200001001\n", "\ud800"]
)
anything = json_values | near_values | ODD | st.text(max_size=12)


def in_a_message(at: tuple[Any, ...]) -> bool:
    return "messages" in at or "statuses" in at


@st.composite
def mutated_fixtures(draw: st.DrawFn) -> Any:
    """A captured delivery with some of its parts, mostly of its messages and statuses,
    replaced by anything."""
    payload: Any = copy.deepcopy(
        load(draw(st.sampled_from([*sorted(WHATSAPP_EXPECTED), "batches/two_people.json"])))
    )
    for _ in range(draw(st.integers(1, 3))):
        places = paths(payload)
        inner = [at for at in places if in_a_message(at)]
        mostly_inner = bool(inner) and draw(st.integers(0, 4)) > 0
        at = draw(st.sampled_from(inner if mostly_inner else places))
        new = draw(anything)
        if not at:
            payload = new
            continue
        parent = payload
        for step in at[:-1]:
            parent = parent[step]
        parent[at[-1]] = new
    return payload


def digits_of(payload: Any) -> set[str]:
    """Every string anywhere in ``payload`` that is a number in ASCII digits."""
    if isinstance(payload, dict):
        return set().union(*(digits_of(v) for v in payload.values()), set())
    if isinstance(payload, list):
        return set().union(*(digits_of(v) for v in payload), set())
    if isinstance(payload, str) and payload and all("0" <= c <= "9" for c in payload):
        return {payload}
    return set()


@FUZZ
@given(payload=json_values | near_values)
def test_any_json_is_read_without_failing(payload: Any) -> None:
    check_read(payload)


@settings(FUZZ, max_examples=300)
@given(payload=mutated_fixtures())
def test_any_delivery_is_read_without_failing_and_every_message_has_a_sender(
    payload: Any,
) -> None:
    check_read(payload)


def check_read(payload: Any) -> None:
    """Reading ``payload`` fails only on what is no delivery; what it reads is what the
    engine and the outbox can take, each message from a number in the payload."""
    try:
        read = parse(payload, PHONE_NUMBER_ID)
    except MalformedPayloadError:
        return
    senders = digits_of(payload)
    for received in read.messages:
        inbound = received.inbound
        assert inbound.channel == "whatsapp"
        assert inbound.user_key in senders
        assert inbound.user_key.isascii()
        assert inbound.user_key.isdigit()
        assert inbound.address == inbound.user_key
        assert isinstance(inbound.message_key, str)
        assert inbound.message_key
        assert isinstance(inbound.text, str)
        assert isinstance(inbound.choice, str)
        assert (inbound.kind is InboundKind.CHOICE) or inbound.choice == ""
        assert (inbound.attachment is not None) == (
            inbound.kind in (InboundKind.FILE, InboundKind.PHOTO)
        )
        assert received.media_id is None or isinstance(received.media_id, str)
        (inbound.text + inbound.choice + inbound.message_key).encode()  # storable
    for receipt in read.receipts:
        assert receipt.external_id
        assert receipt.status
        assert isinstance(receipt.at, datetime)
        assert receipt.at.tzinfo is not None
