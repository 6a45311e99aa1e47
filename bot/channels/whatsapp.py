"""WhatsApp Cloud API, the incoming half: Meta's webhook and what comes through it.

A delivery is checked (its size, its signature), stored as it came (``webhook_inbox``)
and answered at once; a processor then reads the stored deliveries in order and hands
their messages to the engine (one person's in order, different people's side by side)
and the statuses of the bot's own messages to ``on_receipts``. Stored deliveries left by
a process that stopped or died are read at the next start. Sending is elsewhere.
"""

import asyncio
import contextlib
import hashlib
import hmac
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

import structlog
from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse

from bot.channels.whatsapp_parse import (
    CHANNEL,
    FILE_DOWNLOAD_LIMIT,
    Delivery,
    Receipt,
    Received,
    parse,
)
from bot.db import SessionMaker
from handlers.types import Attachment, Inbound, Reply
from models import webhook_inbox
from models.types import utcnow
from models.webhook_inbox import Stored

PATH = "/webhooks/whatsapp"
SIGNATURE_HEADER = "X-Hub-Signature-256"
# Meta sends deliveries of up to 3 MB; anything larger is not Meta's.
BODY_LIMIT = 3 * 1024 * 1024
# How long a process holds the deliveries it reads. Reading one takes seconds; a claim
# outliving its process (it died) only delays the delivery until another process or the
# next start takes it.
LEASE = timedelta(minutes=2)
ATTEMPTS = 5  # handlings of a delivery before it is given up
BATCH = 100  # deliveries read in one go

log = structlog.get_logger(__name__)


class FetchedMedia(Protocol):
    """A file fetched from the Graph API; ``content`` is None when it is over the limit
    asked for (``size`` says how large it is)."""

    @property
    def content(self) -> bytes | None: ...
    @property
    def mime_type(self) -> str: ...
    @property
    def size(self) -> int: ...


FetchMedia = Callable[[str, int], Awaitable[FetchedMedia | None]]  # (media id, limit)
OnReceipts = Callable[[Sequence[Receipt]], Awaitable[None]]


class Handler(Protocol):
    """The engine, as far as this channel needs it."""

    async def handle(self, inbound: Inbound) -> list[Reply]: ...


class WhatsAppChannel:
    """Serve ``routes()`` in a web app whose lifespan runs ``async with running():``."""

    def __init__(
        self,
        engine: Handler,
        sessions: SessionMaker,
        *,
        phone_number_id: str,
        app_secret: str,
        verify_token: str,
        fetch_media: FetchMedia | None = None,
        on_receipts: OnReceipts | None = None,
        body_limit: int = BODY_LIMIT,
        clock: Callable[[], datetime] = utcnow,
        sweep_every: float = 30.0,
    ) -> None:
        if not (phone_number_id and app_secret and verify_token):
            # A webhook without its secret would take anyone's word for a message.
            raise ValueError("the WhatsApp webhook needs the phone number id and both secrets")
        self._engine = engine
        self._sessions = sessions
        self._phone_number_id = phone_number_id
        self._secret = app_secret.encode()
        self._verify_token = verify_token.encode()
        self._fetch_media = fetch_media
        self._on_receipts = on_receipts
        self._body_limit = body_limit
        self._clock = clock
        self._sweep_every = sweep_every
        self._pending: list[Stored] = []  # stored and claimed here, to read next
        self._held: set[int] = set()  # claimed here and not yet handled
        self._wake = asyncio.Event()
        self._running = False

    # The webhook --------------------------------------------------------------------

    def routes(self) -> APIRouter:
        router = APIRouter()
        router.add_api_route(PATH, self._verify, methods=["GET"])
        router.add_api_route(PATH, self._receive, methods=["POST"])
        return router

    async def _verify(self, request: Request) -> Response:
        """Meta's handshake when the webhook is set up: the challenge back, for the
        token agreed on."""
        query = request.query_params
        token = query.get("hub.verify_token", "").encode()
        if query.get("hub.mode") != "subscribe" or not hmac.compare_digest(
            token, self._verify_token
        ):
            return Response(status_code=403)
        return PlainTextResponse(query.get("hub.challenge", ""))

    async def _receive(self, request: Request) -> Response:
        signature = request.headers.get(SIGNATURE_HEADER)
        if signature is None:
            return Response(status_code=401)
        declared = request.headers.get("content-length")
        if (
            declared is not None
            and declared.isascii()
            and declared.isdigit()
            and int(declared) > self._body_limit
        ):
            return Response(status_code=413)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > self._body_limit:
                return Response(status_code=413)
        if not self._signed(bytes(body), signature):
            return Response(status_code=403)
        await self._store(bytes(body))
        return Response(status_code=200)

    def _signed(self, body: bytes, signature: str) -> bool:
        """Whether ``signature`` ("sha256=<hex>") is the body's HMAC with the app secret."""
        scheme, _, given = signature.partition("=")
        expected = hmac.new(self._secret, body, hashlib.sha256).hexdigest().encode()
        return scheme == "sha256" and hmac.compare_digest(expected, given.lower().encode())

    async def _store(self, body: bytes) -> None:
        """Keep the delivery; while the processor runs, claimed for it and handed over.
        A failure here answers 500, and Meta delivers again later."""
        now = self._clock()
        running = self._running
        async with self._sessions.begin() as session:
            stored = await session.run_sync(
                webhook_inbox.store, CHANNEL, body, now, now + LEASE if running else None
            )
        log.debug("whatsapp_delivery_stored", inbox_id=stored.id, size=len(body))
        if running:
            self._held.add(stored.id)
            self._pending.append(stored)
            self._wake.set()

    # The processor ------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Read stored deliveries while the web app runs. At the end, the deliveries in
        hand are read to the end; those not begun are left for the next start."""
        self._running = True
        processor = asyncio.create_task(self._process())
        try:
            yield
        finally:
            self._running = False
            self._wake.set()
            await processor
            left = sorted(self._held)
            self._pending.clear()
            self._held.clear()
            if left:
                async with self._sessions.begin() as session:
                    await session.run_sync(webhook_inbox.release, left)
                log.info("whatsapp_inbox_left", deliveries=len(left))

    async def _process(self) -> None:
        """Deliveries as they come, and those nobody holds (left by a stop, by a process
        that died, or after a failure) at the start and every ``sweep_every`` seconds;
        a backlog, one batch after the other."""
        loop = asyncio.get_running_loop()
        next_sweep = loop.time()
        while self._running:
            if loop.time() >= next_sweep:
                backlog = await self._sweep()
                next_sweep = loop.time() + (0 if backlog else self._sweep_every)
            if not self._pending:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), next_sweep - loop.time())
                continue
            batch, self._pending = self._pending[:BATCH], self._pending[BATCH:]
            try:
                await self._read(batch)
            except Exception:
                # The rows stay stored; their claim runs out and they are read again.
                log.exception("whatsapp_batch_failed", inbox_ids=[row.id for row in batch])
            finally:
                self._held.difference_update(row.id for row in batch)

    async def _sweep(self) -> bool:
        """Claim stored deliveries nobody holds; whether there may be more."""
        now = self._clock()
        try:
            async with self._sessions.begin() as session:
                rows = await session.run_sync(
                    webhook_inbox.claim, CHANNEL, now, now + LEASE, BATCH, sorted(self._held)
                )
                given_up = [row.id for row in rows if row.attempts > ATTEMPTS]
                await session.run_sync(webhook_inbox.forget, given_up)
        except Exception:
            log.exception("whatsapp_inbox_sweep_failed")
            return False
        if given_up:
            log.error("whatsapp_inbox_given_up", inbox_ids=given_up, attempts=ATTEMPTS)
        taken = [row for row in rows if row.attempts <= ATTEMPTS]
        if taken:
            log.info("whatsapp_inbox_resumed", deliveries=len(taken))
            self._held.update(row.id for row in taken)
            # Older than any delivery that came since: read first.
            self._pending[:0] = taken
        return len(rows) == BATCH

    async def _read(self, rows: Sequence[Stored]) -> None:
        """Read stored deliveries: each person's messages in order, different people's
        side by side, then the receipts. A delivery whose reading failed stays stored
        for another try; the others are deleted."""
        by_person: dict[str, list[tuple[int, Received]]] = defaultdict(list)
        receipts: list[Receipt] = []
        receipt_rows: set[int] = set()
        for row in rows:
            delivery = self._parse(row)
            if delivery is None:
                continue
            for received in delivery.messages:
                by_person[received.inbound.user_key].append((row.id, received))
            if delivery.receipts:
                receipts += delivery.receipts
                receipt_rows.add(row.id)
        failed: set[int] = set()

        async def in_order(messages: list[tuple[int, Received]]) -> None:
            for row_id, received in messages:
                with structlog.contextvars.bound_contextvars(channel=CHANNEL, inbox_id=row_id):
                    try:
                        await self._handle(received)
                    except Exception:
                        # One message that cannot be handled must not stop the others.
                        log.exception("whatsapp_message_failed")
                        failed.add(row_id)

        await asyncio.gather(*(in_order(messages) for messages in by_person.values()))
        if receipts and self._on_receipts is not None:
            try:
                await self._on_receipts(receipts)
            except Exception:
                log.exception("whatsapp_receipts_failed", receipts=len(receipts))
                failed |= receipt_rows
        done = [row.id for row in rows if row.id not in failed]
        async with self._sessions.begin() as session:
            await session.run_sync(webhook_inbox.forget, done)
        log.debug("whatsapp_deliveries_read", deliveries=len(done), failed=len(failed))

    def _parse(self, row: Stored) -> Delivery | None:
        """The delivery a row holds; None when it is not one (logged: Meta sends no such
        thing, and answering it with an error would only make Meta send it again)."""
        try:
            delivery = parse(json.loads(row.body), self._phone_number_id)
        except (ValueError, RecursionError) as exc:  # bad JSON, UTF-8 or shape
            log.warning("whatsapp_delivery_malformed", inbox_id=row.id, error=type(exc).__name__)
            return None
        if delivery.skipped:
            log.warning("whatsapp_delivery_partly_read", inbox_id=row.id, skipped=delivery.skipped)
        return delivery

    async def _handle(self, received: Received) -> None:
        inbound = received.inbound
        if inbound.attachment is not None and received.media_id is not None:
            attachment = await self._fetch(inbound.attachment, received.media_id)
            inbound = replace(inbound, attachment=attachment)
        # The replies are in the outbox now; the dispatcher sends them.
        await self._engine.handle(inbound)

    async def _fetch(self, attachment: Attachment, media_id: str) -> Attachment:
        """The attachment with its content when it is small enough and can be fetched;
        otherwise without: the message still reaches the engine, which can say so."""
        if self._fetch_media is None:
            return attachment
        try:
            media = await self._fetch_media(media_id, FILE_DOWNLOAD_LIMIT)
        except Exception as exc:
            log.warning("whatsapp_media_fetch_failed", error=type(exc).__name__)
            return attachment
        if media is None:
            log.warning("whatsapp_media_fetch_failed", error="none")
            return attachment
        content = media.content
        if content is None or len(content) > FILE_DOWNLOAD_LIMIT:
            log.info("whatsapp_media_not_fetched", reason="too_large", size=media.size)
            return replace(attachment, size=media.size)
        return replace(attachment, content=content, size=len(content))
