"""Attendance on WhatsApp itself (signed deliveries to the web app, the real engine,
dispatcher and sender, the fake Cloud API): a trainer opens check-in and gets the code
and the QR pictures; the wa.me link's text, the code alone, is a participant's first
message and checks them in; a number nobody registered is told so; the trainer counts
again with the button (on WhatsApp the count does not update itself)."""

import io
from collections.abc import AsyncIterator

import pytest
import zxingcpp
from PIL import Image

from bot.db import SessionMaker
from models import Event, RoleName
from tests.drivers import texts
from tests.factories import ID, local
from tests.fakes.whatsapp_api import FakeWhatsAppServer
from tests.test_attendance_telegram import DEPLOYMENT, WED, Clock, button, code_of, registered_as
from tests.whatsapp_driver import WhatsAppBot, WhatsAppDriver


@pytest.fixture
async def bot(
    whatsapp_server: FakeWhatsAppServer, database_url: str, demo_event: Event
) -> AsyncIterator[tuple[WhatsAppBot, Clock]]:
    clock = Clock(local(demo_event, WED, "13.05"))
    bot = await WhatsAppBot(
        whatsapp_server, database_url, clock=clock, deployment=DEPLOYMENT
    ).start()
    yield bot, clock
    await bot.stop()


async def test_the_wa_me_link_text_checks_in_as_a_first_message(
    bot: tuple[WhatsAppBot, Clock], sessions: SessionMaker, demo_event: Event
) -> None:
    whatsapp, clock = bot
    trainer = WhatsAppDriver(whatsapp, "6281200009001")
    siti = WhatsAppDriver(whatsapp, "6281200009002")
    stranger = WhatsAppDriver(whatsapp, "6281200009003")
    await registered_as(sessions, trainer, "Rachmawati", event=demo_event,
                        role=RoleName.TRAINER, speaker="Rachmawati")  # fmt: skip
    await registered_as(sessions, siti, "Siti Rahayu", event=demo_event, class_name="B")

    shown = await trainer.send("/presensi")
    shown = await trainer.press(button(shown, "13.00 Advokasi"))
    code = code_of(shown)
    pictures = [s for s in shown if s.document is not None]
    links = []
    for picture in pictures:
        assert picture.document is not None
        [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(picture.document[1])))
        links.append(found.text)
    assert f"https://wa.me/6281154001234?text={code}" in links
    status = shown[-1]
    assert "✅ Hadir: 0 dari 1 peserta (0 terlambat)" in status.text
    assert ID("attendance.refresh") in status.buttons

    clock.set(local(demo_event, WED, "13.08"))
    shown = await siti.send(code)  # what the wa.me link typed for her
    assert "✅ Kehadiran tercatat: Advokasi untuk Keberlanjutan, pukul 13.08 WITA." in texts(shown)
    shown = await stranger.send(code)
    assert "Anda belum terdaftar di Bimtek SPP-TIK Kabupaten Kutai Kartanegara" in texts(shown)
    assert "/start KUKAR2024" in texts(shown)

    shown = await trainer.press(ID("attendance.refresh"))
    assert "✅ Hadir: 1 dari 1 peserta (0 terlambat)" in texts(shown)
