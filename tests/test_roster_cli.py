"""``bimtek roster`` and ``bimtek participants``: the roster loaded, previewed and listed
from the command line, and the participants written as XLSX and CSV for the report."""

import asyncio
import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.db import create_engine, session_maker
from tests.factories import Talker

# Invented people and numbers; the demo event has classes A and B.
ROSTER = "\n".join(
    [
        "No;Nama;No. HP/WhatsApp;Nama Perpustakaan;Jenis Perpustakaan;Kabupaten/Kota;Kelas",
        "1;Siti Rahmawati;0812-3456-7890;Perpustakaan Desa Sukamaju;Desa;Kutai Kartanegara;A",
        "2;Budi Santoso;0813 1111 2222;+TBM Pelangi;TBM;Samarinda;B",
    ]
)


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'admin.sqlite3'}")
    runner = CliRunner()
    assert runner.invoke(app, ["demo"]).exit_code == 0
    return runner


def register_siti(tmp_path: Path) -> None:
    """Siti registers through the bot with her number on the roster (its class: A)."""

    async def go() -> None:
        db = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'admin.sqlite3'}")
        try:
            siti = Talker(session_maker(db), "siti", datetime(2024, 11, 12, 1, 0, tzinfo=UTC))
            replies = await siti.send("/start KUKAR2024")
            for step in (replies[-1].choices[0].payload,):  # Bahasa Indonesia
                replies = await siti.press(step)
            replies = await siti.press(replies[-1].choices[0].payload)  # agree
            await siti.send("Siti Rahmawati")
            replies = await siti.send("0812 3456 7890")
            replies = await siti.press(replies[-1].choices[0].payload)  # the roster: right
            await siti.send("Kalimantan Timur")
            replies = await siti.send("Kepala Perpustakaan")
            replies = await siti.press(replies[-1].choices[0].payload)  # save
            assert "Pendaftaran selesai" in replies[0].text
        finally:
            await db.dispose()

    asyncio.run(go())


def test_import_preview_save_and_list(runner: CliRunner, tmp_path: Path) -> None:
    made = runner.invoke(app, ["roster", "template", str(tmp_path / "t.xlsx")])
    assert made.exit_code == 0, made.output
    assert openpyxl.load_workbook(tmp_path / "t.xlsx").worksheets[0]["B1"].value == "Nama"
    file = tmp_path / "peserta.csv"
    file.write_text(ROSTER, encoding="utf-8")

    dry = runner.invoke(app, ["roster", "import", "kukar2024", str(file), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "• 2 peserta" in dry.output
    assert "• Kelas: A: 1, B: 1" in dry.output
    assert "tidak ada yang disimpan" in dry.output.lower()
    assert "Belum ada daftar peserta" in runner.invoke(app, ["roster", "list", "KUKAR2024"]).output

    saved = runner.invoke(app, ["roster", "import", "KUKAR2024", str(file), "--lang", "en"])
    assert saved.exit_code == 0, saved.output
    assert "Roster of Bimtek SPP-TIK" in saved.output
    assert "saved: 2 participants" in saved.output

    register_siti(tmp_path)
    listed = runner.invoke(app, ["roster", "list", "KUKAR2024"])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[0].split("\t") == [
        "2", "Siti Rahmawati", "+6281234567890", "Perpustakaan Desa Sukamaju",
        "Kutai Kartanegara", "A", "terdaftar",
    ]  # fmt: skip
    assert lines[1].split("\t")[1:] == [
        "Budi Santoso", "+6281311112222", "+TBM Pelangi", "Samarinda", "B", "belum dikenal bot",
    ]  # fmt: skip
    assert "• Sudah mendaftar: 1" in listed.output
    missing = runner.invoke(app, ["roster", "list", "KUKAR2024", "--missing", "--lang", "en"])
    assert "Not registered for Bimtek SPP-TIK" in missing.output
    assert "Budi Santoso · +6281311112222" in missing.output
    assert "Siti" not in missing.output


def test_a_file_with_problems_prints_every_one_and_saves_nothing(
    runner: CliRunner, tmp_path: Path
) -> None:
    file = tmp_path / "peserta.csv"
    file.write_text(
        ROSTER + "\n3;Rina 7;0812 3456 7890;;;;\n4;Rina Wati;0812 0000 4444;;;;C", encoding="utf-8"
    )
    refused = runner.invoke(app, ["roster", "import", "KUKAR2024", str(file)])
    assert refused.exit_code == 2
    assert "Baris 4: nama “Rina 7”" in refused.output
    assert "Baris 4: nomor +6281234567890 sudah ada di baris 2" in refused.output
    assert "Baris 5: tidak ada kelas “C”" in refused.output
    assert "Belum ada daftar peserta" in runner.invoke(app, ["roster", "list", "KUKAR2024"]).output
    missing = runner.invoke(app, ["roster", "import", "NOPE", str(file)])
    assert missing.exit_code == 2
    assert "no event with code NOPE" in missing.output


def test_participants_as_a_workbook_and_as_csv(runner: CliRunner, tmp_path: Path) -> None:
    file = tmp_path / "peserta.csv"
    file.write_text(ROSTER, encoding="utf-8")
    assert runner.invoke(app, ["roster", "import", "KUKAR2024", str(file)]).exit_code == 0
    register_siti(tmp_path)
    book, table = tmp_path / "peserta.xlsx", tmp_path / "peserta.csv"
    done = runner.invoke(
        app, ["participants", "KUKAR2024", "--xlsx", str(book), "--csv", str(table), "--lang", "en"]
    )
    assert done.exit_code == 0, done.output
    assert "1 registered, 1 on the roster not registered" in done.output
    sheet = openpyxl.load_workbook(book).worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == [
        "No", "Name", "Phone", "Library", "Library type", "Regency/city", "Province", "Role",
        "Class", "Registered at (WITA)", "On the roster", "Status",
    ]  # fmt: skip
    first = rows[1]
    assert first[:9] == [
        1, "Siti Rahmawati", "+6281234567890", "Perpustakaan Desa Sukamaju", "Village library",
        "Kutai Kartanegara", "Kalimantan Timur", "Kepala Perpustakaan", "A",
    ]  # fmt: skip
    assert first[9] == datetime(2024, 11, 12, 9, 0)  # 01.00 UTC in WITA
    assert first[10:] == ["yes", "registered"]
    assert rows[2] == [
        2, "Budi Santoso", "+6281311112222", "'+TBM Pelangi", "TBM (reading park)", "Samarinda",
        None, None,
        "B", None, "yes", "not registered",
    ]  # fmt: skip
    text = table.read_bytes()
    assert text.startswith(b"\xef\xbb\xbf")
    found = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert found[0][:3] == ["No", "Name", "Phone"]
    assert found[1][:3] == ["1", "Siti Rahmawati", "'+6281234567890"]  # no spreadsheet runs it
    assert found[1][9] == "2024-11-12 09:00:00"
    assert found[2][3] == "'+TBM Pelangi"


def test_an_announcement_to_those_not_registered_counts_whom_it_cannot_reach(
    runner: CliRunner, tmp_path: Path
) -> None:
    file = tmp_path / "peserta.csv"
    file.write_text(ROSTER, encoding="utf-8")
    assert runner.invoke(app, ["roster", "import", "KUKAR2024", str(file)]).exit_code == 0

    async def opens_the_link() -> None:
        db = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'admin.sqlite3'}")
        try:
            await Talker(session_maker(db), "tamu", datetime(2024, 11, 12, tzinfo=UTC)).send(
                "/start KUKAR2024"
            )
        finally:
            await db.dispose()

    asyncio.run(opens_the_link())
    asked = runner.invoke(
        app, ["broadcast", "create", "KUKAR2024", "--text", "Ayo daftar.", "--unregistered"]
    )
    assert asked.exit_code == 1  # no answer to the question: nothing sent
    assert "1 orang" in asked.output
    assert "2 orang di daftar peserta belum bisa dihubungi" in asked.output
