"""What a delivery of the WhatsApp Cloud API's webhook says, in neutral terms.

A delivery (``{"object": "whatsapp_business_account", "entry": [...]}``) may carry several
people's messages and the statuses of several messages the bot sent. Messages become
``Inbound``s, statuses become ``Receipt``s. Whatever Meta adds or changes, reading never
fails on a part it cannot read: that part is counted as skipped and the rest is read.
"""

import mimetypes
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from bot.channels.rendering import safe_filename
from handlers.types import Attachment, Inbound, InboundKind

CHANNEL = "whatsapp"
# Documents and pictures up to this size are fetched for the engine, as on Telegram: an
# agenda spreadsheet is far smaller.
FILE_DOWNLOAD_LIMIT = 5 * 1024 * 1024
OCTET_STREAM = "application/octet-stream"

# A WhatsApp id is the sender's number in digits. Anything else in ``from`` (a
# business-scoped user id, a group) is no one the bot can answer by number.
WA_ID = re.compile(r"[0-9]{1,20}")
# Messages that wait for no answer: a reaction to one of the bot's messages, a system
# notice (a number changed), an edit or a deletion of a message sent before (as on
# Telegram, the first answer stands).
IGNORED = frozenset({"reaction", "system", "edit", "revoke"})
# The chat opened for the first time, before anything is typed: what Telegram's Start
# button sends.
WELCOME, START = "request_welcome", "/start"
CHOICES = frozenset({"button_reply", "list_reply"})  # an interactive message's buttons

_SURROGATE = re.compile("[\ud800-\udfff]")
# Python's own table of types, not the machine's: the same names on every machine.
_TYPES = mimetypes.MimeTypes()


@dataclass(frozen=True, slots=True)
class Receipt:
    """What became of a message the bot sent."""

    external_id: str  # the message's id (wamid), as the send returned it
    status: str  # "sent", "delivered", "read", "failed"...
    at: datetime
    error_code: int | None = None  # of a failed message: 131047 (window closed)...
    error_title: str | None = None


@dataclass(frozen=True, slots=True)
class Received:
    """A message for the engine, and the Graph API's id of the file it brings (to fetch
    before the engine sees it)."""

    inbound: Inbound
    media_id: str | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    messages: tuple[Received, ...] = ()
    receipts: tuple[Receipt, ...] = ()
    skipped: int = 0  # parts that could not be read


class MalformedPayloadError(ValueError):
    """Not a delivery of the WhatsApp Business Account webhook at all."""


class _UnreadableError(Exception):
    """A part of a delivery not shaped as Meta documents it."""


def parse(payload: Any, phone_number_id: str) -> Delivery:
    """The messages to ``phone_number_id`` (the bot's number) and the statuses of the
    messages it sent, in the order of the delivery."""
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        raise MalformedPayloadError("not a WhatsApp Business Account delivery")
    entries = payload.get("entry")
    if not isinstance(entries, list):
        raise MalformedPayloadError("no list of entries")
    messages: list[Received] = []
    receipts: list[Receipt] = []
    skipped = 0
    for value in _values(entries):
        if value is None:
            skipped += 1
            continue
        metadata = value.get("metadata")
        if not isinstance(metadata, dict) or metadata.get("phone_number_id") != phone_number_id:
            continue  # another number of the same business account: not the bot's
        for raw in _list(value.get("messages")):
            try:
                received = _received(raw)
            except _UnreadableError:
                skipped += 1
                continue
            if received is not None:
                messages.append(received)
        for raw in _list(value.get("statuses")):
            receipt = _receipt(raw)
            if receipt is None:
                skipped += 1
            else:
                receipts.append(receipt)
    return Delivery(tuple(messages), tuple(receipts), skipped)


def _values(entries: list[Any]) -> list[dict[str, Any] | None]:
    """The ``value`` of every change to the ``messages`` field; None for a part that is
    not shaped as one. Changes to other fields (a template's review...) are not ours."""
    values: list[dict[str, Any] | None] = []
    for entry in entries:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        if not isinstance(changes, list):
            values.append(None)
            continue
        for change in changes:
            if not isinstance(change, dict):
                values.append(None)
            elif change.get("field") == "messages":
                value = change.get("value")
                values.append(value if isinstance(value, dict) else None)
    return values


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    """A string of the payload. JSON may escape half of a UTF-16 pair alone, which no
    database or encoder takes: it becomes U+FFFD, as a decoder shows it."""
    if not isinstance(value, str):
        return None
    if _SURROGATE.search(value) is None:
        return value
    return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _field(container: Any, *path: str) -> Any:
    """``container[a][b]...``, or None where a step is missing or not an object."""
    for key in path:
        if not isinstance(container, dict):
            return None
        container = container.get(key)
    return container


def _received(message: Any) -> Received | None:
    """The message for the engine, or None for one to ignore."""
    if not isinstance(message, dict):
        raise _UnreadableError
    sender, key, kind = message.get("from"), _text(message.get("id")), message.get("type")
    if not key or not isinstance(kind, str):
        raise _UnreadableError
    if not isinstance(sender, str) or not WA_ID.fullmatch(sender) or kind in IGNORED:
        return None
    inbound = Inbound(
        channel=CHANNEL,
        user_key=sender,
        message_key=key,
        kind=InboundKind.UNSUPPORTED,
        address=sender,
    )
    if kind == WELCOME:
        return Received(replace(inbound, kind=InboundKind.TEXT, text=START))
    if kind == "text":
        body = _text(_field(message, "text", "body"))
        if body is not None:
            return Received(replace(inbound, kind=InboundKind.TEXT, text=body))
    elif kind == "interactive":
        choice = _interactive_choice(message.get("interactive"))
        if choice is not None:
            return Received(replace(inbound, kind=InboundKind.CHOICE, choice=choice))
    elif kind == "button":  # a quick-reply button of a template
        payload = _text(_field(message, "button", "payload"))
        if payload is not None:
            return Received(replace(inbound, kind=InboundKind.CHOICE, choice=payload))
    elif kind in ("document", "image"):
        media = message.get(kind)
        if isinstance(media, dict):
            return _media(inbound, kind, media)
    # A sticker, a location, a voice note, a video, a contact card, a type Meta cannot
    # show ("unsupported") or one newer than this code: something the bot cannot read.
    return Received(inbound)


def _interactive_choice(interactive: Any) -> str | None:
    """The id of the button or list row pressed; None for another interactive reply (a
    WhatsApp Flow's answers, which the bot never asks for)."""
    kind = _field(interactive, "type")
    if not isinstance(kind, str) or kind not in CHOICES:
        return None
    return _text(_field(interactive, kind, "id"))


def _media(inbound: Inbound, kind: str, media: dict[str, Any]) -> Received:
    """A document or a picture, its content to fetch with ``media_id``. The webhook
    gives no size: 0 until it is fetched."""
    media_type = _media_type(_text(media.get("mime_type")))
    caption = _text(media.get("caption")) or ""
    media_id = _text(media.get("id")) or None
    if kind == "document":
        name = safe_filename(_text(media.get("filename")) or "")
        if media_type == OCTET_STREAM:
            media_type = _TYPES.guess_type(name)[0] or OCTET_STREAM
        attachment = Attachment(name, media_type, content=None, size=0)
        file = replace(inbound, kind=InboundKind.FILE, text=caption, attachment=attachment)
        return Received(file, media_id)
    # WhatsApp names no photo; the name says its type, as a file of one would.
    name = "photo" + (_TYPES.guess_extension(media_type) or "")
    attachment = Attachment(name, media_type, content=None, size=0)
    photo = replace(inbound, kind=InboundKind.PHOTO, text=caption, attachment=attachment)
    return Received(photo, media_id)


def _media_type(given: str | None) -> str:
    """``type/subtype`` without parameters ("audio/ogg; codecs=opus"), in lower case."""
    media_type = (given or "").partition(";")[0].strip().lower()
    top, slash, sub = media_type.partition("/")
    return media_type if top and slash and sub and " " not in media_type else OCTET_STREAM


def _receipt(status: Any) -> Receipt | None:
    """A status as a receipt; None when it cannot be read."""
    if not isinstance(status, dict):
        return None
    external_id, state = _text(status.get("id")), _text(status.get("status"))
    at = _moment(status.get("timestamp"))
    if not external_id or not state or at is None:
        return None
    errors = _list(status.get("errors"))
    error = errors[0] if errors and isinstance(errors[0], dict) else {}
    code = error.get("code")
    return Receipt(
        external_id,
        state,
        at,
        error_code=code if isinstance(code, int) and not isinstance(code, bool) else None,
        error_title=_text(error.get("title")),
    )


def _moment(timestamp: Any) -> datetime | None:
    """A Unix time as Meta writes it (a string of digits), as a UTC moment."""
    if not isinstance(timestamp, str) or not re.fullmatch(r"[0-9]{1,11}", timestamp):
        return None
    # Eleven digits reach the year 5138: within what datetime holds.
    return datetime.fromtimestamp(int(timestamp), UTC)
