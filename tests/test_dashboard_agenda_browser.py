"""An organiser's agenda and announcements in headless Chromium, against the real web app
over a real database: a bad agenda file refused row by row with nothing changed, a good
one previewed, confirmed and shown; an announcement to a class sent by the real dispatcher
through the real aiogram client to the fake Bot API while its report moves on by itself
to "sent"; one scheduled, then cancelled."""

import asyncio
import io
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlmodel import col

from bot.channels.telegram import create_bot
from bot.channels.telegram_send import TelegramSender
from bot.dashboard.core import PREFIX
from bot.db import SessionMaker
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.rates import RateGate
from models import ChannelIdentity, Person
from models.agenda import agenda_of
from tests.browser import assert_fits_a_phone, signed_in_page
from tests.dashboard_helpers import Clock, World, dashboard_app, link_for, world
from tests.dashboard_pages import AGENDA_CSV, BAD_CSV
from tests.factories import id_of
from tests.fakes.telegram_api import FakeTelegramServer


async def test_an_agenda_file_refused_then_one_loaded(
    sessions: SessionMaker, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    built = await world(sessions)
    bad, good = tmp_path / "jadwal-salah.csv", tmp_path / "jadwal.csv"
    bad.write_bytes(BAD_CSV)
    good.write_bytes(AGENDA_CSV)
    app = dashboard_app(sessions, Clock())
    token = await link_for(sessions, built.organiser)
    async with signed_in_page(app, tmp_path, token, request.node.name) as (page, base):
        await page.goto(f"{base}{PREFIX}/acara/{built.mine.id}")
        await page.click("nav.tabs >> text=Agenda")
        await page.wait_for_selector("#sessions")
        assert "2 sesi; waktu dalam WITA." in await page.inner_text("#count")
        assert "08.30–10.00" in await page.inner_text("#sessions")

        # A file with three bad rows: each named, nothing kept.
        await page.set_input_files("#upload-form input[name=berkas]", str(bad))
        await page.click("#upload-button")
        await page.wait_for_selector("#problems")
        problems = await page.inner_text("#problems")
        for row in ("Baris 3:", "Baris 4:", "Baris 5:"):
            assert row in problems, row
        assert "jadwal-salah.csv" in await page.inner_text("#refused")
        await page.click("#back")
        await page.wait_for_selector("#sessions")
        assert "2 sesi" in await page.inner_text("#count")

        # A good one: previewed, then applied with the notices to those concerned.
        await page.set_input_files("#upload-form input[name=berkas]", str(good))
        await page.click("#upload-button")
        await page.wait_for_selector("#preview")
        preview = await page.inner_text("#preview")
        assert "akan berisi 4 sesi: 2 baru, 2 diubah, 0 dihapus" in preview
        async with sessions() as session:
            assert len(await agenda_of(session, id_of(built.mine))) == 2  # not yet
        assert await page.is_checked("#notify")
        await page.click("#apply")
        await page.wait_for_selector("#loaded")
        assert "dikirim ke 3 peserta" in await page.inner_text("#loaded")
        assert "4 sesi" in await page.inner_text("#count")
        sessions_shown = await page.inner_text("#sessions")
        assert "Kamis, 14 November 2024" in sessions_shown
        assert "Praktik tata kelola koleksi" in sessions_shown
        assert "10.30–12.00" in sessions_shown
        await assert_fits_a_phone(page)


async def on_telegram(sessions: SessionMaker, built: World) -> dict[str, int]:
    """The world's participants, reached on Telegram (the fake Bot API's chats): their
    chat ids by name."""
    chats = {"Siti Rahayu": 71001, "Budi Santoso": 71002, "Dewi Lestari": 71003}
    async with sessions.begin() as session:
        for name, chat in chats.items():
            person = select(col(Person.id)).where(col(Person.full_name) == name)
            moved = await session.execute(
                update(ChannelIdentity)
                .where(col(ChannelIdentity.person_id).in_(person))
                .values(channel="telegram", user_key=str(chat), address=str(chat))
            )
            assert moved.rowcount == 1  # type: ignore[attr-defined]
    return chats


async def test_an_announcement_sent_and_one_scheduled_then_cancelled(
    sessions: SessionMaker,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    telegram_server: FakeTelegramServer,
    web_debug_logs: io.StringIO,
) -> None:
    built = await world(sessions)
    chats = await on_telegram(sessions, built)
    clock = Clock()
    app = dashboard_app(sessions, clock)
    bot = create_bot(telegram_server.token, telegram_server.base_url)
    gate = RateGate({"telegram": "1000/second"}, {"telegram": "1000/second"})
    dispatcher = Dispatcher(sessions, [TelegramSender(bot)], gate, clock, poll_every=0.2)
    token = await link_for(sessions, built.organiser)
    try:
        async with (
            dispatcher.running(),
            signed_in_page(app, tmp_path, token, request.node.name) as (page, base),
        ):
            await page.goto(f"{base}{PREFIX}/acara/{built.mine.id}")
            await page.click("nav.tabs >> text=Pengumuman")
            await page.wait_for_selector("#compose")
            await page.fill("#compose textarea[name=teks]", "Sesi 2 pindah ke Ruang Mahakam.")
            await page.select_option("#compose select[name=penerima]", "class:A")
            await page.click("#compose-button")
            await page.wait_for_selector("#message")
            assert "2 orang (peserta Kelas A)" in await page.inner_text("#reach")
            bubble = await page.inner_text("#message")
            assert bubble.startswith("📢 Bimtek SMD24")
            assert "Sesi 2 pindah ke Ruang Mahakam." in bubble
            assert telegram_server.sent() == []  # nothing before the confirmation
            for name in ("Siti Rahayu", "Dewi Lestari"):
                telegram_server.slow_chat(chats[name], 1.5)  # still going when shown
            await page.click("#confirm")
            await page.wait_for_selector("#report")
            assert "sedang dikirim ke 2 orang" in await page.inner_text("#said")
            assert await page.inner_text('[data-count="sent"]') == "0"
            # The page reads its report again by itself until both are sent.
            await page.wait_for_selector('[data-count="sent"] >> text="2"', timeout=20000)
            assert await page.inner_text('[data-count="waiting"]') == "0"
            assert await page.is_hidden("#cancel-form")
            for name in ("Siti Rahayu", "Dewi Lestari"):
                [call] = telegram_server.sent(chats[name])
                assert call.params["text"].endswith("Sesi 2 pindah ke Ruang Mahakam.")
            assert telegram_server.sent(chats["Budi Santoso"]) == []  # class B

            # One for this afternoon, then stopped before it goes.
            await page.click("text=Kembali ke daftar pengumuman")
            await page.wait_for_selector("#compose")
            await page.fill("#compose textarea[name=teks]", "Evaluasi pukul 15.00.")
            await page.select_option("#compose select[name=penerima]", "all")
            await page.check("#compose input[value=nanti]")
            await page.fill("#compose input[name=waktu]", "2024-11-13T14:30")
            await page.click("#compose-button")
            await page.wait_for_selector("#question")
            assert "14.30 WITA" in await page.inner_text("#question")
            await page.click("#confirm")
            await page.wait_for_selector("#report")
            assert "Terjadwal" in await page.inner_text("[data-field=state]")
            assert await page.inner_text('[data-count="waiting"]') == "5"
            await page.check("#cancel-sure")
            await page.click("#cancel")
            await page.wait_for_selector("#said")
            assert "dihentikan: 5 pesan" in await page.inner_text("#said")
            assert await page.inner_text('[data-count="cancelled"]') == "5"
            listed = f"{base}{PREFIX}/acara/{built.mine.id}/pengumuman"
            await assert_fits_a_phone(page, page.url, listed)
            recent = await page.inner_text("#recent")
            assert "Dibatalkan" in recent
            assert "2 / 2" in recent
            await asyncio.sleep(0.5)  # a claim in flight would send a cancelled row now
        assert len(telegram_server.sent()) == 2
    finally:
        await bot.session.close()
    # Even at DEBUG: ids, never what was announced, to whom, or their numbers.
    logs = web_debug_logs.getvalue()
    assert "/pengumuman/" in logs  # the pages were logged
    for secret in ("Ruang Mahakam", "Evaluasi pukul", "Siti", "Dewi", "71001", "Kelas A"):
        assert secret not in logs, f"{secret!r} leaked into the logs"
