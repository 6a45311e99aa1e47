"""WhatsApp, outgoing: the sender that shows a ``Reply`` through the Cloud API for the
dispatcher (see ``whatsapp_render`` for how), the templates that reach a person after the
24-hour window has closed, and what the API's errors mean for the dispatcher."""

import hashlib
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

import structlog

from bot.channels.rendering import numbered
from bot.channels.whatsapp_api import DEFAULT_BASE_URL, GraphClient, GraphError
from bot.channels.whatsapp_parse import CHANNEL
from bot.channels.whatsapp_render import Outgoing, Upload, render, shorten
from bot.delivery.sending import Outcome, Pace, SendResult
from handlers.types import Reply

# An uploaded file stays on Meta's servers for 30 days: a broadcast's file is uploaded
# once, not once a recipient, and a media id is used for a day at most.
MEDIA_REUSE_SECONDS = 24 * 3600
MEDIA_KEPT = 16

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class TemplateRef:
    """An approved template whose body has one text parameter ({{1}}): the message."""

    name: str
    language: str  # the code it was approved in: "id", "en_US"
    # The body, filled in, holds at most 1,024 characters; the template's own words take
    # what the parameter leaves.
    parameter_limit: int = 900


@dataclass(frozen=True, slots=True)
class WhatsAppConfig:
    """What the WhatsApp sender needs from the settings."""

    phone_number_id: str
    access_token: str = field(repr=False)
    api_base_url: str = DEFAULT_BASE_URL
    # By the outbox's kind of message: reminder, digest, schedule_change, survey, broadcast.
    templates: Mapping[str, TemplateRef] = field(default_factory=dict)
    timeout: float = 30.0

    def client(self) -> GraphClient:
        return GraphClient(
            self.api_base_url, self.phone_number_id, self.access_token, timeout=self.timeout
        )


class WhatsAppSender:
    """Sends an outbox row's reply through the Cloud API, or its template once the
    window has closed, and says how it went."""

    channel = CHANNEL
    window = timedelta(hours=24)
    # Meta reports what became of each message (delivered, read, failed) to the webhook.
    reports_status: Literal[True] = True

    def __init__(self, client: GraphClient, templates: Mapping[str, TemplateRef] | None = None):
        self.client = client
        self.templates = dict(templates or {})
        self._media: OrderedDict[tuple[str, str, str], tuple[str, float]] = OrderedDict()

    async def send(
        self, address: str, reply: Reply, *, skip: int, pace: Pace, bulk: bool = False
    ) -> SendResult:
        """``address`` is the person's WhatsApp id (digits, no "+"). WhatsApp has no
        faster lane for broadcasts: ``bulk`` changes nothing."""
        messages = render(reply)
        sent: list[str] = []
        for index in range(skip, len(messages)):
            try:
                payload = await self._payload(address, messages[index])
                await pace()
                sent.append(await self.client.send_message(payload))
            except GraphError as exc:
                return _failed(exc, index, tuple(sent))
        return SendResult(Outcome.SENT, len(messages), tuple(sent))

    async def send_template(
        self, address: str, kind: str, reply: Reply, *, pace: Pace
    ) -> SendResult:
        template = self.templates.get(kind)
        if template is None:
            return SendResult(Outcome.NEEDS_TEMPLATE, 0, error=f"no template for {kind}")
        # A template carries words only: a reply's file is not sent with it (a header
        # with a file would need a template approved as one). The person who writes
        # back opens the window and can ask for the file again.
        parameter = template_parameter(reply, template.parameter_limit)
        if not parameter:
            return SendResult(Outcome.SENT, 0)
        payload = {
            "to": address,
            "type": "template",
            "template": {
                "name": template.name,
                "language": {"code": template.language},
                "components": [
                    {"type": "body", "parameters": [{"type": "text", "text": parameter}]}
                ],
            },
        }
        await pace()
        try:
            message_id = await self.client.send_message(payload)
        except GraphError as exc:
            return _failed(exc, 0, ())
        return SendResult(Outcome.SENT, 1, (message_id,))

    async def _payload(self, address: str, message: Outgoing) -> dict[str, Any]:
        payload = {**message.payload, "to": address}
        if message.upload is not None:
            kind = str(payload["type"])
            payload[kind] = {**payload[kind], "id": await self._media_id(message.upload)}
        return payload

    async def _media_id(self, upload: Upload) -> str:
        key = (hashlib.sha256(upload.content).hexdigest(), upload.filename, upload.media_type)
        kept = self._media.get(key)
        if kept is not None and time.monotonic() - kept[1] < MEDIA_REUSE_SECONDS:
            self._media.move_to_end(key)
            return kept[0]
        media_id = await self.client.upload_media(
            upload.content, upload.filename, upload.media_type
        )
        self._media[key] = (media_id, time.monotonic())
        self._media.move_to_end(key)
        if len(self._media) > MEDIA_KEPT:
            self._media.popitem(last=False)
        return media_id


def template_parameter(reply: Reply, limit: int) -> str:
    """The reply's words, and its choices as numbered lines, as one template parameter.
    Meta refuses new lines, tabs and more than four spaces in a row in a parameter: lines
    are joined with " · " and spaces run together; the end is cut after a word to fit
    ``limit``. A reply of a file alone says the file's name."""
    flat = _flat(numbered(reply))
    if not flat and reply.attachment is not None:
        flat = _flat(reply.attachment.filename)
    return shorten(flat, limit)


def _flat(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.splitlines())
    return " · ".join(line for line in lines if line)


# Cloud API error codes, and what each means for the dispatcher. Seconds to wait, for
# the rate limits: the bot's throughput (130429), too many messages to one person
# (131056, about one every six seconds is allowed), the app's and the account's call
# rates (4, 80007).
_WAIT = {130429: 3.0, 131056: 15.0, 4: 60.0, 80007: 60.0}
_OUTCOMES = {
    131047: (Outcome.WINDOW_CLOSED, "re-engagement"),
    131026: (Outcome.BLOCKED, "undeliverable"),
    131051: (Outcome.REFUSED, "unsupported type"),
    100: (Outcome.REFUSED, "invalid parameter"),
    131008: (Outcome.REFUSED, "parameter missing"),
    131009: (Outcome.REFUSED, "parameter invalid"),
    131053: (Outcome.REFUSED, "media upload"),
    1: (Outcome.UNAVAILABLE, "unknown"),
    2: (Outcome.UNAVAILABLE, "service"),
    131000: (Outcome.UNAVAILABLE, "something went wrong"),
    131016: (Outcome.UNAVAILABLE, "service unavailable"),
}
# The access token or the business account refused (expired token, missing permission,
# account locked or unpaid, number not registered): nothing goes out until someone fixes
# it, so every message waits rather than being given up.
_ACCOUNT = {0, 3, 10, 190, 368, 131005, 131031, 131042, 133010, *range(200, 300)}


def _failed(exc: GraphError, parts_sent: int, sent: tuple[str, ...]) -> SendResult:
    """How a refused call went, in the dispatcher's terms; ``error`` holds the code."""
    code, status = exc.code, exc.http_status
    if code in _WAIT or (code is None and status == 429):
        wait = _WAIT.get(code or 0, 3.0)
        return SendResult(Outcome.RETRY_AFTER, parts_sent, sent, wait, f"{code or status} rate")
    if code in _OUTCOMES:
        outcome, name = _OUTCOMES[code]
        return SendResult(outcome, parts_sent, sent, error=f"{code} {name}")
    if code in _ACCOUNT or (code is None and status in (401, 403)):
        log.error("whatsapp_access_refused", code=code, subcode=exc.subcode, status=status)
        return SendResult(Outcome.UNAVAILABLE, parts_sent, sent, error=f"{code or status} access")
    if code is not None and 132000 <= code < 133000:
        return SendResult(Outcome.REFUSED, parts_sent, sent, error=f"{code} template")
    if code is None and status == 0:
        return SendResult(Outcome.UNAVAILABLE, parts_sent, sent, error=f"network {exc.title}")
    if status >= 500 or (code is None and status < 400):
        return SendResult(Outcome.UNAVAILABLE, parts_sent, sent, error=f"{code or status} server")
    return SendResult(Outcome.REFUSED, parts_sent, sent, error=f"{code or status} refused")
