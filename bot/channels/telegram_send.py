"""Telegram, outgoing: a ``Reply`` as the Bot API calls that show it (messages with inline
keyboards, documents, photos), and the sender that makes those calls for the dispatcher,
telling it how each send went."""

import warnings
from dataclasses import replace
from functools import lru_cache

import structlog
from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.methods import EditMessageText, SendDocument, SendMessage, SendPhoto
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.channels.rendering import choice_line, numbered, safe_filename, split_text, utf16_length
from bot.delivery.rates import RateGate
from bot.delivery.sending import Outcome, Pace, SendResult
from handlers.types import Choice, Reply

CHANNEL = "telegram"
MESSAGE_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64
# Pictures that go out as photos (shown in the chat) rather than as files to download.
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
CAPTION_LIMIT = 1024  # UTF-16 units of a photo's caption

log = structlog.get_logger(__name__)

Keyboard = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove
Outgoing = SendMessage | SendDocument | SendPhoto


class CallbackDataWarning(UserWarning):
    """A choice's payload is longer than Telegram's callback data can hold. The core
    promises that it never is; the test suite turns this warning into a failure."""


def render(chat_id: int, reply: Reply) -> list[Outgoing]:
    """The Bot API calls that show ``reply``, in order; ``deliver`` sends exactly these.

    The file goes first, then the text in as many messages as its length needs, the
    keyboard under the last one. A picture goes as a photo, with the text as its caption
    when it fits in one (1,024 UTF-16 units); any other file as a document of its own.
    """
    keyboard, typed = keyboard_for(reply)
    text = "\n".join([reply.text, *typed]) if typed else reply.text
    parts = split_text(text, MESSAGE_LIMIT, utf16_length)
    # Telegram refuses an empty file as it refuses an empty message.
    content = reply.attachment.content if reply.attachment is not None else None
    if reply.attachment is not None and not content:
        log.warning("telegram_document_without_content")
    if not parts and not content and (reply.choices or reply.share_phone):
        # Telegram sends no message without text, and buttons need a message to hang on:
        # the choices' own lines stand in for the missing text.
        standin = numbered(replace(reply, text="")).strip() or reply.share_phone or ""
        parts = split_text(standin, MESSAGE_LIMIT, utf16_length)
    calls: list[Outgoing] = []
    if reply.attachment is not None and content:
        upload = BufferedInputFile(content, filename=safe_filename(reply.attachment.filename))
        if reply.attachment.media_type in PHOTO_TYPES:
            caption = None
            if len(parts) == 1 and utf16_length(parts[0]) <= CAPTION_LIMIT:
                caption, parts = parts[0], []
            calls.append(
                SendPhoto(
                    chat_id=chat_id,
                    photo=upload,
                    caption=caption,
                    reply_markup=None if parts else keyboard,
                )
            )
        else:
            calls.append(
                SendDocument(
                    chat_id=chat_id, document=upload, reply_markup=None if parts else keyboard
                )
            )
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        calls.append(
            SendMessage(chat_id=chat_id, text=part, reply_markup=keyboard if last else None)
        )
    return calls


def keyboard_for(reply: Reply) -> tuple[Keyboard, list[str]]:
    """Choices as inline buttons; the contact request as a reply keyboard. Any other
    message takes away a contact keyboard that may still be showing.

    Also the lines to add to the text for choices that cannot be buttons: one whose
    payload Telegram would refuse is shown as its numbered line, to be picked by typing,
    rather than have the whole message refused.
    """
    buttons: list[Choice] = []
    typed: list[str] = []
    for place, choice in enumerate(reply.choices, 1):
        size = len(choice.payload.encode())
        if size <= CALLBACK_DATA_LIMIT:
            buttons.append(choice)
            continue
        # The payload may carry what a person typed: only its size is told.
        log.error("telegram_callback_data_too_long", size=size, place=place)
        warnings.warn(
            f"callback data of {size} bytes, over Telegram's {CALLBACK_DATA_LIMIT}",
            CallbackDataWarning,
            stacklevel=2,
        )
        typed.append(choice_line(place, choice))
    if buttons:
        return inline_keyboard(tuple((c.label, c.payload) for c in buttons)), typed
    if reply.share_phone and not reply.choices:
        return contact_keyboard(reply.share_phone), typed
    return _NO_KEYBOARD, typed


_NO_KEYBOARD = ReplyKeyboardRemove(remove_keyboard=True)


# Menus and day views repeat from person to person: a keyboard built once is kept (the
# markup is never changed after it is built).
@lru_cache(maxsize=512)
def inline_keyboard(choices: tuple[tuple[str, str], ...]) -> InlineKeyboardMarkup:
    """Buttons of (label, payload), two a row when they are many and short."""
    buttons = [InlineKeyboardButton(text=label, callback_data=data) for label, data in choices]
    per_row = 2 if len(buttons) > 3 and max(len(label) for label, _ in choices) <= 22 else 1
    rows = [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]
    return InlineKeyboardMarkup(inline_keyboard=rows)


@lru_cache(maxsize=8)
def contact_keyboard(label: str) -> ReplyKeyboardMarkup:
    button = KeyboardButton(text=label, request_contact=True)
    return ReplyKeyboardMarkup(keyboard=[[button]], resize_keyboard=True, one_time_keyboard=True)


class TelegramSender:
    """Sends an outbox row's reply with the Bot API, or shows it in place of a message
    sent before (a live message's update), and says how it went."""

    channel = CHANNEL

    def __init__(self, bot: Bot, paid_broadcast: bool = False) -> None:
        self.bot = bot
        # Telegram's paid broadcasts (allow_paid_broadcast, charged in Stars) lift the
        # bot-wide limit to 1,000 messages a second for broadcast copies.
        self._paid_broadcast = paid_broadcast

    async def send(
        self, address: str, reply: Reply, *, skip: int, pace: Pace, bulk: bool = False
    ) -> SendResult:
        calls = render(int(address), reply)
        if bulk and self._paid_broadcast:
            calls = [call.model_copy(update={"allow_paid_broadcast": True}) for call in calls]
        sent: list[str] = []
        for index in range(skip, len(calls)):
            await pace()
            try:
                message = await self.bot(calls[index])
            except TelegramAPIError as exc:
                return _failed(exc, index, tuple(sent))
            sent.append(str(message.message_id))
        return SendResult(Outcome.SENT, len(calls), tuple(sent))

    async def edit(self, address: str, message_id: str, reply: Reply, *, pace: Pace) -> SendResult:
        """``reply`` in place of the message ``message_id`` (editMessageText), when one
        text message with inline buttons shows it; otherwise NOT_EDITABLE."""
        calls = render(int(address), reply)
        shown = calls[0] if len(calls) == 1 else None
        if not isinstance(shown, SendMessage) or not message_id.isdigit():
            return SendResult(Outcome.NOT_EDITABLE, 0, error="not one text message")
        keyboard = shown.reply_markup
        request = EditMessageText(
            chat_id=int(address),
            message_id=int(message_id),
            text=shown.text,
            # Without one, the message's buttons go: they belonged to the old content.
            reply_markup=keyboard if isinstance(keyboard, InlineKeyboardMarkup) else None,
        )
        await pace()
        try:
            await self.bot(request)
        except TelegramBadRequest as exc:
            if "message is not modified" in exc.message.lower():
                return SendResult(Outcome.SENT, 1, (message_id,))
            return _failed(exc, 0, (), editing=True)
        except TelegramAPIError as exc:
            return _failed(exc, 0, (), editing=True)
        return SendResult(Outcome.SENT, 1, (message_id,))


# Telegram's descriptions when a message cannot be edited: deleted, too old, not the bot's,
# not a text (a photo's caption is not its text).
_NOT_EDITABLE = (
    "message to edit not found",
    "message can't be edited",
    "message_id_invalid",
    "there is no text in the message to edit",
)


def _failed(
    exc: TelegramAPIError, parts_sent: int, sent: tuple[str, ...], *, editing: bool = False
) -> SendResult:
    """How a refused call went, in the dispatcher's terms."""
    match exc:
        case TelegramRetryAfter():
            return SendResult(Outcome.RETRY_AFTER, parts_sent, sent, exc.retry_after, "retry_after")
        case TelegramForbiddenError():
            return SendResult(Outcome.BLOCKED, parts_sent, sent, error="forbidden")
        case TelegramBadRequest():
            # Telegram's description names the problem, never the message's words.
            description = exc.message.lower()
            if "chat not found" in description:
                return SendResult(Outcome.BLOCKED, parts_sent, sent, error="chat not found")
            if editing and any(reason in description for reason in _NOT_EDITABLE):
                return SendResult(Outcome.NOT_EDITABLE, parts_sent, sent, error=exc.message[:200])
            return SendResult(Outcome.REFUSED, parts_sent, sent, error=exc.message[:200])
    # Network trouble, a server error, anything else the API answered.
    return SendResult(Outcome.UNAVAILABLE, parts_sent, sent, error=type(exc).__name__)


BULK_LANE = f"{CHANNEL}:bulk"  # the rate of paid broadcasts, when the bot pays for them


def default_gate() -> RateGate:
    """Telegram's documented limits: 30 messages a second for the bot, one a second to a
    chat (kept for notifications; see ``RateGate.wait``)."""
    return RateGate({CHANNEL: "30/second"}, {CHANNEL: "1/second"})
