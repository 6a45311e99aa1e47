"""The event list (``/dasbor/``) and an event's overview (``/dasbor/acara/<id>``): the
figures of /statistik (models.statistics), what is on now from the agenda, and the
announcements' messages waiting or failed (models.broadcasts reports)."""

from dataclasses import dataclass

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from bot.dashboard.access import organised_events
from bot.dashboard.core import PREFIX, Database, OfEvent, SignedIn
from models.agenda import AgendaItem, agenda
from models.broadcasts import Report, recent_broadcasts, reports_of
from models.statistics import event_statistics, share

router = APIRouter()

# Announcements whose messages the overview adds up: the latest, as /umumkan lists them.
RECENT_BROADCASTS = 20


@router.get(f"{PREFIX}/", response_class=HTMLResponse)
async def event_list(viewer: SignedIn, session: Database) -> HTMLResponse:
    events = await organised_events(session, viewer.person_id, admin=viewer.admin)
    return viewer.render("events.html", events=events)


@dataclass(frozen=True)
class Messages:
    waiting: int
    failed: int
    held: int  # waiting for a WhatsApp template (the person must write first)


def _messages(reports: list[Report], held: int) -> Messages:
    return Messages(
        waiting=sum(r.waiting for r in reports),
        failed=sum(r.failed + r.blocked for r in reports),
        held=held,
    )


@router.get(PREFIX + "/acara/{event_id}", response_class=HTMLResponse)
async def overview(page: OfEvent) -> HTMLResponse:
    now = page.viewer.dashboard.config.clock()
    figures = await event_statistics(page.session, page.event, now)
    items = (await agenda(page.session, page.event)).items
    running: list[AgendaItem] = [i for i in items if i.starts_at <= now < i.ends_at]
    coming = next((i for i in items if i.starts_at > now), None)
    broadcasts = await recent_broadcasts(page.session, page.event_id, RECENT_BROADCASTS)
    ids = [b.id for b in broadcasts if b.id is not None]
    reports = list((await reports_of(page.session, ids)).values()) if ids else []
    return page.render(
        "overview.html",
        figures=figures,
        share=share,
        running=running,
        coming=coming,
        messages=_messages(reports, figures.held),
        now=now,
    )
