"""An event's agenda (``/dasbor/acara/<id>/agenda``): the sessions day by day in the
event's zone, as /jadwal writes them; loading a spreadsheet as the chat's /impor does;
the template to start from.

A file is read as the chat reads it (models.agenda_import, in the reader process, within
the same limits) and checked against the event: a file with problems shows every one
with its row and is not kept. A good one waits where the chat keeps a file waiting for a
yes (models.uploads: one per person), and its preview says what it would change
(handlers.agenda_texts.report_text, as the chat says it). Applying it posts only the
upload's id, the agenda version the preview was made from (an agenda changed meanwhile
is previewed again, as the chat asks again) and whether to send the schedule-change
notices the chat offers after an import (handlers.notices.send_change_notices), which are
written in the applying transaction."""

from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.dashboard.core import PREFIX, CheckedForm, EventPage, OfEvent, PageError
from bot.dashboard.files import (
    CSV_MEDIA,
    FORM_ROOM,
    XLSX_MEDIA,
    download,
    id_field,
    posted_file,
    upload_body,
)
from handlers.agenda_texts import problem_text, report_text
from handlers.event_choice import local_today
from handlers.notices import concerned_people, send_change_notices
from handlers.timefmt import format_date, zone_label
from models.agenda import AgendaItem, agenda
from models.agenda_import import (
    MAX_FILE_BYTES,
    AgendaFileError,
    ImportReport,
    Problem,
    changes_on,
    import_agenda,
    read_file_off_loop,
    template_csv,
    template_xlsx,
)
from models.audit import Actor
from models.uploads import forget_upload, keep_upload, new_upload, waiting_upload

router = APIRouter()

AGENDA = PREFIX + "/acara/{event_id}/agenda"
IMPORT = AGENDA + "/impor"
FILE_FIELD = "berkas"

AgendaBody = Annotated[None, Depends(upload_body(MAX_FILE_BYTES + FORM_ROOM))]


@dataclass(frozen=True)
class Day:
    day: date
    items: list[AgendaItem]


def by_day(items: tuple[AgendaItem, ...]) -> list[Day]:
    days: list[Day] = []
    for item in items:
        if not days or days[-1].day != item.day:
            days.append(Day(item.day, []))
        days[-1].items.append(item)
    return days


def _address(page: EventPage, path: str) -> str:
    return path.format(event_id=page.event_id)


@router.get(AGENDA, response_class=HTMLResponse)
async def agenda_page(page: OfEvent, dimuat: int = 0, dikabari: int = -1) -> HTMLResponse:
    """The agenda; after an import, what it did (``dimuat``: 1, ``dikabari``: how many
    were sent a schedule-change notice, -1 when none was asked for)."""
    whole = await agenda(page.session, page.event)
    return page.render(
        "agenda.html",
        days=by_day(whole.items),
        count=len(whole.items),
        loaded=dimuat == 1,
        notified=dikabari,
        limit_mb=MAX_FILE_BYTES // (1024 * 1024),
        zone=zone_label(page.event.timezone),
        date=format_date,
    )


@router.get(AGENDA + "/template.csv")
async def template_as_csv(page: OfEvent) -> Response:
    return download(template_csv(), CSV_MEDIA, "jadwal-template.csv")


@router.get(AGENDA + "/template.xlsx")
async def template_as_xlsx(page: OfEvent) -> Response:
    return download(template_xlsx(), XLSX_MEDIA, "jadwal-template.xlsx")


def _problems(page: EventPage, filename: str, problems: list[Problem]) -> HTMLResponse:
    """Every problem of the file, with its row; nothing was kept."""
    lines = [problem_text(page.t, problem) for problem in problems]
    return page.render(
        "agenda_problems.html", status=422, filename=filename, problems=lines, count=len(lines)
    )


async def read_ahead(page: EventPage, filename: str, content: bytes) -> None:
    """Read the file outside any transaction, as the chat reads ahead: on SQLite a
    transaction holds the write lock, and nobody waits on it while the reader works
    (the reader keeps what it read, problems too, for the import that follows). The
    transaction so far only read; the event is read again after."""
    await page.session.rollback()
    with suppress(AgendaFileError):  # said by the import that follows
        await read_file_off_loop(filename, content)
    await page.session.refresh(page.event)


@router.post(IMPORT, response_class=HTMLResponse)
async def upload(_body: AgendaBody, page: OfEvent, form: CheckedForm) -> Response:
    """A spreadsheet posted: its problems, or kept and previewed."""
    posted = await posted_file(form, FILE_FIELD, MAX_FILE_BYTES)
    if posted is None:
        raise PageError(400, "no_file")
    await read_ahead(page, posted.filename, posted.content)
    try:
        await import_agenda(page.session, page.event, posted.filename, posted.content, apply=False)
    except AgendaFileError as error:  # raised before anything is written
        return _problems(page, posted.filename, error.problems)
    file = new_upload(
        page.viewer.person_id,
        page.event_id,
        posted.filename,
        posted.media_type,
        posted.content,
        page.viewer.dashboard.config.clock(),
    )
    await keep_upload(page.session, file)  # a newer file replaces one still waiting
    await page.session.commit()
    return RedirectResponse(_address(page, IMPORT), status_code=303)


@dataclass(frozen=True)
class Waiting:
    """The viewer's file waiting for this event, as read (plain values: they outlast the
    transaction the file is read outside of)."""

    id: int
    filename: str
    content: bytes


async def _waiting(
    page: EventPage, upload_id: int | None = None, *, read: bool = True
) -> Waiting | None:
    """The viewer's file waiting for this event (the one posted, if ``upload_id``: a
    form shown before a newer file was sent applies nothing), read ahead if ``read``."""
    held = await waiting_upload(page.session, page.viewer.person_id, page.event_id)
    if held is None or held.id is None or (upload_id is not None and held.id != upload_id):
        return None
    found = Waiting(held.id, held.filename, held.content)
    if read:
        await read_ahead(page, found.filename, found.content)
    return found


@router.get(IMPORT, response_class=HTMLResponse)
async def preview(page: OfEvent, berubah: int = 0) -> HTMLResponse:
    """What the waiting file would change, with the button to apply it; the upload form
    when no file waits."""
    held = await _waiting(page)
    if held is None:
        return page.render("agenda_preview.html", held=None)
    try:
        report = await import_agenda(
            page.session, page.event, held.filename, held.content, apply=False
        )
    except AgendaFileError as error:  # the event's classes or dates changed since
        await forget_upload(page.session, held.id)
        await page.session.commit()
        return _problems(page, held.filename, error.problems)
    now = page.viewer.dashboard.config.clock()
    today = changes_on(report, local_today(page.event, now))
    people = await concerned_people(page.session, page.event, today) if today else []
    return page.render(
        "agenda_preview.html",
        held=held,
        report=report_text(page.t, page.event, report, applied=False),
        removed=len(report.removed),
        changes=report.has_changes,
        version=page.event.agenda_version,
        concerned=len(people),
        changed_meanwhile=berubah == 1,
    )


@router.post(IMPORT + "/terapkan", response_class=HTMLResponse)
async def apply(page: OfEvent, form: CheckedForm) -> Response:
    """Apply the previewed file; schedule-change notices too when asked for."""
    held = await _waiting(page, id_field(form, "upload"))
    if held is None:
        raise PageError(404, "no_upload")
    if id_field(form, "versi") != page.event.agenda_version:
        # The agenda changed since the preview: show what the file would do now.
        return RedirectResponse(_address(page, IMPORT) + "?berubah=1", status_code=303)
    try:
        report = await import_agenda(
            page.session, page.event, held.filename, held.content,
            actor=Actor.person(page.viewer.person_id),
        )  # fmt: skip
    except AgendaFileError as error:  # raised before anything is written
        await forget_upload(page.session, held.id)
        await page.session.commit()
        return _problems(page, held.filename, error.problems)
    notified = await _notify(page, report) if form.get("kabari") == "1" else -1
    await forget_upload(page.session, held.id)
    await page.session.commit()
    target = _address(page, AGENDA) + f"?dimuat=1&dikabari={notified}"
    return RedirectResponse(target, status_code=303)


async def _notify(page: EventPage, report: ImportReport) -> int:
    """The chat's schedule-change notices for the import just applied, in its
    transaction: one to each participant whose sessions of today it moved or removed."""
    now = page.viewer.dashboard.config.clock()
    today = changes_on(report, local_today(page.event, now))
    if not today:
        return 0
    version = page.event.agenda_version  # moved on by the import's flush
    return await send_change_notices(page.session, page.event, version, today, now)


@router.post(IMPORT + "/batal", response_class=HTMLResponse)
async def cancel(page: OfEvent, form: CheckedForm) -> Response:
    """The waiting file is dropped; the agenda stays as it is."""
    held = await _waiting(page, id_field(form, "upload"), read=False)
    if held is not None:
        await forget_upload(page.session, held.id)
        await page.session.commit()
    return RedirectResponse(_address(page, AGENDA), status_code=303)
