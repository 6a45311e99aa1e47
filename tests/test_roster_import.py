"""The roster from an organiser's file: CSV in any usual encoding and separator, or XLSX;
headers in Indonesian or English; numbers made E.164; every bad row named with its line
in the organiser's language, and nothing stored; hostile files refused quickly; an
import again replaces the roster and keeps the people who registered linked."""

import asyncio
import csv
import io
import time
from collections.abc import Sequence

import openpyxl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect as sa_inspect
from sqlmodel import col, select

from bot.db import SessionMaker
from handlers.i18n import LOCALES, Translator, catalog
from handlers.roster_texts import report_text, roster_problems_text
from models import Enrollment, Event, Person, RosterEntry
from models.agenda import class_names
from models.people import PROFILE_FIELDS
from models.roster.apply import RosterReport, import_roster
from models.roster.columns import (
    MAX_CELLS,
    MAX_ROWS,
    RosterFileError,
    library_type_of,
    template_csv,
    template_xlsx,
)
from models.roster.reader import ROSTER_READER, read_roster_off_loop
from models.roster.sheet import read_roster
from models.spreadsheet.kind import FILE_PROBLEMS
from models.spreadsheet.limits import MAX_FILE_BYTES
from models.spreadsheet.problems import Problem
from tests.factories import enrol, make_event, person_id_of
from tests.hostile_files import HOSTILE, one_wide_row, rewritten
from tests.test_agenda_import import workbook

ID, EN = Translator("id"), Translator("en")
HEADER = "No;Nama;No. HP/WhatsApp;Nama Perpustakaan;Jenis Perpustakaan;Kabupaten/Kota;Kelas"
# Invented people and numbers.
ROWS = [
    "1;Siti Rahmawati;0812-3456-7890;Perpustakaan Desa Sukamaju;Perpustakaan desa;"
    "Kutai Kartanegara;A",
    "2;Budi Santoso, S.Pd;+62 813 1111 2222;TBM Pelangi;TBM;Samarinda;Kelas B",
    "3;Dewi Lestari;6285200001111;SDN 1 Contoh;Sekolah;Kutai Kartanegara;",
]  # fmt: skip


def table(*rows: str, header: str = HEADER) -> bytes:
    return "\n".join([header, *rows]).encode()


def keys(found: Sequence[Problem]) -> list[tuple[int, str]]:
    return [(p.row, p.key.split(".", 1)[1]) for p in found]


def problems(error: RosterFileError) -> list[tuple[int, str]]:
    return keys(error.problems)


def refused(content: bytes, name: str = "peserta.csv") -> list[tuple[int, str]]:
    """The problems of a file that cannot be a roster: of the whole file, or of its rows
    (which an import adds to those the event finds)."""
    try:
        sheet = read_roster(name, content)
    except RosterFileError as exc:
        return problems(exc)
    assert sheet.problems, "read without a problem"
    return keys(sheet.problems)


async def load(
    sessions: SessionMaker, event: Event, content: bytes, name: str = "peserta.csv"
) -> RosterReport:
    async with sessions.begin() as session:
        return await import_roster(session, event, read_roster(name, content))


Stored = list[tuple[str, str, str | None, str | None, str | None, str | None, int | None]]


async def stored(sessions: SessionMaker, event: Event) -> Stored:
    async with sessions() as session:
        found = await session.execute(
            select(RosterEntry)
            .where(col(RosterEntry.event_id) == event.id)
            .order_by(col(RosterEntry.line))
        )
        return [
            (
                e.full_name,
                e.phone_e164,
                e.library_name,
                e.library_type,
                e.regency,
                e.class_name,
                e.person_id,
            )
            for e in found.scalars()
        ]


# --- reading ----------------------------------------------------------------------------


def test_columns_are_the_table_columns() -> None:
    columns = sa_inspect(RosterEntry).columns
    person = sa_inspect(Person).columns
    for field in ("full_name", "phone_e164", "library_name", "library_type", "regency"):
        assert field in PROFILE_FIELDS
        assert getattr(columns[field].type, "length") == getattr(person[field].type, "length")  # noqa: B009
    assert getattr(columns["class_name"].type, "length") == 40  # noqa: B009


def test_a_semicolon_csv_with_indonesian_headers_and_numbers_written_every_way() -> None:
    sheet = read_roster("peserta.csv", table(*ROWS))
    assert not sheet.problems
    assert [(r.row, r.full_name, r.phone_e164) for r in sheet.rows] == [
        (2, "Siti Rahmawati", "+6281234567890"),
        (3, "Budi Santoso, S.Pd", "+6281311112222"),
        (4, "Dewi Lestari", "+6285200001111"),
    ]
    assert [r.library_type for r in sheet.rows] == ["desa", "tbm", "sekolah"]
    assert [r.class_name for r in sheet.rows] == ["A", "Kelas B", None]
    assert sheet.rows[2].library_name == "SDN 1 Contoh"
    assert sheet.ignored == ()


def test_an_xlsx_in_english_with_a_title_row_numbers_as_excel_keeps_them_and_extra_columns() -> (
    None
):
    content = workbook(
        [
            ["Participants, Bimtek Samarinda 2024"],
            [],
            ["No", "Full name", "Phone number", "Library", "Library type", "Regency/City", "Email"],
            [1, "Agnes Siahaan", 81234567891, "Perpus Contoh", "village", "Samarinda", "a@x"],
            [2, "Rudi Hartono", 6281234567892.0, None, None, None, None],
        ]
    )  # fmt: skip
    sheet = read_roster("participants.xlsx", content)
    assert not sheet.problems
    assert sheet.header_row == 3
    assert [(r.row, r.phone_e164, r.library_type) for r in sheet.rows] == [
        (4, "+6281234567891", "desa"),
        (5, "+6281234567892", None),
    ]
    assert (sheet.rows[1].library_name, sheet.rows[1].regency) == (None, None)
    assert sheet.ignored == ("Email",)


@pytest.mark.parametrize(
    ("encoding", "separator"),
    [("utf-8-sig", ","), ("cp1252", ";"), ("utf-16", "\t"), ("utf-8", ",")],
)
def test_csv_in_any_usual_encoding_and_separator(encoding: str, separator: str) -> None:
    lines = [
        ["Nama", "WhatsApp", "Nama Perpustakaan/TBM", "Kab/Kota"],
        ["Agnès Siahaan", "0812 3456 7890", "TBM Mañana", "Bontang"],
    ]
    out = io.StringIO()
    csv.writer(out, delimiter=separator).writerows(lines)
    sheet = read_roster("peserta.csv", out.getvalue().encode(encoding))
    assert [(r.full_name, r.phone_e164, r.library_name, r.regency) for r in sheet.rows] == [
        ("Agnès Siahaan", "+6281234567890", "TBM Mañana", "Bontang")
    ]


def test_the_template_is_refused_until_its_numbers_are_written() -> None:
    for name, content in (("t.csv", template_csv()), ("t.xlsx", template_xlsx())):
        assert refused(content, name) == [(2, "phone"), (3, "phone")]
    sheet = openpyxl.load_workbook(io.BytesIO(template_xlsx())).worksheets[0]
    assert [c.value for c in sheet[1]] == HEADER.split(";")
    assert sheet["C2"].number_format == "@"  # 0812... keeps its 0 in Excel
    filled = template_csv().decode().replace("0812-xxxx-xxxx", "0812 3456 7890")
    filled = filled.replace("0813-xxxx-xxxx", "0813 1111 2222")
    assert len(read_roster("t.csv", filled.encode()).rows) == 2


@pytest.mark.parametrize(
    ("written", "kind"),
    [
        ("Perpustakaan Desa", "desa"), ("perpusdes", "desa"), ("Kelurahan", "kelurahan"),
        ("Taman Bacaan Masyarakat", "tbm"), ("TBM", "tbm"), ("Perpustakaan Sekolah", "sekolah"),
        ("madrasah", "sekolah"), ("Umum", "umum"), ("Lain-lain", "lainnya"),
        ("Perpustakaan Khusus", "lainnya"), ("community reading park", "tbm"),
        ("Perpustakaan", None), ("Desa Sukamaju", None), ("Museum", None),
    ],
)  # fmt: skip
def test_kinds_of_library_as_files_write_them(written: str, kind: str | None) -> None:
    assert library_type_of(written) == kind


def test_every_kind_of_bad_row_is_named_with_its_line() -> None:
    content = table(
        ";;0812 0000 1001;;;;",  # 2: no name
        "2;Ani 3;0812 0000 1002;;;;",  # 3: a digit in a name
        "3;Z;0812 0000 1003;;;;",  # 4: one letter
        f"4;{'Sri ' * 30};0812 0000 1004;;;;",  # 5: 120 characters
        "5;Tanpa Nomor;;;;;",  # 6: no number
        "6;Nomor Salah;12345;;;;",  # 7: not a number
        "7;Nomor Kantor;0541 123456;;;;",  # 8: a landline
        "8;Nomor Kembar;0812-0000-1001;;;;",  # 9: row 2's number
        "9;Jenis Aneh;0812 0000 1009;;Museum;;",  # 10: no such kind of library
        f"10;Perpus Panjang;0812 0000 1010;{'Perpustakaan ' * 10};;;",  # 11: 130 characters
        "11;Kabupaten Aneh;0812 0000 1011;;;🙂🙂;",  # 12: emoji only
        f"12;Kelas Panjang;0812 0000 1012;;;;{'K' * 41}",  # 13: a class name too long
        "13;Baik Sekali;0812 0000 1013;;;;",  # 14: good
    )
    assert refused(content) == [
        (2, "name_missing"),
        (3, "name_chars"),
        (4, "name_short"),
        (5, "name_long"),
        (6, "phone_missing"),
        (7, "phone"),
        (8, "phone_landline"),
        (9, "duplicate_phone"),
        (10, "unknown_library_type"),
        (11, "text_long"),
        (12, "text_chars"),
        (13, "text_long"),
    ]


def test_the_problems_read_in_the_organisers_language() -> None:
    content = table("1;Nomor Kembar;0812 0000 1001;;;;", "2;Lagi Lagi;0812-0000-1001;;;;")
    found = read_roster("p.csv", content).problems
    indonesian = roster_problems_text(ID, found, limit=None)
    english = roster_problems_text(EN, found, limit=None)
    assert "Baris 3: nomor +6281200001001 sudah ada di baris 2" in indonesian
    assert "Row 3: the number +6281200001001 is on row 2 already" in english
    assert "Daftar peserta tidak disimpan" in indonesian


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", [(0, "empty")]),
        (b"Nama;No. HP\n;;\n", [(0, "no_rows")]),
        (b"tidak ada tabel di sini\nhanya teks", [(0, "no_header")]),
        (b"Nama;Kabupaten\nSiti;Samarinda\n", [(1, "missing_phone_column")]),
        (b"No. HP;Kelas\n0812 3456 7890;A\n", [(1, "missing_name_column")]),
        (
            b"Nama;No. HP;WhatsApp\nSiti;0812 3456 7890;0812 3456 7890\n",
            [(1, "duplicate_column")],
        ),
        (b"\xd0\xcf\x11\xe0" + b"\x00" * 100, [(0, "save_as")]),
        (b"%PDF-1.4 nothing here", [(0, "not_spreadsheet")]),
        (b"PK\x03\x04 cut short", [(0, "unreadable")]),
        ("Nama;No. HP\nСтратегия;0812 3456 7890\n".encode("cp1251"), [(0, "unknown_encoding")]),
        (b"Nama;No. HP\n" + b"x" * MAX_FILE_BYTES, [(0, "too_big")]),
    ],
)
def test_files_that_are_not_rosters(content: bytes, expected: list[tuple[int, str]]) -> None:
    assert refused(content) == expected


def test_every_file_problem_has_roster_words_in_every_language() -> None:
    for locale in LOCALES:
        words = catalog(locale)
        for key in FILE_PROBLEMS:
            assert f"roster_import.{key}" in words, (locale, key)
            if key != "another_kind":  # the one that points to the agenda's import
                assert "agenda" not in words[f"roster_import.{key}"].lower(), (locale, key)


def test_an_agenda_sent_as_a_roster_is_sent_where_it_belongs() -> None:
    agenda = b"Tanggal;Mulai;Selesai;Materi;Narasumber;Ruang\n14/11/2024;08.00;09.00;Sesi;;Aula\n"
    assert refused(agenda, "jadwal.csv") == [(0, "another_kind")]


# --- hostile files ------------------------------------------------------------------------


def zip_bomb() -> bytes:
    """A sheet padded with 15 MB of spaces that zip packs into a few kilobytes."""
    return rewritten(
        template_xlsx(),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace("<sheetData>", f"<sheetData><!--{' ' * 15_000_000}-->", 1),
    )


def deeply_nested() -> bytes:
    """A roster whose second person's name is text nested 100,000 elements deep."""
    depth = 100_000
    nested = "<r>" * depth + "<t>Budi Santoso</t>" + "</r>" * depth
    row = (
        f'<row r="3"><c r="A3" t="inlineStr"><is>{nested}</is></c>'
        '<c r="B3" t="inlineStr"><is><t>0813 1111 2222</t></is></c></row>'
    )
    return rewritten(
        workbook([["Nama", "No. HP"], ["Siti Rahayu", "0812 3456 7890"]]),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace("</sheetData>", row + "</sheetData>", 1),
    )


def many_rows() -> bytes:
    return table(*[f"{i};Peserta;0812 {i:08d};;;;" for i in range(MAX_ROWS + 5)])


HOSTILE_ROSTERS = {
    **{name: (make, expected) for name, (make, expected) in HOSTILE.items()},
    "bomb.xlsx": (zip_bomb, "unpacks_too_big"),
    "rows.csv": (many_rows, "too_many_rows"),
}


@pytest.mark.parametrize("name", HOSTILE_ROSTERS)
def test_hostile_files_are_refused_by_a_budget_with_the_right_problem(name: str) -> None:
    """Refused by the budget made for it, before the file is read whole: how fast that is
    is measured by `python -m bench.agenda_files` (the same reader), not timed here."""
    make, expected = HOSTILE_ROSTERS[name]
    content = make()
    assert len(content) <= MAX_FILE_BYTES
    assert refused(content, name) == [(0, expected)]


async def test_a_file_no_budget_catches_is_stopped_by_the_readers_time_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert len((await read_roster_off_loop("peserta.csv", table(*ROWS))).rows) == 3
    monkeypatch.setattr(ROSTER_READER, "time_limit", 0.5)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    content = one_wide_row()
    ticker = asyncio.create_task(tick())
    started = time.perf_counter()
    with pytest.raises(RosterFileError) as caught:
        await read_roster_off_loop(f"lebar-{time.monotonic_ns()}.xlsx", content)
    elapsed = time.perf_counter() - started
    ticker.cancel()
    assert problems(caught.value) == [(0, "too_slow")]
    assert elapsed < 10, "stopped by the limit, not read to the end"
    assert ticks >= 10  # the loop went on meanwhile
    assert "terlalu lama" in roster_problems_text(ID, caught.value.problems, limit=None)
    # The same reader takes the next file.
    good = await read_roster_off_loop("lagi.csv", table(*ROWS))
    assert len(good.rows) == 3


def test_text_nested_deep_in_a_cell_is_no_name_and_costs_nothing() -> None:
    content = deeply_nested()
    sheet = read_roster("nested.xlsx", content)
    assert [r.full_name for r in sheet.rows] == ["Siti Rahayu"]
    assert [(p.row, p.key) for p in sheet.problems] == [(3, "roster_import.name_missing")]


def test_cells_budget_is_room_for_a_full_roster() -> None:
    assert MAX_CELLS >= MAX_ROWS * 10


# --- importing --------------------------------------------------------------------------


@pytest.fixture
async def event(sessions: SessionMaker) -> Event:
    return await make_event(sessions, "SMD24")


async def test_a_roster_for_an_event_without_classes_declares_them(
    sessions: SessionMaker, event: Event
) -> None:
    report = await load(sessions, event, table(*ROWS))
    assert (report.count, report.added, report.removed, report.registered) == (3, 3, 0, 0)
    assert report.new_classes == ["A", "Kelas B"]
    assert dict(report.classes) == {"A": 1, "Kelas B": 1, None: 1}
    assert await stored(sessions, event) == [
        ("Siti Rahmawati", "+6281234567890", "Perpustakaan Desa Sukamaju", "desa",
         "Kutai Kartanegara", "A", None),
        ("Budi Santoso, S.Pd", "+6281311112222", "TBM Pelangi", "tbm", "Samarinda",
         "Kelas B", None),
        ("Dewi Lestari", "+6285200001111", "SDN 1 Contoh", "sekolah", "Kutai Kartanegara",
         None, None),
    ]  # fmt: skip
    async with sessions() as session:
        assert await class_names(session, event.id) == ["A", "Kelas B"]


async def test_an_event_with_classes_takes_them_in_any_spelling_and_refuses_others(
    sessions: SessionMaker,
) -> None:
    event = await make_event(sessions, "BPN24", classes=("A", "B"))
    await load(sessions, event, table(*ROWS))
    assert [row[5] for row in await stored(sessions, event)] == ["A", "B", None]
    bad = table(*ROWS, "4;Rina Wati;0812 0000 4444;;;;C", "5;Joko;0812 0000 5555;;;;semua")
    with pytest.raises(RosterFileError) as caught:
        await load(sessions, event, bad)
    assert problems(caught.value) == [(5, "unknown_class"), (6, "unknown_class")]
    assert "Kelas acara ini: A, B" in roster_problems_text(ID, caught.value.problems, limit=None)


async def test_a_class_name_no_event_could_have_is_named_on_its_row(
    sessions: SessionMaker, event: Event
) -> None:
    with pytest.raises(RosterFileError) as caught:
        await load(sessions, event, table(*ROWS, "4;Joko Susilo;0812 0000 5555;;;;semua"))
    assert problems(caught.value) == [(5, "classes.plenary_word")]
    assert await stored(sessions, event) == []
    async with sessions() as session:
        assert await class_names(session, event.id) == []


async def test_a_bad_file_changes_nothing_of_the_roster_before(
    sessions: SessionMaker, event: Event
) -> None:
    await load(sessions, event, table(*ROWS))
    before = await stored(sessions, event)
    with pytest.raises(RosterFileError):
        await load(sessions, event, table(ROWS[0], "2;Orang Baru;0812 9999 8888;;;;", "3;X;1;;;;"))
    assert await stored(sessions, event) == before


async def test_an_import_again_replaces_the_roster_and_keeps_registered_people_linked(
    sessions: SessionMaker, event: Event
) -> None:
    # A participant registered with Siti's number (+6281234567890) before any roster.
    user_key = await enrol(sessions, event)
    person = await person_id_of(sessions, user_key)
    first = await load(sessions, event, table(*ROWS))
    assert (first.registered, first.moved) == (1, 1)  # into class A
    assert [row[6] for row in await stored(sessions, event)] == [person, None, None]
    async with sessions() as session:
        ids = {e.phone_e164: e.id for e in (await session.execute(select(RosterEntry))).scalars()}
    edited = table(
        "1;Siti Rahmawati, S.IP;0812-3456-7890;Perpustakaan Desa Sukamaju;Desa;Kutai;Kelas B",
        "2;Dewi Lestari;6285200001111;SDN 1 Contoh;Sekolah;Kutai Kartanegara;",
        "3;Rina Wati;0813 7777 6666;;;;A",
    )
    async with sessions.begin() as session:
        found = await session.get(Event, event.id)
        assert found is not None
        preview = await import_roster(session, found, read_roster("p.csv", edited), apply=False)
    assert (preview.added, preview.changed, preview.removed, preview.moved) == (1, 1, 1, 1)
    assert preview.had_roster
    assert "Budi Santoso, S.Pd" in [row[0] for row in await stored(sessions, event)]
    await load(sessions, event, edited)
    rows = await stored(sessions, event)
    assert [(r[0], r[5], r[6]) for r in rows] == [
        ("Siti Rahmawati, S.IP", "Kelas B", person),
        ("Dewi Lestari", None, None),
        ("Rina Wati", "A", None),
    ]
    async with sessions() as session:
        kept = {e.phone_e164: e.id for e in (await session.execute(select(RosterEntry))).scalars()}
        joined = (
            await session.execute(select(Enrollment).where(col(Enrollment.person_id) == person))
        ).scalar_one()
    assert kept["+6281234567890"] == ids["+6281234567890"]  # the same row, updated
    assert "+6281311112222" not in kept
    assert joined.class_name == "Kelas B"
    again = await load(sessions, event, edited)
    assert (again.added, again.changed, again.removed, again.moved) == (0, 0, 0, 0)


async def test_the_preview_says_what_the_file_holds(sessions: SessionMaker, event: Event) -> None:
    content = table(*ROWS, "4;Siti Rahmawati;0813 5555 4444;Perpus Lain;;;A")
    content = content.replace(b"Kelas\n", b"Kelas;Alamat\n")
    report = await load(sessions, event, content)
    text = report_text(ID, event, "peserta.csv", report)
    assert "• 4 peserta" in text
    assert "• Kelas: A: 2, Kelas B: 1, tanpa kelas: 1" in text
    assert "Kelas baru untuk acara ini (belum ada kelas): A, Kelas B" in text
    assert "Kolom yang tidak dipakai: “Alamat”" in text
    assert "• Siti Rahmawati: baris 2, 5" in text
    english = report_text(EN, event, "peserta.csv", report)
    assert "• Siti Rahmawati: rows 2, 5" in english


# --- any cells ----------------------------------------------------------------------------

GOOD_NAMES = ["Siti Rahayu", "Budi Santoso, S.Pd", "Agnès Siahaan", "I Made Wirawan"]
BAD_NAMES = ["", "Ani 3", "Z", "🙂🙂"]
BAD_PHONES = ["", "12345", "0541 123456", "+1 202", "0812-xxxx-xxxx"]
GOOD_TYPES = ["", "TBM", "Perpustakaan Desa", "sekolah"]
BAD_TYPES = ["Museum", "Perpustakaan"]


@st.composite
def roster_rows(draw: st.DrawFn) -> tuple[list[list[str]], set[int]]:
    """Rows of a roster, some made bad on purpose, and the rows (as Excel numbers them,
    the header being 1) that must be named."""
    rows: list[list[str]] = []
    bad: set[int] = set()
    for index in range(draw(st.integers(1, 8))):
        line = index + 2
        phone = f"0812 {5000_0000 + index:08d}"
        row = [str(index + 1), draw(st.sampled_from(GOOD_NAMES)), phone, "", "", "", ""]
        mistake = draw(st.sampled_from(["none", "none", "name", "phone", "type", "twice"]))
        if mistake == "name":
            row[1] = draw(st.sampled_from(BAD_NAMES))
        elif mistake == "phone":
            row[2] = draw(st.sampled_from(BAD_PHONES))
        elif mistake == "type":
            row[4] = draw(st.sampled_from(BAD_TYPES))
        elif mistake == "twice" and rows:
            row[2] = rows[0][2]
        else:
            row[4] = draw(st.sampled_from(GOOD_TYPES))
            mistake = "none"
        if mistake != "none" and not (mistake == "name" and row[1] == "" and row[2] == ""):
            bad.add(line)
        rows.append(row)
    return rows, bad


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=roster_rows(), as_xlsx=st.booleans())
async def test_bad_rows_are_each_named_and_a_file_is_stored_whole_or_not_at_all(
    sessions: SessionMaker, event: Event, drawn: tuple[list[list[str]], set[int]], as_xlsx: bool
) -> None:
    rows, bad = drawn
    header = HEADER.split(";")
    if as_xlsx:
        content, name = workbook([header, *rows]), "p.xlsx"
    else:
        content, name = table(*(";".join(r) for r in rows)), "p.csv"
    before = await stored(sessions, event)
    try:
        await load(sessions, event, content, name)
    except RosterFileError as exc:
        assert {p.row for p in exc.problems} == bad
        assert await stored(sessions, event) == before
        return
    assert not bad
    assert [(r[0], r[1]) for r in await stored(sessions, event)] == [
        (row[1], "+62" + row[2].replace(" ", "")[1:]) for row in rows
    ]


CELL = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["0812 3456 7890", "+62 813 1111 2222", "=HYPERLINK(1)", "-", "A", "TBM"]),
    st.integers(min_value=-(10**15), max_value=10**15).map(str),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    header=st.lists(
        st.sampled_from([*HEADER.split(";"), "Telp", "Email", "Nama Lengkap"]),
        min_size=1,
        max_size=8,
    ),
    rows=st.lists(st.lists(CELL, max_size=8), max_size=6),
)
@example(header=["Nama", "No. HP"], rows=[["Siti\x00", "0812 3456 7890"]])
@example(header=["Nama", "No. HP"], rows=[["Siti Rahayu", "0812 3456 7890\u202e"]])
async def test_any_cells_import_whole_or_give_problems_and_change_nothing(
    sessions: SessionMaker, event: Event, header: list[str], rows: list[list[str]]
) -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(header)
    writer.writerows(rows)
    before = await stored(sessions, event)
    try:
        report = await load(sessions, event, out.getvalue().encode())
    except RosterFileError as exc:
        assert exc.problems
        assert await stored(sessions, event) == before
        for locale in LOCALES:
            assert roster_problems_text(Translator(locale), exc.problems, limit=None)
        return
    assert len(await stored(sessions, event)) == report.count > 0
    for locale in LOCALES:
        assert report_text(Translator(locale), event, "p.csv", report)
