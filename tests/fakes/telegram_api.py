"""A fake Telegram Bot API server on 127.0.0.1 for tests and benchmarks.

It speaks the real HTTP protocol (``/bot<token>/<method>``, and ``/file/bot<token>/<path>``
for downloads), so the real aiogram client talks to it unchanged. Tests push updates as a
person would and read what the bot sent. Like Telegram it can take time to answer, refuse
sends past a rate, and fail for one chat (blocked, rate-limited, slow).

Standalone, for benchmarks of any bot: ``python -m tests.fakes.telegram_api --port 8081
--latency-ms 50 --rate 30`` serves until SIGINT or SIGTERM, then prints a summary.
"""

import argparse
import asyncio
import contextlib
import itertools
import json
import signal
import time
from collections import Counter, defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456789:AAEfakefakefakefakefakefakefakefake"
GET_FILE_LIMIT = 20 * 1024 * 1024  # the Bot API's getFile refuses bigger files
DOWNLOAD = "download"  # the method name recorded (and faulted) for file downloads
BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "Bimtek Bot", "username": "bimtek_bot"}
# Parameters that the Bot API takes as JSON inside a form field.
_JSON_FIELDS = {"reply_markup", "allowed_updates", "commands", "scope"}
# The methods that send messages: the ones Telegram's rate limits count.
SENDS = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "sendPhoto",
        "sendAudio",
        "sendVideo",
        "sendVoice",
        "sendVideoNote",
        "sendAnimation",
        "sendSticker",
        "sendLocation",
        "sendVenue",
        "sendContact",
        "sendPoll",
        "sendDice",
        "sendMediaGroup",
        "copyMessage",
        "copyMessages",
        "forwardMessage",
        "forwardMessages",
    }
)
# Edits count against Telegram's limits as sends do, but make no message.
EDITS = frozenset({"editMessageText"})
RATE_WINDOW = 1.0  # seconds: ``rate_limit`` counts the sends (and edits) of the last one
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup"
    " are exactly the same as a current content and reply markup of the message"
)


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    ok: bool = True  # False when the fake answered with an error
    message_id: int | None = None  # of the message a send made

    @property
    def chat_id(self) -> int:
        """The chat a send went to."""
        return int(self.params["chat_id"])


@dataclass(frozen=True)
class Upload:
    """A file the bot sent as multipart/form-data."""

    filename: str
    content: bytes
    content_type: str


@dataclass
class StoredFile:
    filename: str
    content: bytes
    size: int  # as Telegram reports it; may differ from the content to fake a big file
    path: str


@dataclass(frozen=True)
class Fault:
    """An error the fake answers instead of doing a call."""

    status: int
    description: str
    retry_after: int | None = None

    @classmethod
    def too_many_requests(cls, retry_after: int) -> "Fault":
        return cls(429, f"Too Many Requests: retry after {retry_after}", retry_after)

    def response(self) -> web.Response:
        extra = {"parameters": {"retry_after": self.retry_after}} if self.retry_after else {}
        return _error(self.status, self.description, **extra)


BLOCKED = Fault(403, "Forbidden: bot was blocked by the user")


@dataclass
class _Cue:
    """Trouble armed for the next calls of ``methods`` (to ``chat_id`` only, if given):
    answer ``fault`` instead, and take ``delay`` seconds longer. It lasts ``times`` calls,
    or for good if None."""

    methods: frozenset[str]
    chat_id: int | None = None
    fault: Fault | None = None
    delay: float = 0.0
    times: int | None = 1

    def matches(self, call: Call) -> bool:
        return call.method in self.methods and (
            self.chat_id is None or call.chat_id == self.chat_id
        )


@dataclass
class FakeTelegramServer:
    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    confirmed_offset: int = 0
    history: dict[int, dict[str, Any]] = field(default_factory=dict)
    max_poll_wait: float = 0.5
    files: dict[str, StoredFile] = field(default_factory=dict)
    port: int = 0  # 0: any free port; the one taken once started
    latency: float = 0.0  # seconds every answer takes, as a round trip to Telegram does
    rate_limit: float | None = None  # sends a second, past which Telegram answers 429
    refused_for_rate: int = 0  # the 429s that ``rate_limit`` gave
    # The messages the bot sent, as they show now (edits change them), by chat and id.
    messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._file_ids = itertools.count(1)
        self._new_update = asyncio.Condition()
        self._offset_moved = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._cues: list[_Cue] = []
        self._recent_sends: deque[float] = deque()  # when the sends in the window came

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> "FakeTelegramServer":
        app = web.Application(client_max_size=GET_FILE_LIMIT * 3)
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # What tests do -----------------------------------------------------------------

    async def push(self, update: dict[str, Any]) -> int:
        update = {"update_id": next(self._update_ids), **update}
        self.history[update["update_id"]] = update
        async with self._new_update:
            self.updates.append(update)
            self._new_update.notify_all()
        return int(update["update_id"])

    async def redeliver(self, update_id: int) -> None:
        """Deliver an update again, as Telegram does when a bot stopped before confirming
        it (the next bot process polls without an offset and gets it once more)."""
        async with self._new_update:
            self.confirmed_offset = update_id
            self.updates.append(self.history[update_id])
            self._new_update.notify_all()

    async def wait_handled(self, update_id: int, within: float = 10) -> None:
        """Wait until the bot asked for updates past ``update_id``: it has finished it."""
        async with self._offset_moved:
            await asyncio.wait_for(
                self._offset_moved.wait_for(lambda: self.confirmed_offset > update_id), within
            )

    def sent(self, chat_id: int | None = None, since: int = 0) -> list[Call]:
        return [c for c in self.outbox(chat_id, since) if c.method == "sendMessage"]

    def sent_texts(self, chat_id: int) -> list[str]:
        return [c.params["text"] for c in self.sent(chat_id)]

    def edits(self, chat_id: int | None = None) -> list[Call]:
        """The editMessageText calls, in order, those refused too (``ok`` tells)."""
        return [
            c
            for c in self.calls
            if c.method == "editMessageText" and (chat_id is None or c.chat_id == chat_id)
        ]

    def text_of(self, chat_id: int, message_id: int) -> str:
        """What the message shows now: its text (or caption), as last edited."""
        message = self.messages[(chat_id, message_id)]
        return str(message.get("text", message.get("caption", "")))

    def delete_message(self, chat_id: int, message_id: int) -> None:
        """The person deleted the message from the chat: editing it is refused."""
        del self.messages[(chat_id, message_id)]

    def chat(self, chat_id: int) -> list[str]:
        """The texts (or captions) the chat shows now, oldest first."""
        return [
            self.text_of(chat, message_id)
            for chat, message_id in sorted(self.messages)
            if chat == chat_id
        ]

    def documents(self, chat_id: int | None = None, since: int = 0) -> list[Call]:
        """The sendDocument calls that succeeded; ``params["document"]`` is an ``Upload``."""
        return [c for c in self.outbox(chat_id, since) if c.method == "sendDocument"]

    def outbox(self, chat_id: int | None = None, since: int = 0) -> list[Call]:
        """The sends that succeeded, in order."""
        return [
            c
            for c in self.calls[since:]
            if c.method in SENDS and c.ok and (chat_id is None or c.chat_id == chat_id)
        ]

    def delivered(self) -> dict[int, list[Call]]:
        """Each chat's successful sends, in order."""
        chats: defaultdict[int, list[Call]] = defaultdict(list)
        for call in self.outbox():
            chats[call.chat_id].append(call)
        return dict(chats)

    def duplicates(self) -> set[int]:
        """The chats that were sent the same text more than once."""
        sent = Counter((c.chat_id, c.params["text"]) for c in self.sent())
        return {chat_id for (chat_id, _), times in sent.items() if times > 1}

    def summary(self) -> str:
        return (
            f"accepted sends {len(self.outbox())}, 429s {self.refused_for_rate}, "
            f"duplicates {len(self.duplicates())}"
        )

    def fail_next(self, method: str, fault: Fault) -> None:
        """Answer the next call of ``method`` (or ``DOWNLOAD``) with an error."""
        self._cues.append(_Cue(frozenset({method}), fault=fault))

    def block_chat(self, chat_id: int) -> None:
        """The person blocked the bot: every later send to them is forbidden."""
        self._cues.append(_Cue(SENDS, chat_id, BLOCKED, times=None))

    def rate_limit_chat(self, chat_id: int, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next ``times`` sends to the chat with 429 (Telegram's limit per chat)."""
        fault = Fault.too_many_requests(retry_after)
        self._cues.append(_Cue(SENDS, chat_id, fault, times=times))

    def slow_chat(self, chat_id: int, seconds: float) -> None:
        """Every later send to the chat takes ``seconds`` longer to answer."""
        self._cues.append(_Cue(SENDS, chat_id, delay=seconds, times=None))

    def add_file(self, content: bytes, filename: str, size: int | None = None) -> str:
        """Keep a file as if a person had uploaded it; its file_id. ``size`` overrides the
        size Telegram reports, to fake a big file without holding its bytes."""
        number = next(self._file_ids)
        file_id = f"BQACAgUAAxkBAAIC{number:06d}"
        _, dot, extension = filename.rpartition(".")
        path = f"documents/file_{number}" + (f".{extension}" if dot else "")
        stored = StoredFile(filename, content, len(content) if size is None else size, path)
        self.files[file_id] = stored
        return file_id

    def downloads(self) -> list[Call]:
        return [c for c in self.calls if c.method == DOWNLOAD]

    # The Bot API ---------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        call = Call(request.match_info["method"], await _params(request))
        return await self._take(call, self._call_method)

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        call = Call(DOWNLOAD, {"file_path": request.match_info["path"]})
        return await self._take(call, self._file)

    async def _take(
        self, call: Call, answer: Callable[[Call], Awaitable[web.Response]]
    ) -> web.Response:
        """Record the call and answer it, unless cued trouble or the rate limit refuses it.
        The answer is made at once (message ids and the rate go by arrival); only then does
        it wait out the latency, side by side with any other call's."""
        self.calls.append(call)
        fault, delay = self._trouble(call)
        if fault is None and call.method in SENDS | EDITS:
            fault = self._over_rate()
        response = fault.response() if fault is not None else await answer(call)
        call.ok = response.status < 400
        await asyncio.sleep(self.latency + delay)
        return response

    def _trouble(self, call: Call) -> tuple[Fault | None, float]:
        """The cued error to answer instead of the call, if any, and the extra time to take;
        uses up those cues."""
        fault, delay = None, 0.0
        for cue in self._cues:
            # One error a call: a second one waits for the next call.
            if not cue.matches(call) or (fault is not None and cue.fault is not None):
                continue
            fault = fault or cue.fault
            delay += cue.delay
            if cue.times is not None:
                cue.times -= 1
        self._cues = [cue for cue in self._cues if cue.times != 0]
        return fault, delay

    def _over_rate(self) -> Fault | None:
        """Telegram's answer to a send past ``rate_limit`` within the window; else None,
        and the send counts against the window."""
        if self.rate_limit is None:
            return None
        now = time.monotonic()
        while self._recent_sends and self._recent_sends[0] <= now - RATE_WINDOW:
            self._recent_sends.popleft()
        if len(self._recent_sends) >= self.rate_limit:
            self.refused_for_rate += 1
            # The oldest send leaves the window within a second; Telegram never says less.
            return Fault.too_many_requests(1)
        self._recent_sends.append(now)
        return None

    async def _call_method(self, call: Call) -> web.Response:
        handler = getattr(self, f"_api_{call.method}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        try:
            result = await handler(call.params)
        except _Refused as refused:
            return _error(refused.status, refused.description)
        if isinstance(result, dict) and "message_id" in result:
            call.message_id = result["message_id"]
            if call.method in SENDS:
                self.messages[(int(result["chat"]["id"]), result["message_id"])] = result
        return web.json_response({"ok": True, "result": result})

    async def _file(self, call: Call) -> web.Response:
        path = call.params["file_path"]
        stored = next((f for f in self.files.values() if f.path == path), None)
        if stored is None:
            return _error(404, "Not Found")
        return web.Response(body=stored.content, content_type="application/octet-stream")

    async def _api_getFile(self, params: dict[str, Any]) -> Any:
        stored = self.files.get(str(params.get("file_id")))
        if stored is None:
            raise _Refused(400, "Bad Request: invalid file_id")
        if stored.size > GET_FILE_LIMIT:
            raise _Refused(400, "Bad Request: file is too big")
        return {
            "file_id": params["file_id"],
            "file_unique_id": f"AgAD{params['file_id'][-6:]}",
            "file_size": stored.size,
            "file_path": stored.path,
        }

    async def _api_sendDocument(self, params: dict[str, Any]) -> Any:
        upload = params["document"]
        if not isinstance(upload, Upload):
            raise _Refused(400, "Bad Request: the fake accepts only uploaded documents")
        _check_caption(params)
        file_id = self.add_file(upload.content, upload.filename)
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": int(params["chat_id"]), "type": "private"},
            "from": BOT_USER,
            "document": {
                "file_id": file_id,
                "file_unique_id": f"AgAD{file_id[-6:]}",
                "file_name": upload.filename,
                "file_size": len(upload.content),
            },
        }

    async def _api_sendPhoto(self, params: dict[str, Any]) -> Any:
        upload = params["photo"]
        if not isinstance(upload, Upload):
            raise _Refused(400, "Bad Request: the fake accepts only uploaded photos")
        _check_caption(params)
        file_id = self.add_file(upload.content, upload.filename)
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": int(params["chat_id"]), "type": "private"},
            "from": BOT_USER,
            "photo": [
                {"file_id": file_id, "file_unique_id": f"AgAD{file_id[-6:]}", "width": 1280,
                 "height": 960, "file_size": len(upload.content)}
            ],
            **({"caption": params["caption"]} if params.get("caption") else {}),
        }  # fmt: skip

    async def _api_getMe(self, params: dict[str, Any]) -> Any:
        return BOT_USER

    async def _api_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        if offset:
            async with self._offset_moved:
                self.confirmed_offset = offset
                self._offset_moved.notify_all()
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        wait = min(float(params.get("timeout") or 0), self.max_poll_wait)
        async with self._new_update:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait_for(lambda: bool(self.updates)), wait)
            limit = int(params.get("limit") or 100)
            return self.updates[:limit]

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": int(params["chat_id"]), "type": "private"},
            "from": BOT_USER,
            "text": params["text"],
        }
        markup = params.get("reply_markup") or {}
        if "inline_keyboard" in markup:  # a sent message shows only inline keyboards
            message["reply_markup"] = markup
        return message

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        message = self.messages.get((int(params["chat_id"]), int(params["message_id"])))
        if message is not None:
            _show_markup(message, params)
        return True

    async def _api_editMessageText(self, params: dict[str, Any]) -> Any:
        """Like Telegram: a message the bot sent, with text, changed to something else."""
        message = self.messages.get((int(params["chat_id"]), int(params["message_id"])))
        if message is None:
            raise _Refused(400, "Bad Request: message to edit not found")
        if "text" not in message:
            raise _Refused(400, "Bad Request: there is no text in the message to edit")
        text = str(params.get("text") or "")
        if not text:
            raise _Refused(400, "Bad Request: message text is empty")
        markup = params.get("reply_markup") or {}
        if text == message["text"] and markup.get("inline_keyboard") == message.get(
            "reply_markup", {}
        ).get("inline_keyboard"):
            raise _Refused(400, NOT_MODIFIED)
        message["text"] = text
        message["edit_date"] = int(time.time())
        _show_markup(message, params)
        return message

    async def _api_setMyCommands(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_setWebhook(self, params: dict[str, Any]) -> Any:
        return True


CAPTION_LIMIT = 1024  # UTF-16 units, as Telegram counts


def _show_markup(message: dict[str, Any], params: dict[str, Any]) -> None:
    """An edit's inline keyboard replaces the message's; an edit without one removes it."""
    markup = params.get("reply_markup") or {}
    if "inline_keyboard" in markup:
        message["reply_markup"] = markup
    else:
        message.pop("reply_markup", None)


def _check_caption(params: dict[str, Any]) -> None:
    caption = str(params.get("caption") or "")
    if len(caption.encode("utf-16-le")) // 2 > CAPTION_LIMIT:
        raise _Refused(400, "Bad Request: message caption is too long")


class _Refused(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        raw: dict[str, Any] = await request.json()
    else:
        form = await request.post()
        raw = {k: v for k, v in form.items() if isinstance(v, str)}
        raw.update(request.query)
        # Files come as parts of their own, named in the parameter as "attach://<part>".
        uploads = {
            k: Upload(v.filename, v.file.read(), v.content_type)
            for k, v in form.items()
            if isinstance(v, web.FileField)
        }
        for name, value in raw.items():
            if isinstance(value, str) and value.startswith("attach://"):
                raw[name] = uploads[value.removeprefix("attach://")]
    for name in _JSON_FIELDS & raw.keys():
        if isinstance(raw[name], str):
            raw[name] = json.loads(raw[name])
    return raw


def _error(status: int, description: str, **extra: Any) -> web.Response:
    body = {"ok": False, "error_code": status, "description": description, **extra}
    return web.json_response(body, status=status)


async def _serve(port: int, latency: float, rate_limit: float | None) -> None:
    server = FakeTelegramServer(port=port, latency=latency, rate_limit=rate_limit)
    await server.start()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    # Only now: whoever reads this line may signal at once.
    print(f"fake Bot API at {server.base_url} token {server.token}", flush=True)
    await stopping.wait()
    await server.stop()
    print(server.summary(), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="A fake Telegram Bot API on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8081, help="0: any free port")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="each answer's delay")
    parser.add_argument("--rate", type=float, default=None, help="sends a second allowed")
    args = parser.parse_args()
    asyncio.run(_serve(args.port, args.latency_ms / 1000, args.rate))


if __name__ == "__main__":
    main()
