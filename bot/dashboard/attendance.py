"""Attendance (presensi) from the dashboard, with the chat's own rules and functions
(models.attendance): a day's sessions with their counts; opening a check-in code for a
session or the whole day (``open_code``: the event's minutes, or the organiser's) and
closing it (``close``); the event's settings (``update_rules``); the projector view of a
code (the code in huge type, the QR code of each link that sends it, a countdown and the
count, refreshed every few seconds). A session's roll, marks by hand and the daftar hadir
are in ``attendance_roll``.

Ids travel in the query (``?hari=``, ``?kode=``) and in posted forms, never names. The
projector shows the count, never who came: it is seen by the whole hall."""

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import structlog
from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse

from bot.dashboard.core import PREFIX, CheckedForm, EventPage, OfEvent, PageError
from handlers.attendance_live import refresh_opener
from handlers.attendance_texts import links, qr_png, spaced
from handlers.event_choice import local_today
from handlers.validation import row_id
from models.agenda import AgendaItem, agenda
from models.attendance.openings import close, count_of, open_code, working_openings, works
from models.attendance.queries import attendable, present_by_session, registered_by_class
from models.attendance.settings import (
    MAX_CODE_MINUTES,
    MAX_LATE_AFTER,
    SettingError,
    checked_minutes,
    rules_of,
    update_rules,
)
from models.attendance.store import AttendanceOpening, Direction, ExportBy
from models.audit import Actor

log = structlog.get_logger(__name__)
router = APIRouter()

DAY = PREFIX + "/acara/{event_id}/presensi"
PROJECTOR = DAY + "/layar"
PROJECTOR_REFRESH = 3  # seconds: the count on the screen follows the hall closely
WAITING_REFRESH = 5  # no code open yet: the screen shows one as soon as it is
EXPORT_BY = {"hari": ExportBy.DAY, "sesi": ExportBy.SESSION}


def base_of(page: EventPage) -> str:
    """The address of the event's attendance page."""
    return DAY.format(event_id=page.event_id)


def form_text(values: Mapping[str, Any], key: str, limit: int = 20) -> str:
    """A posted field as text, trimmed and cut at ``limit``; "" when missing."""
    value = values.get(key)
    return value.strip()[:limit] if isinstance(value, str) else ""


async def attendable_items(page: EventPage) -> list[AgendaItem]:
    """The sessions one may check in to (all but breaks), in the agenda's order."""
    return attendable((await agenda(page.session, page.event)).items)


def _days(page: EventPage) -> list[date]:
    first, last = page.event.starts_on, page.event.ends_on
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def chosen_day(page: EventPage, typed: str, now: datetime) -> date:
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
    day = chosen_day(page, hari, now)
    items = [item for item in await attendable_items(page) if item.day == day]
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
    minutes = _minutes(form_text(form, "menit"), rules.code_minutes)
    typed_direction = form_text(form, "arah") or Direction.IN
    if typed_direction not in tuple(Direction) or (
        typed_direction == Direction.OUT and not rules.check_out
    ):
        raise PageError(400, "bad_request")
    direction = Direction(typed_direction)
    items = await attendable_items(page)
    session_text = form_text(form, "sesi")
    if session_text:
        number = row_id(session_text)
        chosen = [item for item in items if item.id == number]
        if not chosen:
            raise PageError(404, "no_session")
        day, session_id = chosen[0].day, number
    else:
        day = chosen_day(page, form_text(form, "hari"), now)
        if form_text(form, "hari") != day.isoformat():
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
    return RedirectResponse(f"{base_of(page)}/layar?kode={opening.id}", status_code=303)


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
    opening = await _opening(page, form_text(form, "kode"))
    if close(page.session, opening, now, actor=Actor.person(page.viewer.person_id)):
        await refresh_opener(page.session, opening, now)
        await page.session.commit()
        log.info("dashboard_attendance_closed", opening=opening.id)
    return RedirectResponse(f"{base_of(page)}?hari={opening.day.isoformat()}", status_code=303)


@router.post(DAY + "/aturan")
async def attendance_rules(page: OfEvent, form: CheckedForm) -> RedirectResponse:
    """The event's attendance settings, as ``bimtek attendance settings`` changes them
    (``update_rules``): a code's minutes, late after, check-out, the register's columns.
    Codes already opened keep their minutes."""
    now = page.viewer.dashboard.config.clock()
    numbers = []
    for key in ("menit", "terlambat"):
        typed = form_text(form, key)
        if not (typed.isascii() and typed.isdigit()) or len(typed) > 3:
            raise PageError(400, "attendance_rules")
        numbers.append(int(typed))
    per = EXPORT_BY.get(form_text(form, "per"))
    if per is None:
        raise PageError(400, "attendance_rules")
    try:
        await update_rules(
            page.session, page.event_id, now, code_minutes=numbers[0], late_after=numbers[1],
            check_out=form_text(form, "pulang") == "ya", export_by=per,
            actor=Actor.person(page.viewer.person_id),
        )  # fmt: skip
    except SettingError:
        raise PageError(400, "attendance_rules") from None
    await page.session.commit()
    log.info("dashboard_attendance_rules", event_id=page.event_id)
    day = chosen_day(page, form_text(form, "hari"), now)
    return RedirectResponse(f"{base_of(page)}?hari={day.isoformat()}", status_code=303)


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
        return page.render("attendance_projector.html", opening=None, refresh=WAITING_REFRESH)
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
