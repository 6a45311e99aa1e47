"""An event's announcements (``/dasbor/acara/<id>/pengumuman``), made as the chat's
/umumkan makes them and with its domain functions (models.broadcasts): a draft written
with its text and any photo or document (``create_broadcast``, checked as the chat checks
them), its audience among the chat's own choices (models.audience: everyone, a class, a
province or regency the participants come from, those not registered) and its moment in
the event's zone; the preview shows how many it reaches and the message as it arrives;
confirming (``confirm_broadcast``) writes every recipient's outbox row in its
transaction. The report (``reports_of``) is read again every few seconds by the page's
script (``/laporan.json``); one still waiting can be stopped (``cancel_broadcast``).

An audience of nobody is refused before anything is stored. A draft is its author's: the
other organisers see an announcement once it is confirmed. The confirm form carries the
draft's digest, as the chat's button does: a form shown before the draft changed (in
another tab) is refused."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from bot.dashboard.core import PREFIX, CheckedForm, EventPage, OfEvent, PageError
from bot.dashboard.files import FORM_ROOM, download, posted_file, text_field, upload_body
from handlers.broadcast_texts import audience_text, error_text, excerpt, state_text
from handlers.roster_texts import unknown_note
from handlers.timefmt import format_moment, zone_label
from models import Broadcast
from models.agenda import agenda
from models.audience import (
    Audience,
    Everyone,
    InClass,
    InRegion,
    Unregistered,
    audience_size,
    regions_of,
)
from models.audit import Actor
from models.broadcasts import (
    FILE_LIMIT,
    TEXT_LIMIT,
    BroadcastError,
    BroadcastStatus,
    Cancelled,
    Report,
    announcement,
    cancel_broadcast,
    confirm_broadcast,
    create_broadcast,
    digest,
    discard_draft,
    drafts_of,
    recent_broadcasts,
    reports_of,
    room_for_text,
    set_audience,
    set_content,
    set_send_at,
)
from models.moments import MomentError, parse_moment
from models.outbox import FileToSend, load_file
from models.roster.status import roster_reach

router = APIRouter()

LIST = PREFIX + "/acara/{event_id}/pengumuman"
ONE = LIST + "/{broadcast_id}"
RECENT = 20  # announcements listed
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})  # shown in the preview
# A posted text is cut here, well beyond what an announcement holds, so that one too long
# is still told how long it is.
TEXT_READ = 4 * TEXT_LIMIT
FAST, SLOW = 3, 30  # seconds between report refreshes: while sending, while scheduled
# What the chat says after a cancellation, by its outcome.
CANCEL_SAID = {
    Cancelled.CANCELLED.value: "broadcast.cancel_done",
    Cancelled.ALREADY.value: "broadcast.cancel_already",
    Cancelled.FINISHED.value: "broadcast.cancel_finished",
}

ComposeBody = Annotated[None, Depends(upload_body(FILE_LIMIT + FORM_ROOM))]


# --- the audience: the chat's choices ----------------------------------------------------


@dataclass(frozen=True)
class Choice:
    value: str
    spec: Audience
    label: str
    people: int


async def choices(page: EventPage) -> list[Choice]:
    """Everyone, each class, each province and regency the participants come from (most
    people first), those not registered: what /umumkan offers, with how many each
    reaches (the regions as the chat counts them on their buttons)."""
    t, session, event_id = page.t, page.session, page.event_id
    specs: list[tuple[str, Audience]] = [("all", Everyone())]
    specs += [(f"class:{name}", InClass(name=name)) for name in await _classes(page)]
    found = []
    for value, spec in specs:
        size = await audience_size(session, event_id, spec)
        found.append(Choice(value, spec, audience_text(t, spec), size.people))
    for region in await regions_of(session, event_id):
        spec = InRegion(province=region.province, regency=region.regency)
        kind = "regency" if region.regency else "province"
        value = f"{kind}:{region.regency or region.province}"
        found.append(Choice(value, spec, audience_text(t, spec), region.people))
    unregistered = Unregistered()
    size = await audience_size(session, event_id, unregistered)
    found.append(Choice("unregistered", unregistered, audience_text(t, unregistered), size.people))
    return found


async def _classes(page: EventPage) -> tuple[str, ...]:
    return (await agenda(page.session, page.event)).classes


def value_of(spec: Audience) -> str:
    """The form's value for a stored audience (to show it chosen again)."""
    match spec:
        case Everyone():
            return "all"
        case InClass(name=name):
            return f"class:{name}"
        case InRegion(province=province, regency=regency):
            return f"regency:{regency}" if regency else f"province:{province}"
        case Unregistered():
            return "unregistered"


# --- the compose form ---------------------------------------------------------------------


@dataclass(frozen=True)
class Composed:
    """What an organiser posted, as typed (shown again when something is refused)."""

    text: str
    audience: str
    later: bool
    moment: str  # the datetime-local field: "2024-11-13T14:30", in the event's zone


def composed_from(form: Mapping[str, Any]) -> Composed:
    return Composed(
        text=text_field(form, "teks", TEXT_READ),
        audience=text_field(form, "penerima", 200),
        later=form.get("kapan") == "nanti",
        moment=text_field(form, "waktu", 40),
    )


class RefusedError(Exception):
    """The posted announcement cannot be kept as it is: the words say why."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def _now(page: EventPage) -> datetime:
    return page.viewer.dashboard.config.clock()


async def _checked(page: EventPage, composed: Composed) -> tuple[Audience, datetime | None]:
    """The audience (one of the chat's choices, reaching somebody) and the moment (None:
    at confirmation); else RefusedError, nothing stored."""
    t = page.t
    found = {c.value: c for c in await choices(page)}
    chosen = found.get(composed.audience)
    if chosen is None:
        raise PageError(400, "bad_request")  # not a choice the form offered
    size = await audience_size(page.session, page.event_id, chosen.spec)
    if not size.people:
        raise RefusedError(t("broadcast.nobody", audience=chosen.label))
    if not composed.later:
        return chosen.spec, None
    now = _now(page)
    try:
        moment = parse_moment(composed.moment.replace("T", " "), page.event.timezone, now)
    except MomentError as error:
        when = format_moment(now, page.event.timezone, t.locale)
        raise RefusedError(t(f"broadcast.time.{error.key}", now=when, **error.values)) from None
    return chosen.spec, moment


async def _file(form: Mapping[str, Any]) -> FileToSend | None:
    posted = await posted_file(form, "berkas", FILE_LIMIT)
    if posted is None:
        return None
    return FileToSend(posted.filename, posted.media_type, posted.content)


async def _compose_page(
    page: EventPage,
    composed: Composed | None = None,
    refused: str | None = None,
    *,
    status: int = 200,
) -> HTMLResponse:
    recent = await recent_broadcasts(page.session, page.event_id, RECENT)
    ids = [b.id for b in recent if b.id is not None]
    reports = await reports_of(page.session, ids) if ids else {}
    drafts = await drafts_of(page.session, page.event_id, page.viewer.person_id)
    now = _now(page)
    return page.render(
        "broadcasts.html",
        status=status,
        choices=await choices(page),
        composed=composed or Composed("", "all", False, ""),
        refused=refused,
        room=room_for_text(page.event.name),
        limit_mb=FILE_LIMIT // (1024 * 1024),
        zone=zone_label(page.event.timezone),
        recent=[(b, reports[b.id], state_text(page.t, page.event, b, now)) for b in recent if b.id],
        drafts=drafts,
        excerpt=excerpt,
        audience_text=audience_text,
        reach_note=unknown_note(page.t, await roster_reach(page.session, page.event_id)),
    )


@router.get(LIST, response_class=HTMLResponse)
async def broadcast_list(page: OfEvent) -> HTMLResponse:
    """The compose form, the viewer's drafts and the recent announcements."""
    return await _compose_page(page)


@router.post(LIST, response_class=HTMLResponse)
async def compose(_body: ComposeBody, page: OfEvent, form: CheckedForm) -> Response:
    """A new draft from the form, checked as the chat checks one; then its preview."""
    composed = composed_from(form)
    try:
        spec, moment = await _checked(page, composed)
        draft = await create_broadcast(
            page.session,
            event_id=page.event_id,
            author_id=page.viewer.person_id,
            text=composed.text,
            audience=spec,
            now=_now(page),
            file=await _file(form),
            send_at=moment,
        )
    except RefusedError as refused:
        return await _compose_page(page, composed, refused.text, status=422)
    except BroadcastError as error:
        return await _compose_page(page, composed, error_text(page.t, error), status=422)
    await page.session.commit()
    return RedirectResponse(_address(page, draft), status_code=303)


def _one(page: EventPage, broadcast_id: int | None, query: str = "") -> str:
    return ONE.format(event_id=page.event_id, broadcast_id=broadcast_id) + query


def _address(page: EventPage, broadcast: Broadcast, query: str = "") -> str:
    return _one(page, broadcast.id, query)


# --- one announcement: its preview while a draft, then its report -----------------------------


async def _of_event(page: EventPage, broadcast_id: int) -> Broadcast:
    """An announcement of this event the viewer may see: a confirmed one, or a draft of
    their own. Anything else is not found."""
    found = await page.session.get(Broadcast, broadcast_id)
    if found is None or found.event_id != page.event_id:
        raise PageError(404, "no_broadcast")
    if found.status == BroadcastStatus.DRAFT and found.author_id != page.viewer.person_id:
        raise PageError(404, "no_broadcast")
    return found


async def _draft(page: EventPage, broadcast_id: int) -> Broadcast | None:
    """The viewer's draft, or None when it is no longer one (it has a report then)."""
    found = await _of_event(page, broadcast_id)
    return found if found.status == BroadcastStatus.DRAFT else None


@router.get(ONE, response_class=HTMLResponse)
async def broadcast_page(
    page: OfEvent,
    broadcast_id: int,
    berubah: int = 0,
    dikirim: int = -1,
    batal: str = "",
    baris: int = 0,
) -> HTMLResponse:
    found = await _of_event(page, broadcast_id)
    if found.status == BroadcastStatus.DRAFT:
        return await _preview(page, found, changed=berubah == 1)
    return await _report_page(page, found, sent=dikirim, cancelled=batal, rows=baris)


async def _preview(
    page: EventPage,
    draft: Broadcast,
    *,
    changed: bool = False,
    refused: str | None = None,
    composed: Composed | None = None,
    status: int = 200,
) -> HTMLResponse:
    """How many it reaches and the message as it arrives; the confirmation, as the chat
    asks it; the form to change it."""
    t, spec = page.t, draft.spec
    size = await audience_size(page.session, page.event_id, spec)
    who = audience_text(t, spec)
    note = None
    if isinstance(spec, Unregistered):
        note = unknown_note(t, await roster_reach(page.session, page.event_id))
    stored = await load_file(page.session, draft.file_id) if draft.file_id else None
    if draft.send_at is None:
        question = t("broadcast.confirm_now", count=size.people, audience=who)
    else:
        when = format_moment(draft.send_at, page.event.timezone, t.locale)
        question = t("broadcast.confirm_at", count=size.people, audience=who, when=when)
    local = (
        draft.send_at.astimezone(ZoneInfo(page.event.timezone)).strftime("%Y-%m-%dT%H:%M")
        if draft.send_at is not None
        else ""
    )
    return page.render(
        "broadcast_preview.html",
        status=status,
        draft=draft,
        size=size,
        who=who,
        note=note,
        message=announcement(page.event.name, draft.text),
        file=stored,
        photo=stored is not None and stored.media_type in PHOTO_TYPES,
        question=question,
        agreed=digest(draft),
        changed=changed,
        refused=refused,
        composed=composed or Composed(draft.text, value_of(spec), draft.send_at is not None, local),
        choices=await choices(page),
        room=room_for_text(page.event.name),
        limit_mb=FILE_LIMIT // (1024 * 1024),
        zone=zone_label(page.event.timezone),
    )


@router.post(ONE + "/ubah", response_class=HTMLResponse)
async def change(
    _body: ComposeBody, page: OfEvent, broadcast_id: int, form: CheckedForm
) -> Response:
    """New words, file, audience or moment for the draft (``set_content``,
    ``set_audience``, ``set_send_at``), checked as at first."""
    draft = await _draft(page, broadcast_id)
    if draft is None or draft.id is None:
        return RedirectResponse(_one(page, broadcast_id), status_code=303)
    composed = composed_from(form)
    try:
        spec, moment = await _checked(page, composed)
        file = await _file(form)
        if file is None and draft.file_id is not None and form.get("hapus_berkas") != "1":
            kept = await load_file(page.session, draft.file_id)
            if kept is not None:  # the same file again: stored once, by its content
                file = FileToSend(kept.filename, kept.media_type, kept.content)
        await set_content(page.session, draft.id, composed.text, file)
        await set_audience(page.session, draft.id, spec)
        await set_send_at(page.session, draft.id, moment, _now(page))
    except (RefusedError, BroadcastError) as error:
        # RefusedError before anything changed; the rollback makes sure of it.
        await page.session.rollback()
        await page.session.refresh(page.event)
        draft = await _draft(page, broadcast_id)
        if draft is None:
            raise PageError(404, "no_broadcast") from None
        words = error.text if isinstance(error, RefusedError) else error_text(page.t, error)
        return await _preview(page, draft, refused=words, composed=composed, status=422)
    await page.session.commit()
    return RedirectResponse(_address(page, draft), status_code=303)


@router.post(ONE + "/kirim", response_class=HTMLResponse)
async def confirm(page: OfEvent, broadcast_id: int, form: CheckedForm) -> Response:
    """Confirm the draft: every recipient's outbox row, in this transaction."""
    draft = await _draft(page, broadcast_id)
    if draft is None or draft.id is None:  # confirmed already (another tab): its report
        return RedirectResponse(_one(page, broadcast_id), status_code=303)
    if form.get("setuju") != digest(draft):
        return RedirectResponse(_address(page, draft, "?berubah=1"), status_code=303)
    try:
        written = await confirm_broadcast(
            page.session, draft.id, _now(page), actor=Actor.person(page.viewer.person_id)
        )
    except BroadcastError as error:  # its moment passed, or nobody is left: nothing written
        return await _preview(page, draft, refused=error_text(page.t, error), status=422)
    await page.session.commit()
    return RedirectResponse(_address(page, draft, f"?dikirim={written}"), status_code=303)


@router.post(ONE + "/buang", response_class=HTMLResponse)
async def discard(page: OfEvent, broadcast_id: int, _form: CheckedForm) -> Response:
    draft = await _draft(page, broadcast_id)
    if draft is not None:
        await discard_draft(page.session, draft.id)
        await page.session.commit()
    return RedirectResponse(LIST.format(event_id=page.event_id), status_code=303)


@router.get(ONE + "/berkas")
async def attached(page: OfEvent, broadcast_id: int) -> Response:
    """The announcement's photo or document: a photo shown as one, anything else only
    downloaded (never rendered by the browser as a page of this site)."""
    found = await _of_event(page, broadcast_id)
    stored = await load_file(page.session, found.file_id) if found.file_id else None
    if stored is None:
        raise PageError(404, "no_file")
    if stored.media_type in PHOTO_TYPES:
        return Response(stored.content, media_type=stored.media_type)
    safe = "".join(c for c in stored.filename if c.isascii() and (c.isalnum() or c in "._-"))
    return download(stored.content, "application/octet-stream", safe or "berkas")


# --- the report -------------------------------------------------------------------------


def _counts(report: Report) -> dict[str, int]:
    return {
        "waiting": report.waiting,
        "sent": report.sent,
        "delivered": report.delivered,
        "read": report.read,
        "failed": report.failed,
        "blocked": report.blocked,
        "held": report.held,
        "cancelled": report.cancelled,
        "expired": report.expired,
        "total": report.total,
    }


async def _report_of(page: EventPage, broadcast: Broadcast) -> Report:
    assert broadcast.id is not None
    return (await reports_of(page.session, [broadcast.id]))[broadcast.id]


def _refresh_every(broadcast: Broadcast, report: Report, now: datetime) -> int:
    """Seconds until the page reads the report again; 0: nothing more will change."""
    if not report.waiting:
        # Held ones go when their person writes to the bot: hours, maybe.
        return SLOW if report.held else 0
    due_later = broadcast.send_at is not None and broadcast.send_at > now
    return SLOW if due_later else FAST


async def _report_page(
    page: EventPage, broadcast: Broadcast, *, sent: int, cancelled: str, rows: int
) -> HTMLResponse:
    t, now = page.t, _now(page)
    report = await _report_of(page, broadcast)
    stored = await load_file(page.session, broadcast.file_id) if broadcast.file_id else None
    said = None
    if sent >= 0:
        if broadcast.send_at is not None and broadcast.send_at > now:
            when = format_moment(broadcast.send_at, page.event.timezone, t.locale)
            said = t("broadcast.scheduled", count=sent, when=when)
        else:
            said = t("broadcast.sending", count=sent)
    if cancelled in CANCEL_SAID:
        said = t(CANCEL_SAID[cancelled], number=broadcast.id, rows=rows)
    return page.render(
        "broadcast_report.html",
        broadcast=broadcast,
        counts=_counts(report),
        state=state_text(t, page.event, broadcast, now),
        who=audience_text(t, broadcast.spec),
        message=announcement(page.event.name, broadcast.text),
        file=stored,
        photo=stored is not None and stored.media_type in PHOTO_TYPES,
        said=said,
        cancellable=broadcast.status != BroadcastStatus.CANCELLED and report.waiting > 0,
        refresh=_refresh_every(broadcast, report, now),
    )


@router.get(ONE + "/laporan.json")
async def report_json(page: OfEvent, broadcast_id: int) -> JSONResponse:
    """The report's figures, for the page's script; ``refresh``: seconds until asking
    again (0: nothing more will change)."""
    found = await _of_event(page, broadcast_id)
    if found.status == BroadcastStatus.DRAFT:
        raise PageError(404, "no_broadcast")  # a draft has no report yet
    report = await _report_of(page, found)
    now = _now(page)
    return JSONResponse(
        {
            "counts": _counts(report),
            "state": state_text(page.t, page.event, found, now),
            "cancellable": found.status != BroadcastStatus.CANCELLED and report.waiting > 0,
            "refresh": _refresh_every(found, report, now),
        }
    )


@router.post(ONE + "/batal", response_class=HTMLResponse)
async def cancel(page: OfEvent, broadcast_id: int, form: CheckedForm) -> Response:
    """Stop what still waits (``cancel_broadcast``, as the chat's button), once the box
    saying so is ticked (the chat asks "are you sure?" too)."""
    found = await _of_event(page, broadcast_id)
    if found.status == BroadcastStatus.DRAFT or found.id is None:
        raise PageError(404, "no_broadcast")
    if form.get("yakin") != "ya":
        raise PageError(400, "cancel_unsure")
    done = await cancel_broadcast(
        page.session, found.id, _now(page), actor=Actor.person(page.viewer.person_id)
    )
    await page.session.commit()
    query = f"?batal={done.outcome.value}&baris={done.rows}" if done is not None else ""
    return RedirectResponse(_address(page, found, query), status_code=303)
