"""A session's roll from the dashboard, as an organiser follows it in the hall (who
checked in, when, late or not, on which channel; refreshed every few seconds); marks by
hand with a reason (``mark``/``unmark``, exactly as /tandai and ``bimtek attendance
mark|unmark``); the daftar hadir as XLSX or CSV (``register_of``, written by the file
writer, as the chat writes it).

Ids travel in the query (``?id=``, ``?sesi=``, ``?orang=``) and in posted forms, never
names."""

from dataclasses import dataclass
from datetime import date, datetime
from functools import partial

import structlog
from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.dashboard.attendance import (
    DAY,
    EXPORT_BY,
    attendable_items,
    base_of,
    form_text,
)
from bot.dashboard.core import CheckedForm, EventPage, OfEvent, PageError
from bot.dashboard.files import CSV_MEDIA, XLSX_MEDIA, download, export_refusals
from handlers.attendance_sheet import printable
from handlers.event_choice import local_today
from handlers.i18n import Translator
from handlers.validation import row_id
from models.agenda import AgendaItem
from models.attendance.files import MAX_CELLS, TIME_LIMIT, csv_bytes, xlsx_off_loop
from models.attendance.marks import MAX_REASON, Marked, ReasonError, Who, checked_reason
from models.attendance.marks import mark as mark_present
from models.attendance.marks import unmark as take_off
from models.attendance.register import register_of
from models.attendance.roll import roll_of
from models.attendance.settings import rules_of
from models.roster.export import participants
from models.writer import write_off_loop

log = structlog.get_logger(__name__)
router = APIRouter()

ROLL = DAY + "/sesi"
MARK = DAY + "/tandai"
VIA = "dashboard"  # where a mark was made, as the records name channels
ROLL_REFRESH = 5  # seconds
RESULTS = ("marked", "unmarked")  # what a page says after a change (no names)
CHANNELS = ("telegram", "whatsapp", "console", "cli", VIA)


def channel_label(t: Translator, name: str | None) -> str:
    """Where a check-in came from, in words."""
    return t(f"dashboard.roll.channel.{name}") if name in CHANNELS else (name or "")


def _default_session(items: list[AgendaItem], today: date, now: datetime) -> AgendaItem | None:
    """The session an organiser most likely follows: the one on now, else today's next,
    else today's first, else the event's first."""
    todays = [i for i in items if i.day == today]
    running = [i for i in todays if i.starts_at <= now < i.ends_at]
    coming = [i for i in todays if i.starts_at > now]
    for found in (running, coming, todays, items):
        if found:
            return found[0]
    return None


@router.get(ROLL, response_class=HTMLResponse)
async def session_roll(page: OfEvent, id: str = "", hasil: str = "") -> HTMLResponse:
    """Who checked in at a session, refreshed every few seconds; who has not."""
    now = page.viewer.dashboard.config.clock()
    items = await attendable_items(page)
    if id:
        number = row_id(id)
        item = next((i for i in items if i.id == number), None)
        if item is None:
            raise PageError(404, "no_session")
    else:
        item = _default_session(items, local_today(page.event, now), now)
    roll = await roll_of(page.session, page.event_id, item.id, item.class_name) if item else None
    return page.render(
        "attendance_roll.html",
        item=item,
        items=items,
        roll=roll,
        result=hasil if hasil in RESULTS else "",
        channel=partial(channel_label, page.t),
        refresh=ROLL_REFRESH,
        now=now,
    )


@dataclass(frozen=True)
class MarkForm:
    session_id: int | None = None
    person_id: int | None = None
    action: str = ""
    reason: str = ""


async def _mark_page(
    page: EventPage, chosen: MarkForm, *, error: str = "", status: int = 200
) -> HTMLResponse:
    people = [p for p in await participants(page.session, page.event_id) if p.person_id]
    people.sort(key=lambda p: ((p.full_name or "").casefold(), p.person_id or 0))
    return page.render(
        "attendance_mark.html",
        status=status,
        items=await attendable_items(page),
        people=people,
        chosen=chosen,
        error=error,
        most=MAX_REASON,
    )


@router.get(MARK, response_class=HTMLResponse)
async def mark_form(page: OfEvent, sesi: str = "", orang: str = "") -> HTMLResponse:
    return await _mark_page(page, MarkForm(row_id(sesi), row_id(orang)))


@router.post(MARK, response_class=HTMLResponse)
async def mark_by_hand(page: OfEvent, form: CheckedForm) -> Response:
    """Mark present or take the presence off, with a reason, as /tandai does; a form
    without a reason, or one the chat would refuse, changes nothing and says why."""
    now = page.viewer.dashboard.config.clock()
    chosen = MarkForm(
        row_id(form_text(form, "sesi")),
        row_id(form_text(form, "orang")),
        form_text(form, "aksi"),
        form_text(form, "alasan", limit=MAX_REASON * 4),
    )
    if chosen.session_id is None or chosen.person_id is None or chosen.action not in RESULTS:
        return await _mark_page(page, chosen, error="incomplete", status=400)
    try:
        reason = checked_reason(chosen.reason)
    except ReasonError:
        return await _mark_page(page, chosen, error="reason", status=400)
    change = mark_present if chosen.action == "marked" else take_off
    done = await change(
        page.session, event_id=page.event_id, session_id=chosen.session_id,
        person_id=chosen.person_id, reason=reason, who=Who(page.viewer.person_id, VIA), now=now,
    )  # fmt: skip
    if done not in (Marked.MARKED, Marked.UNMARKED):  # nothing changed; nothing committed
        return await _mark_page(page, chosen, error=str(done), status=409)
    await page.session.commit()
    log.info("dashboard_attendance_marked", session_id=chosen.session_id, outcome=done)
    target = f"{base_of(page)}/sesi?id={chosen.session_id}&hasil={done}"
    return RedirectResponse(target, status_code=303)


async def _register(page: EventPage, per: str, kind: str) -> bytes:
    """The daftar hadir, read in the request's transaction, which ends before the file is
    written by the writer process (as the chat writes it)."""
    by = EXPORT_BY.get(per) or (await rules_of(page.session, page.event_id)).export_by
    sheet = printable(await register_of(page.session, page.event, by), page.t)
    await page.session.rollback()  # read only; nothing to keep
    with export_refusals():
        if kind == "xlsx":
            return await xlsx_off_loop(sheet)
        return await write_off_loop(
            partial(csv_bytes, sheet), time_limit=TIME_LIMIT, cells=sheet.cells,
            max_cells=MAX_CELLS,
        )  # fmt: skip


@router.get(DAY + "/daftar-hadir.xlsx")
async def register_xlsx(page: OfEvent, per: str = "") -> Response:
    filename = f"daftar-hadir-{page.event.code}.xlsx"  # read before the transaction ends
    return download(await _register(page, per, "xlsx"), XLSX_MEDIA, filename)


@router.get(DAY + "/daftar-hadir.csv")
async def register_csv(page: OfEvent, per: str = "") -> Response:
    filename = f"daftar-hadir-{page.event.code}.csv"  # read before the transaction ends
    return download(await _register(page, per, "csv"), CSV_MEDIA, filename)
