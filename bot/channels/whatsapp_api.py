"""The WhatsApp Cloud API, as much of Meta's Graph API as the bot uses: send a message,
upload a file to send, fetch a file a person sent.

A thin client over httpx rather than pywa: pywa 4.5 hard-codes its session's base URL
(``https://graph.facebook.com/v{api_version}``, in pywa/api.py), so a fake Graph API in
tests, or a proxy, could only be reached by rewriting URLs in an httpx transport; and it
brings a handler and webhook framework of its own, where the bot has its channel layer.
Four calls are little to own.

An error carries the Graph error's HTTP status, code, subcode and message ("(#131047)
Re-engagement message"), never the request: no phone number or text of a message reaches
an exception or a log from here.
"""

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

DEFAULT_BASE_URL = "https://graph.facebook.com/v23.0"
# Meta's media host refuses downloads from clients that do not name themselves.
USER_AGENT = "bimtek-bot/1 (+httpx)"
# Graph's message names the problem; a number that looks like a phone number is masked
# all the same, should a message ever quote the request.
_PHONE_LIKE = re.compile(r"\+?\d(?:[\s-]?\d){7,}")


class GraphError(Exception):
    """The Graph API refused a call, or could not be reached (``http_status`` 0 and
    ``code`` None: a network error or a timeout, named by ``title``)."""

    def __init__(self, http_status: int, code: int | None, subcode: int | None, title: str) -> None:
        super().__init__(f"HTTP {http_status}, code {code}, subcode {subcode}: {title}")
        self.http_status = http_status
        self.code = code
        self.subcode = subcode
        self.title = title


@dataclass(frozen=True, slots=True)
class FetchedMedia:
    """A file a person sent. ``content`` is None when it is larger than the limit asked
    for (``size`` then says how large, as far as known); otherwise ``size`` is its length."""

    mime_type: str
    size: int
    content: bytes | None

    @property
    def too_large(self) -> bool:
        return self.content is None


class GraphClient:
    """The calls the bot makes, for one business phone number."""

    def __init__(
        self,
        base_url: str,
        phone_number_id: str,
        access_token: str,
        *,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._phone_number_id = quote(phone_number_id, safe="")
        self._http = httpx.AsyncClient(
            base_url=self._base_url,
            headers={"Authorization": f"Bearer {access_token}", "User-Agent": USER_AGENT},
            timeout=timeout,
            transport=transport,
        )

    async def send_message(self, payload: dict[str, Any]) -> str:
        """Send one message (``payload`` as the Cloud API takes it, with ``to``); its
        message id (``wamid...``)."""
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", **payload}
        answer = await self._call("POST", f"/{self._phone_number_id}/messages", json=body)
        messages = answer.get("messages")
        if not isinstance(messages, list) or not messages or "id" not in messages[0]:
            raise GraphError(200, None, None, "no message id in the answer")
        return str(messages[0]["id"])

    async def upload_media(self, content: bytes, filename: str, media_type: str) -> str:
        """Upload a file to send; its media id (valid 30 days)."""
        answer = await self._call(
            "POST",
            f"/{self._phone_number_id}/media",
            data={"messaging_product": "whatsapp", "type": media_type},
            files={"file": (filename, content, media_type)},
        )
        if "id" not in answer:
            raise GraphError(200, None, None, "no media id in the answer")
        return str(answer["id"])

    async def fetch_media(self, media_id: str, limit: int) -> FetchedMedia | None:
        """A file a person sent, read in full when it holds at most ``limit`` bytes. A file
        declared larger is not downloaded; one that turns out larger is read no further
        than the limit. None when Meta no longer has it (deleted, or past its 30 days)."""
        try:
            info = await self._call("GET", f"/{quote(media_id, safe='')}")
        except GraphError as exc:
            if exc.http_status == 404 or (exc.code == 100 and exc.subcode == 33):
                return None
            raise
        url = info.get("url")
        if not isinstance(url, str) or not self._may_carry_token(url):
            raise GraphError(200, None, None, "no media url the token may go to")
        mime_type = str(info.get("mime_type") or "application/octet-stream")
        declared = _number(info.get("file_size")) or 0
        if declared > limit:
            return FetchedMedia(mime_type, declared, None)
        received = bytearray()
        try:
            async with self._http.stream("GET", url) as response:
                if response.status_code == 404:
                    return None
                if not response.is_success:
                    raise GraphError(response.status_code, None, None, "media download refused")
                async for chunk in response.aiter_bytes():
                    received += chunk
                    if len(received) > limit:
                        return FetchedMedia(mime_type, max(declared, len(received)), None)
        except httpx.HTTPError as exc:
            raise GraphError(0, None, None, type(exc).__name__) from None
        return FetchedMedia(mime_type, len(received), bytes(received))

    async def aclose(self) -> None:
        await self._http.aclose()

    def _may_carry_token(self, url: str) -> bool:
        """The access token goes with a download only over HTTPS, or to the API's own
        host (a local fake or proxy that the settings name)."""
        target, api = urlsplit(url), urlsplit(self._base_url)
        return target.scheme == "https" or (target.scheme, target.netloc) == (
            api.scheme,
            api.netloc,
        )

    async def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            # Not chained: the exception would carry the request, number and words.
            raise GraphError(0, None, None, type(exc).__name__) from None
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.is_success and isinstance(answer, dict):
            return answer
        raise _graph_error(response.status_code, answer)


def _graph_error(http_status: int, answer: object) -> GraphError:
    """The error a Graph answer describes: ``{"error": {"message", "type", "code",
    "error_subcode", "error_data": {"details"}, "fbtrace_id"}}``."""
    error = answer.get("error") if isinstance(answer, dict) else None
    if not isinstance(error, dict):
        return GraphError(http_status, None, None, f"HTTP {http_status}")
    title = _PHONE_LIKE.sub("…", str(error.get("message") or ""))[:200]
    return GraphError(
        http_status, _number(error.get("code")), _number(error.get("error_subcode")), title
    )


def _number(value: object) -> int | None:
    """Graph sends codes and sizes as numbers, now and then as strings of digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
