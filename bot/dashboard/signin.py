"""Signing in and out. ``GET /dasbor/masuk/<token>`` only shows the link's page: chat
apps fetch a link to preview it, and that must not use it up. Its button posts the
token; the post uses the link once, starts a session and redirects (303) to the event
list, so the token stays in no address bar or history entry. ``POST /dasbor/keluar``
(with the session's CSRF token) revokes the session."""

from typing import Annotated
from urllib.parse import urlsplit

import structlog
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.dashboard.core import (
    PREFIX,
    SIGN_IN,
    Database,
    PageError,
    Posted,
    dashboard_of,
    page_translator,
)
from models.dashboard import (
    LinkOutcome,
    link_outcome,
    prune,
    redeem_link,
    revoke_session,
    start_session,
)

log = structlog.get_logger(__name__)


def same_origin(request: Request) -> bool:
    """Whether the post came from a page of this site. Browsers say so in
    ``Sec-Fetch-Site``; older ones send ``Origin`` (``null`` under this site's
    no-referrer policy); with neither (a script), the token alone decides."""
    fetched_from = request.headers.get("sec-fetch-site")
    if fetched_from is not None:
        return fetched_from in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True
    ours = {request.headers.get("host"), dashboard_of(request).config.public_host}
    return urlsplit(origin).netloc in ours - {None}


router = APIRouter()


@router.get(SIGN_IN, response_class=HTMLResponse)
async def sign_in_page(request: Request, keluar: int = 0, habis: int = 0) -> HTMLResponse:
    """Where anyone not signed in lands: how to get a link (and why they are here)."""
    t = page_translator(request)
    note = "signed_out" if keluar else "ended" if habis else None
    return dashboard_of(request).render(request, "sign_in.html", t, note=note)


@router.get(SIGN_IN + "/{token}", response_class=HTMLResponse)
async def link_page(request: Request, token: str, session: Database) -> HTMLResponse:
    """The link's page: a button to sign in, or why the link no longer works. Reads
    only: the link is used by the button's post."""
    t = page_translator(request)
    dashboard = dashboard_of(request)
    outcome = await link_outcome(session, token, dashboard.config.clock())
    if outcome is not LinkOutcome.OK:
        return dashboard.render(request, "link_refused.html", t, outcome=outcome, status=410)
    return dashboard.render(request, "link.html", t, token=token)


@router.post(SIGN_IN, response_class=HTMLResponse)
async def sign_in(
    request: Request, token: Annotated[str, Form(max_length=200)], session: Database
) -> Response:
    t = page_translator(request)
    dashboard = dashboard_of(request)
    if not same_origin(request):
        # A page elsewhere posting someone's link would sign this browser in as them.
        raise PageError(403, "forged_form")
    now = dashboard.config.clock()
    async with session.begin():
        redeemed = await redeem_link(session, token, now)
        if redeemed.person_id is None:
            log.info("dashboard_link_refused", outcome=redeemed.outcome.value)
            return dashboard.render(
                request, "link_refused.html", t, outcome=redeemed.outcome, status=410
            )
        session_id = await start_session(
            session, redeemed.person_id, now, dashboard.config.session_length, t.locale
        )
        await prune(session, now)
    log.info("dashboard_signed_in", person_id=redeemed.person_id)
    response = RedirectResponse(f"{PREFIX}/", status_code=303)
    dashboard.set_cookie(response, session_id)
    return response


@router.post(f"{PREFIX}/keluar")
async def sign_out(viewer: Posted, session: Database) -> Response:
    dashboard = viewer.dashboard
    await revoke_session(session, viewer.session_id, dashboard.config.clock())
    await session.commit()
    log.info("dashboard_signed_out", person_id=viewer.person_id)
    response = RedirectResponse(f"{SIGN_IN}?keluar=1&lang={viewer.t.locale}", status_code=303)
    dashboard.drop_cookie(response)
    return response
