"""The bot's web app: one server for every channel's webhook (Telegram's, WhatsApp's), on
WEBHOOK_LISTEN_HOST and WEBHOOK_LISTEN_PORT. Each channel brings its routes and what to do
while the server runs (register the webhook, process what was stored)."""

import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

from fastapi import APIRouter, FastAPI

from bot.delivery.dispatcher import Dispatcher


@dataclass(frozen=True)
class WebPart:
    router: APIRouter
    # Entered when the server starts, left when it stops.
    lifespan: Callable[[], contextlib.AbstractAsyncContextManager[None]] | None = None


def web_app(dispatcher: Dispatcher, parts: Sequence[WebPart]) -> FastAPI:
    """The app serving ``parts``; the dispatcher sends while it runs."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            await stack.enter_async_context(dispatcher.running())
            for part in parts:
                if part.lifespan is not None:
                    await stack.enter_async_context(part.lifespan())
            yield

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    for part in parts:
        app.include_router(part.router)
    return app
