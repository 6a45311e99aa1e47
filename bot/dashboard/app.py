"""Joining the dashboard to the bot's web app: its routes, its refusal pages, the
security headers every response carries, and its one stylesheet and script."""

import logging
from importlib import resources

from fastapi import APIRouter, FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.dashboard import (
    agenda,
    attendance,
    attendance_roll,
    audit,
    broadcasts,
    certificates,
    events,
    participants,
    signin,
    surveys,
)
from bot.dashboard.config import DashboardConfig
from bot.dashboard.core import (
    PREFIX,
    SIGN_IN,
    Dashboard,
    NotSignedInError,
    PageError,
    dashboard_of,
    page_translator,
)
from bot.db import SessionMaker
from bot.web import WebPart

# Every page module's router, in one place: a new page module is added here.
PAGES = (
    signin.router,
    events.router,
    participants.router,
    agenda.router,
    broadcasts.router,
    attendance.router,
    attendance_roll.router,
    surveys.router,
    certificates.router,
    audit.router,
)

STATIC = {"dashboard.css": "text/css; charset=utf-8", "live.js": "text/javascript; charset=utf-8"}

CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
EVERY_RESPONSE = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)


class SecurityHeaders:
    """Headers no response goes without (a route's own are kept): no framing, no type
    sniffing, no referrer; the dashboard's pages also get its CSP and are never cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        dashboard = str(scope["path"]).startswith(PREFIX)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                wanted = list(EVERY_RESPONSE)
                if dashboard:
                    wanted += [
                        (b"content-security-policy", CSP.encode()),
                        (b"cache-control", b"no-store"),
                    ]
                headers += [(name, value) for name, value in wanted if name not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


class NoTokenInAccessLog(logging.Filter):
    """uvicorn's access log (on at DEBUG) writes each path: a sign-in link's token, a
    credential, is written as "…" instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        path = args[2] if isinstance(args, tuple) and len(args) >= 3 else None
        if isinstance(path, str) and path.startswith(SIGN_IN + "/"):
            assert isinstance(args, tuple)
            record.args = (*args[:2], SIGN_IN + "/…", *args[3:])
        return True


def _static_router() -> APIRouter:
    router = APIRouter()
    folder = resources.files("bot.dashboard").joinpath("static")
    files = {name: folder.joinpath(name).read_bytes() for name in STATIC}

    @router.get(PREFIX + "/static/{name}")
    async def static(name: str) -> Response:
        if name not in files:
            return Response(status_code=404)
        # Public and the same for everyone: a day's cache on slow connections.
        headers = {"Cache-Control": "public, max-age=86400"}
        return Response(files[name], media_type=STATIC[name], headers=headers)

    return router


async def _refused(request: Request, error: Exception) -> Response:
    assert isinstance(error, PageError)
    t = getattr(request.state, "translator", None) or page_translator(request)
    return dashboard_of(request).render(
        request, "error.html", t, status=error.status, key=error.key
    )


async def _not_a_page(request: Request, error: Exception) -> Response:
    """A dashboard address that names nothing (no such route, an id that is no number):
    a page saying so; elsewhere in the app, FastAPI's usual answers."""
    if not request.url.path.startswith(PREFIX):
        if isinstance(error, RequestValidationError):
            return await request_validation_exception_handler(request, error)
        assert isinstance(error, StarletteHTTPException)
        return await http_exception_handler(request, error)
    if isinstance(error, StarletteHTTPException):
        status = error.status_code
    else:  # an address that names nothing (GET), or a form without its fields
        status = 404 if request.method == "GET" else 400
    key = "no_page" if status == 404 else "bad_request"
    return await _refused(request, PageError(status, key))


async def _to_sign_in(request: Request, error: Exception) -> Response:
    assert isinstance(error, NotSignedInError)
    target = SIGN_IN + ("?habis=1" if error.reason == "ended" else "")
    response = RedirectResponse(target, status_code=303)
    if error.drop_cookie:
        dashboard_of(request).drop_cookie(response)
    return response


def dashboard_part(sessions: SessionMaker, config: DashboardConfig) -> WebPart:
    """The dashboard as a part of the web app."""
    router = APIRouter()
    for pages in PAGES:
        router.include_router(pages)
    router.include_router(_static_router())

    @router.get(PREFIX, include_in_schema=False)
    async def bare() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/", status_code=307)

    def install(app: FastAPI) -> None:
        app.state.dashboard = Dashboard(sessions, config)
        app.add_exception_handler(PageError, _refused)
        app.add_exception_handler(NotSignedInError, _to_sign_in)
        app.add_exception_handler(RequestValidationError, _not_a_page)
        app.add_exception_handler(StarletteHTTPException, _not_a_page)
        app.add_middleware(SecurityHeaders)
        access = logging.getLogger("uvicorn.access")
        if not any(isinstance(f, NoTokenInAccessLog) for f in access.filters):
            access.addFilter(NoTokenInAccessLog())

    return WebPart(router, install=install)
