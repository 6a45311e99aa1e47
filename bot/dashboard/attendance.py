"""Attendance (presensi) from the dashboard, with the chat's own rules and functions
(models.attendance): a day's sessions with their counts; opening a check-in code for a
session or the whole day (``open_code``: the event's minutes, or the organiser's) and
closing it (``close``); the projector view of a code (the code in huge type, the QR code
of each link that sends it, a countdown and the count, refreshed every few seconds); the
live roll of a session; marks by hand with a reason (``mark``/``unmark``, as /tandai);
the daftar hadir as XLSX or CSV (``register_of``, written by the file writer).

Ids travel in the query (``?hari=``, ``?kode=``, ``?id=``) and in posted forms, never
names. The projector shows the count, never who came: it is seen by the whole hall."""

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

import structlog
from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.dashboard.core import PREFIX, CheckedForm, EventPage, OfEvent, PageError
from handlers.attendance_live import refresh_opener
from handlers.attendance_sheet import printable
from handlers.attendance_texts import links, qr_png, spaced
from handlers.event_choice import local_today
from handlers.i18n import Translator
from handlers.validation import row_id
from models.agenda import AgendaItem, agenda
from models.attendance.files import MAX_CELLS, TIME_LIMIT, csv_bytes, xlsx_off_loop
from models.attendance.marks import MAX_REASON, Marked, ReasonError, Who, checked_reason
from models.attendance.marks import mark as mark_present
from models.attendance.marks import unmark as take_off
from models.attendance.openings import close, count_of, open_code, working_openings, works
from models.attendance.queries import attendable, present_by_session, registered_by_class
from models.attendance.register import register_of
from models.attendance.roll import roll_of
from models.attendance.settings import (
    MAX_CODE_MINUTES,
    MAX_LATE_AFTER,
    SettingError,
    checked_minutes,
    rules_of,
    update_rules,
)
from models.attendance.store import AttendanceOpening, Direction, ExportBy
from models.roster.export import participants
from models.writer import NotWrittenError, TooLargeError, write_off_loop

log = structlog.get_logger(__name__)
router = APIRouter()

DAY = PREFIX + "/acara/{event_id}/presensi"
PROJECTOR = DAY + "/layar"
ROLL = DAY + "/sesi"
MARK = DAY + "/tandai"
VIA = "dashboard"  # where a mark or a code was made, as the records name channels
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PROJECTOR_REFRESH = 3  # seconds: the count on the screen follows the hall closely
ROLL_REFRESH = 5
EXPORT_BY = {"hari": ExportBy.DAY, "sesi": ExportBy.SESSION}
RESULTS = ("marked", "unmarked")  # what a page says after a change (no names)
CHANNELS = ("telegram", "whatsapp", "console", "cli", VIA)


def channel_label(t: Translator, name: str | None) -> str:
    """Where a check-in came from, in words."""
    return t(f"dashboard.roll.channel.{name}") if name in CHANNELS else (name or "")


def _base(page: EventPage) -> str:
    return DAY.format(event_id=page.event_id)


def _text(values: Mapping[str, Any], key: str, limit: int = 20) -> str:
    value = values.get(key)
    return value.strip()[:limit] if isinstance(value, str) else ""


async def _items(page: EventPage) -> list[AgendaItem]:
    """The sessions one may check in to (all but breaks), in the agenda's order."""
    return attendable((await agenda(page.session, page.event)).items)


def _days(page: EventPage) -> list[date]:
    first, last = page.event.starts_on, page.event.ends_on
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _day(page: EventPage, typed: str, now: datetime) -> date:
    """The day asked for, if the event has it; else today, within the event's days."""
    event = page.event
    try:
        asked = date.fromisoformat(typed) if typed else None
    except ValueError:
        asked = None
    if asked is not None and event.starts_on <= asked <= event.ends_on:
        return asked
    return min(max(local_today(event, now), event.starts_on), event.ends_on)


@dataclass(frozen=True)
class SessionLine:
    item: AgendaItem
    present: int
    late: int
    expected: int
    codes: list[AttendanceOpening]  # working now, or opened ahead


def _expected(by_class: dict[str | None, int], class_name: str | None) -> int:
    """Registered for the event; for a class's session, of that class (as the count
    under a code reckons it)."""
    return by_class.get(class_name, 0) if class_name is not None else sum(by_class.values())


@router.get(DAY, response_class=HTMLResponse)
async def attendance_day(page: OfEvent, hari: str = "") -> HTMLResponse:
    now = page.viewer.dashboard.config.clock()
    day = _day(page, hari, now)
    items = [item for item in await _items(page) if item.day == day]
    counts = await present_by_session(page.session, page.event_id)
    by_class = await registered_by_class(page.session, page.event_id)
    working = [o for o in await working_openings(page.session, page.event_id, now) if o.day == day]
    lines = [
        SessionLine(
            item,
            *counts.get(item.id, (0, 0)),
            _expected(by_class, item.class_name),
            [o for o in working if o.session_id == item.id],
        )
        for item in items
    ]
    rules = await rules_of(page.session, page.event_id)
    return page.render(
        "attendance.html",
        day=day,
        days=_days(page),
        lines=lines,
        day_codes=[o for o in working if o.session_id is None],
        rules=rules,
        most_minutes=MAX_CODE_MINUTES,
        most_late=MAX_LATE_AFTER,
        directions=tuple(Direction),
        spaced=spaced,
        now=now,
    )


def _minutes(typed: str, default: int) -> int:
    if not typed:
        return default
    if not (typed.isascii() and typed.isdigit()) or len(typed) > 3:
        raise PageError(400, "attendance_minutes")
    try:
        return checked_minutes(int(typed))
    except SettingError:
        raise PageError(400, "attendance_minutes") from None


@router.post(DAY + "/buka")
async def open_attendance(page: OfEvent, form: CheckedForm) -> RedirectResponse:
    """Open a code for a session (``sesi``) or for the whole day (``hari``): the one still
    working, or a new one, exactly as /presensi does; then its projector view."""
    now = page.viewer.dashboard.config.clock()
    rules = await rules_of(page.session, page.event_id)
    minutes = _minutes(_text(form, "menit"), rules.code_minutes)
    typed_direction = _text(form, "arah") or Direction.IN
    if typed_direction not in tuple(Direction) or (
        typed_direction == Direction.OUT and not rules.check_out
    ):
        raise PageError(400, "bad_request")
    direction = Direction(typed_direction)
    items = await _items(page)
    session_text = _text(form, "sesi")
    if session_text:
        number = row_id(session_text)
        chosen = [item for item in items if item.id == number]
        if not chosen:
            raise PageError(404, "no_session")
        day, session_id = chosen[0].day, number
    else:
        day = _day(page, _text(form, "hari"), now)
        if _text(form, "hari") != day.isoformat():
            raise PageError(400, "bad_request")
        chosen = [item for item in items if item.day == day]
        if not chosen:
            raise PageError(404, "no_session")
        session_id = None
    opening, new = await open_code(
        page.session, event=page.event, day=day, items=chosen, session_id=session_id,
        direction=direction, minutes=minutes, opened_by=page.viewer.person_id, now=now,
    )  # fmt: skip
    await page.session.commit()
    log.info("dashboard_attendance_opened", opening=opening.id, new=new, direction=direction)
    return RedirectResponse(f"{_base(page)}/layar?kode={opening.id}", status_code=303)


async def _opening(page: EventPage, typed: str) -> AttendanceOpening:
    number = row_id(typed)
    opening = await page.session.get(AttendanceOpening, number) if number is not None else None
    if opening is None or opening.event_id != page.event_id:
        raise PageError(404, "no_opening")
    return opening


@router.post(DAY + "/tutup")
async def close_attendance(page: OfEvent, form: CheckedForm) -> RedirectResponse:
    """Stop a code now (pressing twice changes nothing); the opener's count in the chat,
    if it was opened there, says so."""
    now = page.viewer.dashboard.config.clock()
    opening = await _opening(page, _text(form, "kode"))
    if close(opening, now):
        await refresh_opener(page.session, opening, now)
        await page.session.commit()
        log.info("dashboard_attendance_closed", opening=opening.id)
    return RedirectResponse(f"{_base(page)}?hari={opening.day.isoformat()}", status_code=303)


@router.post(DAY + "/aturan")
async def attendance_rules(page: OfEvent, form: CheckedForm) -> RedirectResponse:
    """The event's attendance settings, as ``bimtek attendance settings`` changes them
    (``update_rules``): a code's minutes, late after, check-out, the register's columns.
    Codes already opened keep their minutes."""
    now = page.viewer.dashboard.config.clock()
    numbers = []
    for key in ("menit", "terlambat"):
        typed = _text(form, key)
        if not (typed.isascii() and typed.isdigit()) or len(typed) > 3:
            raise PageError(400, "attendance_rules")
        numbers.append(int(typed))
    per = EXPORT_BY.get(_text(form, "per"))
    if per is None:
        raise PageError(400, "attendance_rules")
    try:
        await update_rules(
            page.session, page.event_id, now, code_minutes=numbers[0], late_after=numbers[1],
            check_out=_text(form, "pulang") == "ya", export_by=per,
        )  # fmt: skip
    except SettingError:
        raise PageError(400, "attendance_rules") from None
    await page.session.commit()
    log.info("dashboard_attendance_rules", event_id=page.event_id)
    day = _day(page, _text(form, "hari"), now)
    return RedirectResponse(f"{_base(page)}?hari={day.isoformat()}", status_code=303)


def _qr(link: str) -> str:
    """The link's QR code (the chat's own picture) as a data: address for an <img>."""
    return "data:image/png;base64," + base64.b64encode(qr_png(link)).decode()


@router.get(PROJECTOR, response_class=HTMLResponse)
async def projector(page: OfEvent, kode: str = "") -> HTMLResponse:
    """A code to show on the hall's screen: without ``kode``, the latest opened of those
    working."""
    now = page.viewer.dashboard.config.clock()
    if kode:
        opening: AttendanceOpening | None = await _opening(page, kode)
    else:
        working = await working_openings(page.session, page.event_id, now)
        opening = max(working, key=lambda o: (o.opened_at, o.id or 0), default=None)
    if opening is None:
        return page.render("attendance_projector.html", opening=None, refresh=ROLL_REFRESH)
    whole = await agenda(page.session, page.event)
    item = whole.item(opening.session_id) if opening.session_id is not None else None
    count = await count_of(page.session, opening, item.class_name if item else None)
    deployment = page.viewer.dashboard.config.deployment
    codes = [(channel, link, _qr(link)) for channel, link in links(deployment, opening.code)]
    return page.render(
        "attendance_projector.html",
        opening=opening,
        item=item,
        code=spaced(opening.code),
        codes=codes,
        count=count,
        working=works(opening, now),
        waiting=now < opening.opens_at,
        seconds_left=max(0, int((opening.expires_at - now).total_seconds())),
        refresh=PROJECTOR_REFRESH,
        now=now,
    )


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
    items = await _items(page)
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
        items=await _items(page),
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
        row_id(_text(form, "sesi")),
        row_id(_text(form, "orang")),
        _text(form, "aksi"),
        _text(form, "alasan", limit=MAX_REASON * 4),
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
    target = f"{_base(page)}/sesi?id={chosen.session_id}&hasil={done}"
    return RedirectResponse(target, status_code=303)


async def _register(page: EventPage, per: str, kind: str) -> bytes:
    """The daftar hadir, read in the request's transaction, which ends before the file is
    written by the writer process (as the chat writes it)."""
    by = EXPORT_BY.get(per) or (await rules_of(page.session, page.event_id)).export_by
    sheet = printable(await register_of(page.session, page.event, by), page.t)
    await page.session.rollback()  # read only; nothing to keep
    try:
        if kind == "xlsx":
            return await xlsx_off_loop(sheet)
        return await write_off_loop(
            partial(csv_bytes, sheet), time_limit=TIME_LIMIT, cells=sheet.cells,
            max_cells=MAX_CELLS,
        )  # fmt: skip
    except TooLargeError:
        raise PageError(413, "export_too_large") from None
    except NotWrittenError:
        raise PageError(503, "export_failed") from None


def _download(content: bytes, media: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(DAY + "/daftar-hadir.xlsx")
async def register_xlsx(page: OfEvent, per: str = "") -> Response:
    filename = f"daftar-hadir-{page.event.code}.xlsx"  # read before the transaction ends
    return _download(await _register(page, per, "xlsx"), XLSX_MEDIA, filename)


@router.get(DAY + "/daftar-hadir.csv")
async def register_csv(page: OfEvent, per: str = "") -> Response:
    filename = f"daftar-hadir-{page.event.code}.csv"  # read before the transaction ends
    return _download(await _register(page, per, "csv"), "text/csv; charset=utf-8", filename)
