"""Certificates issued and sent without anyone waiting: each round, for each event over
within the last WINDOW whose rule issues automatically, a certificate for everyone who
qualifies now (an evaluation answered days later earns one then); and, for every
certificate recorded without its paper yet, the PDF drawn and sent.

Drawing happens with no transaction open; the paper is then kept and sent in a short one
that checks nobody did it meanwhile (the command line, or another round), so that a
certificate's PDF is drawn at most twice and sent once."""

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import structlog
from sqlmodel import col, select

from bot.db import SessionMaker
from handlers.certificate_delivery import send_certificate
from handlers.certificate_texts import paper
from handlers.turn import Deployment
from models import Event
from models.certificates.document import certificate_pdf
from models.certificates.sources import attendance_source
from models.certificates.standing import is_over, issue_qualifying
from models.certificates.store import Certificate, settings_of
from models.notifications import events_between
from models.writer import NotWrittenError

log = structlog.get_logger(__name__)

# Evaluations close 7 days after the last day, post-tests 7 days after the last session;
# a late answer still earns a certificate within this.
WINDOW = timedelta(days=30)
BATCH = 50  # papers drawn per round: the rest wait for the next


async def issue_due(sessions: SessionMaker, now: datetime) -> int:
    """Certificates for whoever qualifies in events over (within WINDOW) whose rule is
    automatic; how many were issued."""
    async with sessions() as session:
        events = await events_between(session, (now - WINDOW).date(), now.date())
    issued = 0
    for event in events:
        assert event.id is not None
        try:
            async with sessions.begin() as session:
                if not (await settings_of(session, event.id)).automatic:
                    continue
                if not await is_over(session, event, now):
                    continue
                found = await issue_qualifying(session, attendance_source(), event, now, "auto")
                issued += len(found)
        except Exception:
            log.exception("certificates_issue_failed", event_id=event.id)
    return issued


async def deliver_pending(
    sessions: SessionMaker,
    now: datetime,
    deployment: Deployment,
    event_id: int | None = None,
    limit: int = BATCH,
) -> int:
    """Draw and send the papers of certificates that have none yet (of one event, if
    given); how many were sent."""
    query = (
        select(Certificate.id)
        .where(
            col(Certificate.pdf).is_(None),
            col(Certificate.revoked_at).is_(None),
            col(Certificate.person_id).is_not(None),
        )
        .order_by(col(Certificate.id))
        .limit(limit)
    )
    if event_id is not None:
        query = query.where(col(Certificate.event_id) == event_id)
    async with sessions() as session:
        waiting = list((await session.execute(query)).scalars())
    sent = 0
    for certificate_id in waiting:
        async with sessions() as session:
            certificate = await session.get(Certificate, certificate_id)
            event = await session.get(Event, certificate.event_id) if certificate else None
            if certificate is None or event is None:
                continue
            text = paper(certificate, event, await settings_of(session, event.id or 0), deployment)
        try:
            pdf = await certificate_pdf(text)
        except NotWrittenError as exc:
            log.warning("certificate_not_drawn", certificate_id=certificate_id, reason=str(exc))
            continue
        async with sessions.begin() as session:
            fresh = await session.get(Certificate, certificate_id, with_for_update=True)
            if fresh is None or fresh.pdf is not None or fresh.revoked:
                continue
            fresh.pdf = pdf
            sent += await send_certificate(session, fresh, now)
    return sent


def certificate_round(
    deployment: Deployment,
) -> Callable[[SessionMaker, datetime], Awaitable[int]]:
    """The job's round: issue what is due, then send every paper waiting."""

    async def run(sessions: SessionMaker, now: datetime) -> int:
        issued = await issue_due(sessions, now)
        return issued + await deliver_pending(sessions, now, deployment)

    return run
