"""``bimtek event reminders`` and the schedule-change message of ``bimtek agenda
import``."""

import asyncio
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.db import create_engine, session_maker
from models.event import event_by_code
from models.types import utcnow
from tests.factories import enrol
from tests.reminder_helpers import Note, notes


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'admin.sqlite3'}")
    return CliRunner()


def test_an_events_reminders_are_shown_and_set(runner: CliRunner) -> None:
    assert runner.invoke(app, ["demo"]).exit_code == 0
    shown = runner.invoke(app, ["event", "reminders", "KUKAR2024"])
    assert shown.exit_code == 0, shown.output
    assert "Before sessions: 15 minutes before the start" in shown.output
    assert "Morning summary of the day: at 06.30 WITA" in shown.output
    assert "So far: 0 sent, 0 waiting, 0 too late" in shown.output

    changed = runner.invoke(
        app, ["event", "reminders", "kukar2024", "--before", "15,60", "--digest", "07:00"]
    )
    assert changed.exit_code == 0, changed.output
    assert "Before sessions: 60, 15 minutes before the start" in changed.output
    assert "at 07.00 WITA" in changed.output
    off = runner.invoke(app, ["event", "reminders", "KUKAR2024", "--no-digest", "--lang", "id"])
    assert "Ringkasan jadwal pagi: tidak ada" in off.output
    assert "60, 15 menit sebelum mulai" in off.output  # the rest as it was

    refused = {
        ("--before", "0"): "between 1 and 240",
        ("--before", "90,60,30,15"): "At most 3",
        ("--before", "lima belas"): "numbers separated by commas",
        ("--digest", "25.00"): "like 06.30",
    }
    for (option, value), said in refused.items():
        result = runner.invoke(app, ["event", "reminders", "KUKAR2024", option, value])
        assert result.exit_code == 2, result.output
        assert said in result.output
    both = runner.invoke(app, ["event", "reminders", "KUKAR2024", "--before", "15", "--no-before"])
    assert both.exit_code == 2
    assert runner.invoke(app, ["event", "reminders", "NOPE"]).exit_code == 2


def test_a_change_to_todays_sessions_offers_the_notice(runner: CliRunner, tmp_path: Path) -> None:
    today = utcnow().astimezone(ZoneInfo("Asia/Makassar")).date()
    created = runner.invoke(
        app,
        [
            "event", "create", "--code", "TDY", "--name", "Bimtek Hari Ini",
            "--timezone", "Asia/Makassar", "--starts", str(today - timedelta(days=1)),
            "--ends", str(today + timedelta(days=1)), "--organizer", "Dinas Perpustakaan",
        ],
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    header = "Tanggal;Mulai;Selesai;Materi;Ruang\n"
    versions = {name: tmp_path / f"{name}.csv" for name in ("first", "moved", "again")}
    for name, slot in (
        ("first", "08.00;09.00"),
        ("moved", "09.00;10.00"),
        ("again", "10.00;11.00"),
    ):
        versions[name].write_text(f"{header}{today:%d/%m/%Y};{slot};Pembukaan;Ballroom\n")
    assert runner.invoke(app, ["agenda", "import", "TDY", str(versions["first"])]).exit_code == 0

    async def enrolled_and_notes(enrolling: bool) -> list[Note]:
        db = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'admin.sqlite3'}")
        try:
            sessions = session_maker(db)
            if enrolling:
                async with sessions() as session:
                    event = await event_by_code(session, "TDY")
                assert event is not None
                await enrol(sessions, event)
            return await notes(sessions, "schedule_change")
        finally:
            await db.dispose()

    asyncio.run(enrolled_and_notes(True))
    sent = runner.invoke(
        app, ["agenda", "import", "TDY", str(versions["moved"]), "--notify", "--lang", "en"]
    )
    assert sent.exit_code == 0, sent.output
    assert "The schedule-change message goes to 1 participants." in sent.output
    [notice] = asyncio.run(enrolled_and_notes(False))
    assert "▪️ Pembukaan: sekarang 09.00–10.00 WITA" in notice.text

    declined = runner.invoke(app, ["agenda", "import", "TDY", str(versions["again"])], input="n\n")
    assert declined.exit_code == 0, declined.output
    assert "Hari ini 1 peserta Bimtek Hari Ini punya sesi" in declined.output
    assert "tidak ada pesan perubahan jadwal" in declined.output
    assert len(asyncio.run(enrolled_and_notes(False))) == 1
