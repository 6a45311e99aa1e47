"""``bimtek attendance``: the counts, the settings, marks by hand with a reason, and the
daftar hadir by session as a workbook and as CSV, checked against what was recorded."""

import asyncio
import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import col, select
from typer.testing import CliRunner

from bot.cli import app
from bot.db import create_engine, session_maker
from models import AgendaSession, Enrollment, Person
from models.agenda import agenda
from models.attendance.checkin import Outcome, check
from models.attendance.openings import open_code
from models.attendance.store import Direction
from models.event import event_by_code
from tests.factories import id_of, local

PEOPLE = (  # name, phone, class
    ("Siti Rahayu", "+6281211110001", "A"),
    ("Budi Santoso", "+6281211110002", "B"),
    ("Ani Wulandari", "+6281211110003", "A"),
)


def bimtek(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The demo event with three participants; Siti checked in late to her class's
    afternoon practice with a code."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'admin.sqlite3'}")
    assert bimtek("demo")[0] == 0
    url = f"sqlite+aiosqlite:///{tmp_path / 'admin.sqlite3'}"

    async def seed() -> None:
        db = create_engine(url)
        try:
            async with session_maker(db).begin() as session:
                event = await event_by_code(session, "KUKAR2024")
                assert event is not None
                ids = []
                for name, phone, class_name in PEOPLE:
                    person = Person(locale="id", full_name=name, phone_e164=phone,
                                    library_name=f"Perpustakaan {name.split()[0]}",
                                    regency="Kutai Kartanegara",
                                    registered_at=datetime(2024, 11, 1, tzinfo=UTC))  # fmt: skip
                    session.add(person)
                    await session.flush()
                    ids.append(id_of(person))
                    session.add(Enrollment(person_id=id_of(person), event_id=id_of(event),
                                           class_name=class_name))  # fmt: skip
                await session.flush()
                [practice] = [
                    i for i in (await agenda(session, event)).items
                    if i.title.startswith("Praktik: memetakan") and i.class_name == "A"
                ]  # fmt: skip
                day = practice.day
                opening, _ = await open_code(
                    session, event=event, day=day, items=[practice], session_id=practice.id,
                    direction=Direction.IN, minutes=60, opened_by=None,
                    now=local(event, day, "15.20"),
                )  # fmt: skip
                late = await check(session, person_id=ids[0], code=opening.code,
                                   channel="whatsapp", now=local(event, day, "15.50"))  # fmt: skip
                assert late.outcome is Outcome.RECORDED
        finally:
            await db.dispose()

    asyncio.run(seed())
    return url


def session_ids(url: str) -> dict[str, int]:
    """The demo's sessions by title and class, as `attendance show` prints them."""

    async def read() -> dict[str, int]:
        db = create_engine(url)
        try:
            async with session_maker(db)() as session:
                found = await session.execute(
                    select(AgendaSession.id, AgendaSession.title, AgendaSession.class_name)
                )
                return {f"{t} {c or ''}".strip(): int(i) for i, t, c in found.all()}
        finally:
            await db.dispose()

    return asyncio.run(read())


def test_marks_by_hand_and_the_register_by_session(database: str, tmp_path: Path) -> None:
    ids = session_ids(database)
    strategi = ids["Strategi Transformasi Perpustakaan"]
    code, output = bimtek("attendance", "show", "KUKAR2024")
    assert code == 0, output
    assert "codes work 30 min · late after 15 min from the start · check-out off" in output
    assert (
        f"{strategi}\t2024-11-13 09.45\tStrategi Transformasi Perpustakaan\t0/3 (0 late)" in output
    )
    assert "Rehat kopi" not in output
    practice = ids["Praktik: memetakan kebutuhan masyarakat desa A"]
    line = f"{practice}\t2024-11-13 15.30\tPraktik: memetakan kebutuhan masyarakat desa [A]"
    assert f"{line}\t1/2 (1 late)" in output

    mark = ("attendance", "mark", "KUKAR2024", "--session", str(strategi))
    code, output = bimtek(*mark, "--phone", "0812-1111-0002", "--reason", "Tanda tangan di kertas")
    assert (code, output.strip()) == (0, "marked present")
    code, output = bimtek(*mark, "--phone", "+62 812 1111 0002", "--reason", "Lagi")
    assert (code, output.strip()) == (1, "already present; nothing changed")
    code, output = bimtek(*mark, "--phone", "0812-1111-0003", "--reason", "Tanda tangan di kertas")
    assert code == 0, output
    unmark = ("attendance", "unmark", "KUKAR2024", "--session", str(strategi))
    code, output = bimtek(*unmark, "--phone", "081211110003", "--reason", "Salah orang")
    assert (code, output.strip()) == (0, "attendance taken off")
    code, output = bimtek(*unmark, "--phone", "081211110003", "--reason", "Salah orang")
    assert code == 1, output
    assert bimtek(*mark, "--phone", "081211110003", "--reason", "  ")[0] == 2
    assert "nobody registered" in bimtek(*mark, "--phone", "081299990000", "--reason", "x")[1]
    rehat = ids["Rehat kopi"]
    code, output = bimtek("attendance", "mark", "KUKAR2024", "--session", str(rehat),
                          "--phone", "081211110001", "--reason", "x")  # fmt: skip
    assert code == 2, output
    assert "no session" in output

    code, output = bimtek("attendance", "settings", "KUKAR2024", "--by", "session")
    assert "register by session" in output
    assert bimtek("attendance", "settings", "KUKAR2024", "--late-after", "999")[0] == 2

    xlsx, csv_file = tmp_path / "hadir.xlsx", tmp_path / "hadir.csv"
    code, output = bimtek("attendance", "export", "KUKAR2024", "--xlsx", str(xlsx),
                          "--csv", str(csv_file))  # fmt: skip
    assert code == 0, output
    assert "3 participants, 22 columns" in output
    sheet = load_workbook(xlsx)["Daftar hadir"]
    grid = [["" if c is None else c for c in row] for row in sheet.iter_rows(values_only=True)]
    header, rows = grid[5], grid[6:9]
    columns = [str(c) for c in header[5:-1]]
    assert columns[0] == "13/11 07.30\nRegistrasi peserta dan pembagian kelas"
    assert "13/11 15.30\nPraktik: memetakan kebutuhan masyarakat… (A)" in columns
    assert all("Rehat" not in c and "ISHOMA" not in c for c in columns)

    def expected(mine: str, marks: dict[str, str]) -> list[str]:
        """What a participant of class ``mine`` has in each column: ``marks`` for the
        columns named (by their start), "–" under the other class's sessions."""
        cells = []
        for column in columns:
            other = column.endswith(")") and not column.endswith(f"({mine})")
            cells.append("–" if other else marks.get(column.split("\n")[0], ""))
        return cells

    assert [row[1] for row in rows] == ["Ani Wulandari", "Budi Santoso", "Siti Rahayu"]
    assert rows[0][5:-1] == expected("A", {})  # marked, then unmarked
    assert rows[1][5:-1] == expected("B", {"13/11 09.45": "✓"})
    assert rows[2][5:-1] == expected("A", {"13/11 15.30": "T"})
    assert [row[-1] for row in rows] == ["", "", ""]  # signatures, on paper
    assert grid[-1][0] == "✓ hadir · T terlambat · – bukan sesi kelasnya"

    with csv_file.open(encoding="utf-8-sig", newline="") as f:
        table = list(csv.reader(f))
    assert table[0] == [str(h) for h in header]
    assert table[1:] == [[str(c) for c in row] for row in rows]

    changes = [list(r) for r in load_workbook(xlsx)["Perubahan manual"].iter_rows(values_only=True)]
    assert [c[2:5] for c in changes[1:]] == [
        ["Budi Santoso", "ditandai hadir", "Tanda tangan di kertas"],
        ["Ani Wulandari", "ditandai hadir", "Tanda tangan di kertas"],
        ["Ani Wulandari", "kehadiran dihapus", "Salah orang"],
    ]
    assert all(c[5] == "–" for c in changes[1:])  # from the command line: nobody by name

    english = tmp_path / "register.csv"
    code, output = bimtek("attendance", "export", "KUKAR2024", "--csv", str(english), "--by",
                          "day", "--lang", "en")  # fmt: skip
    assert code == 0, output
    header_en = english.read_text(encoding="utf-8-sig").splitlines()[0]
    days = '"Wed, 13/11","Thu, 14/11","Fri, 15/11","Sat, 16/11"'
    assert header_en == f"No.,Name,Library,Regency/city,Class,{days},Signature"


def test_a_name_that_would_run_as_a_formula_is_written_as_text(
    database: str, tmp_path: Path
) -> None:
    async def rename() -> None:
        db = create_engine(database)
        try:
            async with session_maker(db).begin() as session:
                found = await session.execute(
                    select(Person).where(col(Person.full_name) == "Siti Rahayu")
                )
                found.scalars().one().full_name = '=HYPERLINK("http://x")'
        finally:
            await db.dispose()

    asyncio.run(rename())
    out = tmp_path / "hadir.xlsx"
    assert bimtek("attendance", "export", "KUKAR2024", "--xlsx", str(out))[0] == 0
    sheet = load_workbook(out)["Daftar hadir"]
    names = [row[1] for row in sheet.iter_rows(min_row=7, values_only=True)]
    assert '\'=HYPERLINK("http://x")' in names
    assert bimtek("attendance", "export", "KUKAR2024")[0] == 2  # no file asked for
