"""``bimtek``: the administrator's commands."""

import asyncio
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot import cli
from bot.cli import app
from bot.db import create_engine, session_maker
from models import AgendaSession
from models.event import event_by_code
from tests.factories import Talker, text_of


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'admin.sqlite3'}")
    return CliRunner()


def test_demo_creates_the_brief_event_once_and_prints_its_code(runner: CliRunner) -> None:
    first = runner.invoke(app, ["demo"])
    again = runner.invoke(app, ["demo"])
    assert first.exit_code == 0, first.output
    assert "join code: KUKAR2024" in first.output
    assert "agenda: 32 sessions" in first.output
    assert "classes: A, B" in first.output
    assert again.output == first.output
    listed = runner.invoke(app, ["event", "list"])
    assert listed.output.count("KUKAR2024") == 1
    assert "Asia/Makassar" in listed.output


def test_event_create_checks_what_the_organiser_typed(runner: CliRunner) -> None:
    base = ["event", "create", "--name", "Bimtek SPP-TIK Jambi", "--starts", "2024-06-10"]
    base += ["--organizer", "Dinas Perpustakaan dan Arsip Daerah Provinsi Jambi"]
    ok = runner.invoke(
        app, [*base, "--code", "JBI2024", "--timezone", "Asia/Jakarta", "--ends", "2024-06-14"]
    )
    assert ok.exit_code == 0, ok.output
    assert "join code JBI2024" in ok.output

    cases = {
        ("JBI2024", "Asia/Jakarta", "2024-06-14"): "already exists",
        ("jbi2024", "Asia/Jakarta", "2024-06-14"): "already exists",
        ("JB 24", "Asia/Jakarta", "2024-06-14"): "letters, digits",
        ("JMB24", "Asia/Jambi", "2024-06-14"): "unknown time zone",
        ("JMB24", "Asia/Jakarta", "2024-06-01"): "ends before it starts",
        ("JMB24", "Asia/Jakarta", "14/06/2024"): "YYYY-MM-DD",
    }
    for (code, zone, ends), message in cases.items():
        result = runner.invoke(app, [*base, "--code", code, "--timezone", zone, "--ends", ends])
        assert result.exit_code == 2, (code, result.output)
        assert message in result.output
    # The consent notice names the organiser as the controller of the data: required.
    nobody = ["event", "create", "--name", "X", "--starts", "2024-06-10", "--ends", "2024-06-11"]
    nobody += ["--code", "JMB24", "--timezone", "Asia/Jakarta"]
    assert runner.invoke(app, nobody).exit_code == 2
    blank = runner.invoke(app, [*nobody, "--organizer", "  "])
    assert blank.exit_code == 2
    assert "organiser" in blank.output
    listed = runner.invoke(app, ["event", "list"])
    assert listed.output.count("\n") == 1


def test_db_upgrade(runner: CliRunner) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "database at head" in result.output


def test_closing_an_event_stops_new_registrations(runner: CliRunner) -> None:
    runner.invoke(app, ["demo"])
    closed = runner.invoke(app, ["event", "close", "kukar2024"])
    assert closed.exit_code == 0, closed.output
    assert "KUKAR2024 is closed" in closed.output
    assert "\tclosed\t" in runner.invoke(app, ["event", "list"]).output
    assert runner.invoke(app, ["event", "open", "KUKAR2024"]).exit_code == 0
    assert "\topen\t" in runner.invoke(app, ["event", "list"]).output
    missing = runner.invoke(app, ["event", "close", "NOPE"])
    assert missing.exit_code == 2
    assert "no event with code NOPE" in missing.output


def test_invites_from_the_command_line_grant_and_revoke_roles(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert runner.invoke(app, ["demo"]).exit_code == 0
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "BimtekDemoBot")
    printed = runner.invoke(app, ["invite", "organizer", "kukar2024"])
    assert printed.exit_code == 0, printed.output
    code = printed.output.split("/start ")[1].split()[0]
    assert f"https://t.me/BimtekDemoBot?start={code.replace('-', '')}" in printed.output
    trainer = runner.invoke(app, ["invite", "trainer", "KUKAR2024", "--speaker", "Rachmawati"])
    assert "trainer Rachmawati" in trainer.output

    async def accept() -> str:
        db = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'admin.sqlite3'}")
        try:
            person = Talker(session_maker(db), "panitia", datetime(2024, 11, 13, tzinfo=UTC))
            return text_of(await person.send(f"/start {code}"))
        finally:
            await db.dispose()

    assert "tim panitia" in asyncio.run(accept())

    listed = runner.invoke(app, ["team", "list", "KUKAR2024"])
    assert "1\torganizer\tconsole" in listed.output
    assert "open invite\ttrainer\tRachmawati" in listed.output
    revoked = runner.invoke(app, ["team", "revoke", "KUKAR2024", "1"])
    assert revoked.exit_code == 0, revoked.output
    assert "organizer" not in runner.invoke(app, ["team", "list", "KUKAR2024"]).output
    again = runner.invoke(app, ["team", "revoke", "KUKAR2024", "1"])
    assert again.exit_code == 2
    assert runner.invoke(app, ["invite", "organizer", "NOPE"]).exit_code == 2
    assert runner.invoke(app, ["invite", "trainer", "KUKAR2024", "--speaker", " "]).exit_code == 2


# --- bimtek agenda import: what would be removed is shown, and asked about first ----------

AGENDA_V1 = b"""Tanggal;Mulai;Selesai;Materi;Ruang
Rabu, 13 November 2024;08.00;09.00;Pembukaan;Ballroom
;09.00;11.00;Strategi Transformasi Perpustakaan;Ballroom
;13.00;14.00;Sesi yang dibatalkan;Ballroom
"""
AGENDA_V2 = b"""Tanggal;Mulai;Selesai;Materi;Ruang
Rabu, 13 November 2024;08.00;09.00;Pembukaan resmi;Ballroom
;09.00;11.00;Strategi Transformasi Perpustakaan;Ballroom
;15.00;16.00;Evaluasi;Ballroom
"""


@pytest.fixture
def smd24(runner: CliRunner, tmp_path: Path) -> tuple[str, str]:
    """An event with the first agenda loaded; the paths of both agendas."""
    created = runner.invoke(
        app,
        [
            "event", "create", "--code", "SMD24", "--name", "Bimtek Samarinda",
            "--timezone", "Asia/Makassar", "--starts", "2024-11-13", "--ends", "2024-11-16",
            "--organizer", "Dinas Perpustakaan Kota Samarinda",
        ],
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    (tmp_path / "v1.csv").write_bytes(AGENDA_V1)
    (tmp_path / "v2.csv").write_bytes(AGENDA_V2)
    first = runner.invoke(app, ["agenda", "import", "SMD24", str(tmp_path / "v1.csv")])
    assert first.exit_code == 0, first.output
    assert "3 baru" in first.output
    assert "[y/N]" not in first.output  # nothing removed, nothing asked
    return str(tmp_path / "v1.csv"), str(tmp_path / "v2.csv")


def agenda_of_smd24(runner: CliRunner) -> str:
    shown = runner.invoke(app, ["agenda", "show", "SMD24"])
    assert shown.exit_code == 0, shown.output
    return shown.output


def test_dry_run_shows_what_would_change_and_changes_nothing(
    runner: CliRunner, smd24: tuple[str, str]
) -> None:
    before = agenda_of_smd24(runner)
    dry = runner.invoke(app, ["agenda", "import", "SMD24", smd24[1], "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert (
        "Dengan berkas ini, agenda Bimtek Samarinda akan berisi 3 sesi: "
        "1 baru, 1 diubah, 1 dihapus, 1 tetap." in dry.output
    )
    assert "Dihapus:\n• Rabu, 13 November 2024 · 13.00–14.00 WITA · Sesi yang dibatalkan" in (
        dry.output
    )
    assert dry.output.rstrip().endswith("Uji coba: tidak ada yang disimpan.")
    assert "[y/N]" not in dry.output
    assert agenda_of_smd24(runner) == before


@pytest.mark.parametrize(("typed", "said"), [("n\n", "Nothing was saved."), ("", "No answer")])
def test_removing_sessions_waits_for_a_yes(
    runner: CliRunner, smd24: tuple[str, str], typed: str, said: str
) -> None:
    before = agenda_of_smd24(runner)
    result = runner.invoke(
        app, ["agenda", "import", "SMD24", smd24[1], "--lang", "en"], input=typed
    )
    assert result.exit_code == 1, result.output
    assert "would have 3 sessions: 1 added, 1 changed, 1 removed, 1 unchanged." in result.output
    assert (
        "Remove these 1 sessions from the agenda of Bimtek Samarinda and apply the file? [y/N]"
        in result.output
    )
    assert said in result.output
    assert agenda_of_smd24(runner) == before


def test_a_yes_applies_the_file_and_yes_skips_the_question(
    runner: CliRunner, smd24: tuple[str, str]
) -> None:
    agreed = runner.invoke(app, ["agenda", "import", "SMD24", smd24[1]], input="y\n")
    assert agreed.exit_code == 0, agreed.output
    assert "Hapus 1 sesi ini dari agenda Bimtek Samarinda dan terapkan berkasnya? [y/N]: y" in (
        agreed.output
    )
    answered = agreed.output.split("[y/N]: y\n", 1)[1]
    assert answered.startswith(
        "Agenda Bimtek Samarinda disimpan (3 sesi): 1 baru, 1 diubah, 1 dihapus, 1 tetap."
    )
    after = agenda_of_smd24(runner)
    assert "Evaluasi" in after
    assert "Sesi yang dibatalkan" not in after
    back = runner.invoke(app, ["agenda", "import", "SMD24", smd24[0], "--yes", "--lang", "en"])
    assert back.exit_code == 0, back.output
    assert "[y/N]" not in back.output
    assert "Removed:\n• Wednesday, 13 November 2024 · 15.00–16.00 WITA · Evaluasi" in back.output
    assert "Evaluasi" not in agenda_of_smd24(runner)


def test_a_change_made_while_the_question_waits_is_asked_about_again(
    runner: CliRunner, smd24: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    questions: list[str] = []

    async def someone_adds_a_session() -> None:
        db = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'admin.sqlite3'}")
        try:
            async with session_maker(db).begin() as session:
                event = await event_by_code(session, "SMD24")
                assert event is not None
                assert event.id is not None
                start = datetime(2024, 11, 14, 1, 0, tzinfo=UTC)
                session.add(
                    AgendaSession(
                        event_id=event.id,
                        day=date(2024, 11, 14),
                        starts_at=start,
                        ends_at=start + timedelta(hours=1),
                        title="Sesi tambahan",
                    )
                )
        finally:
            await db.dispose()

    def answer(question: str) -> bool:
        questions.append(question)
        if len(questions) == 1:
            asyncio.run(someone_adds_a_session())
        return True

    monkeypatch.setattr(cli, "_ask", answer)
    result = runner.invoke(app, ["agenda", "import", "SMD24", smd24[1], "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert [q.split(" sessions")[0] for q in questions] == ["Remove these 1", "Remove these 2"]
    assert "The agenda changed meanwhile." in result.output
    after = agenda_of_smd24(runner)
    assert "Evaluasi" in after
    assert "Sesi tambahan" not in after


def test_without_a_terminal_the_question_is_not_waited_for(
    runner: CliRunner, smd24: tuple[str, str], tmp_path: Path
) -> None:
    before = agenda_of_smd24(runner)
    bimtek = Path(sys.executable).with_name("bimtek")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'admin.sqlite3'}"}
    command = [str(bimtek), "agenda", "import", "SMD24", smd24[1], "--lang", "en"]
    # stdin a pipe that stays open and silent, as under a script that never answers
    with subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    ) as process:
        try:
            exit_code = process.wait(timeout=60)
        finally:
            process.kill()
        out, err = process.communicate()
    assert exit_code == 1, out + err
    assert b"No answer could be read" in err
    assert agenda_of_smd24(runner) == before
