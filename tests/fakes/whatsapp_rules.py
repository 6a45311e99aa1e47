"""What the fake Graph API accepts as a message, checked as Meta's Cloud API reference
describes it, and the message as the recipient's phone shows it.

Written from the documentation, not from the bot's renderer: a text's body 1..4,096
characters; an interactive message's body 1..1,024; 1..3 reply buttons, titles 1..20 and
unique, ids 1..256 and unique; a list's button 1..20, 1..10 sections holding 1..10 rows in
all, each a title 1..24, a description up to 72 and an id 1..200, unique; a caption up to
1,024; a template's name, language and components, its text parameters without new
lines, tabs or more than four spaces in a row. Ids with spaces around them are refused
too (third-party SDKs say the API does; the fake errs on the strict side).
"""

import re
from dataclasses import dataclass
from typing import Any

IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})
# What /media takes (documents, images; the audio, video and sticker types besides).
UPLOAD_TYPES = IMAGE_TYPES | {
    "text/plain",
    "application/pdf",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "image/webp",
    "audio/aac",
    "audio/mpeg",
    "audio/ogg",
    "video/mp4",
}
IMAGE_SIZE_LIMIT = 5 * 1024 * 1024
_BAD_PARAMETER = re.compile(r"[\n\t]| {5,}")


@dataclass(frozen=True)
class Media:
    content: bytes
    mime_type: str
    filename: str
    size: int  # as the API reports it; may differ from the content to fake a big file


@dataclass(frozen=True)
class Option:
    """A reply button or a list row."""

    id: str
    title: str
    description: str = ""


@dataclass(frozen=True)
class Template:
    name: str
    language: str
    parameters: tuple[str, ...]


@dataclass(frozen=True)
class Received:
    """One message as the recipient's phone shows it."""

    message_id: str
    type: str  # text, button, list, image, document, template
    text: str = ""  # a text, an interactive message's body, a caption
    options: tuple[Option, ...] = ()
    list_button: str = ""
    media: Media | None = None
    filename: str = ""  # a document's, as the message names it
    template: Template | None = None


class Invalid(Exception):
    def __init__(self, code: int, details: str) -> None:
        super().__init__(details)
        self.code = code
        self.details = details


def received(message_id: str, body: dict[str, Any], media: dict[str, Media]) -> Received:
    """The message ``body`` shows, or ``Invalid`` as the Cloud API refuses it."""
    if body.get("messaging_product") != "whatsapp":
        raise Invalid(100, "messaging_product must be whatsapp")
    to = body.get("to")
    if not isinstance(to, str) or not to.lstrip("+").isdigit():
        raise Invalid(100, "to must be a phone number or WhatsApp id")
    kind = body.get("type", "text")
    match kind:
        case "text":
            return Received(message_id, "text", _text(_object(body, "text"), "body", 1, 4096))
        case "interactive":
            return _interactive(message_id, _object(body, "interactive"))
        case "image" | "document":
            return _media(message_id, kind, _object(body, kind), media)
        case "template":
            return _template(message_id, _object(body, "template"))
    raise Invalid(131051, f"message type {kind!r} is not supported")


def _interactive(message_id: str, interactive: dict[str, Any]) -> Received:
    body = _text(_object(interactive, "body"), "text", 1, 1024)
    action = _object(interactive, "action")
    match interactive.get("type"):
        case "button":
            buttons = action.get("buttons")
            if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
                raise Invalid(131009, "buttons must hold 1 to 3 buttons")
            options = []
            for button in buttons:
                if not isinstance(button, dict) or button.get("type") != "reply":
                    raise Invalid(131009, "a button must be of type reply")
                reply = _object(button, "reply")
                options.append(Option(_id(reply, 256), _text(reply, "title", 1, 20)))
            if len({o.title for o in options}) < len(options):
                raise Invalid(131009, "button titles must be unique")
            _unique_ids(options)
            return Received(message_id, "button", body, tuple(options))
        case "list":
            button = _text(action, "button", 1, 20)
            sections = action.get("sections")
            if not isinstance(sections, list) or not 1 <= len(sections) <= 10:
                raise Invalid(131009, "sections must hold 1 to 10 sections")
            options = []
            for section in sections:
                if not isinstance(section, dict):
                    raise Invalid(100, "a section must be an object")
                if len(sections) > 1:
                    _text(section, "title", 1, 24)
                rows = section.get("rows")
                if not isinstance(rows, list) or not rows:
                    raise Invalid(131009, "a section needs rows")
                for row in rows:
                    if not isinstance(row, dict):
                        raise Invalid(100, "a row must be an object")
                    title = _text(row, "title", 1, 24)
                    description = _text(row, "description", 0, 72) if "description" in row else ""
                    options.append(Option(_id(row, 200), title, description))
            if len(options) > 10:
                raise Invalid(131009, "a list holds 10 rows at most")
            _unique_ids(options)
            return Received(message_id, "list", body, tuple(options), list_button=button)
    raise Invalid(131009, "interactive type must be button or list here")


def _media(
    message_id: str, kind: str, content: dict[str, Any], media: dict[str, Media]
) -> Received:
    stored = media.get(str(content.get("id", "")))
    if stored is None:
        raise Invalid(131053, f"{kind} needs the id of an uploaded media")
    if kind == "image" and stored.mime_type not in IMAGE_TYPES:
        raise Invalid(131053, "an image must be image/jpeg or image/png")
    caption = _text(content, "caption", 0, 1024) if "caption" in content else ""
    filename = _text(content, "filename", 1, 240) if "filename" in content else ""
    return Received(message_id, kind, caption, media=stored, filename=filename)


def _template(message_id: str, template: dict[str, Any]) -> Received:
    name = _text(template, "name", 1, 512)
    language = _text(_object(template, "language"), "code", 2, 15)
    components = template.get("components")
    if not isinstance(components, list):
        raise Invalid(131008, "template components are required here")
    parameters: list[str] = []
    for component in components:
        if not isinstance(component, dict) or not isinstance(component.get("parameters"), list):
            raise Invalid(100, "a component needs a type and parameters")
        for parameter in component["parameters"]:
            if not isinstance(parameter, dict) or parameter.get("type") != "text":
                raise Invalid(100, "only text parameters here")
            text = _text(parameter, "text", 1, 32768)
            if _BAD_PARAMETER.search(text):
                raise Invalid(
                    132018,
                    "Param text cannot have new-line/tab characters or more than 4 "
                    "consecutive spaces",
                )
            parameters.append(text)
    return Received(message_id, "template", template=Template(name, language, tuple(parameters)))


def _object(parent: dict[str, Any], key: str) -> dict[str, Any]:
    value = parent.get(key)
    if not isinstance(value, dict):
        raise Invalid(131008, f"{key} is required")
    return value


def _text(parent: dict[str, Any], key: str, shortest: int, longest: int) -> str:
    value = parent.get(key)
    if not isinstance(value, str):
        raise Invalid(131008, f"{key} is required")
    if not shortest <= len(value) <= longest:
        raise Invalid(131009, f"{key} must be {shortest} to {longest} characters")
    return value


def _id(parent: dict[str, Any], longest: int) -> str:
    value = _text(parent, "id", 1, longest)
    if value != value.strip():
        raise Invalid(131009, "an id cannot have spaces around it")
    return value


def _unique_ids(options: list[Option]) -> None:
    if len({o.id for o in options}) < len(options):
        raise Invalid(131009, "ids must be unique")
