"""A fake Telegram Bot API server on 127.0.0.1 for tests and benchmarks.

It speaks the real HTTP protocol (``/bot<token>/<method>``, and ``/file/bot<token>/<path>``
for downloads), so the real aiogram client talks to it unchanged. Tests push updates as a
person would and read what the bot sent.
"""

import asyncio
import contextlib
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456789:AAEfakefakefakefakefakefakefakefake"
GET_FILE_LIMIT = 20 * 1024 * 1024  # the Bot API's getFile refuses bigger files
DOWNLOAD = "download"  # the method name recorded (and faulted) for file downloads
BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "Bimtek Bot", "username": "bimtek_bot"}
# Parameters that the Bot API takes as JSON inside a form field.
_JSON_FIELDS = {"reply_markup", "allowed_updates", "commands", "scope"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    ok: bool = True  # False when the fake answered with an injected error


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


@dataclass
class Fault:
    status: int
    description: str
    retry_after: int | None = None


@dataclass
class FakeTelegramServer:
    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    confirmed_offset: int = 0
    history: dict[int, dict[str, Any]] = field(default_factory=dict)
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    max_poll_wait: float = 0.5
    files: dict[str, StoredFile] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._file_ids = itertools.count(1)
        self._new_update = asyncio.Condition()
        self._offset_moved = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> "FakeTelegramServer":
        app = web.Application(client_max_size=GET_FILE_LIMIT * 3)
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
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
        return [
            c
            for c in self.calls[since:]
            if c.method == "sendMessage"
            and c.ok
            and (chat_id is None or int(c.params["chat_id"]) == chat_id)
        ]

    def documents(self, chat_id: int | None = None, since: int = 0) -> list[Call]:
        """The sendDocument calls that succeeded; ``params["document"]`` is an ``Upload``."""
        return [c for c in self.outbox(chat_id, since) if c.method == "sendDocument"]

    def outbox(self, chat_id: int | None = None, since: int = 0) -> list[Call]:
        """Messages and documents sent, in order."""
        return [
            c
            for c in self.calls[since:]
            if c.method in ("sendMessage", "sendDocument")
            and c.ok
            and (chat_id is None or int(c.params["chat_id"]) == chat_id)
        ]

    def fail_next(self, method: str, fault: Fault) -> None:
        """Answer the next call of ``method`` (or ``DOWNLOAD``) with an error."""
        self.faults.setdefault(method, []).append(fault)

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
        method = request.match_info["method"]
        params = await _params(request)
        call = Call(method, params)
        self.calls.append(call)
        if (fault := self._fault(call)) is not None:
            return fault
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        try:
            result = await handler(params)
        except _Refused as refused:
            call.ok = False
            return _error(refused.status, refused.description)
        return web.json_response({"ok": True, "result": result})

    def _fault(self, call: Call) -> web.Response | None:
        queued = self.faults.get(call.method)
        if not queued:
            return None
        fault = queued.pop(0)
        call.ok = False
        extra = {"parameters": {"retry_after": fault.retry_after}} if fault.retry_after else {}
        return _error(fault.status, fault.description, **extra)

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        path = request.match_info["path"]
        call = Call(DOWNLOAD, {"file_path": path})
        self.calls.append(call)
        if (fault := self._fault(call)) is not None:
            return fault
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
        return True

    async def _api_setMyCommands(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_setWebhook(self, params: dict[str, Any]) -> Any:
        return True


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
