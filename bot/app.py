"""``python -m bot``: Telegram, WhatsApp or both, by which settings are present; the
console with the demo event when neither is.

The channels (aiogram, httpx) and the web server (uvicorn) are imported only when they are
used: the console starts without them.
"""

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy.exc import IntegrityError

from bot.channels.console import ConsoleChannel, stdin_lines
from bot.db import SessionMaker, create_engine, session_maker, upgrade
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.rates import RateGate
from bot.delivery.sending import Sender
from bot.demo import ensure_demo_event
from bot.engine import Engine
from bot.logging import configure_logging
from bot.settings import Settings
from handlers.i18n import Translator
from models.surveys.shipped import install_shipped
from models.types import utcnow
from scheduler.jobs import jobs_for
from scheduler.runner import Scheduler

if TYPE_CHECKING:
    from aiogram import Bot
    from fastapi import FastAPI

    from bot.channels.telegram import TelegramChannel
    from bot.channels.whatsapp import WhatsAppChannel
    from bot.channels.whatsapp_send import WhatsAppSender

log = structlog.get_logger(__name__)


async def run(settings: Settings) -> None:
    db = create_engine(settings.database_url)
    jobs: Scheduler | None = None
    try:
        await upgrade(db)
        sessions = session_maker(db)
        try:
            async with sessions.begin() as session:
                await install_shipped(session)
        except IntegrityError:
            # Another worker starting at the same moment stored them first.
            log.info("survey_templates_stored_elsewhere")
        console = not settings.channels
        clock = shifted_clock(settings.console_now) if console and settings.console_now else utcnow
        engine = Engine(sessions, clock, settings.deployment())
        if settings.scheduler_in_bot:
            jobs = Scheduler(
                sessions, settings.database_url, clock, jobs_for(settings.deployment())
            )
            await jobs.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        if console:
            await run_console(settings, sessions, engine, stop)
        else:
            await run_channels(settings, engine, stop)
    finally:
        if jobs is not None:
            await jobs.stop()
        await db.dispose()
        log.info("stopped")


async def run_console(
    settings: Settings, sessions: SessionMaker, engine: Engine, stop: asyncio.Event
) -> None:
    async with sessions.begin() as session:
        event = await ensure_demo_event(session)
    t = Translator("id")
    print(t("console.banner", event=event.name, code=event.code), flush=True)
    if not settings.console_admin:
        print(t("console.as_participant"), flush=True)
    terminal = ConsoleChannel(engine, settings.console_user, sys.stdout)
    await terminal.run(stdin_lines(), stop)


async def run_channels(settings: Settings, engine: Engine, stop: asyncio.Event) -> None:
    """Every configured channel on one dispatcher; the web server when a channel takes
    webhooks (WhatsApp always, Telegram when TELEGRAM_WEBHOOK_URL is set), else Telegram's
    long polling."""
    from bot.web import WebPart, page_parts, web_app

    async with contextlib.AsyncExitStack() as stack:
        senders: list[Sender] = []
        bot_rates: dict[str, str] = {}
        chat_rates: dict[str, str | None] = {}
        telegram = None
        if settings.telegram_bot_token is not None:
            telegram = await stack.enter_async_context(telegram_channel(settings, engine))
            senders.append(telegram.sender)
            bot_rates.update(telegram.bot_rates)
            chat_rates.update(telegram.chat_rates)
        whatsapp = None
        if settings.whatsapp_access_token is not None:
            whatsapp = await stack.enter_async_context(whatsapp_channel(settings, engine))
            senders.append(whatsapp.sender)
            bot_rates[whatsapp.sender.channel] = settings.whatsapp_rate
            chat_rates[whatsapp.sender.channel] = settings.whatsapp_chat_rate
        gate = RateGate(bot_rates, chat_rates, storage=settings.rate_limit_storage)
        dispatcher = Dispatcher(
            engine.sessions,
            senders,
            gate,
            engine.clock,
            lease=timedelta(seconds=settings.outbox_lease_seconds),
        )
        engine.delivery = dispatcher
        parts: list[WebPart] = []
        polling = None
        if telegram is not None:
            channel = telegram.channel(dispatcher)
            if settings.telegram_webhook_url:
                assert settings.telegram_webhook_secret is not None
                secret = settings.telegram_webhook_secret.get_secret_value()
                parts.append(channel.webhook(settings.telegram_webhook_url, secret))
            else:
                polling = channel
        if whatsapp is not None:
            parts.append(WebPart(whatsapp.channel.routes(), whatsapp.channel.running))
        # The certificates' verification page and the organisers' dashboard are served
        # wherever the web app runs: with a webhook, or because PUBLIC_BASE_URL says where
        # the printed QR codes and the dashboard's sign-in links point.
        if parts or settings.public_base_url:
            parts += page_parts(settings, engine.sessions)
            await serve(settings, web_app(dispatcher, parts), stop, also=polling)
        elif polling is not None:
            await until_stopped(polling.poll(), stop, on_stop=polling.stop)


@dataclass
class TelegramParts:
    """The Telegram channel's pieces, before the dispatcher that all channels share."""

    bot: "Bot"
    sender: Sender
    bot_rates: dict[str, str]
    chat_rates: dict[str, str | None]
    channel: Callable[[Dispatcher], "TelegramChannel"]


@contextlib.asynccontextmanager
async def telegram_channel(settings: Settings, engine: Engine) -> AsyncIterator[TelegramParts]:
    from bot.channels.telegram import TelegramChannel, create_bot
    from bot.channels.telegram_send import BULK_LANE, CHANNEL, TelegramSender

    assert settings.telegram_bot_token is not None
    bot = create_bot(settings.telegram_bot_token.get_secret_value(), settings.telegram_api_base_url)
    rates = {CHANNEL: settings.telegram_rate}
    if settings.telegram_paid_broadcast:
        rates[BULK_LANE] = settings.telegram_paid_broadcast_rate

    def channel(dispatcher: Dispatcher) -> TelegramChannel:
        return TelegramChannel(
            bot, engine, settings.telegram_poll_timeout, engine.features, dispatcher
        )

    try:
        yield TelegramParts(
            bot,
            TelegramSender(bot, settings.telegram_paid_broadcast),
            rates,
            {CHANNEL: settings.telegram_chat_rate},
            channel,
        )
    finally:
        await bot.session.close()


@dataclass
class WhatsAppParts:
    sender: "WhatsAppSender"
    channel: "WhatsAppChannel"


@contextlib.asynccontextmanager
async def whatsapp_channel(settings: Settings, engine: Engine) -> AsyncIterator[WhatsAppParts]:
    from bot.channels.whatsapp import WhatsAppChannel
    from bot.channels.whatsapp_receipts import recorder
    from bot.channels.whatsapp_send import WhatsAppSender

    config = settings.whatsapp()
    assert config is not None
    assert settings.whatsapp_app_secret is not None
    assert settings.whatsapp_verify_token is not None
    client = config.client()
    try:
        channel = WhatsAppChannel(
            engine,
            engine.sessions,
            phone_number_id=config.phone_number_id,
            app_secret=settings.whatsapp_app_secret.get_secret_value(),
            verify_token=settings.whatsapp_verify_token.get_secret_value(),
            fetch_media=client.fetch_media,
            on_receipts=recorder(engine.sessions),
            clock=engine.clock,
        )
        yield WhatsAppParts(WhatsAppSender(client, config.templates), channel)
    finally:
        await client.aclose()


async def serve(
    settings: Settings, app: "FastAPI", stop: asyncio.Event, *, also: "TelegramChannel | None"
) -> None:
    """The web app until stopped; Telegram's long polling beside it when Telegram takes
    no webhook while WhatsApp does."""
    import uvicorn

    config = uvicorn.Config(
        app,
        host=settings.webhook_listen_host,
        port=settings.webhook_listen_port,
        log_config=None,
        lifespan="on",
    )
    server = uvicorn.Server(config)

    def shut_down() -> None:
        server.should_exit = True
        if also is not None:
            also.stop()

    work = server.serve()
    if also is not None:
        work = _together(work, also.poll())
    await until_stopped(work, stop, on_stop=shut_down)


async def _together(*works: Coroutine[Any, Any, None]) -> None:
    await asyncio.gather(*works)


def shifted_clock(start: datetime) -> Callable[[], datetime]:
    """A clock that reads ``start`` now and runs on at the normal pace."""
    offset = start - utcnow()
    return lambda: utcnow() + offset


async def until_stopped(
    work: Coroutine[Any, Any, None], stop: asyncio.Event, on_stop: Callable[[], None] | None = None
) -> None:
    """Run ``work`` until it ends or ``stop`` is set; then let it finish cleanly."""
    task = asyncio.create_task(work)
    waiter = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    if task in done:
        task.result()
        return
    if on_stop is not None:
        on_stop()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(task, timeout=10)
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Bimtek Bot: on Telegram when TELEGRAM_BOT_TOKEN is set, on WhatsApp "
        "when WHATSAPP_ACCESS_TOKEN is set (both when both are), otherwise in this terminal "
        "with the demo event.",
    )
    parser.add_argument(
        "--as-participant",
        action="store_true",
        help="in the terminal, talk as a plain participant instead of as the admin",
    )
    arguments = parser.parse_args(argv)
    settings = Settings()
    if arguments.as_participant:
        settings = settings.model_copy(update={"console_admin": False})
    configure_logging(settings.log_level, settings.log_format)
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
