"""Files that would cost a reader seconds, or be stored as mojibake, are refused quickly
with a reason the organiser can act on, in their language; real agendas still read."""

import io
import random
import re
import zipfile

import pytest

from handlers.agenda_texts import problems_text
from handlers.i18n import Translator
from models.agenda_import import (
    MAX_FILE_BYTES,
    AgendaFileError,
    read_agenda,
    read_file,
    template_csv,
    template_xlsx,
)
from tests.hostile_files import HOSTILE, rewritten, styles_bomb

ID, EN = Translator("id"), Translator("en")


def refused(name: str, content: bytes) -> str:
    """The one problem of a refused file."""
    with pytest.raises(AgendaFileError) as caught:
        read_file(name, content)
    ((row, key),) = [(p.row, p.key) for p in caught.value.problems]
    assert row == 0
    return key.removeprefix("agenda_import.")


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_files_are_refused_by_a_budget_with_the_right_problem(name: str) -> None:
    """Refused by the budget made for it, before the file is read whole: how fast that is
    is measured by `python -m bench.agenda_files`, not timed here."""
    make, expected = HOSTILE[name]
    content = make()
    assert len(content) <= MAX_FILE_BYTES
    assert refused(name, content) == expected


def test_a_roster_sent_as_an_agenda_is_sent_where_it_belongs() -> None:
    roster = "Nama;No. HP;Nama Perpustakaan;Kelas\nSiti Rahayu;0812-0000-7001;Desa Loa Kulu;A\n"
    assert refused("peserta.csv", roster.encode()) == "another_kind"
    assert "/peserta_impor" in ID("agenda_import.another_kind")
    assert "/participants_import" in EN("agenda_import.another_kind")


def test_the_refusals_say_what_to_do_in_both_languages() -> None:
    with pytest.raises(AgendaFileError) as styles:
        read_file("jadwal.xlsx", styles_bomb())
    assert "“jadwal.xlsx”" in problems_text(ID, styles.value.problems)
    assert "buku kerja baru" in problems_text(ID, styles.value.problems)
    assert "new workbook" in problems_text(EN, styles.value.problems)
    with pytest.raises(AgendaFileError) as cells:
        read_file("jadwal.csv", HOSTILE["one-line.csv"][0]())
    assert "30000 sel" in problems_text(ID, cells.value.problems)
    assert "30000 cells (empty cells with formatting count too)" in problems_text(
        EN, cells.value.problems
    )


def padded_sheet(padding: str) -> bytes:
    """The template with ``padding`` inside its sheet's XML, where a reader skips it."""
    return rewritten(
        template_xlsx(),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace("<sheetData>", f"<sheetData><!--{padding}-->", 1),
    )


def test_a_part_packed_far_tighter_than_xml_packs_is_refused_unread() -> None:
    bomb = padded_sheet(" " * (3 * 1024 * 1024))  # 3 MB of spaces pack into a few KB
    assert len(bomb) < 50_000
    assert refused("a.xlsx", bomb) == "unpacks_too_big"


def test_parts_together_may_not_unpack_to_more_than_an_agenda_needs() -> None:
    # Each sheet under the limits on its own, packed no tighter than real XML can be.
    rng = random.Random(7)
    sheets = {
        name: "".join(f"<!--{rng.randrange(10**4):04d}-->" + "." * 89 for _ in range(110_000))
        for name in ("xl/worksheets/sheet2.xml", "xl/worksheets/sheet3.xml")
    }
    out = io.BytesIO(template_xlsx())
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in sheets.items():
            archive.writestr(name, data)
    content = out.getvalue()
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        infos = [archive.getinfo(name) for name in sheets]
    assert all(i.file_size < 100 * i.compress_size for i in infos)
    assert sum(i.file_size for i in infos) > 20 * 1024 * 1024
    assert len(content) <= MAX_FILE_BYTES
    assert refused("a.xlsx", content) == "unpacks_too_big"
    assert len(read_agenda("a.xlsx", padded_sheet(" " * 100_000))) == 4


def test_a_picture_in_the_workbook_does_not_count_as_text_to_read() -> None:
    out = io.BytesIO(template_xlsx())
    with zipfile.ZipFile(out, "a") as archive:  # a logo: stored, as pictures barely pack
        archive.writestr("xl/media/image1.png", random.Random(1).randbytes(900_000))
    assert len(read_agenda("jadwal.xlsx", out.getvalue())) == 4


def test_a_sheet_claiming_a_million_rows_and_columns_reads_as_what_it_holds() -> None:
    claimed = rewritten(
        template_xlsx(),
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:XFD1048576"', xml),
    )
    assert read_agenda("jadwal.xlsx", claimed) == read_agenda("jadwal.csv", template_csv())


# --- encodings ---------------------------------------------------------------------------

HEADER = "Tanggal;Mulai;Selesai;Materi;Narasumber;Ruang"


def agenda(title: str, speaker: str, room: str = "Ruang 1") -> str:
    return f"{HEADER}\r\n13/11/2024;08.30;10.00;{title};{speaker};{room}\r\n"


FOREIGN = [
    ("shift_jis", "図書館の研修プログラム", "講師：田中太郎", "会議室"),
    ("shift_jis", "アドボカシー", "テスト", "ホール"),
    ("gbk", "图书馆发展策略", "讲师：王小明", "会议室"),
    ("big5", "圖書館發展策略", "講師：王小明", "會議室"),
    ("koi8_r", "Стратегия развития библиотеки", "Лектор: Иванов И.И.", "Зал"),
    ("cp1251", "Стратегия развития библиотеки", "Лектор: Иванов И.И.", "Зал"),
]


@pytest.mark.parametrize(("encoding", "title", "speaker", "room"), FOREIGN)
def test_text_in_other_encodings_is_refused_not_stored_garbled(
    encoding: str, title: str, speaker: str, room: str
) -> None:
    text = agenda(title, speaker, room)
    (row,) = read_agenda("jadwal.csv", text.encode())  # the same text in UTF-8 reads
    assert (row.title, row.speakers) == (title, speaker)
    assert refused("jadwal.csv", text.encode(encoding)) == "unknown_encoding"
    with pytest.raises(AgendaFileError) as caught:
        read_agenda("jadwal.csv", text.encode(encoding))
    assert "“jadwal.csv”" in problems_text(ID, caught.value.problems)
    assert "CSV UTF-8" in problems_text(EN, caught.value.problems)


@pytest.mark.parametrize(
    "title",
    [
        "Perpustakaan Désa",
        "Jalan Sudirman No. 5 – Samarinda",
        "Café literasi",
        "“Strategi” — pembukaan…",
        "Jum’at bersih",
        "Größe der Bibliothek: 3×4 m²",
        "informação e formação",
        "Noël à Paris, été 2024",
        "Señor Núñez, año 2024 (€ 250)",
        "Škoda, Œuvre, Ærø",
    ],
)
def test_western_windows_text_is_read(title: str) -> None:
    (row,) = read_agenda("jadwal.csv", agenda(title, "José").encode("cp1252"))
    assert (row.title, row.speakers) == (title, "José")


def test_names_beyond_windows_1252_read_in_utf8_and_damaged_utf8_is_refused() -> None:
    with pytest.raises(UnicodeEncodeError):
        "Muḥammad".encode("cp1252")
    for encoding in ("utf-8", "utf-8-sig", "utf-16"):
        (row,) = read_agenda("jadwal.csv", agenda("Café", "Muḥammad").encode(encoding))
        assert (row.title, row.speakers) == ("Café", "Muḥammad")
    damaged = agenda("Café", "Muḥammad").encode() + b"\xff\r\n"
    assert refused("jadwal.csv", damaged) == "unknown_encoding"
