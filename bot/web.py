"""The bot's web app: one server for every channel's webhook (Telegram's, WhatsApp's), the
certificates' verification page and the organisers' dashboard, on WEBHOOK_LISTEN_HOST and
WEBHOOK_LISTEN_PORT. Each channel brings its routes and what to do while the server runs
(register the webhook, process what was stored).

``python -m bot.web`` serves the pages alone (the dashboard and the verification page),
without channels: beside a bot that long-polls, or on a machine of their own."""

import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI

from bot.db import SessionMaker
from bot.delivery.dispatcher import Dispatcher

if TYPE_CHECKING:
    from bot.settings import Settings


@dataclass(frozen=True)
class WebPart:
    router: APIRouter
    # Entered when the server starts, left when it stops.
    lifespan: Callable[[], contextlib.AbstractAsyncContextManager[None]] | None = None
    # Called once with the app: what a part needs beyond routes (exception handlers,
    # middleware, state), as the dashboard does.
    install: Callable[[FastAPI], None] | None = None


def web_app(dispatcher: Dispatcher | None, parts: Sequence[WebPart]) -> FastAPI:
    """The app serving ``parts``; the dispatcher, if any, sends while it runs."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            if dispatcher is not None:
                await stack.enter_async_context(dispatcher.running())
            for part in parts:
                if part.lifespan is not None:
                    await stack.enter_async_context(part.lifespan())
            yield

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    for part in parts:
        app.include_router(part.router)
        if part.install is not None:
            part.install(app)
    return app


def page_parts(settings: "Settings", sessions: SessionMaker) -> list[WebPart]:
    """The pages every web app serves: the certificates' verification page and the
    organisers' dashboard."""
    from bot.dashboard.app import dashboard_part
    from bot.dashboard.config import config_from
    from bot.web_certificates import certificate_pages

    return [certificate_pages(sessions), dashboard_part(sessions, config_from(settings))]


async def serve_pages(settings: "Settings") -> None:
    """The pages alone, until SIGINT or SIGTERM."""
    import asyncio
    import signal

    from bot.app import serve
    from bot.db import create_engine, session_maker, upgrade

    db = create_engine(settings.database_url)
    try:
        await upgrade(db)
        app = web_app(None, page_parts(settings, session_maker(db)))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(settings, app, stop, also=None)
    finally:
        await db.dispose()


def main() -> None:
    import asyncio

    from bot.logging import configure_logging
    from bot.settings import Settings

    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    asyncio.run(serve_pages(settings))


if __name__ == "__main__":
    main()
