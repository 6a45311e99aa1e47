"""The page a certificate's QR code opens: GET /sertifikat/{code} says whose it is, for
which event, dates and JP, its number, and whether it is valid or revoked; nothing else
(no phone number, no library). An unknown or forged code gets a 404 page saying so.
GET /sertifikat asks for the code printed on the paper, for someone without a QR reader.
``?lang=en`` shows it in English. The lead's web app mounts it (``certificate_pages``)."""

import html
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse

from bot.db import SessionMaker
from bot.web import WebPart
from handlers.certificate_texts import status_text
from handlers.i18n import Translator, supported
from handlers.timefmt import format_date_range
from models.certificates.store import Certificate, by_code

HEADERS = {
    "Cache-Control": "no-store",  # a revocation shows at once
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "Referrer-Policy": "no-referrer",
}
STYLE = (
    "body{font-family:sans-serif;max-width:36em;margin:2em auto;padding:0 1em;color:#222}"
    "dt{color:#666;margin-top:.8em}dd{margin:0;font-size:1.15em}"
    ".valid{color:#176b2c}.revoked{color:#a11}"
)


def _page(t: Translator, heading: str, content: str) -> str:
    return (
        f'<!doctype html><html lang="{t.locale}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{html.escape(heading)}</title><style>{STYLE}</style></head>"
        f"<body><h1>{html.escape(heading)}</h1>{content}</body></html>"
    )


def certificate_page(t: Translator, found: Certificate) -> str:
    state = "revoked" if found.revoked else "valid"
    rows = [
        ("certificate.web.holder", found.holder_name or "-"),
        ("certificate.web.event", found.event_name),
        ("certificate.web.dates", format_date_range(found.starts_on, found.ends_on, t.locale)),
        ("certificate.web.jp", str(found.jp)),
        ("certificate.web.number", found.number),
    ]
    items = "".join(f"<dt>{html.escape(t(k))}</dt><dd>{html.escape(v)}</dd>" for k, v in rows)
    status = (
        f"<dt>{html.escape(t('certificate.web.status'))}</dt>"
        f'<dd class="{state}"><strong>{html.escape(status_text(t, found))}</strong></dd>'
    )
    return _page(t, t("certificate.web.title"), f"<dl>{items}{status}</dl>")


def ask_form(t: Translator, code: str = "") -> str:
    """Where someone holding a paper types the code printed under its QR code."""
    return (
        f"<p>{html.escape(t('certificate.web.ask_text'))}</p>"
        '<form method="get" action="/sertifikat">'
        f"<label>{html.escape(t('certificate.web.code_label'))} "
        f'<input name="kode" value="{html.escape(code)}" maxlength="64" required '
        'autocomplete="off" autocapitalize="characters"></label> '
        f'<input type="hidden" name="lang" value="{t.locale}">'
        f'<button type="submit">{html.escape(t("certificate.web.check"))}</button></form>'
    )


def certificate_pages(sessions: SessionMaker) -> WebPart:
    router = APIRouter()

    @router.get("/sertifikat", response_class=HTMLResponse, response_model=None)
    async def ask(kode: str = "", lang: str = "id") -> HTMLResponse | RedirectResponse:
        t = Translator(supported(lang))
        code = "".join(kode.split())[:64]  # as read off the paper, spaces and all
        if not code:
            page = _page(t, t("certificate.web.title"), ask_form(t))
            return HTMLResponse(page, headers=HEADERS)
        where = f"/sertifikat/{quote(code, safe='')}?lang={t.locale}"
        return RedirectResponse(where, status_code=303, headers=HEADERS)

    @router.get("/sertifikat/{code}", response_class=HTMLResponse)
    async def verify(code: str, lang: str = "id") -> HTMLResponse:
        t = Translator(supported(lang))
        async with sessions() as session:
            found = await by_code(session, code[:64])
        if found is None:
            text = f"<p>{html.escape(t('certificate.web.not_found'))}</p>"
            text += ask_form(t, code[:64])  # to type it again
            page = _page(t, t("certificate.web.not_found_title"), text)
            return HTMLResponse(page, status_code=404, headers=HEADERS)
        return HTMLResponse(certificate_page(t, found), headers=HEADERS)

    return WebPart(router)
