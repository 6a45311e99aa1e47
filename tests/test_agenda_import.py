"""Agenda import: an organiser's spreadsheet becomes the event's agenda, or every problem
is reported by row number and nothing changes."""

import asyncio
import csv
import io
import re
import zipfile
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect as sa_inspect
from typer.testing import CliRunner

from bot.cli import app
from bot.db import SessionMaker
from bot.demo import DEMO_CODE, ensure_demo_event
from handlers.agenda_texts import agenda_text, problems_text, report_text
from handlers.i18n import LOCALES, Translator, catalog
from handlers.timefmt import format_date, format_time, zone_label
from models import AgendaSession, Event
from models.agenda import agenda_of, class_names
from models.agenda_import import (
    LIMITS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    AgendaFileError,
    ClassNamesError,
    ImportReport,
    Problem,
    ProblemsError,
    import_agenda,
    read_agenda,
    read_file_off_loop,
    set_classes,
    template_csv,
    template_xlsx,
)
from models.agenda_import.apply import MAX_CLASHES
from models.event import create_event
from models.spreadsheet.kind import FILE_PROBLEMS
from tests.hostile_files import fifty_thousand_rows, five_thousand_rows_xlsx

FIXTURES = Path(__file__).parent / "fixtures" / "agenda"
ID, EN = Translator("id"), Translator("en")
HEADER = "Tanggal;Mulai;Selesai;Materi;Narasumber;Ruang;Kelas;Keterangan"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def table(*rows: str, header: str = HEADER) -> bytes:
    return "\n".join([header, *rows]).encode()


def workbook(rows: Sequence[Sequence[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def keys(error: ProblemsError) -> list[tuple[int, str]]:
    return [(p.row, p.key.removeprefix("agenda_import.")) for p in error.problems]


def refused(content: bytes, name: str = "agenda.csv") -> list[tuple[int, str]]:
    with pytest.raises(AgendaFileError) as caught:
        read_agenda(name, content)
    return keys(caught.value)


# --- reading: formats, headers, dates and times ----------------------------------------


def test_the_template_reads_the_same_as_csv_and_as_xlsx() -> None:
    rows = read_agenda("jadwal-template.csv", template_csv())
    assert len(rows) == 4
    assert read_agenda("jadwal-template.xlsx", template_xlsx()) == rows
    assert template_csv().decode().splitlines()[0] == HEADER
    assert {r.class_name for r in rows} == {None, "A", "B"}


def test_the_template_xlsx_has_a_bold_header_and_text_cells() -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(template_xlsx())).worksheets[0]
    assert [c.value for c in sheet[1]] == HEADER.split(";")
    assert all(c.font.b for c in sheet[1])
    assert sheet["B2"].value == "07.30"
    assert sheet["B2"].number_format == "@"


def test_limits_are_the_table_columns() -> None:
    columns = sa_inspect(AgendaSession).columns
    lengths = {}
    for name, column in (("class", "class_name"), *((n, n) for n in LIMITS if n != "class")):
        lengths[name] = getattr(columns[column].type, "length", None)  # AutoString or String
    assert lengths == LIMITS


def test_semicolon_csv_with_title_rows_indonesian_headers_and_ranges_in_one_cell() -> None:
    rows = read_agenda("jadwal.csv", fixture("kutai-semicolon.csv"))
    assert [r.row for r in rows] == [5, 6, 7, 8, 9, 10]  # row 6 holds a line break
    assert [(r.day.day, r.start, r.end) for r in rows] == [
        (13, time(7, 30), time(8, 30)),
        (13, time(8, 30), time(9, 30)),
        (13, time(9, 30), time(12, 0)),
        (14, time(8, 0), time(10, 0)),
        (14, time(8, 0), time(10, 0)),
        (16, time(10, 0), time(11, 0)),
    ]
    assert rows[1].description == "Sambutan\ndan pembukaan resmi"
    assert [r.class_name for r in rows] == [None, None, None, "Kelas A", "Kelas B", None]
    assert [r.zones for r in rows] == [(), (), ("WITA",), (), (), ()]


def test_english_headers_and_date_forms_with_commas() -> None:
    rows = read_agenda("agenda.csv", fixture("english.csv"))
    assert [(r.row, r.day) for r in rows] == [
        (2, date(2024, 11, 13)),
        (3, date(2024, 11, 13)),
        (4, date(2024, 11, 14)),
        (5, date(2024, 11, 15)),
        (6, date(2024, 11, 15)),
        (7, date(2024, 11, 16)),
    ]
    assert rows[1].start == time(9, 0)
    assert rows[1].speakers == "Taufik, S.Sos, M.Si"
    assert (rows[3].start, rows[3].end) == (time(13, 30), time(15, 0))
    assert [r.class_name for r in rows] == [None, None, "A", "class b", None, None]


def test_xlsx_with_date_and_time_cells_merged_days_and_a_title_row() -> None:
    rows = read_agenda("jadwal.xlsx", fixture("kutai.xlsx"))
    assert [r.row for r in rows] == [5, 6, 7, 8, 9, 10, 11]
    assert [r.day.day for r in rows] == [13, 13, 13, 14, 14, 15, 16]
    assert rows[2].start == time(10, 45)
    assert rows[2].end == time(12, 0)
    assert rows[4].start == time(8, 0)  # a datetime cell
    assert rows[5].class_name is None  # "semua"


def test_content_decides_not_the_name() -> None:
    assert read_agenda("agenda.csv", fixture("kutai.xlsx")) == read_agenda(
        "x.xlsx", fixture("kutai.xlsx")
    )
    assert read_agenda("agenda.xlsx", template_csv()) == read_agenda("a.csv", template_csv())


@pytest.mark.parametrize(
    "written",
    [
        "Rabu, 13 November 2024",
        "13 November 2024",
        "13 Nov 2024",
        "Wednesday, 13 November 2024",
        "13/11/2024",
        "13-11-2024",
        "2024-11-13",
        "13 Nopember 2024",
        "rabu 13 nov 2024",
        "Hari I: Rabu, 13 November 2024",
        "November 13, 2024",
        "13.11.2024",
    ],
)
def test_date_forms(written: str) -> None:
    (row,) = read_agenda("a.csv", table(f"{written};08.30;10.00;Sesi;;;;"))
    assert row.day == date(2024, 11, 13)


@pytest.mark.parametrize(
    ("written", "day"),
    [("17 Agustus 2024", date(2024, 8, 17)), ("Jum'at, 15 Nov 2024", date(2024, 11, 15))],
)
def test_indonesian_month_and_weekday_spellings(written: str, day: date) -> None:
    (row,) = read_agenda("a.csv", table(f"{written};08.30;10.00;Sesi;;;;"))
    assert row.day == day


def test_a_weekday_that_does_not_match_the_date_is_a_problem() -> None:
    with pytest.raises(AgendaFileError) as caught:
        read_agenda("a.csv", table("Selasa, 13 November 2024;08.30;10.00;Sesi;;;;"))
    (problem,) = caught.value.problems
    assert (problem.row, problem.key) == (2, "agenda_import.weekday_mismatch")
    assert "Rabu, 13 November 2024" in problems_text(ID, [problem])
    assert "Wednesday, 13 November 2024" in problems_text(EN, [problem])


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("08.30", "10.00"),
        ("08:30", "10:00"),
        ("8.30", "10.00"),
        ("0830", "1000"),
        ("8.3", "10"),  # Excel dropped the zeros of 08.30 and 10.00
        ("08.30 WITA", "10.00 WITA"),
        ("8:30 AM", "10:00 am"),
        ("08.30.00", "10:00:00"),
    ],
)
def test_time_forms_in_two_columns(start: str, end: str) -> None:
    (row,) = read_agenda("a.csv", table(f"13/11/2024;{start};{end};Sesi;;;;"))
    assert (row.start, row.end) == (time(8, 30), time(10, 0))


@pytest.mark.parametrize(
    "written",
    [
        "08.30–10.00",
        "08.30 - 10.00",
        "08.30-10.00 WITA",
        "08.30 s.d. 10.00",
        "08.30 s/d 10.00",
        "08.30 sampai 10.00",
        "08.30 sampai dengan 10.00",
        "Pukul 08.30 — 10.00",
        "08:30 to 10:00",
    ],
)
def test_ranges_in_one_cell(written: str) -> None:
    content = table(f"13/11/2024;{written};Sesi", header="Tanggal;Waktu;Materi")
    (row,) = read_agenda("a.csv", content)
    assert (row.start, row.end) == (time(8, 30), time(10, 0))


def test_excel_cells_of_every_kind() -> None:
    content = workbook(
        [
            ["Tanggal", "Mulai", "Selesai", "Materi"],
            [date(2024, 11, 13), time(8, 30), time(10, 0), "Sesi 1"],
            [datetime(2024, 11, 13), datetime(1899, 12, 30, 10, 15), 12, "Sesi 2"],
            [45610, 0.5625, 14.3, "Sesi 3"],  # a serial date, a day fraction, 14.30 as number
        ]
    )
    rows = read_agenda("a.xlsx", content)
    assert [(r.day, r.start, r.end) for r in rows] == [
        (date(2024, 11, 13), time(8, 30), time(10, 0)),
        (date(2024, 11, 13), time(10, 15), time(12, 0)),
        (date(2024, 11, 14), time(13, 30), time(14, 30)),
    ]


@pytest.mark.parametrize(
    "header",
    [
        "No;Hari, Tanggal;Jam Mulai;Jam Selesai;Judul;Pemateri;Ruangan;Kelas;Deskripsi",
        "#;Tgl;Waktu Mulai;Waktu Selesai;Topik;Pembicara;Lokasi;Kelompok;Catatan",
        "Nomor;Hari;Start Time;End Time;Title;Speakers;Venue;Group;Details",
        "No.;DATE;start;END;Session;Trainer;Location;Class;Notes",
        "no ; tanggal ; mulai ; selesai ; kegiatan ; fasilitator ; tempat ; kelas ; uraian",
    ],
)
def test_header_names_in_both_languages_any_case_and_spacing(header: str) -> None:
    content = table("1;13/11/2024;08.30;10.00;Sesi;Taufik;Ballroom;A;Catatan", header=header)
    (row,) = read_agenda("a.csv", content)
    assert (row.title, row.speakers, row.room, row.class_name) == (
        "Sesi",
        "Taufik",
        "Ballroom",
        "A",
    )
    assert row.description == "Catatan"


def test_unknown_columns_are_named_in_one_problem() -> None:
    content = table(
        "13/11/2024;08.30;10.00;Sesi;x;y", header="Tanggal;Mulai;Selesai;Materi;PIC;Foo"
    )
    assert refused(content) == [(1, "unknown_columns")]
    with pytest.raises(AgendaFileError) as caught:
        read_agenda("a.csv", content)
    text = problems_text(ID, caught.value.problems)
    assert '"PIC", "Foo"' in text
    assert "Narasumber" in text


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("Tanggal;Mulai;Selesai;Narasumber", "missing_title_column"),
        ("Mulai;Selesai;Materi", "missing_date_column"),
        ("Tanggal;Mulai;Materi", "missing_time_columns"),
    ],
)
def test_missing_required_columns(header: str, missing: str) -> None:
    assert missing in {k for _, k in refused(table("x;y;z", header=header))}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (HEADER.encode() + b"\n;;;;;;;\n", "no_rows"),
        (b"tidak ada tabel di sini\nhanya teks", "no_header"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01", "not_spreadsheet"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "save_as"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "not_spreadsheet"),
        (b"<!DOCTYPE html><html><table><tr><td>Tanggal</td></tr></table>", "not_spreadsheet"),
        (b"PK\x03\x04 this is no zip at all", "unreadable"),
        (b"a" * (MAX_FILE_BYTES + 1), "too_big"),
    ],
)
def test_files_that_are_not_agendas(content: bytes, problem: str) -> None:
    assert refused(content) == [(0, problem)]


def zipped(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_other_zip_files() -> None:
    ods = zipped({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"})
    assert refused(ods, "agenda.ods") == [(0, "save_as")]
    docx = zipped({"word/document.xml": b"<w:document/>"})
    assert refused(docx, "agenda.docx") == [(0, "not_spreadsheet")]
    broken = zipped({"xl/workbook.xml": b"<not really"})
    assert refused(broken, "agenda.xlsx") == [(0, "unreadable")]
    cut = fixture("kutai.xlsx")[:2000]
    assert refused(cut, "agenda.xlsx") == [(0, "unreadable")]


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8-sig", ";"), ("cp1252", ";"), ("utf-16", "\t"), ("utf-8", ",")],
)
def test_encodings_and_delimiters(encoding: str, delimiter: str) -> None:
    text = "\r\n".join(
        [
            delimiter.join(["Tanggal", "Mulai", "Selesai", "Materi", "Keterangan"]),
            delimiter.join(["13/11/2024", "08.30", "10.00", "Sesi", "Kopi & café"]),
        ]
    )
    (row,) = read_agenda("a.csv", text.encode(encoding))
    assert row.description == "Kopi & café"


def test_every_bad_row_is_reported_with_its_row_number() -> None:
    expected = [
        (3, "title_missing"),
        (4, "end_not_after_start"),
        (5, "weekday_mismatch"),
        (6, "bad_date"),
        (8, "bad_time"),
        (9, "end_missing"),
        (15, "too_long"),
        (16, "time_missing"),
    ]
    assert refused(fixture("bad-rows.csv")) == expected


def test_a_blank_date_continues_the_day_above_but_not_on_the_first_row() -> None:
    assert refused(table(";08.30;10.00;Sesi;;;;")) == [(2, "date_missing")]
    rows = read_agenda("a.csv", table("Rabu, 13 November 2024;;;;;;;", ";08.30;10.00;Sesi;;;;"))
    assert [(r.row, r.day) for r in rows] == [(3, date(2024, 11, 13))]  # a day heading row


def test_bad_cells_each_get_their_own_reason() -> None:
    rows = [
        "13/11/2024;08.30;10.00;Sesi;;;;",
        ";25.00;26.00;Jam mustahil;;;;",
        ";08.30;;Tanpa selesai;;;;",
        ";;10.00;Tanpa mulai;;;;",
        ";10.00;10.00;Nol menit;;;;",
        f";11.00;12.00;Sesi;{'N' * 301};;;",
        f";11.00;12.00;Sesi;;{'R' * 101};;",
        f";11.00;12.00;Sesi;;;{'K' * 41};",
        f";11.00;12.00;Sesi;;;;{'D' * 1001}",
    ]
    assert refused(table(*rows)) == [
        (3, "bad_time"),
        (3, "bad_time"),
        (4, "end_missing"),
        (5, "start_missing"),
        (6, "end_not_after_start"),
        (7, "too_long"),
        (8, "too_long"),
        (9, "too_long"),
        (10, "too_long"),
    ]


def test_a_bad_range_in_one_cell() -> None:
    content = table("13/11/2024;19.30 - selesai;Malam keakraban", header="Tanggal;Waktu;Materi")
    assert refused(content) == [(2, "bad_range")]


def test_fifty_thousand_rows_are_refused_for_their_rows() -> None:
    # How fast: python -m bench.agenda_files ("50k-rows.csv").
    content = fifty_thousand_rows()
    assert len(content) < MAX_FILE_BYTES  # refused for its rows, not its size
    assert refused(content) == [(0, "too_many_rows")]


def test_a_long_xlsx_is_refused_for_its_rows() -> None:
    # How fast: python -m bench.agenda_files ("5k-rows.xlsx").
    assert refused(five_thousand_rows_xlsx(), "a.xlsx") == [(0, "too_many_rows")]
    exactly = table(
        *[f"13/11/2024;{8 + i % 10:02d}.00;{9 + i % 10:02d}.00;S{i}" for i in range(MAX_ROWS)]
    )
    assert len(read_agenda("a.csv", exactly)) == MAX_ROWS


# --- importing into an event ---------------------------------------------------------


@pytest.fixture
async def event(sessions: SessionMaker) -> Event:
    async with sessions.begin() as session:
        event = await create_event(
            session,
            code="SMD2024",
            name="Bimtek SPP-TIK Samarinda",
            organizer="Dinas Perpustakaan",
            timezone="Asia/Makassar",
            starts_on=date(2024, 11, 13),
            ends_on=date(2024, 11, 16),
        )
        await set_classes(session, event, ["A", "B"])
        return event


async def load(
    sessions: SessionMaker, event: Event, content: bytes, name: str = "a.csv"
) -> ImportReport:
    async with sessions.begin() as session:
        return await import_agenda(session, event, name, content)


async def load_refused(
    sessions: SessionMaker, event: Event, content: bytes
) -> list[tuple[int, str]]:
    with pytest.raises(AgendaFileError) as caught:
        await load(sessions, event, content)
    return keys(caught.value)


async def snapshot(sessions: SessionMaker, event: Event) -> list[tuple[Any, ...]]:
    async with sessions() as session:
        return [
            (
                s.id,
                s.day,
                s.starts_at,
                s.ends_at,
                s.title,
                s.speakers,
                s.room,
                s.class_name,
                s.description,
                s.updated_at,
            )
            for s in await agenda_of(session, event.id)
        ]


async def test_import_stores_every_format_in_utc(sessions: SessionMaker, event: Event) -> None:
    report = await load(sessions, event, fixture("kutai.xlsx"), "jadwal.xlsx")
    assert len(report.added) == 7
    assert not report.changed
    assert not report.removed
    stored = await snapshot(sessions, event)
    first = stored[0]
    assert first[1:5] == (
        date(2024, 11, 13),
        datetime(2024, 11, 13, 0, 0, tzinfo=UTC),  # 08.00 WITA
        datetime(2024, 11, 13, 1, 0, tzinfo=UTC),
        "Pembukaan",
    )
    assert {s[7] for s in stored} == {None, "A", "B"}  # "Kelas A" is class A


@pytest.mark.parametrize(
    ("zone", "label", "utc"),
    [
        ("Asia/Jakarta", "WIB", datetime(2024, 11, 13, 1, 30, tzinfo=UTC)),
        ("Asia/Pontianak", "WIB", datetime(2024, 11, 13, 1, 30, tzinfo=UTC)),
        ("Asia/Makassar", "WITA", datetime(2024, 11, 13, 0, 30, tzinfo=UTC)),
        ("Asia/Jayapura", "WIT", datetime(2024, 11, 12, 23, 30, tzinfo=UTC)),
    ],
)
async def test_times_are_stored_in_utc_for_every_indonesian_zone(
    sessions: SessionMaker, zone: str, label: str, utc: datetime
) -> None:
    async with sessions.begin() as session:
        event = await create_event(
            session,
            code="Z" + label,
            name=f"Bimtek {label}",
            organizer="Dinas Perpustakaan",
            timezone=zone,
            starts_on=date(2024, 11, 13),
            ends_on=date(2024, 11, 13),
        )
    content = table(f"Rabu, 13 November 2024;08.30 {label};10.00;Sesi pagi;;;;")
    report = await load(sessions, event, content)
    (stored,) = report.added
    assert stored.starts_at == utc
    assert stored.day == date(2024, 11, 13)  # the local date, even when UTC is a day earlier
    ((_, day, starts_at, *_),) = await snapshot(sessions, event)
    assert (day, starts_at) == (date(2024, 11, 13), utc)
    assert format_time(starts_at, zone) == "08.30"
    assert zone_label(zone) == label
    assert f"08.30–10.00 {label} · Sesi pagi" in agenda_text(ID, event, report.added)


async def test_problems_against_the_event_and_its_classes(
    sessions: SessionMaker, event: Event
) -> None:
    expected = [
        (3, "title_missing"),
        (4, "end_not_after_start"),
        (5, "weekday_mismatch"),
        (6, "bad_date"),
        (7, "outside_event"),
        (8, "bad_time"),
        (9, "end_missing"),
        (10, "unknown_class"),
        (12, "overlap"),
        (13, "overlap"),
        (13, "overlap"),
        (14, "wrong_zone"),
        (15, "too_long"),
        (16, "time_missing"),
    ]
    assert await load_refused(sessions, event, fixture("bad-rows.csv")) == expected
    assert await snapshot(sessions, event) == []


async def test_problem_texts_name_rows_dates_classes_and_zones(
    sessions: SessionMaker, event: Event
) -> None:
    with pytest.raises(AgendaFileError) as caught:
        await load(sessions, event, fixture("bad-rows.csv"))
    text = problems_text(ID, caught.value.problems, limit=None)
    assert text.startswith(ID("agenda_import.problems.heading", count=14))
    assert "Baris 7: tanggal Rabu, 20 November 2024 di luar jadwal kegiatan" in text
    assert "(Rabu, 13 November 2024 sampai Sabtu, 16 November 2024)" in text
    assert "Baris 10: kelas “C” tidak ada. Kelas kegiatan ini: A, B." in text
    assert "Baris 13: waktunya bertabrakan dengan baris 11 di Ruang Mahakam." in text
    assert "Baris 13: waktunya bertabrakan dengan baris 12 di Ruang Mahakam." in text
    assert "Baris 14: tertulis WIB, padahal kegiatan ini memakai WITA." in text
    english = problems_text(EN, caught.value.problems, limit=3)
    assert english.count("\n• Row ") == 3
    assert english.endswith(EN("agenda_import.problems.more", count=11))


async def test_a_zone_in_the_time_header_is_checked_once(
    sessions: SessionMaker, event: Event
) -> None:
    rows = [f"13/11/2024;{h:02d}.00-{h:02d}.45;Sesi {h}" for h in range(8, 16)]
    wib = table(*rows, header="Tanggal;Waktu (WIB);Materi")
    assert await load_refused(sessions, event, wib) == [(1, "wrong_zone")]
    wita = table(*rows, header="Tanggal;Waktu (WITA);Materi")
    assert len((await load(sessions, event, wita)).added) == 8


async def test_overlaps_plenary_and_parallel_classes(sessions: SessionMaker, event: Event) -> None:
    ok = table(
        "13/11/2024;08.00;10.00;Pembukaan;;Ballroom;;",
        ";10.00;12.00;Praktik;;Ruang Mahakam;A;",
        ";10.00;12.00;Praktik;;Ruang Kartanegara;B;",
        ";10.00;10.30;Rehat;;;;",  # no room: nothing to clash with
        ";13.00;15.00;Diskusi kelompok;;Ballroom;A;",
        ";13.00;15.00;Diskusi kelompok;;Ballroom;B;",  # two classes may share a big room
    )
    assert len((await load(sessions, event, ok)).added) == 6
    before = await snapshot(sessions, event)
    clash = table(
        "13/11/2024;08.00;10.00;Pembukaan;;Ballroom;;",
        ";09.30;11.00;Praktik;;Ballroom;A;",  # plenary in the same room
        ";10.00;12.00;Praktik;;Ruang Kartanegara;A;",  # class A in two rooms at once
        ";13.00;14.00;Sesi;;Ruang Mahakam;B;",
        ";13.30;14.30;Sesi lain;;ruang  mahakam;kelas b;",  # same room, any spelling
    )
    assert await load_refused(sessions, event, clash) == [
        (3, "overlap"),
        (4, "class_clash"),
        (6, "overlap"),
    ]
    assert await snapshot(sessions, event) == before


async def test_a_thousand_sessions_at_the_same_hour_are_checked_at_once(
    sessions: SessionMaker, event: Event
) -> None:
    header = "Tanggal;Mulai;Selesai;Materi;Ruang"
    rooms = [f"13/11/2024;08.00;17.00;Sesi {i};Ruang {i}" for i in range(MAX_ROWS)]
    one_room = [f"13/11/2024;08.00;17.00;Sesi {i};Ballroom" for i in range(MAX_ROWS)]
    await read_file_off_loop("a.csv", template_csv())  # the reader's start is not timed here
    async with sessions() as session:
        apart = table(*rooms, header=header)
        report = await import_agenda(session, event, "a.csv", apart, apply=False)
        assert len(report.added) == MAX_ROWS
        with pytest.raises(AgendaFileError) as caught:
            await import_agenda(session, event, "a.csv", table(*one_room, header=header))
    # The first hundred clashes say it all, where there were half a million.
    assert keys(caught.value) == [(row, "overlap") for row in range(3, 3 + MAX_CLASHES)]


async def test_classes_must_be_declared(sessions: SessionMaker) -> None:
    async with sessions.begin() as session:
        event = await create_event(
            session,
            code="NOCLASS",
            name="Bimtek tanpa kelas",
            organizer="Dinas Perpustakaan",
            timezone="Asia/Jakarta",
            starts_on=date(2024, 6, 10),
            ends_on=date(2024, 6, 14),
        )
    content = table("10/06/2024;08.00;09.00;Sesi;;;A;", ";09.00;10.00;Pleno;;;Semua;")
    with pytest.raises(AgendaFileError) as caught:
        await load(sessions, event, content)
    assert keys(caught.value) == [(2, "no_classes")]
    assert "bimtek event classes NOCLASS A B" in problems_text(ID, caught.value.problems)
    async with sessions.begin() as session:
        assert await set_classes(session, event, ["Kelas A"]) == ["Kelas A"]
    report = await load(sessions, event, content)
    assert [s.class_name for s in report.added] == ["Kelas A", None]


VERSION_1 = table(
    "Rabu, 13 November 2024;08.00;09.00;Pembukaan;Kepala Dinas;Ballroom;;",
    ";09.00;11.00;Strategi Transformasi Perpustakaan;Taufik, S.Sos, M.Si;Ballroom;;",
    ";11.00;12.00;Advokasi;Rachmawati;Ballroom;;",
    "Kamis, 14 November 2024;08.00;10.00;Praktik;Putri Wardhani;Ruang Mahakam;A;",
    ";08.00;10.00;Praktik;Putri Wardhani;Ruang Kartanegara;B;",
    ";13.00;14.00;Sesi yang dibatalkan;;Ballroom;;",
)
VERSION_2 = table(
    "Rabu, 13 November 2024;08.00;09.00;Pembukaan resmi;Kepala Dinas;Ballroom;;",  # title
    ";09.00;11.00;Strategi Transformasi Perpustakaan;Taufik, S.Sos, M.Si;Ruang Mahakam;;",
    ";13.00;14.00;Advokasi;Rachmawati;Ballroom;;",  # moved: matched by its title
    "Kamis, 14 November 2024;08.00;10.00;Praktik;Putri Wardhani;Ruang Mahakam;A;",
    ";08.00;10.00;Praktik;Tim Pelatih Ahli;Ruang Kartanegara;B;Bawa laptop",
    ";15.00;16.00;Evaluasi;Panitia;Ballroom;;",
)


async def test_reimport_updates_in_place(sessions: SessionMaker, event: Event) -> None:
    first = await load(sessions, event, VERSION_1)
    ids = {(s.title, s.class_name): s.id for s in first.added}
    assert len(ids) == 6
    again = await load(sessions, event, VERSION_1)
    assert not again.has_changes
    assert again.unchanged == 6
    assert "tidak ada yang berubah" in report_text(ID, event, again)
    before = await snapshot(sessions, event)

    report = await load(sessions, event, VERSION_2)
    changed = {s.id: fields for s, fields in report.changed}
    assert changed == {
        ids["Pembukaan", None]: ["title"],
        ids["Strategi Transformasi Perpustakaan", None]: ["room"],
        ids["Advokasi", None]: ["start", "end"],
        ids["Praktik", "B"]: ["speakers", "description"],
    }
    assert [s.id for s in report.removed] == [ids["Sesi yang dibatalkan", None]]
    assert [s.title for s in report.added] == ["Evaluasi"]
    assert report.unchanged == 1
    after = {row[0]: row for row in await snapshot(sessions, event)}
    assert after[ids["Praktik", "A"]] == next(r for r in before if r[0] == ids["Praktik", "A"])
    assert after[ids["Advokasi", None]][2] == datetime(2024, 11, 13, 5, 0, tzinfo=UTC)
    assert ids["Sesi yang dibatalkan", None] not in after

    text = report_text(ID, event, report)
    assert text.splitlines()[0] == ID(
        "agenda_import.report.summary",
        event=event.name,
        added=1,
        changed=4,
        removed=1,
        unchanged=1,
        count=6,
    )
    assert "Rabu, 13 November 2024 · 13.00–14.00 WITA · Advokasi" in text
    assert "(berubah: jam mulai, jam selesai)" in text
    assert "Kamis, 14 November 2024 · 13.00–14.00 WITA · Sesi yang dibatalkan" in text
    english = report_text(EN, event, report)
    assert "(changed: speakers, description)" in english
    assert "Removed:" in english
    assert not (await load(sessions, event, VERSION_2)).has_changes


def described(report: ImportReport) -> tuple[Any, ...]:
    return (
        sorted((s.title, s.class_name, s.starts_at, s.room) for s in report.added),
        sorted(
            (s.id, s.title, s.starts_at, s.ends_at, s.room, s.speakers, s.description, *f)
            for s, f in report.changed
        ),
        sorted(s.id or 0 for s in report.removed),
        report.unchanged,
    )


async def test_without_apply_the_same_report_and_nothing_written(
    sessions: SessionMaker, event: Event
) -> None:
    await load(sessions, event, VERSION_1)
    before = await snapshot(sessions, event)
    async with sessions.begin() as session:  # committed: anything changed would be stored
        dry = await import_agenda(session, event, "a.csv", VERSION_2, apply=False)
    assert await snapshot(sessions, event) == before
    applied = await load(sessions, event, VERSION_2)
    assert dry.has_changes
    assert described(dry) == described(applied)
    assert report_text(ID, event, dry) == report_text(ID, event, applied)


async def test_moving_a_session_to_another_day_keeps_it(
    sessions: SessionMaker, event: Event
) -> None:
    await load(
        sessions, event, table("13/11/2024;08.00;09.00;Unik;;;;", "14/11/2024;08.00;09.00;X;;;;")
    )
    (unique_id, _) = [row[0] for row in await snapshot(sessions, event)]
    report = await load(
        sessions, event, table("15/11/2024;10.00;11.00;Unik;;;;", "14/11/2024;08.00;09.00;X;;;;")
    )
    ((moved, fields),) = report.changed
    assert moved.id == unique_id
    assert fields == ["date", "start", "end"]


async def test_sessions_that_swap_slots_keep_their_own_ids(
    sessions: SessionMaker, event: Event
) -> None:
    await load(
        sessions,
        event,
        table("13/11/2024;09.45;12.00;Strategi;Taufik;;;", ";13.00;15.00;Advokasi;Rachmawati;;;"),
    )
    ids = {row[4]: row[0] for row in await snapshot(sessions, event)}
    report = await load(
        sessions,
        event,
        table("13/11/2024;09.45;12.00;Advokasi;Rachmawati;;;", ";13.00;15.00;Strategi;Taufik;;;"),
    )
    changed = {s.id: (s.title, fields) for s, fields in report.changed}
    assert changed == {
        ids["Strategi"]: ("Strategi", ["start", "end"]),
        ids["Advokasi"]: ("Advokasi", ["start", "end"]),
    }


async def test_a_refused_file_leaves_the_agenda_untouched(
    sessions: SessionMaker, event: Event
) -> None:
    await load(sessions, event, VERSION_1)
    before = await snapshot(sessions, event)
    huge = table(
        "13/11/2024;08.00;09.00;Sesi;;;;", *[f";08.00;09.00;S{i};;;;" for i in range(50_000)]
    )
    cases = [
        huge,
        b"\x89PNG\r\n\x1a\n" + bytes(100),
        VERSION_2 + b"\n;16.00;15.00;Terbalik;;;;",  # good changes plus one bad row
        VERSION_2.replace(b"Ballroom;;\n", b"Ballroom;Z;\n", 1),
    ]
    for content in cases:
        with pytest.raises(AgendaFileError):
            await load(sessions, event, content)
        assert await snapshot(sessions, event) == before


async def test_class_names_are_checked_and_kept_while_in_use(
    sessions: SessionMaker, event: Event
) -> None:
    await load(sessions, event, VERSION_1)
    with pytest.raises(ClassNamesError) as caught:
        async with sessions.begin() as session:
            await set_classes(session, event, ["A", "C", "c", "semua", "x" * 41, "A|B"])
    assert keys(caught.value) == [
        (0, "classes.duplicate"),
        (0, "classes.plenary_word"),
        (0, "classes.too_long"),
        (0, "classes.bad_chars"),
        (0, "classes.in_use"),
    ]
    text = problems_text(EN, caught.value.problems, heading="agenda_import.classes.heading")
    assert "class B still has sessions in the agenda (1)" in text
    async with sessions.begin() as session:  # a new spelling renames, sessions follow
        assert await set_classes(session, event, ["Kelas A", "b", "C"]) == ["Kelas A", "b", "C"]
    async with sessions() as session:
        assert await class_names(session, event.id) == ["C", "Kelas A", "b"]
        assert {s.class_name for s in await agenda_of(session, event.id)} == {None, "Kelas A", "b"}
    assert not (await load(sessions, event, VERSION_1)).has_changes


async def test_agenda_text_shows_days_in_the_events_zone(
    sessions: SessionMaker, event: Event
) -> None:
    await load(sessions, event, VERSION_1)
    async with sessions() as session:
        agenda = await agenda_of(session, event.id)
    text = agenda_text(EN, event, agenda)
    assert "Wednesday, 13 November 2024\n  08.00–09.00 WITA · Opening" not in text
    assert "Wednesday, 13 November 2024\n  08.00–09.00 WITA · Pembukaan · Kepala Dinas" in text
    assert "Class A · Ruang Mahakam" in text
    assert agenda_text(ID, event, []) == ID("agenda_import.show.empty", event=event.name)


async def test_the_demo_agenda(sessions: SessionMaker, demo_event: Event) -> None:
    async with sessions() as session:
        agenda = await agenda_of(session, demo_event.id)
        assert await class_names(session, demo_event.id) == ["A", "B"]
    assert 25 <= len(agenda) <= 40
    assert {s.day for s in agenda} == {date(2024, 11, 13) + timedelta(days=i) for i in range(4)}
    titles = " ".join(s.title for s in agenda)
    for topic in ("Strategi Transformasi Perpustakaan", "Advokasi untuk Keberlanjutan", "RTL"):
        assert topic in titles
    assert {s.class_name for s in agenda} == {None, "A", "B"}
    closing = [s for s in agenda if s.day == date(2024, 11, 16)]
    assert any("Evaluasi" in s.title for s in closing)
    assert any("Penutupan" in s.title for s in closing)
    before = await snapshot(sessions, demo_event)
    async with sessions.begin() as session:
        again = await ensure_demo_event(session)
    assert again.id == demo_event.id
    assert again.code == DEMO_CODE
    assert await snapshot(sessions, demo_event) == before


# --- any text in any cell --------------------------------------------------------------

CELL = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["13/11/2024", "Rabu, 13 November 2024", "08.30", "10.00", "08.30–10.00"]),
    st.sampled_from(["", "-", "A", "Kelas B", "semua", "WIB", "24.00", "31/02/2024", "s.d."]),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    header=st.lists(
        st.sampled_from([*HEADER.split(";"), "Waktu", "No", "Foo"]), min_size=1, max_size=9
    ),
    rows=st.lists(st.lists(CELL, max_size=9), max_size=6),
    delimiter=st.sampled_from([";", ","]),
)
@example(header=HEADER.split(";"), rows=[["13/11/2024", "08.30", "10.00", "\x00"]], delimiter=";")
@example(header=["Tanggal", "Waktu", "Materi"], rows=[["13/11/2024", "9-8", "x"]], delimiter=";")
async def test_any_cells_import_cleanly_or_give_problems_and_change_nothing(
    sessions: SessionMaker, event: Event, header: list[str], rows: list[list[str]], delimiter: str
) -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    content = out.getvalue().encode()
    before = await snapshot(sessions, event)
    try:
        report = await load(sessions, event, content)
    except AgendaFileError as exc:
        assert exc.problems
        assert await snapshot(sessions, event) == before
        for locale in LOCALES:
            assert problems_text(Translator(locale), exc.problems, limit=None)
        return
    assert report.added or report.changed or report.unchanged
    for locale in LOCALES:
        assert report_text(Translator(locale), event, report)
    assert not (await load(sessions, event, content)).has_changes  # the same file again


DATE_STYLES = [
    lambda d: d.strftime("%d/%m/%Y"),
    lambda d: d.strftime("%d-%m-%Y"),
    lambda d: d.isoformat(),
    lambda d: format_date(d, "id"),
    lambda d: format_date(d, "en"),
    lambda d: format_date(d, "id").split(", ")[1],
    lambda d: d.strftime("%d %b %Y"),
]
TIME_STYLES = [
    lambda t: t.strftime("%H.%M"),
    lambda t: t.strftime("%H:%M"),
    lambda t: f"{t.hour}.{t.minute:02d}",
    lambda t: t.strftime("%H.%M WITA"),
]
TITLE = st.text(alphabet="abcdefghij KLMNOPé-:,()0123", min_size=1, max_size=30).filter(
    lambda text: any(ch.isalpha() for ch in text)
)


@st.composite
def good_agenda(draw: st.DrawFn) -> list[tuple[date, time, time, str, str | None]]:
    """Sessions one after another (so none clash), each with its own date written."""
    sessions = []
    day, minute = date(2024, 11, 13), 7 * 60
    for _ in range(draw(st.integers(1, 12))):
        if minute > 18 * 60 or draw(st.integers(0, 3)) == 0:
            day, minute = day + timedelta(days=1), 7 * 60
            if day > date(2024, 11, 16):
                break
        minute += draw(st.integers(0, 30))
        length = draw(st.integers(5, 150))
        start, end = time(*divmod(minute, 60)), time(*divmod(minute + length, 60))
        title = draw(TITLE)
        sessions.append((day, start, end, title, draw(st.sampled_from([None, "A", "B"]))))
        minute += length
    return sessions


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(agenda=good_agenda(), data=st.data())
async def test_any_good_agenda_in_any_spelling_imports_exactly_and_order_does_not_matter(
    sessions: SessionMaker,
    event: Event,
    agenda: list[tuple[date, time, time, str, str | None]],
    data: st.DataObject,
) -> None:
    delimiter = data.draw(st.sampled_from([";", ",", "\t"]))
    rows = [
        [
            data.draw(st.sampled_from(DATE_STYLES))(day),
            data.draw(st.sampled_from(TIME_STYLES))(start),
            data.draw(st.sampled_from(TIME_STYLES))(end),
            title,
            data.draw(st.sampled_from(["Ruang Mahakam", "Ballroom"])),
            data.draw(st.sampled_from(["", "-", "semua"])) if name is None else f"Kelas {name}",
        ]
        for day, start, end, title, name in agenda
    ]

    def encoded(order: list[list[str]]) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=delimiter)
        writer.writerow(["Tanggal", "Mulai", "Selesai", "Materi", "Ruang", "Kelas"])
        writer.writerows(order)
        return out.getvalue().encode()

    await load(sessions, event, encoded(rows))
    zone = ZoneInfo(event.timezone)
    expected = sorted(
        (
            datetime.combine(day, start, zone).astimezone(UTC),
            datetime.combine(day, end, zone).astimezone(UTC),
            " ".join(title.split()),
            name,
        )
        for day, start, end, title, name in agenda
    )
    stored = await snapshot(sessions, event)
    assert sorted((row[2], row[3], row[4], row[7]) for row in stored) == expected
    shuffled = data.draw(st.permutations(rows))
    assert not (await load(sessions, event, encoded(shuffled))).has_changes
    assert await snapshot(sessions, event) == stored


def test_every_problem_key_is_in_the_catalogs() -> None:
    root = Path(__file__).parents[1]
    sources = [
        *(root / "models" / "agenda_import").glob("*.py"),
        root / "handlers" / "agenda_texts.py",
        root / "bot" / "cli.py",
    ]
    source = "\n".join(path.read_text() for path in sources)
    used = set(re.findall(r'"(agenda_import\.[a-z_.]+)"', source))
    used |= {f"agenda_import.{key}" for key in FILE_PROBLEMS}
    assert {"agenda_import.too_big", "agenda_import.cli.no_answer"} <= used
    for locale in LOCALES:
        assert used <= set(catalog(locale)), used - set(catalog(locale))
    text = problems_text(ID, [Problem(0, "agenda_import.too_big", {"max_mb": 2})])
    assert "2 MB" in text
    assert "Baris" not in text
    assert format_date(date(2024, 11, 13), "id") == "Rabu, 13 November 2024"


# --- the command line ------------------------------------------------------------------


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'admin.sqlite3'}")
    return CliRunner()


def test_cli_template_import_show_and_classes(runner: CliRunner, tmp_path: Path) -> None:
    for name in ("agenda.xlsx", "agenda.csv"):
        made = runner.invoke(app, ["agenda", "template", str(tmp_path / name)])
        assert made.exit_code == 0, made.output
    assert (tmp_path / "agenda.csv").read_bytes() == template_csv()
    assert (tmp_path / "agenda.xlsx").read_bytes()[:2] == b"PK"

    created = runner.invoke(
        app,
        [
            "event", "create", "--code", "SMD24", "--name", "Bimtek Samarinda",
            "--organizer", "Dinas Perpustakaan Kota Samarinda",
            "--timezone", "Asia/Makassar", "--starts", "2024-11-13", "--ends", "2024-11-16",
            "--classes", "A,B",
        ],
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    assert runner.invoke(app, ["event", "classes", "SMD24"]).output == "SMD24 classes: A, B\n"

    first = runner.invoke(app, ["agenda", "import", "SMD24", str(tmp_path / "agenda.xlsx")])
    assert first.exit_code == 0, first.output
    assert "4 baru" in first.output
    again = runner.invoke(
        app, ["agenda", "import", "smd24", str(tmp_path / "agenda.csv"), "--lang", "en"]
    )
    assert again.exit_code == 0
    assert "nothing changed" in again.output

    shown = runner.invoke(app, ["agenda", "show", "SMD24"])
    assert shown.exit_code == 0
    assert "Rabu, 13 November 2024\n  07.30–08.30 WITA · Registrasi peserta" in shown.output
    assert "Kelas A · Ruang Mahakam" in shown.output

    dropped = runner.invoke(app, ["event", "classes", "SMD24", "A"])
    assert dropped.exit_code == 2
    assert "class B still has sessions in the agenda (1)" in dropped.output


def test_cli_import_prints_every_problem_and_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(app, ["demo"])
    before = runner.invoke(app, ["agenda", "show", DEMO_CODE]).output
    bad = tmp_path / "jadwal.csv"
    bad.write_bytes(fixture("bad-rows.csv"))
    result = runner.invoke(app, ["agenda", "import", DEMO_CODE, str(bad)])
    assert result.exit_code == 2
    assert "Agenda belum disimpan" in result.output
    for row in (3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16):
        assert f"Baris {row}:" in result.output
    english = runner.invoke(app, ["agenda", "import", DEMO_CODE, str(bad), "--lang", "en"])
    assert "Row 16: the time is empty" in english.output
    assert runner.invoke(app, ["agenda", "show", DEMO_CODE]).output == before
    assert "32 sesi" in before
    assert "Strategi Transformasi Perpustakaan" in before

    png = tmp_path / "foto.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    refused = runner.invoke(app, ["agenda", "import", DEMO_CODE, str(png), "--lang", "en"])
    assert refused.exit_code == 2
    assert "“foto.png” is not a spreadsheet" in refused.output
    missing = runner.invoke(app, ["agenda", "import", "NOPE", str(bad)])
    assert missing.exit_code == 2
    assert "no event with code NOPE" in missing.output
    wrong_lang = runner.invoke(app, ["agenda", "show", DEMO_CODE, "--lang", "fr"])
    assert wrong_lang.exit_code == 2


def test_cli_event_create_refuses_bad_class_names(runner: CliRunner) -> None:
    result = runner.invoke(
        app,
        [
            "event", "create", "--code", "JBI24", "--name", "Bimtek Jambi",
            "--organizer", "Dinas Perpustakaan Provinsi Jambi",
            "--timezone", "Asia/Jakarta", "--starts", "2024-06-10", "--ends", "2024-06-14",
            "--classes", "A,a",
        ],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "class “a” is given twice" in result.output
    assert "JBI24" not in runner.invoke(app, ["event", "list"]).output


async def test_two_imports_at_once_do_not_double_the_agenda(
    sessions: SessionMaker, event: Event
) -> None:
    async with sessions.begin() as first:
        assert len((await import_agenda(first, event, "a.csv", VERSION_1)).added) == 6
        # A second organiser's file arrives before the first import is committed.
        second = asyncio.create_task(load(sessions, event, VERSION_1))
        await asyncio.sleep(0.3)
        assert not second.done(), "the second import must wait for the first"
    assert not (await second).has_changes  # it saw the first one's sessions
    assert len(await snapshot(sessions, event)) == 6


async def test_bad_rows_of_a_workbook_are_named_by_excel_row(
    sessions: SessionMaker, event: Event
) -> None:
    content = workbook(
        [
            ["JADWAL BIMTEK SPP-TIK SAMARINDA"],
            [],
            ["No", "Tanggal", "Waktu", "Materi", "Narasumber", "Ruang", "Kelas"],
            [1, datetime(2024, 11, 13), "08.00-09.00", "Pembukaan", "", "Ballroom", ""],
            [2, None, "09.00-08.00", "Mundur", "", "Ballroom", ""],
            [3, None, "10.00-11.00", "", "", "Ballroom", ""],
            [4, datetime(2024, 12, 1), "08.00-09.00", "Di luar tanggal", "", "Ballroom", ""],
            [5, datetime(2024, 11, 14), "08.00-09.00", "Kelas Z", "", "Ruang 1", "Z"],
        ]
    )
    with pytest.raises(AgendaFileError) as caught:
        await load(sessions, event, content, name="jadwal.xlsx")
    assert [row for row, _ in keys(caught.value)] == [5, 6, 7, 8]
    text = problems_text(ID, caught.value.problems, limit=None)
    for row in (5, 6, 7, 8):
        assert f"{row}" in text
    assert await snapshot(sessions, event) == []
