"""``bimtek broadcast``: announcements from the command line, asked about before they go."""

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from bot.cli import app
from bot.db import create_engine, session_maker
from models import OutboxMessage
from models.event import event_by_code
from models.outbox import Status
from tests.factories import enrol

HEADING = "📢 Bimtek SPP-TIK Kabupaten Kutai Kartanegara"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The demo event with three participants: two in class A, one in class B."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'admin.sqlite3'}")
    assert CliRunner().invoke(app, ["demo"]).exit_code == 0
    url = f"sqlite+aiosqlite:///{tmp_path / 'admin.sqlite3'}"

    async def seed() -> None:
        db = create_engine(url)
        try:
            sessions = session_maker(db)
            async with sessions() as session:
                event = await event_by_code(session, "KUKAR2024")
            assert event is not None
            for class_name in ("A", "A", "B"):
                await enrol(sessions, event, class_name=class_name)
        finally:
            await db.dispose()

    asyncio.run(seed())
    return url


def bimtek(*args: str, typed: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), input=typed)
    return result.exit_code, result.output


def listed() -> str:
    code, output = bimtek("broadcast", "list", "KUKAR2024")
    assert code == 0, output
    return output


def test_an_announcement_shows_who_and_how_and_goes_only_after_a_yes(database: str) -> None:
    create = ("broadcast", "create", "kukar2024", "--text", "Sesi pindah ke Ruang Mahakam.")
    code, output = bimtek(*create, "--class", "A", typed="n\n")
    assert code == 1, output
    assert output.startswith(
        "Pengumuman untuk Bimtek SPP-TIK Kabupaten Kutai Kartanegara akan sampai ke 2 orang "
        f"(peserta Kelas A), sekarang. Begini tampilannya:\n{HEADING}\n\n"
        "Sesi pindah ke Ruang Mahakam.\nKirim ke 2 orang? [y/N]: n\n"
    )
    assert output.rstrip().endswith("Tidak dikirim.")
    code, output = bimtek(*create, "--class", "A", typed="")
    assert code == 1
    assert "Tidak ada jawaban yang bisa dibaca; tidak dikirim." in output
    assert "belum ada pengumuman" in listed().casefold()

    code, output = bimtek(*create, "--class", "A", typed="y\n")
    assert code == 0, output
    assert output.rstrip().endswith("#1: 📢 Pengumuman sedang dikirim ke 2 orang.")
    shown = listed()
    assert shown.startswith("#1 · Dikirim ")
    assert "· peserta Kelas A · terkirim 0 dari 2\n   «Sesi pindah ke Ruang Mahakam.»" in shown
    code, output = bimtek("broadcast", "report", "1", "--lang", "en")
    assert code == 0, output
    assert "Recipients: participants of class A, 2 people" in output
    assert "Sent 0 · Waiting 2 · Failed 0 · Blocked the bot 0" in output

    code, output = bimtek("broadcast", "cancel", "1")
    assert code == 0, output
    assert output.startswith("Pengumuman #1 dihentikan: 2 pesan tidak dikirim.\n")
    assert "Dibatalkan 2" in output
    code, output = bimtek("broadcast", "cancel", "1")
    assert code == 1
    assert output.startswith("Pengumuman #1 sudah dihentikan sebelumnya.")


def test_a_photo_at_a_set_time_without_the_question(database: str, tmp_path: Path) -> None:
    poster = tmp_path / "poster.jpg"
    poster.write_bytes(b"\xff\xd8\xff\xe0poster\xff\xd9")
    code, output = bimtek(
        "broadcast", "create", "KUKAR2024", "--file", str(poster), "--at", "2099-01-01 07:00",
        "--yes", "--lang", "en",
    )  # fmt: skip
    assert code == 0, output
    assert "will reach 3 people (all participants, organisers and trainers), on " in output
    assert "1 January 2099 07.00 WITA" in output
    assert "[attached: poster.jpg]" in output
    assert f"\n{HEADING}\n" in output
    assert "#1: 📢 The announcement is scheduled for 3 people on " in output
    assert "Terjadwal " in listed()
    assert "(foto atau dokumen tanpa teks)" in listed()


def test_a_cancel_after_everything_went_says_so(database: str) -> None:
    code, _ = bimtek("broadcast", "create", "KUKAR2024", "--text", "Makan siang.", "--yes")
    assert code == 0

    async def all_sent() -> None:
        db = create_engine(database)
        try:
            async with session_maker(db).begin() as session:
                await session.execute(update(OutboxMessage).values(status=Status.SENT))
        finally:
            await db.dispose()

    asyncio.run(all_sent())
    code, output = bimtek("broadcast", "cancel", "1", "--lang", "en")
    assert code == 1
    assert output.startswith("Announcement #1 has gone out already (or is going out now)")
    assert "Sent 3 · Waiting 0" in output


@pytest.mark.parametrize(
    ("given", "said"),
    [
        (["--text", "  "], "Pengumumannya kosong."),
        (["--text", "x" * 4081], "Pengumuman ini 4081 karakter; paling banyak 4049"),
        (["--text", "Tes", "--class", "Z"], "Untuk peserta Kelas Z belum ada siapa pun"),
        (["--text", "Tes", "--regency", "Kota Bandung"], "peserta dari Kota Bandung"),
        (["--text", "Tes", "--class", "A", "--province", "Jambi"], "Pilih satu jenis penerima"),
        (["--text", "Tes", "--at", "2024-11-14 07:00"], "Waktu itu sudah lewat"),
        (["--text", "Tes", "--at", "nanti sore"], "Waktu itu tidak saya pahami."),
        (["--text", "Tes", "--at", "2099-01-01 07:00 WIB"], "Acara ini memakai WITA."),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(
    database: str, given: list[str], said: str
) -> None:
    code, output = bimtek("broadcast", "create", "KUKAR2024", *given, "--yes")
    assert code == 2, output
    assert said in output
    assert "Belum ada pengumuman" in listed()


def test_unknown_events_and_numbers(database: str) -> None:
    code, output = bimtek("broadcast", "create", "NOPE", "--text", "Tes", "--yes")
    assert (code, "no event with code NOPE" in output) == (2, True)
    for command in ("report", "cancel"):
        code, output = bimtek("broadcast", command, "99")
        assert (code, output.strip()) == (2, "Tidak ada pengumuman #99.")
