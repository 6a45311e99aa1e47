"""An event's participants: the roster and who registered (models.roster.export, the
list /peserta exports), filtered by class, regency, library type and status; a person's
record; the XLSX and CSV exports, written by the file writer (models.writer) from the
same table as the chat's (handlers.roster_texts.export_table).

A name search is posted, not put in the address: names are personal data, and
addresses end up in logs and histories. The filters (class, regency, kind, status) are
not, and stay in the address so that a filtered list can be reloaded."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from bot.dashboard.core import PREFIX, CheckedForm, EventPage, OfEvent, PageError
from bot.dashboard.files import CSV_MEDIA, XLSX_MEDIA, download, export_refusals
from handlers.roster_texts import export_table
from models.agenda import agenda
from models.attendance.queries import attendance_of
from models.audit import Actor, ExportKind, record_export
from models.people import enrollment
from models.profile_checks import LIBRARY_TYPES
from models.roster.export import Participant, participants
from models.spreadsheet.writing import MAX_CELLS, TIME_LIMIT, table_csv, table_xlsx
from models.writer import write_off_loop

router = APIRouter()

LIST = PREFIX + "/acara/{event_id}/peserta"
STATUSES = ("registered", "not_registered")
SHOWN = 500  # rows a page lists; the exports hold everyone


@dataclass(frozen=True)
class Filters:
    name: str = ""
    class_name: str = ""
    regency: str = ""
    library_type: str = ""
    status: str = ""

    def keeps(self, person: Participant) -> bool:
        wanted = self.name.casefold().split()
        who = f"{person.full_name or ''} {person.library_name or ''}".casefold()
        registered = person.registered_at is not None
        return (
            all(word in who for word in wanted)
            and (not self.class_name or person.class_name == self.class_name)
            and (not self.regency or person.regency == self.regency)
            and (not self.library_type or person.library_type == self.library_type)
            and (not self.status or registered == (self.status == "registered"))
        )


def _filters(values: Mapping[str, Any]) -> Filters:
    def text(key: str, limit: int = 100) -> str:
        value = values.get(key)
        return value.strip()[:limit] if isinstance(value, str) else ""

    status = text("status")
    kind = text("jenis")
    return Filters(
        name=text("q"),
        class_name=text("kelas"),
        regency=text("kabupaten"),
        library_type=kind if kind in LIBRARY_TYPES else "",
        status=status if status in STATUSES else "",
    )


async def _listed(page: EventPage, filters: Filters) -> HTMLResponse:
    people = await participants(page.session, page.event_id)
    kept = [person for person in people if filters.keeps(person)]
    whole = await agenda(page.session, page.event)
    classes = sorted(set(whole.classes) | {p.class_name for p in people if p.class_name})
    regencies = sorted({p.regency for p in people if p.regency})
    return page.render(
        "participants.html",
        people=kept[:SHOWN],
        found=len(kept),
        total=len(people),
        registered=sum(1 for p in people if p.registered_at is not None),
        filters=filters,
        classes=classes,
        regencies=regencies,
        library_types=LIBRARY_TYPES,
        statuses=STATUSES,
    )


@router.get(LIST, response_class=HTMLResponse)
async def participant_list(
    page: OfEvent, kelas: str = "", kabupaten: str = "", jenis: str = "", status: str = ""
) -> HTMLResponse:
    values = {"kelas": kelas, "kabupaten": kabupaten, "jenis": jenis, "status": status}
    return await _listed(page, _filters(values))


@router.post(LIST, response_class=HTMLResponse)
async def participant_search(page: OfEvent, form: CheckedForm) -> HTMLResponse:
    return await _listed(page, _filters(form))


@router.get(LIST + "/{person_id}", response_class=HTMLResponse)
async def participant_record(page: OfEvent, person_id: int) -> HTMLResponse:
    """One registered participant of the event: their details, class, roster status
    and the sessions they attended. Anyone else (another event's) is not found."""
    joined = await enrollment(page.session, person_id, page.event_id)
    if joined is None:
        raise PageError(404, "no_person")
    people = await participants(page.session, page.event_id)
    found = next((p for p in people if p.person_id == person_id), None)
    if found is None:
        raise PageError(404, "no_person")
    attended = (await attendance_of(page.session, page.event_id)).get(person_id, set())
    items = [i for i in (await agenda(page.session, page.event)).items if i.id in attended]
    return page.render("participant.html", person=found, attended=items)


def _table(page: EventPage, people: Sequence[Participant]) -> tuple[list[str], list[list[Any]]]:
    return export_table(page.t, page.event, people)


async def _written(page: EventPage, kind: str) -> bytes:
    """The export, read in the request's transaction, which ends before the file is
    written (on SQLite a transaction holds the one write lock: nobody waits on a file)."""
    people = await participants(page.session, page.event_id)
    headers, rows = _table(page, people)
    record_export(
        page.session,
        Actor.person(page.viewer.person_id),
        event_id=page.event_id,
        what=ExportKind.PARTICIPANTS,
        rows=len(people),
        formats=[kind],
    )
    await page.session.commit()  # the log's entry; the file is written after
    writer = (
        partial(table_xlsx, page.t("roster.sheet_title"), headers, rows)
        if kind == "xlsx"
        else partial(table_csv, headers, rows)
    )
    with export_refusals():
        return await write_off_loop(
            writer,
            time_limit=TIME_LIMIT,
            cells=(len(rows) + 1) * max(1, len(headers)),
            max_cells=MAX_CELLS,
        )


@router.get(LIST + ".xlsx")
async def export_xlsx(page: OfEvent) -> Response:
    filename = f"peserta-{page.event.code}.xlsx"
    return download(await _written(page, "xlsx"), XLSX_MEDIA, filename)


@router.get(LIST + ".csv")
async def export_csv(page: OfEvent) -> Response:
    filename = f"peserta-{page.event.code}.csv"
    return download(await _written(page, "csv"), CSV_MEDIA, filename)
