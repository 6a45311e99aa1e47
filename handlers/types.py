"""The neutral language between channels and the conversation core."""

from dataclasses import dataclass, field
from enum import StrEnum


class InboundKind(StrEnum):
    TEXT = "text"
    CHOICE = "choice"  # a button press; ``choice`` holds its payload
    UNSUPPORTED = "unsupported"  # a sticker, photo, voice note... anything we cannot read
    FILE = "file"  # a document; ``attachment`` holds it
    # A picture (a photo as the platform sends one, not a document); ``attachment`` holds
    # it. Only a question that asks for one takes it; elsewhere it is one more thing the
    # bot cannot read.
    PHOTO = "photo"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent or received. ``content`` is None when the channel did not fetch it
    because it is too large (``size`` says how large)."""

    filename: str
    media_type: str
    content: bytes | None
    size: int


@dataclass(frozen=True, slots=True)
class Inbound:
    channel: str
    user_key: str  # who, stable on that channel (Telegram user id, WhatsApp number...)
    message_key: str  # this delivery, unique on that channel, to drop redeliveries
    kind: InboundKind = InboundKind.TEXT
    text: str = ""
    choice: str = ""
    language_hint: str | None = None  # the app's language, when the channel tells it
    attachment: Attachment | None = None
    address: str = ""  # where to answer, when it is not the user key (a chat id)


class Meaning(StrEnum):
    """What a choice says, where typed words can say it too ("ya", "ok", "tidak")."""

    NONE = ""
    YES = "yes"
    NO = "no"


@dataclass(frozen=True, slots=True)
class Choice:
    payload: str  # opaque to channels; short enough for Telegram's 64-byte callback data
    label: str
    meaning: Meaning = Meaning.NONE
    # The number shown beside it where choices are numbered text, when it is not its
    # place in the list: a long list shown a page at a time keeps each item's number.
    # 0: shown without a number (a page button between numbered items), picked by words.
    number: int | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    choices: tuple[Choice, ...] = field(default=())
    # When set, the label of a one-tap "send my own number" button, for channels that
    # have one (Telegram's contact request); others ignore it and the number is typed.
    share_phone: str | None = None
    attachment: Attachment | None = None  # a file to send with (before) the text
