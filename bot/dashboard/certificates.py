"""Certificates from the dashboard, as the chat's /sertifikat organiser view and
``bimtek certificate list`` show them (models.certificates.standing): the rule, who
qualifies and what the others lack, issuing to everyone who qualifies
(``issue_qualifying``), issuing by hand (``issue_by_hand``: someone the rule does not
qualify only with a reason, kept), revoking with a reason (``revoke``), each
certificate's verification page and its PDF.

Issuing records the numbers and codes; the periodic round draws the papers and sends
them to their holders (scheduler/certificates.py), as after the chat. A PDF asked for
before the round drew it is drawn for the download alone (by the file writer) and not
kept: the round still draws, keeps and sends it."""

from dataclasses import dataclass
from typing import Any

import structlog
from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.dashboard.core import PREFIX, CheckedForm, EventPage, OfEvent, PageError
from bot.dashboard.files import download
from handlers.certificate_delivery import PDF
from handlers.certificate_texts import missing_text, paper, progress_text, rule_text, status_text
from models.certificates.document import certificate_pdf
from models.certificates.rule import Rule
from models.certificates.sources import attendance_source
from models.certificates.standing import (
    ByHand,
    Standing,
    issue_by_hand,
    issue_qualifying,
    standings,
)
from models.certificates.store import (
    MAX_REASON,
    Certificate,
    certificate_of,
    checked_reason,
    revoke,
    settings_of,
)
from models.profile_checks import InvalidInputError
from models.writer import NotWrittenError

log = structlog.get_logger(__name__)
router = APIRouter()

LIST = PREFIX + "/acara/{event_id}/sertifikat"
ONE = LIST + "/{person_id}"
RESULTS = ("issued", "revoked")  # what a person's page says after a change (no names)


def _by(page: EventPage) -> str:
    """Who issued or revoked, as the chat records it."""
    return f"person:{page.viewer.person_id}"


def verification_link(page: EventPage, certificate: Certificate) -> str:
    """The certificate's public page: at PUBLIC_BASE_URL, as its QR code says, or on this
    web app, which serves it too."""
    deployment = page.viewer.dashboard.config.deployment
    return deployment.certificate_link(certificate.code) or f"/sertifikat/{certificate.code}"


@dataclass(frozen=True)
class Counts:
    issued: int
    revoked: int
    waiting: int
    short: int


def _counts(everyone: list[Standing]) -> Counts:
    """As the chat's organiser view counts them."""
    held = [s.certificate for s in everyone if s.certificate is not None]
    return Counts(
        issued=sum(1 for c in held if not c.revoked),
        revoked=sum(1 for c in held if c.revoked),
        waiting=sum(1 for s in everyone if s.waiting),
        short=sum(1 for s in everyone if s.certificate is None and not s.verdict.qualifies),
    )


async def _rule(page: EventPage) -> Rule:
    return (await settings_of(page.session, page.event_id)).rule()


def _percent(standing: Standing) -> int:
    facts = standing.verdict.facts
    return facts.present * 100 // len(facts.expected) if facts.expected else 0


@router.get(LIST, response_class=HTMLResponse)
async def certificate_list(page: OfEvent, terbit: str = "") -> HTMLResponse:
    rule = await _rule(page)
    everyone = await standings(page.session, attendance_source(), page.event)
    issued_now = int(terbit) if terbit.isascii() and terbit.isdigit() and len(terbit) < 7 else None
    return page.render(
        "certificates.html",
        rule_lines=rule_text(page.t, rule).split("\n"),
        counts=_counts(everyone),
        everyone=everyone,
        lacking={
            s.participant.person_id: missing_text(page.t, rule, s.verdict, short=True)
            for s in everyone
        },
        percent=_percent,
        state_of=lambda c: status_text(page.t, c),
        link=lambda c: verification_link(page, c),
        issued_now=issued_now,
    )


@router.post(LIST + "/terbitkan")
async def issue_all(page: OfEvent, form: CheckedForm) -> RedirectResponse:
    """A certificate for everyone who qualifies and has none; pressing twice issues
    nothing more."""
    now = page.viewer.dashboard.config.clock()
    issued = await issue_qualifying(page.session, attendance_source(), page.event, now, _by(page))
    await page.session.commit()
    log.info("dashboard_certificates_issued", event_id=page.event_id, count=len(issued))
    target = LIST.format(event_id=page.event_id) + f"?terbit={len(issued)}"
    return RedirectResponse(target, status_code=303)


async def _standing(page: EventPage, person_id: int) -> Standing:
    found = await standings(page.session, attendance_source(), page.event, person_id)
    if not found:
        raise PageError(404, "no_person")
    return found[0]


async def _person_page(
    page: EventPage,
    standing: Standing,
    *,
    result: str = "",
    error: str = "",
    reason: str = "",
    status: int = 200,
) -> HTMLResponse:
    rule = await _rule(page)
    certificate = standing.certificate
    return page.render(
        "certificate.html",
        status=status,
        standing=standing,
        progress=progress_text(page.t, rule, standing.verdict).split("\n"),
        lacking=missing_text(page.t, rule, standing.verdict, short=True),
        certificate=certificate,
        status_text=status_text(page.t, certificate) if certificate is not None else "",
        link=verification_link(page, certificate) if certificate is not None else "",
        result=result if result in RESULTS else "",
        error=error,
        reason=reason,
        most=MAX_REASON,
    )


@router.get(ONE, response_class=HTMLResponse)
async def certificate_person(page: OfEvent, person_id: int, hasil: str = "") -> HTMLResponse:
    return await _person_page(page, await _standing(page, person_id), result=hasil)


def _reason_error(page: EventPage, error: InvalidInputError) -> str:
    values: dict[str, Any] = {"field": page.t("dashboard.certificates.reason"), **error.values}
    return page.t(error.key, **values)


def _typed_reason(form: CheckedForm) -> str:
    value = form.get("alasan")
    return value[: MAX_REASON * 4] if isinstance(value, str) else ""


def _done(page: EventPage, person_id: int, result: str) -> RedirectResponse:
    target = ONE.format(event_id=page.event_id, person_id=person_id) + f"?hasil={result}"
    return RedirectResponse(target, status_code=303)


@router.post(ONE + "/terbitkan", response_class=HTMLResponse)
async def issue_one(page: OfEvent, person_id: int, form: CheckedForm) -> Response:
    """Issue by hand: to someone who qualifies as the rule would; to someone it does not,
    only with a reason (the chat's rule), which is kept."""
    now = page.viewer.dashboard.config.clock()
    standing = await _standing(page, person_id)
    typed = _typed_reason(form)
    reason = None
    if not standing.verdict.qualifies:
        try:
            reason = checked_reason(typed)
        except InvalidInputError as error:
            message = _reason_error(page, error)
            return await _person_page(page, standing, error=message, reason=typed, status=400)
    done = await issue_by_hand(
        page.session, attendance_source(), page.event, person_id, reason, now, issued_by=_by(page)
    )
    if done.outcome is not ByHand.ISSUED:  # nothing changed; nothing committed
        message = page.t(f"dashboard.certificates.error.{done.outcome}")
        fresh = await _standing(page, person_id)
        return await _person_page(page, fresh, error=message, reason=typed, status=409)
    await page.session.commit()
    log.info("dashboard_certificate_issued", certificate_id=getattr(done.certificate, "id", None))
    return _done(page, person_id, "issued")


@router.post(ONE + "/cabut", response_class=HTMLResponse)
async def revoke_one(page: OfEvent, person_id: int, form: CheckedForm) -> Response:
    """Revoke the person's certificate with a reason (the chat's rule); it then verifies
    as revoked, and the holder is told why when they ask."""
    now = page.viewer.dashboard.config.clock()
    standing = await _standing(page, person_id)
    held = await certificate_of(page.session, page.event_id, person_id)
    if held is None:
        raise PageError(404, "no_certificate")
    typed = _typed_reason(form)
    try:
        reason = checked_reason(typed)
    except InvalidInputError as error:
        message = _reason_error(page, error)
        return await _person_page(page, standing, error=message, reason=typed, status=400)
    found = await page.session.get(Certificate, held.id, with_for_update=True)
    assert found is not None
    if not revoke(page.session, found, reason, now, by=_by(page)):  # the first reason stays
        message = page.t("dashboard.certificates.error.revoked_already")
        return await _person_page(page, await _standing(page, person_id), error=message, status=409)
    await page.session.commit()
    log.info("dashboard_certificate_revoked", certificate_id=found.id)
    return _done(page, person_id, "revoked")


@router.get(ONE + "/pdf")
async def certificate_download(page: OfEvent, person_id: int) -> Response:
    """The certificate's PDF as its holder gets it: the one kept, or drawn now when the
    round has not drawn it yet (not kept: the round draws, keeps and sends it)."""
    held = await certificate_of(page.session, page.event_id, person_id)
    if held is None or held.revoked:
        raise PageError(404, "no_certificate")
    content, seq = held.pdf, held.seq
    if content is None:
        settings = await settings_of(page.session, page.event_id)
        text = paper(held, page.event, settings, page.viewer.dashboard.config.deployment)
        await page.session.rollback()  # no transaction open while it is drawn
        try:
            content = await certificate_pdf(text)
        except NotWrittenError:
            raise PageError(503, "certificate_not_drawn") from None
    filename = f"sertifikat-{seq:03d}.pdf"
    return download(content, PDF, filename)
