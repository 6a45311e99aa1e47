"""The files the bot writes for the chat come from one worker process: the participants
export, the daftar hadir, a certificate and /hasil's survey workbook. /hasil's workbook is
written there while the event loop goes on answering; one over its budget, or one the
writer does not finish, is a clear answer in the organiser's language."""

import gc
import io
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.db import SessionMaker, create_engine, session_maker
from handlers.i18n import Translator
from handlers.types import Reply
from models import Person, RoleName
from models.attendance.files import Printable, xlsx_off_loop
from models.certificates.document import Paper, certificate_pdf
from models.spreadsheet.writing import table_xlsx_off_loop
from models.surveys import exports
from models.surveys.exports import event_xlsx, event_xlsx_off_loop, workbook_cells
from models.surveys.report import EventInfo, EventReport
from models.surveys.results import Respondent, Response, RoundInput, round_results
from models.writer import WRITER, TooLargeError
from tests.factories import Talker, give_role, person_id_of
from tests.test_agenda_worker import descendants, longest_pause, running
from tests.test_survey_results import FEEDBACK, FIRST_SUBMIT, S1_ANSWERS, TAUFIK, seed

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="watches processes through /proc"
)
ID, EN = Translator("id"), Translator("en")
NOW = datetime(2024, 11, 20, 2, 0, tzinfo=UTC)


def busy_report(people: int) -> EventReport:
    """Three rounds of session feedback, each answered by ``people`` with their details:
    14 columns a response."""
    rounds = []
    for number in (1, 2, 3):
        responses = tuple(
            Response(
                Respondent(n, f"Peserta {n}", f"+62811{n:07d}", "Perpustakaan Desa", "Samarinda"),
                FIRST_SUBMIT + timedelta(seconds=n),
                S1_ANSWERS["andi"],
            )
            for n in range(1, people + 1)
        )
        round_ = RoundInput(
            number, f"session:{number}", FEEDBACK, people, responses,
            speakers=(TAUFIK, "Rachmawati"), session_title=f"Sesi {number}", opens_at=FIRST_SUBMIT,
        )  # fmt: skip
        rounds.append(round_results(round_))
    event = EventInfo(1, "BESAR24", "Bimtek Besar", "Asia/Makassar")
    return EventReport(event, names=True, rounds=tuple(rounds), tests=None)


def spawned() -> set[int]:
    """The live processes below this one started by multiprocessing "spawn": hosts,
    which wait for jobs as long as the bot runs (their workers, forked, show no such
    command line)."""
    found = set()
    for pid in descendants():
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:  # ended meanwhile
            continue
        if b"spawn_main" in command and running(pid):
            found.add(pid)
    return found


async def test_every_kind_of_file_is_written_by_the_same_one_process() -> None:
    WRITER.stop()
    before = spawned()
    hosts = []
    table = await table_xlsx_off_loop("Peserta", ["No", "Nama"], [[1, "Siti Rahayu"]])
    hosts.append(spawned() - before)
    register = Printable(
        sheet="Daftar hadir", title=("Bimtek",), header=("No", "Nama", "S1", "Tanda tangan"),
        rows=((1, "Siti Rahayu", "✓", None),), marks_from=2, marks=1, legend="✓ hadir",
        changes_sheet="Perubahan", changes_header=("Waktu",), changes=(),
    )  # fmt: skip
    workbook = await xlsx_off_loop(register)
    hosts.append(spawned() - before)
    paper = Paper(
        "SERTIFIKAT", "Nomor: 001/BIMTEK/2024", "diberikan kepada", "Siti Rahayu",
        "sebagai peserta Bimtek", "Samarinda, 16 November 2024", "Kepala Dinas", "",
        "K7M2QX9P4T", ("Kode verifikasi: K7M2QX9P4T",),
    )  # fmt: skip
    pdf = await certificate_pdf(paper)
    hosts.append(spawned() - before)
    results = await event_xlsx_off_loop(busy_report(2))
    hosts.append(spawned() - before)
    assert load_workbook(io.BytesIO(table)).worksheets[0]["B2"].value == "Siti Rahayu"
    assert load_workbook(io.BytesIO(workbook)).sheetnames == ["Daftar hadir", "Perubahan"]
    assert pdf.startswith(b"%PDF")
    assert load_workbook(io.BytesIO(results)).sheetnames[0] == "Summary"
    assert len(hosts[0]) == 1, hosts
    assert hosts == [hosts[0]] * 4, "one host wrote them all"


async def test_the_survey_workbook_is_written_while_the_loop_keeps_answering() -> None:
    report = busy_report(1500)
    await event_xlsx_off_loop(busy_report(1))  # the writer is running (its start is apart)

    async def on_the_loop() -> bytes:
        return event_xlsx(report)

    # Hundreds of thousands of new objects, the report's and the workbook's, owe a full
    # collection of the heap, which stops every thread for a while whoever triggers it:
    # paid here, before each measure, it is not taken for the writing.
    gc.collect()
    _, stalled = await longest_pause(on_the_loop)
    gc.collect()
    content, pause = await longest_pause(lambda: event_xlsx_off_loop(report))
    assert stalled > 0.1, "written on the loop, the same workbook holds everyone up"
    assert pause < 0.1, f"the loop stood still for {pause * 1000:.0f} ms"
    assert isinstance(content, bytes)
    book = load_workbook(io.BytesIO(content), read_only=True)
    assert book.sheetnames == ["Summary", "1 Sesi 1", "2 Sesi 2", "3 Sesi 3"]
    rows = list(book["3 Sesi 3"].iter_rows(values_only=True))
    assert len(rows) == 1 + 1500
    assert rows[1500][1] == "Peserta 1500"


def test_each_response_counts_a_row_of_cells_in_its_round() -> None:
    grown = workbook_cells(busy_report(4)) - workbook_cells(busy_report(3))
    assert grown == 3 * 14


async def test_a_report_over_the_cell_budget_is_refused_before_it_is_handed_over() -> None:
    report = busy_report(exports.MAX_CELLS // (3 * 14) + 1)
    WRITER.stop()
    before = spawned()
    with pytest.raises(TooLargeError):
        await event_xlsx_off_loop(report)
    assert spawned() == before, "no writer started for it"


@pytest.fixture
async def lite(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[SessionMaker]:
    path = tmp_path / "hasil.sqlite3"
    shutil.copyfile(sqlite_template, path)
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    yield session_maker(engine)
    await engine.dispose()


async def download(sessions: SessionMaker, locale: str = "id") -> list[Reply]:
    """What an organiser of the seeded event, who reads ``locale``, sees on pressing
    "📥 Unduh semua (XLSX)" under /hasil."""
    seeded = await seed(sessions)
    await give_role(sessions, seeded.event, RoleName.ORGANIZER, "panitia")
    async with sessions.begin() as session:
        organiser = await session.get(Person, await person_id_of(sessions, "panitia"))
        assert organiser is not None
        organiser.locale = locale
    boss = Talker(sessions, "panitia", NOW)
    listed = await boss.send("/hasil")
    return await boss.press_label(listed, Translator(locale)("results.download"))


async def test_the_organiser_gets_the_workbook(lite: SessionMaker) -> None:
    [reply] = await download(lite)
    assert reply.text == ID("results.workbook", event="Bimtek KUKAR24")
    assert reply.attachment is not None
    assert reply.attachment.content is not None
    assert reply.attachment.filename == "hasil-survei-KUKAR24.xlsx"
    book = load_workbook(io.BytesIO(reply.attachment.content))
    assert len(book.sheetnames) == 5  # the summary and four rounds


async def test_a_report_over_the_budget_is_a_clear_answer(
    lite: SessionMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "MAX_CELLS", 50)
    [reply] = await download(lite)
    assert reply.text == ID("results.too_large", code="KUKAR24")
    assert "bimtek survey results KUKAR24 --xlsx" in reply.text
    assert reply.attachment is None


async def test_in_english_too(lite: SessionMaker, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "MAX_CELLS", 50)
    [reply] = await download(lite, "en")
    assert reply.text == EN("results.too_large", code="KUKAR24")
    assert reply.text.startswith("These survey results are too large")


async def test_a_workbook_the_writer_does_not_finish_is_a_clear_answer(
    lite: SessionMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "TIME_LIMIT", 0.0)
    [reply] = await download(lite)
    assert reply.text == ID("results.not_written")
    assert reply.attachment is None
