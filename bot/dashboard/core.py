"""The dashboard's plumbing every page shares: the signed session cookie, who is signed
in (``SignedIn``), the event a page is about with the role check (``OfEvent``), the CSRF
check of a posted form (``Posted``), refusals as pages (``PageError``) and rendering.

A page asks for what it needs by type and gets it checked, or the request never reaches
it: ``async def page(page: OfEvent) -> HTMLResponse`` runs only for someone signed in
who organises ``{event_id}`` (or an admin)."""

import hashlib
import hmac
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, cast
from urllib.parse import urlencode

import structlog
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dashboard.access import is_admin, organised_events, organises
from bot.dashboard.config import DashboardConfig
from bot.db import SessionMaker
from handlers.i18n import LOCALES, Translator, supported
from handlers.timefmt import format_date_range, format_moment, format_time
from models import Event
from models.dashboard import SIGN_IN_PATH, DashboardSession, live_session

log = structlog.get_logger(__name__)

PREFIX = "/dasbor"
SIGN_IN = SIGN_IN_PATH  # where someone not signed in is sent: how to get a link
COOKIE = "dasbor_sesi"
CSRF_FIELD = "csrf"
HERE = Path(__file__).parent


@dataclass
class Dashboard:
    """What every request of the dashboard shares; kept on ``app.state.dashboard``."""

    sessions: SessionMaker
    config: DashboardConfig
    templates: Environment = field(init=False)

    def __post_init__(self) -> None:
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            auto_reload=False,
        )

    # --- the cookie: a random session id, signed so that a forged one is told apart ---

    def _mac(self, purpose: str, value: str) -> str:
        return hmac.new(
            self.config.secret, f"{purpose}:{value}".encode(), hashlib.sha256
        ).hexdigest()

    def cookie_value(self, session_id: str) -> str:
        return f"{session_id}.{self._mac('cookie', session_id)}"

    def session_id_in(self, cookie: str) -> str | None:
        """The session id a cookie carries, or None when its signature does not hold."""
        session_id, _, mac = cookie.rpartition(".")
        if not session_id or not same(mac, self._mac("cookie", session_id)):
            return None
        return session_id

    def csrf_token(self, session_id: str) -> str:
        """The session's CSRF token: derived, so nothing more is stored."""
        return self._mac("csrf", session_id)

    def set_cookie(self, response: Response, session_id: str) -> None:
        response.set_cookie(
            COOKIE,
            self.cookie_value(session_id),
            max_age=int(self.config.session_length.total_seconds()),
            path=PREFIX,
            httponly=True,
            samesite="lax",
            secure=self.config.secure_cookies,
        )

    def drop_cookie(self, response: Response) -> None:
        response.delete_cookie(
            COOKIE, path=PREFIX, httponly=True, samesite="lax", secure=self.config.secure_cookies
        )

    # --- pages ------------------------------------------------------------------------

    def render(
        self,
        request: Request,
        template: str,
        t: Translator,
        *,
        viewer: "Viewer | None" = None,
        status: int = 200,
        **values: Any,
    ) -> HTMLResponse:
        html = self.templates.get_template(template).render(
            t=t,
            locale=t.locale,
            viewer=viewer,
            csrf_field=CSRF_FIELD,
            other_language=other_language_url(request, t.locale),
            prefix=PREFIX,
            moment=format_moment,
            time=format_time,
            dates=format_date_range,
            **values,
        )
        return HTMLResponse(html, status_code=status)


def same(given: str, expected: str) -> bool:
    """A constant-time comparison that takes any text (compare_digest refuses non-ASCII
    str, and what a browser sends may be anything)."""
    return hmac.compare_digest(given.encode(), expected.encode())


def dashboard_of(request: Request) -> Dashboard:
    return cast(Dashboard, request.app.state.dashboard)


def other_language_url(request: Request, locale: str) -> str:
    """This page in the other language: the same query with ``lang`` switched."""
    other = next(code for code in LOCALES if code != locale)
    query = {k: v for k, v in request.query_params.items() if k != "lang"}
    query["lang"] = other
    return f"{request.url.path}?{urlencode(query)}"


class PageError(Exception):
    """A refusal shown as a page: ``dashboard.error.<key>.title`` and ``.text``, with
    ``status``. Raised anywhere below a route; nothing the request did is committed."""

    def __init__(self, status: int, key: str) -> None:
        super().__init__(key)
        self.status = status
        self.key = key


class NotSignedInError(Exception):
    """No session (or it ended): the browser is sent to the sign-in page."""

    def __init__(self, reason: str, *, drop_cookie: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.drop_cookie = drop_cookie


def page_translator(request: Request, held: DashboardSession | None = None) -> Translator:
    """``?lang=`` if given, else the session's choice, else Bahasa Indonesia."""
    asked = request.query_params.get("lang")
    if asked in LOCALES:
        return Translator(asked)
    return Translator(supported(held.locale if held is not None else None))


@dataclass(frozen=True)
class Viewer:
    """Someone signed in who may use the dashboard (an organiser somewhere, or an admin)."""

    person_id: int
    session_id: str
    admin: bool
    csrf: str
    t: Translator
    request: Request
    dashboard: Dashboard

    def render(self, template: str, *, status: int = 200, **values: Any) -> HTMLResponse:
        return self.dashboard.render(
            self.request, template, self.t, viewer=self, status=status, **values
        )


@dataclass(frozen=True)
class EventPage:
    """A page about one event the viewer organises, with the request's database session."""

    viewer: Viewer
    event: Event
    session: AsyncSession

    @property
    def event_id(self) -> int:
        assert self.event.id is not None
        return self.event.id

    @property
    def t(self) -> Translator:
        return self.viewer.t

    def render(self, template: str, *, status: int = 200, **values: Any) -> HTMLResponse:
        return self.viewer.render(template, status=status, event=self.event, **values)


async def database(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's database session (read; a page that writes commits itself)."""
    async with dashboard_of(request).sessions() as session:
        yield session


Database = Annotated[AsyncSession, Depends(database)]


async def signed_in(request: Request, session: Database) -> Viewer:
    dashboard = dashboard_of(request)
    cookie = request.cookies.get(COOKIE)
    if cookie is None:
        raise NotSignedInError("none", drop_cookie=False)
    session_id = dashboard.session_id_in(cookie)
    if session_id is None:
        log.info("dashboard_cookie_forged")
        raise PageError(403, "bad_cookie")
    now = dashboard.config.clock()
    held = await live_session(session, session_id, now)
    if held is None:
        raise NotSignedInError("ended", drop_cookie=True)
    admin = await is_admin(session, held.person_id, dashboard.config.admins)
    viewer = Viewer(
        held.person_id,
        session_id,
        admin,
        dashboard.csrf_token(session_id),
        page_translator(request, held),
        request,
        dashboard,
    )
    request.state.translator = viewer.t  # for a refusal further on
    if not admin and not await _organises_any(session, held.person_id):
        raise PageError(403, "staff_only")
    if viewer.t.locale != held.locale and "lang" in request.query_params:
        held.locale = viewer.t.locale  # remembered for the pages that follow
        await session.commit()
    return viewer


async def _organises_any(session: AsyncSession, person_id: int) -> bool:
    return bool(await organised_events(session, person_id, admin=False))


SignedIn = Annotated[Viewer, Depends(signed_in)]


async def of_event(event_id: int, viewer: SignedIn, session: Database) -> EventPage:
    """The event ``{event_id}`` if the viewer organises it (as the chat decides), else
    a refusal: 404 for no such event, 403 for someone else's."""
    event = await session.get(Event, event_id)
    if event is None:
        raise PageError(404, "no_event")
    if not await organises(session, viewer.person_id, event_id, admin=viewer.admin):
        raise PageError(403, "not_your_event")
    return EventPage(viewer, event, session)


OfEvent = Annotated[EventPage, Depends(of_event)]


async def checked_form(request: Request, viewer: SignedIn) -> Mapping[str, Any]:
    """A posted form whose CSRF token is the session's (compared in constant time);
    else a refusal, before the route runs."""
    form = await request.form()
    token = form.get(CSRF_FIELD)
    if not isinstance(token, str) or not same(token, viewer.csrf):
        log.info("dashboard_form_forged")
        raise PageError(403, "forged_form")
    return form


CheckedForm = Annotated[Mapping[str, Any], Depends(checked_form)]


async def posted(viewer: SignedIn, _form: CheckedForm) -> Viewer:
    return viewer


Posted = Annotated[Viewer, Depends(posted)]  # a posted form with no fields of its own
