"""The bot as its users start it: ``python -m bot`` in a terminal or against Telegram."""

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from handlers.i18n import Translator
from tests.fakes.telegram_api import FakeTelegramServer
from tests.fakes.whatsapp_api import FakeWhatsAppServer
from tests.whatsapp_harness import APP_SECRET, VERIFY_TOKEN, free_port, sign

pytestmark = pytest.mark.subprocess

ID = Translator("id")
ROOT = Path(__file__).resolve().parents[1]


def run_console(
    database: Path, lines: list[str], **settings: str
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "TELEGRAM_BOT_TOKEN": "",
        "PYTHONIOENCODING": "utf-8",
        **settings,
    }
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=database.parent,
        timeout=60,
        check=False,
    )


def test_console_registration_from_piped_input_survives_a_new_process(tmp_path: Path) -> None:
    database = tmp_path / "bimtek.sqlite3"
    first = run_console(database, ["/start", "1", "1", "Budi Santoso"])
    assert first.returncode == 0, first.stderr
    assert "KUKAR2024" in first.stdout, "the demo event is created and its code shown"
    assert ID("ask.phone_e164") in first.stdout

    second = run_console(
        database,
        [
            "+62 812 3456 7890",
            "Perpustakaan Desa Sukamaju",
            "Perpustakaan desa",
            "Kutai Kartanegara",
            "kaltim",
            "Pengelola",
            "1",
        ],
    )
    assert second.returncode == 0, second.stderr
    assert ID("ask.language") not in second.stdout, "the second process started over"
    # The question left unanswered is asked again before anything is typed.
    banner_end = second.stdout.index("Ctrl-C")
    assert second.stdout.index(ID("ask.phone_e164")) > banner_end
    assert second.stdout.index(ID("ask.phone_e164")) < second.stdout.index(ID("ask.library_name"))
    assert "Pendaftaran selesai" in second.stdout
    with sqlite3.connect(database) as db:
        row = db.execute(
            "SELECT full_name, phone_e164, library_type, province FROM person"
            " WHERE registered_at IS NOT NULL"
        ).fetchone()
    assert row == ("Budi Santoso", "+6281234567890", "desa", "Kalimantan Timur")


async def test_telegram_and_whatsapp_in_one_process_answer_and_stop_cleanly_on_sigterm(
    tmp_path: Path, telegram_server: FakeTelegramServer, whatsapp_server: FakeWhatsAppServer
) -> None:
    """Both channels' settings: Telegram long-polls while WhatsApp's webhook is served,
    both on one outbox."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bimtek.sqlite3'}",
        "TELEGRAM_BOT_TOKEN": telegram_server.token,
        "TELEGRAM_API_BASE_URL": telegram_server.base_url,
        "TELEGRAM_POLL_TIMEOUT": "1",
        "WHATSAPP_ACCESS_TOKEN": whatsapp_server.token,
        "WHATSAPP_PHONE_NUMBER_ID": whatsapp_server.phone_number_id,
        "WHATSAPP_APP_SECRET": APP_SECRET,
        "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "WHATSAPP_API_BASE_URL": whatsapp_server.base_url,
        "WEBHOOK_LISTEN_PORT": str(port),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", env=env, cwd=tmp_path, stderr=asyncio.subprocess.PIPE
    )
    try:
        update = {
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": 555, "type": "private"},
                "from": {"id": 555, "is_bot": False, "first_name": "P", "language_code": "en"},
                "text": "/start",
            }
        }
        update_id = await telegram_server.push(update)
        await telegram_server.wait_handled(update_id, within=30)
        # The reply goes out from the outbox, just after the update is handled.
        for _ in range(100):
            if telegram_server.sent(555):
                break
            await asyncio.sleep(0.05)
        assert [c.params["text"] for c in telegram_server.sent(555)] == [ID("ask.language")]
        assert any(c.method == "setMyCommands" for c in telegram_server.calls)

        wa_id = "6281200004001"
        message = {"from": wa_id, "id": "wamid.APP1", "timestamp": str(int(time.time()))}
        value = {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "6281100000000",
                         "phone_number_id": whatsapp_server.phone_number_id},
            "contacts": [{"profile": {"name": "P"}, "wa_id": wa_id}],
            "messages": [{**message, "type": "text", "text": {"body": "halo"}}],
        }  # fmt: skip
        body = json.dumps(
            {"object": "whatsapp_business_account",
             "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}]}
        ).encode()  # fmt: skip
        url = f"http://127.0.0.1:{port}/webhooks/whatsapp"
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body)}
        async with aiohttp.ClientSession() as http:
            async with http.post(url, data=b"{}", headers={"X-Hub-Signature-256": "x"}) as bad:
                assert bad.status == 403
            async with http.post(url, data=body, headers=headers) as answer:
                assert answer.status == 200
            # The organisers' dashboard is served by the same process.
            async with http.get(f"http://127.0.0.1:{port}/dasbor/masuk") as dashboard:
                assert dashboard.status == 200
                assert "Masuk ke dasbor" in await dashboard.text()
        for _ in range(100):
            if whatsapp_server.sent_to(wa_id):
                break
            await asyncio.sleep(0.05)
        assert [m.text for m in whatsapp_server.sent_to(wa_id)] == [ID("ask.language")]
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=20)
    assert process.returncode == 0, stderr.decode()
    assert b"stopped" in stderr


def test_console_demo_at_a_moment_of_the_event(tmp_path: Path) -> None:
    shown = run_console(
        tmp_path / "bimtek.sqlite3",
        ["/sekarang", "/kalender"],
        CONSOLE_NOW="2024-11-14T09:10+08:00",
    )
    assert shown.returncode == 0, shown.stderr
    assert "Kamis, 14 November 2024" in shown.stdout
    assert "Sedang berlangsung: Sistem Informasi Manajemen" in shown.stdout
    calendar = tmp_path / "jadwal-KUKAR2024.ics"
    assert calendar.read_bytes().startswith(b"BEGIN:VCALENDAR")


def run_from(folder: Path, data_home: Path, lines: list[str], *args: str) -> str:
    """The console started in ``folder`` with no DATABASE_URL: the default database."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(XDG_DATA_HOME=str(data_home), TELEGRAM_BOT_TOKEN="", PYTHONIOENCODING="utf-8")
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=folder,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_database_is_found_from_any_folder(tmp_path: Path) -> None:
    data_home = tmp_path / "data"
    run_from(tmp_path / "one", data_home, ["/start", "1", "1", "Budi Santoso"])
    later = run_from(tmp_path / "two" / "deeper", data_home, ["/profil"])
    assert ID("ask.phone_e164") in later, "another folder found the same conversation"
    assert (data_home / "bimtek-bot" / "bimtek.sqlite3").exists()
    assert not list((tmp_path / "one").glob("*.sqlite3"))
    assert not list((tmp_path / "two").rglob("*.sqlite3"))


def test_the_console_as_a_plain_participant(tmp_path: Path) -> None:
    as_admin = run_from(tmp_path, tmp_path / "data", ["/bantuan"])
    assert "/undang" in as_admin
    participant = run_from(tmp_path, tmp_path / "data", ["/bantuan", "/tim"], "--as-participant")
    assert ID("console.as_participant") in participant
    assert "/undang" not in participant
    assert ID("staff.organizer_only_anywhere") in participant
