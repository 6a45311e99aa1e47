"""A fake WhatsApp Cloud API (Meta's Graph API) on 127.0.0.1 for tests.

It speaks the real HTTP protocol: ``POST /{version}/{phone_number_id}/messages`` and
``/media``, ``GET /{version}/{media_id}`` and the media's download URL, each with the
bearer token; so the real client talks to it unchanged. It checks what it is sent as the
Cloud API does (``whatsapp_rules``) and keeps what each recipient got, in neutral terms
(``sent_to``). Like WhatsApp it can take time to answer, refuse messages past a rate
(130429), refuse anything but a template once a person's 24-hour window has closed
(131047), and fail for one recipient with any error code.
"""

import asyncio
import hashlib
import itertools
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.whatsapp_rules import (
    IMAGE_SIZE_LIMIT,
    IMAGE_TYPES,
    UPLOAD_TYPES,
    Invalid,
    Media,
    Received,
    received,
)

TOKEN = "EAAGfakefakefakefakefakefakefakeZD"
PHONE_NUMBER_ID = "106540352242922"
VERSION = "v23.0"
RATE_WINDOW = 1.0  # seconds: ``rate_limit`` counts the messages of the last one
TITLES = {
    1: "API Unknown",
    2: "API Service",
    4: "Application request limit reached",
    100: "Invalid parameter",
    190: "Invalid OAuth access token - Cannot parse access token",
    130429: "Rate limit hit",
    131000: "Something went wrong",
    131008: "Required parameter is missing",
    131009: "Parameter value is not valid",
    131016: "Service unavailable",
    131026: "Message undeliverable",
    131047: "Re-engagement message",
    131051: "Unsupported message type",
    131053: "Media upload error",
    131056: "(Business Account, Consumer Account) pair rate limit hit",
    132000: "Number of parameters does not match the expected number of params",
    132001: "Template name does not exist in the translation",
    132018: "There was an issue with the parameters in your template.",
}


@dataclass
class Call:
    """One request: ``kind`` is message, upload, media_info or download."""

    kind: str
    body: dict[str, Any]
    status: int = 200
    to: str = ""
    at: float = field(default_factory=time.monotonic)  # when it arrived


@dataclass
class _Fault:
    code: int
    http_status: int
    times: int


@dataclass
class FakeWhatsAppServer:
    token: str = TOKEN
    phone_number_id: str = PHONE_NUMBER_ID
    port: int = 0  # 0: any free port; the one taken once started
    latency: float = 0.0  # seconds every answer takes
    rate_limit: float | None = None  # messages a second, past which 130429
    # The recipients whose 24-hour window has closed: anything but a template is refused.
    window_closed: set[str] = field(default_factory=set)
    # The approved templates, by (name, language code); None takes any.
    templates: set[tuple[str, str]] | None = None
    calls: list[Call] = field(default_factory=list)
    media: dict[str, Media] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._received: dict[str, list[Received]] = {}
        self._faults: dict[str, list[_Fault]] = {}
        self._media_ids = itertools.count(1037543291543636)
        self._message_ids = itertools.count(1)
        self._recent: deque[float] = deque()
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        """The API root, version included, as the client takes it."""
        return f"http://127.0.0.1:{self.port}/{VERSION}"

    async def start(self) -> "FakeWhatsAppServer":
        app = web.Application(client_max_size=IMAGE_SIZE_LIMIT * 4)
        app.router.add_post("/{version}/{phone_id}/messages", self._messages)
        app.router.add_post("/{version}/{phone_id}/media", self._upload)
        app.router.add_get("/{version}/{media_id}", self._media_info)
        app.router.add_get("/download/{media_id}", self._download)
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

    def sent_to(self, wa_id: str) -> list[Received]:
        """What the recipient got, oldest first."""
        return list(self._received.get(wa_id, []))

    def add_media(
        self, content: bytes, mime_type: str, filename: str = "", size: int | None = None
    ) -> str:
        """Keep a file as if a person had sent it; its media id. ``size`` overrides the
        size the API reports, to fake a big file or one that lies about its size."""
        media_id = str(next(self._media_ids))
        self.media[media_id] = Media(content, mime_type, filename, size or len(content))
        return media_id

    def fail(self, wa_id: str, code: int, http_status: int = 400, times: int = 1) -> None:
        """Answer the next ``times`` messages to ``wa_id`` with the error ``code``."""
        self._faults.setdefault(wa_id, []).append(_Fault(code, http_status, times))

    def fail_uploads(self, code: int, http_status: int = 400, times: int = 1) -> None:
        self._faults.setdefault("", []).append(_Fault(code, http_status, times))

    def of_kind(self, kind: str) -> list[Call]:
        return [call for call in self.calls if call.kind == kind]

    # The Graph API -------------------------------------------------------------------

    async def _messages(self, request: web.Request) -> web.Response:
        call = Call("message", {})
        self.calls.append(call)
        refused = self._refused(request)
        if refused is None:
            try:
                body = await request.json()
            except ValueError:
                body = None
            if isinstance(body, dict):
                call.body = body
            else:
                refused = _error(400, 100, "the body must be a JSON object")
        if refused is None:
            call.to = str(call.body.get("to", "")).lstrip("+")
            refused = self._fault(call.to) or self._over_rate()
        closed = call.to in self.window_closed and call.body.get("type") != "template"
        if refused is None and closed:
            refused = _error(400, 131047, "more than 24 hours since the recipient last replied")
        if refused is None:
            refused = self._accept(call)
        return await self._answer(call, refused)

    def _accept(self, call: Call) -> web.Response:
        message_id = f"wamid.HBgLFAKE{next(self._message_ids):012d}FQIAERgS"
        try:
            shown = received(message_id, call.body, self.media)
        except Invalid as invalid:
            return _error(400, invalid.code, invalid.details)
        template = shown.template
        approved = self.templates
        if template and approved is not None and (template.name, template.language) not in approved:
            return _error(400, 132001, f"template name ({template.name}) does not exist")
        self._received.setdefault(call.to, []).append(shown)
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": call.body["to"], "wa_id": call.to}],
                "messages": [{"id": message_id}],
            }
        )

    async def _upload(self, request: web.Request) -> web.Response:
        call = Call("upload", {})
        self.calls.append(call)
        answer = self._refused(request) or self._fault("")
        if answer is None:
            form = await request.post()
            call.body = {k: v for k, v in form.items() if isinstance(v, str)}
            file = form.get("file")
            if call.body.get("messaging_product") != "whatsapp":
                answer = _error(400, 100, "messaging_product must be whatsapp")
            elif not isinstance(file, web.FileField):
                answer = _error(400, 100, "file is required")
            else:
                answer = self._store(call, file)
        return await self._answer(call, answer)

    def _store(self, call: Call, file: web.FileField) -> web.Response:
        media_type = call.body.get("type", "")
        content = file.file.read()
        call.body["file"] = (file.filename, len(content))
        if media_type not in UPLOAD_TYPES or file.content_type != media_type:
            return _error(400, 100, "Param file must be a file of a supported type")
        if not content:
            return _error(400, 131053, "the file is empty")
        if media_type in IMAGE_TYPES and len(content) > IMAGE_SIZE_LIMIT:
            return _error(400, 131053, "an image holds 5 MB at most")
        return web.json_response({"id": self.add_media(content, media_type, file.filename)})

    async def _media_info(self, request: web.Request) -> web.Response:
        media_id = request.match_info["media_id"]
        call = Call("media_info", {"id": media_id})
        self.calls.append(call)
        stored = self.media.get(media_id)
        answer = self._refused(request, media=True)
        if answer is None:
            answer = self._describe(media_id, stored)
        return await self._answer(call, answer)

    def _describe(self, media_id: str, stored: Media | None) -> web.Response:
        if stored is None:
            return _error(400, 100, "Unsupported get request.", subcode=33)
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "url": f"http://127.0.0.1:{self.port}/download/{media_id}?ext=1&hash=fake",
                "mime_type": stored.mime_type,
                "sha256": hashlib.sha256(stored.content).hexdigest(),
                "file_size": stored.size,
                "id": media_id,
            }
        )

    async def _download(self, request: web.Request) -> web.StreamResponse:
        call = Call("download", {"id": request.match_info["media_id"]})
        self.calls.append(call)
        stored = self.media.get(call.body["id"])
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return await self._answer(call, web.Response(status=401))
        if stored is None:
            return await self._answer(call, web.Response(status=404))
        return await self._answer(
            call, web.Response(body=stored.content, content_type=stored.mime_type)
        )

    def _refused(self, request: web.Request, media: bool = False) -> web.Response | None:
        """The token checked, then the version and the phone number id in the path."""
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _error(401, 190, TITLES[190])
        version = request.match_info["version"]
        if not version.startswith("v") or not version[1:].replace(".", "").isdigit():
            return _error(400, 2500, "Unknown path components")
        if not media and request.match_info["phone_id"] != self.phone_number_id:
            return _error(400, 100, "Unsupported post request.", subcode=33)
        return None

    def _fault(self, key: str) -> web.Response | None:
        faults = self._faults.get(key)
        if not faults:
            return None
        fault = faults[0]
        fault.times -= 1
        if fault.times <= 0:
            faults.pop(0)
        return _error(fault.http_status, fault.code, TITLES.get(fault.code, "Error"))

    def _over_rate(self) -> web.Response | None:
        if self.rate_limit is None:
            return None
        now = time.monotonic()
        while self._recent and self._recent[0] <= now - RATE_WINDOW:
            self._recent.popleft()
        if len(self._recent) >= self.rate_limit:
            return _error(429, 130429, TITLES[130429])
        self._recent.append(now)
        return None

    async def _answer(self, call: Call, response: web.Response) -> web.Response:
        call.status = response.status
        await asyncio.sleep(self.latency)
        return response


def _error(status: int, code: int, details: str, *, subcode: int | None = None) -> web.Response:
    error: dict[str, Any] = {
        "message": f"(#{code}) {TITLES.get(code, details)}",
        "type": "OAuthException",
        "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": details},
        "fbtrace_id": "AbCdEfGhIjKlMnOpQrStUvW",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return web.json_response({"error": error}, status=status)
