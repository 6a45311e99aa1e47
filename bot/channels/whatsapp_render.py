"""WhatsApp, outgoing: a ``Reply`` as the Cloud API messages that show it.

Choices degrade as the platform allows: up to three short labels as reply buttons, up to
ten as a list, else numbered lines to pick from by typing. Limits, from Meta's Cloud API
reference, in characters: a text 4,096; an interactive message's body and a caption 1,024;
a reply button's title 20 (unique in the message) and id 256; a list's button 20, a row's
title 24, description 72 and id 200, ten rows in all.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from bot.channels.rendering import choice_line, grapheme_boundary, safe_filename, split_text
from handlers.types import Attachment, Choice, Reply

TEXT_LIMIT = 4096
BODY_LIMIT = 1024  # of an interactive message's body
CAPTION_LIMIT = 1024
BUTTONS_MAX = 3
BUTTON_TITLE_LIMIT = 20
BUTTON_ID_LIMIT = 256
ROWS_MAX = 10
ROW_TITLE_LIMIT = 24
ROW_DESCRIPTION_LIMIT = 72
ROW_ID_LIMIT = 200
# The list's button: a word in Indonesian and in English alike (a Reply has no language).
LIST_BUTTON = "Menu"
ELLIPSIS = "…"
# Pictures shown in the chat; WhatsApp takes no other type as an image.
IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})
# The types the Cloud API takes as a document. Other text (a calendar, a CSV) is uploaded
# as plain text under its own file name; any other type is left for the API to refuse.
DOCUMENT_TYPES = frozenset(
    {
        "text/plain",
        "application/pdf",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    }
)

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Upload:
    """A file to upload before its message goes; the message then names it by media id."""

    content: bytes
    filename: str
    media_type: str  # as uploaded


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message: its Cloud API payload without the recipient, and the file it shows."""

    payload: Mapping[str, Any]
    upload: Upload | None = None


def render(reply: Reply) -> list[Outgoing]:
    """The messages that show ``reply``, in order; the sender sends exactly these.

    The file goes first. A picture takes the text as its caption when there are no
    buttons to show and the text fits (1,024 characters). Buttons or a list hang under
    the last part of the text, cut to fit an interactive body; the text before it goes
    as plain messages. Choices that can be neither are numbered lines under the text.
    """
    action = _interactive_action(reply.choices)
    if action is not None:
        text = reply.text
    elif reply.text.strip():
        text = _numbered(reply)
    else:
        text = "\n".join(_lines(reply.choices))
    parts = split_text(text, TEXT_LIMIT)
    messages: list[Outgoing] = []
    upload = _upload(reply.attachment)
    if upload is not None:
        caption = None
        if upload.media_type in IMAGE_TYPES and action is None and _one_caption(parts):
            caption, parts = parts[0], []
        messages.append(_media_message(upload, caption))
    if action is None:
        return messages + [_text_message(part) for part in parts]
    if not parts:
        # An interactive message needs a body: the choices' own lines stand in for the
        # missing text.
        parts = split_text("\n".join(_lines(reply.choices)), BODY_LIMIT)
    head, body = _with_body(parts)
    interactive = {"type": action["type"], "body": {"text": body}, "action": action["action"]}
    messages += [_text_message(part) for part in head]
    messages.append(Outgoing({"type": "interactive", "interactive": interactive}))
    return messages


def _interactive_action(choices: Sequence[Choice]) -> dict[str, Any] | None:
    """Reply buttons for up to three short, distinct labels; a list for up to ten labels
    a row can show; None for numbered lines. Payloads that the platform might refuse as
    ids (empty, or with spaces around) make the choices numbered lines too: they are
    opaque to the channel and may not be changed."""
    payloads = [choice.payload for choice in choices]
    if not choices or len(set(payloads)) < len(payloads):
        return None
    if any(not payload or payload != payload.strip() for payload in payloads):
        return None
    labels = [choice.label for choice in choices]
    if (
        len(choices) <= BUTTONS_MAX
        and len(set(labels)) == len(labels)
        and all(len(label) <= BUTTON_TITLE_LIMIT for label in labels)
        and all(len(payload) <= BUTTON_ID_LIMIT for payload in payloads)
    ):
        buttons = [{"type": "reply", "reply": {"id": c.payload, "title": c.label}} for c in choices]
        return {"type": "button", "action": {"buttons": buttons}}
    if (
        len(choices) <= ROWS_MAX
        and all(len(label) <= ROW_DESCRIPTION_LIMIT for label in labels)
        and all(len(payload) <= ROW_ID_LIMIT for payload in payloads)
    ):
        rows = [_row(choice) for choice in choices]
        return {"type": "list", "action": {"button": LIST_BUTTON, "sections": [{"rows": rows}]}}
    return None


def _row(choice: Choice) -> dict[str, str]:
    """A list row. A label too long for a title gets a shortened one, and the whole label
    as the row's description: the person reads all of it, never a cut that changes it."""
    if len(choice.label) <= ROW_TITLE_LIMIT:
        return {"id": choice.payload, "title": choice.label}
    title = shorten(choice.label, ROW_TITLE_LIMIT)
    return {"id": choice.payload, "title": title, "description": choice.label}


def shorten(text: str, limit: int) -> str:
    """``text`` when it fits in ``limit`` characters; else its start and "…", cut after
    a word when one ends in the latter half of the room, else between two characters as
    people see them."""
    if len(text) <= limit:
        return text
    room = limit - len(ELLIPSIS)
    cut = text.rfind(" ", room // 2, room + 1)
    if cut <= 0 or not grapheme_boundary(text, cut):
        cut = room
        while cut > 0 and not grapheme_boundary(text, cut):
            cut -= 1
    return text[:cut].rstrip() + ELLIPSIS


def _with_body(parts: list[str]) -> tuple[list[str], str]:
    """The parts as plain texts, and the body that carries the choices: the last part,
    or when it is longer than a body, as much of its end as fits, from the start of a
    line, else of a word, else of a character as people see it."""
    *head, last = parts
    if len(last) <= BODY_LIMIT:
        return head, last
    earliest = len(last) - BODY_LIMIT
    for separator in ("\n", " "):
        at = last.find(separator, earliest)
        while at != -1:
            cut = at - 1 if separator == "\n" and last[at - 1] == "\r" else at
            start = _past_spaces(last, cut)
            if cut >= earliest and grapheme_boundary(last, cut) and last[:cut].strip():
                return [*head, last[:cut].rstrip()], last[start:]
            at = last.find(separator, at + 1)
    cut = earliest
    while cut < len(last) - 1 and not grapheme_boundary(last, cut):
        cut += 1
    return [*head, last[:cut]], last[cut:]


def _past_spaces(text: str, at: int) -> int:
    """Where the text after a cut at ``at`` begins: past its line breaks and spaces, but
    not past a space that an accent or a joiner after it belongs to."""
    while at < len(text) and text[at] in "\r\n ":
        after = at + 2 if text.startswith("\r\n", at) else at + 1
        if after < len(text) and not grapheme_boundary(text, after):
            break
        at = after
    return at


def _numbered(reply: Reply) -> str:
    return "\n".join([reply.text, *_lines(reply.choices)])


def _lines(choices: Sequence[Choice]) -> list[str]:
    return [choice_line(place, choice) for place, choice in enumerate(choices, 1)]


def _one_caption(parts: list[str]) -> bool:
    return len(parts) == 1 and len(parts[0]) <= CAPTION_LIMIT


def _upload(attachment: Attachment | None) -> Upload | None:
    if attachment is None:
        return None
    if not attachment.content:
        # WhatsApp takes no empty file, as it takes no empty message.
        log.warning("whatsapp_document_without_content")
        return None
    media_type = attachment.media_type
    if media_type not in IMAGE_TYPES | DOCUMENT_TYPES and media_type.startswith("text/"):
        media_type = "text/plain"
    return Upload(attachment.content, safe_filename(attachment.filename), media_type)


def _media_message(upload: Upload, caption: str | None) -> Outgoing:
    if upload.media_type in IMAGE_TYPES:
        image = {"caption": caption} if caption else {}
        return Outgoing({"type": "image", "image": image}, upload)
    return Outgoing({"type": "document", "document": {"filename": upload.filename}}, upload)


def _text_message(text: str) -> Outgoing:
    return Outgoing({"type": "text", "text": {"body": text}})
