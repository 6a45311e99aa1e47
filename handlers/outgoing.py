"""A ``Reply`` as an outbox row stores it, and back: what reminders, broadcasts and the
engine's replies write, and what the dispatcher hands to a channel."""

from typing import Any

from handlers.types import Attachment, Choice, Meaning, Reply
from models.outbox import FileToSend


def body_of(reply: Reply) -> dict[str, Any]:
    """The reply without its file (stored once, apart: see ``file_of``)."""
    body: dict[str, Any] = {"text": reply.text}
    if reply.choices:
        body["choices"] = [[c.payload, c.label, c.meaning.value, c.number] for c in reply.choices]
    if reply.share_phone is not None:
        body["share_phone"] = reply.share_phone
    return body


def file_of(reply: Reply) -> FileToSend | None:
    attachment = reply.attachment
    if attachment is None or not attachment.content:
        return None
    return FileToSend(attachment.filename, attachment.media_type, attachment.content)


def reply_of(body: dict[str, Any], file: FileToSend | None = None) -> Reply:
    choices = tuple(
        Choice(str(payload), str(label), Meaning(meaning), number)
        for payload, label, meaning, number in body.get("choices", ())
    )
    attachment = (
        Attachment(file.filename, file.media_type, file.content, len(file.content))
        if file is not None
        else None
    )
    return Reply(
        text=str(body.get("text", "")),
        choices=choices,
        share_phone=body.get("share_phone"),
        attachment=attachment,
    )
