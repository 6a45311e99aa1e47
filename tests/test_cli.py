"""``bimtek``: the administrator's commands."""

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.db import create_engine, session_maker
from tests.agenda_helpers import Talker, text_of


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
