"""The event list (``/dasbor/``) and an event's overview (``/dasbor/acara/<id>``): the
figures of /statistik (models.statistics), what is on now from the agenda, and the
announcements' messages waiting or failed (models.broadcasts reports)."""

from dataclasses import dataclass
from datetime import date

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from bot.dashboard.access import organised_events
from bot.dashboard.core import PREFIX, Database, EventPage, OfEvent, SignedIn
from models.agenda import AgendaItem, agenda
from models.attendance.queries import attendance_of
from models.broadcasts import Report, recent_broadcasts, reports_of
from models.roster.export import Participant, participants
from models.statistics import event_statistics, share

router = APIRouter()

# Announcements whose messages the overview adds up: the latest, as /umumkan lists them.
RECENT_BROADCASTS = 20
PRESENT_SHOWN = 200  # names listed under "present today"; the figure counts everyone


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


async def present_today(
    page: EventPage, items: tuple[AgendaItem, ...], day: date
) -> list[Participant]:
    """The event's participants present at one of ``day``'s sessions, as /statistik
    counts them (registered, present, not unmarked), in the participants' order."""
    today = {item.id for item in items if item.day == day}
    attended = await attendance_of(page.session, page.event_id)
    present = {person for person, sessions in attended.items() if sessions & today}
    return [
        person
        for person in await participants(page.session, page.event_id)
        if person.person_id in present and person.registered_at is not None
    ]


@router.get(PREFIX + "/acara/{event_id}", response_class=HTMLResponse)
async def overview(page: OfEvent) -> HTMLResponse:
    now = page.viewer.dashboard.config.clock()
    figures = await event_statistics(page.session, page.event, now)
    items = (await agenda(page.session, page.event)).items
    present = await present_today(page, items, figures.day)
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
        present=present[:PRESENT_SHOWN],
        now=now,
    )
