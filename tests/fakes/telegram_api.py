"""A fake Telegram Bot API server on 127.0.0.1 for tests and benchmarks.

It speaks the real HTTP protocol (``/bot<token>/<method>``), so the real aiogram client
talks to it unchanged. Tests push updates as a person would and read what the bot sent.
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
BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "Bimtek Bot", "username": "bimtek_bot"}
# Parameters that the Bot API takes as JSON inside a form field.
_JSON_FIELDS = {"reply_markup", "allowed_updates", "commands", "scope"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    ok: bool = True  # False when the fake answered with an injected error


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

    def __post_init__(self) -> None:
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._new_update = asyncio.Condition()
        self._offset_moved = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> "FakeTelegramServer":
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
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

    def fail_next(self, method: str, fault: Fault) -> None:
        self.faults.setdefault(method, []).append(fault)

    # The Bot API ---------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await _params(request)
        call = Call(method, params)
        self.calls.append(call)
        queued = self.faults.get(method)
        if queued:
            fault = queued.pop(0)
            call.ok = False
            extra = {"parameters": {"retry_after": fault.retry_after}} if fault.retry_after else {}
            return _error(fault.status, fault.description, **extra)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        return web.json_response({"ok": True, "result": await handler(params)})

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


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        raw: dict[str, Any] = await request.json()
    else:
        raw = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        raw.update(request.query)
    for name in _JSON_FIELDS & raw.keys():
        if isinstance(raw[name], str):
            raw[name] = json.loads(raw[name])
    return raw


def _error(status: int, description: str, **extra: Any) -> web.Response:
    body = {"ok": False, "error_code": status, "description": description, **extra}
    return web.json_response(body, status=status)
