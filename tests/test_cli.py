"""``bimtek``: the administrator's commands."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'admin.sqlite3'}")
    return CliRunner()


def test_demo_creates_the_brief_event_once_and_prints_its_code(runner: CliRunner) -> None:
    first = runner.invoke(app, ["demo"])
    again = runner.invoke(app, ["demo"])
    assert first.exit_code == 0, first.output
    assert "join code: KUKAR2024" in first.output
    assert again.output == first.output
    listed = runner.invoke(app, ["event", "list"])
    assert listed.output.count("KUKAR2024") == 1
    assert "Asia/Makassar" in listed.output


def test_event_create_checks_what_the_organiser_typed(runner: CliRunner) -> None:
    base = ["event", "create", "--name", "Bimtek SPP-TIK Jambi", "--starts", "2024-06-10"]
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
