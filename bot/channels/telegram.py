"""Telegram transport: aiogram 3 used only to speak the Bot API.

Updates become neutral ``Inbound`` messages for the engine; replies become messages with
inline keyboards, and documents (or photos, for pictures) for their attachments. Long
polling by default; a FastAPI webhook when a URL is configured.
"""

import asyncio
import contextlib
import hmac
import io
import mimetypes
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import structlog
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteWebhook,
    EditMessageReplyMarkup,
    GetFile,
    GetUpdates,
    SendDocument,
    SendMessage,
    SendPhoto,
    SetMyCommands,
    SetWebhook,
)
from aiogram.methods.base import Response as BotApiResponse
from aiogram.methods.base import TelegramMethod
from aiogram.types import (
    BotCommand,
    Document,
    InputFile,
    PhotoSize,
    Update,
)
from aiogram.types import File as TelegramFile
from aiohttp import FormData
from fastapi import APIRouter, Request, Response

from bot.channels.rendering import (
    safe_filename,
)
from bot.channels.telegram_send import CHANNEL, TelegramSender, default_gate
from bot.delivery.dispatcher import Dispatcher
from bot.engine import Engine
from bot.web import WebPart
from handlers.flow import answers_a_question
from handlers.i18n import DEFAULT_LOCALE, LOCALES, Translator
from handlers.registry import Registry, registry
from handlers.types import Attachment, Inbound, InboundKind

ALLOWED_UPDATES = ["message", "callback_query"]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
SEND_ATTEMPTS = 4
# Documents up to this size are fetched for the engine; an agenda spreadsheet is far smaller,
# and the Bot API's getFile itself stops at 20 MB.
FILE_DOWNLOAD_LIMIT = 5 * 1024 * 1024
# Telegram re-encodes every photo sent as a photo (not as a file) as a JPEG, and names none.
PHOTO_NAME = "photo.jpg"
PHOTO_TYPE = "image/jpeg"

log = structlog.get_logger(__name__)

# aiogram builds Response[<result type>] for every call, and pydantic caches such classes
# only weakly: between calls the garbage collector drops them and each call rebuilds one
# (about 3 ms of CPU). Holding them here keeps one of each for the process's life.
_RESPONSE_TYPES = tuple(
    BotApiResponse[method.__returning__]  # type: ignore[name-defined]
    for method in (
        AnswerCallbackQuery,
        DeleteWebhook,
        EditMessageReplyMarkup,
        GetFile,
        GetUpdates,
        SendDocument,
        SendMessage,
        SendPhoto,
        SetMyCommands,
        SetWebhook,
    )
)


class Session(AiohttpSession):
    """aiogram's HTTP session, sending every request as multipart/form-data.

    aiohttp sends a form without files URL-encoded, quoting each byte of a message in
    Python: for a day's agenda that cost more CPU than the rest of the reply. Multipart
    carries the same fields as they are, and the Bot API takes both.
    """

    def build_form_data(self, bot: Bot, method: TelegramMethod[Any]) -> FormData:
        form = FormData(quote_fields=False, default_to_multipart=True)
        files: dict[str, InputFile] = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files)
            if prepared:
                form.add_field(key, prepared)
        for key, file in files.items():
            form.add_field(key, file.read(bot), filename=file.filename or key)
        return form


def create_bot(token: str, api_base_url: str) -> Bot:
    session = Session(api=TelegramAPIServer.from_base(api_base_url))
    return Bot(token, session=session)


def to_inbound(update: Update) -> tuple[Inbound, int] | None:
    """The neutral message and the chat to answer in, or None for updates we ignore.

    The de-duplication key adds the message or callback id to the update id: Telegram
    picks update ids at random again after a quiet week, so the id alone may repeat.
    """
    if update.message is not None:
        message = update.message
        if message.chat.type != "private" or message.from_user is None:
            return None
        user = message.from_user
        contact = message.contact
        document = file_document(update)
        photo = photo_size(update)
        attachment = None
        if message.text is not None:
            kind, text = InboundKind.TEXT, message.text
        elif contact is not None and contact.user_id == user.id:
            # Their own number, shared with the contact button; Telegram omits the "+".
            kind, text = InboundKind.TEXT, "+" + contact.phone_number.lstrip("+")
        elif document is not None:
            kind, text = InboundKind.FILE, message.caption or ""
            attachment = unfetched(document)
        elif photo is not None:
            kind, text = InboundKind.PHOTO, message.caption or ""
            attachment = Attachment(PHOTO_NAME, PHOTO_TYPE, content=None, size=photo.file_size or 0)
        else:
            kind, text = InboundKind.UNSUPPORTED, ""
        inbound = Inbound(
            channel=CHANNEL,
            user_key=str(user.id),
            # No user id: the key's digest is kept a week (inbound_message), and an erased
            # person's id must not be recoverable from it by trying update ids.
            message_key=f"{update.update_id}:{message.message_id}",
            kind=kind,
            text=text,
            language_hint=user.language_code,
            attachment=attachment,
            address=str(message.chat.id),
        )
        return inbound, message.chat.id
    if update.callback_query is not None:
        query = update.callback_query
        inbound = Inbound(
            channel=CHANNEL,
            user_key=str(query.from_user.id),
            message_key=f"{update.update_id}:{query.id}",
            kind=InboundKind.CHOICE,
            choice=query.data or "",
            language_hint=query.from_user.language_code,
            address=str(query.from_user.id),
        )
        return inbound, query.from_user.id
    return None


def sender_id(update: Update) -> int:
    """Who sent an update (0 for updates of no one in particular), to keep each person's
    updates in order while different people's run side by side."""
    if update.message is not None and update.message.from_user is not None:
        return update.message.from_user.id
    if update.callback_query is not None:
        return update.callback_query.from_user.id
    return 0


def file_document(update: Update) -> Document | None:
    """The document a message carries. A GIF comes as an animation with a copy of itself
    in ``document``; it is not a file the person chose to send."""
    message = update.message
    if message is None or message.animation is not None:
        return None
    return message.document


def photo_size(update: Update) -> PhotoSize | None:
    """Of the sizes Telegram offers of a photo, the largest the bot fetches (one whose size
    Telegram does not give is tried)."""
    message = update.message
    if message is None or not message.photo:
        return None
    sizes = sorted(message.photo, key=lambda size: size.width * size.height)
    fitting = [size for size in sizes if (size.file_size or 0) <= FILE_DOWNLOAD_LIMIT]
    return (fitting or sizes)[-1]


def file_to_fetch(update: Update) -> str | None:
    """The Bot API's id of the file a message brings (a document, a photo), to download."""
    document = file_document(update)
    if document is not None:
        return document.file_id
    photo = photo_size(update)
    return photo.file_id if photo is not None else None


def unfetched(document: Document) -> Attachment:
    """The attachment as the update describes it; its content is fetched separately."""
    filename = safe_filename(document.file_name or "")
    media_type = (
        document.mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    )
    return Attachment(filename, media_type, content=None, size=document.file_size or 0)


def _cancelling() -> bool:
    """Whether this task itself is being cancelled (not just the poll it awaited)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class TelegramChannel:
    def __init__(
        self,
        bot: Bot,
        engine: Engine,
        poll_timeout: int = 25,
        features: Registry | None = None,
        dispatcher: Dispatcher | None = None,
    ) -> None:
        self.bot = bot
        self._engine = engine
        self._poll_timeout = poll_timeout
        self._features = features or registry()  # whose commands Telegram's menu lists
        # Sends what the engine writes to the outbox: the one given (shared with other
        # channels, rates from the settings), or one of the channel's own.
        self.dispatcher = dispatcher or Dispatcher(
            engine.sessions, [TelegramSender(bot)], default_gate(), engine.clock
        )
        engine.delivery = self.dispatcher
        self._stopping = False
        self._fetching: asyncio.Task[list[Update]] | None = None

    def stop(self) -> None:
        """Finish the batch in hand, then stop polling (a poll waiting for updates ends
        at once). What the batch said is sent before ``poll`` returns."""
        self._stopping = True
        if self._fetching is not None:
            self._fetching.cancel()

    async def process(self, update: Update) -> None:
        translated = to_inbound(update)
        if translated is None:
            return
        inbound, _ = translated
        structlog.contextvars.bind_contextvars(channel=CHANNEL, update_id=update.update_id)
        try:
            file_id = file_to_fetch(update)
            if inbound.attachment is not None and file_id is not None:
                inbound = replace(
                    inbound, attachment=await self._fetch(inbound.attachment, file_id)
                )
            # The replies are in the outbox now; the dispatcher sends them.
            await self._engine.handle(inbound)
            query = update.callback_query
            if query is not None:
                await self._settle_button(query.id, query.message, inbound.choice)
        finally:
            structlog.contextvars.unbind_contextvars("channel", "update_id")

    async def _fetch(self, attachment: Attachment, file_id: str) -> Attachment:
        """The attachment with its content, when it is small enough and can be downloaded.
        Otherwise without: the message still reaches the engine, which can say so."""
        if attachment.size > FILE_DOWNLOAD_LIMIT:
            log.info("telegram_file_not_fetched", reason="too_large", size=attachment.size)
            return attachment
        file: TelegramFile | None = await self._call(GetFile(file_id=file_id))
        if file is None or file.file_path is None:
            log.warning("telegram_file_download_failed", stage="getFile")
            return attachment
        # Telegram may leave the size out of the update; getFile tells it before the download.
        size = attachment.size or file.file_size or 0
        if size > FILE_DOWNLOAD_LIMIT:
            log.info("telegram_file_not_fetched", reason="too_large", size=size)
            return replace(attachment, size=size)
        buffer = io.BytesIO()
        try:
            await self.bot.download_file(file.file_path, destination=buffer)
        except (aiohttp.ClientError, OSError) as exc:  # OSError includes TimeoutError
            log.warning("telegram_file_download_failed", stage="download", error=type(exc).__name__)
            return attachment
        content = buffer.getvalue()
        if len(content) > FILE_DOWNLOAD_LIMIT:
            log.info("telegram_file_not_fetched", reason="too_large", size=len(content))
            return replace(attachment, size=len(content))
        return replace(attachment, content=content, size=len(content))

    async def _settle_button(self, query_id: str, message: Any, payload: str) -> None:
        """Stop the button's spinner; a question once answered loses its buttons. A
        look-up's buttons (a day's sessions, the menu) stay, to be pressed again."""
        # Once only, never waiting out a 429: a spinner left turning is better than
        # holding up this person's next message and the rest of the batch.
        await self._call(AnswerCallbackQuery(callback_query_id=query_id), attempts=1)
        if not answers_a_question(payload):
            return
        if message is not None and getattr(message, "reply_markup", None) is not None:
            await self._call(
                EditMessageReplyMarkup(
                    chat_id=message.chat.id, message_id=message.message_id, reply_markup=None
                ),
                attempts=1,
            )

    async def _call(self, request: TelegramMethod[Any], attempts: int = SEND_ATTEMPTS) -> Any:
        """Call the Bot API, waiting out 429s; errors that retrying cannot fix are logged."""
        for attempt in range(1, attempts + 1):
            try:
                return await self.bot(request)
            except TelegramRetryAfter as exc:
                log.warning("telegram_rate_limited", retry_after=exc.retry_after, attempt=attempt)
                if attempt < attempts:
                    await asyncio.sleep(exc.retry_after)
            except (TelegramNetworkError, TelegramServerError) as exc:
                log.warning("telegram_unavailable", error=type(exc).__name__, attempt=attempt)
                if attempt < attempts:
                    await asyncio.sleep(min(2**attempt, 30))
            except (TelegramForbiddenError, TelegramBadRequest) as exc:
                log.warning("telegram_refused", method=type(request).__name__, error=exc.message)
                return None
        log.error("telegram_gave_up", method=type(request).__name__)
        return None

    async def register_commands(self) -> None:
        """The "/" menu in each language, with that language's command names."""
        for locale in LOCALES:
            t = Translator(locale)
            commands = [
                BotCommand(command=c.name(locale), description=t(f"command.{c.key}"))
                for c in self._features.commands
                if c.channel_menu
            ]
            language = None if locale == DEFAULT_LOCALE else locale
            await self.bot.set_my_commands(commands, language_code=language)

    async def poll(self) -> None:
        """Long polling until cancelled. Updates of different people run concurrently;
        one person's updates run in order."""
        async with self.sending():
            await self.bot.delete_webhook(drop_pending_updates=False)
            await self.register_commands()
            await self._poll()

    async def _poll(self) -> None:
        offset: int | None = None
        failures = 0
        log.info("telegram_polling_started")
        while not self._stopping:
            self._fetching = asyncio.create_task(
                self.bot.get_updates(
                    offset=offset,
                    timeout=self._poll_timeout,
                    allowed_updates=ALLOWED_UPDATES,
                    request_timeout=self._poll_timeout + 10,
                )
            )
            try:
                updates = await self._fetching
            except asyncio.CancelledError:
                if self._stopping and not _cancelling():
                    return  # stopped while waiting for updates: nothing in hand
                raise
            except TelegramAPIError as exc:
                failures += 1
                log.warning("telegram_poll_failed", error=type(exc).__name__, failures=failures)
                await asyncio.sleep(min(2**failures, 60))
                continue
            finally:
                self._fetching = None
            failures = 0
            if updates:
                # Confirmed with the next poll; after a stop, Telegram gives them again
                # and the engine knows them as handled.
                offset = updates[-1].update_id + 1
                await self.process_batch(updates)

    def sending(self) -> contextlib.AbstractAsyncContextManager[None]:
        """The dispatcher runs while the channel takes updates (see ``Dispatcher.running``)."""
        return self.dispatcher.running()

    async def process_batch(self, updates: Sequence[Update]) -> None:
        by_person: dict[int, list[Update]] = defaultdict(list)
        for update in updates:
            by_person[sender_id(update)].append(update)

        async def in_order(batch: list[Update]) -> None:
            for update in batch:
                try:
                    await self.process(update)
                except Exception:
                    # One update that cannot be handled must not stop the others.
                    log.exception("telegram_update_failed", update_id=update.update_id)

        await asyncio.gather(*(in_order(batch) for batch in by_person.values()))

    def webhook(self, url: str, secret: str) -> WebPart:
        """The webhook's route at ``url``'s path; at start-up, the command menus and the
        webhook are registered with Telegram."""
        path = urlsplit(url).path or "/"
        expected = secret.encode()
        channel = self

        @contextlib.asynccontextmanager
        async def registered() -> AsyncIterator[None]:
            await channel.register_commands()
            await channel.bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
            log.info("telegram_webhook_set")
            yield

        router = APIRouter()

        @router.post(path)
        async def receive(request: Request) -> Response:
            given = request.headers.get(SECRET_HEADER, "").encode()
            if not hmac.compare_digest(given, expected):
                return Response(status_code=401)
            try:
                update = Update.model_validate(await request.json(), context={"bot": channel.bot})
            except ValueError:
                return Response(status_code=400)
            await channel.process(update)
            return Response(status_code=200)

        return WebPart(router, registered)
