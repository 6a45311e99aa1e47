"""Journeys on WhatsApp itself: Meta's signed deliveries to the bot's web app, the real
engine, dispatcher and sender, the fake Cloud API. The same conversations run against
the engine in test_registration.py and test_linking.py; here the channel is under test,
end to end, in the way a participant's phone shows it."""

import io
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import structlog
from icalendar import Calendar
from sqlalchemy import select
from sqlmodel import col

from bot.db import SessionMaker
from bot.logging import configure_logging
from models import ChannelIdentity, Event, OutboxMessage, Person, RoleName
from models.roles import create_invite
from models.types import utcnow
from tests.drivers import TelegramDriver, texts
from tests.fakes.telegram_api import FakeTelegramServer
from tests.fakes.whatsapp_api import FakeWhatsAppServer
from tests.test_registration import ID, REGISTERED_MENU, last
from tests.test_whatsapp_registration import answer_everything
from tests.whatsapp_driver import WhatsAppBot, WhatsAppDriver


async def registered(person: WhatsAppDriver) -> None:
    await answer_everything(person)
    await person.press(ID("summary.confirm"))


async def test_a_participant_registers_on_whatsapp_without_typing_a_number(
    whatsapp_person: WhatsAppDriver, whatsapp_server: FakeWhatsAppServer, sessions: SessionMaker
) -> None:
    person = whatsapp_person
    asked, shown = await answer_everything(person, first="halo")
    assert ID("ask.phone_e164") not in asked, "WhatsApp vouches for the number"
    assert f"• Nomor HP: +{person.user_key}" in last(shown).text
    # Eight choices: a list of rows whose titles fit, each label whole.
    summary = whatsapp_server.sent_to(person.user_key)[-1]
    assert summary.type == "list"
    assert last(shown).buttons[0] == ID("summary.confirm")
    shown = await person.press(ID("summary.confirm"))
    assert shown[0].buttons == REGISTERED_MENU
    async with sessions() as session:
        stored = (await session.execute(select(Person))).scalar_one()
    assert (stored.full_name, stored.phone_e164) == ("Siti Rahmawati", f"+{person.user_key}")


async def test_look_ups_and_the_calendar_file_on_whatsapp(
    whatsapp_person: WhatsAppDriver, whatsapp_server: FakeWhatsAppServer, demo_event: Event
) -> None:
    person = whatsapp_person
    await registered(person)
    shown = await person.send("/agenda")
    assert demo_event.name in texts(shown), "the whole agenda, in as many messages as it takes"
    assert ID("menu.calendar") in last(shown).buttons
    shown = await person.press(ID("menu.calendar"))
    documents = [m for m in whatsapp_server.sent_to(person.user_key) if m.type == "document"]
    assert documents, "the calendar goes as a document"
    name, content = shown[0].document or ("", b"")
    assert name.endswith(".ics")
    calendar = Calendar.from_ical(content)
    assert len(calendar.walk("VEVENT")) > 10, "every session of the demo agenda"


async def test_a_participant_on_telegram_links_whatsapp_with_a_code(
    telegram_person: TelegramDriver,
    whatsapp_bot: WhatsAppBot,
    telegram_server: FakeTelegramServer,
    sessions: SessionMaker,
    demo_event: Event,
) -> None:
    """Registered on Telegram with a number; the same number on WhatsApp is offered the
    link, the code arrives in the Telegram chat, typed on WhatsApp it makes one person."""
    await answer_everything(telegram_person, first="/start")
    await telegram_person.press(ID("summary.confirm"))
    phone = "6281234567890"  # what the Telegram registration typed: 0812-3456-7890
    person = WhatsAppDriver(whatsapp_bot, wa_id=phone)
    await person.send("halo")
    await person.press("Bahasa Indonesia")
    shown = await person.press(ID("consent.agree"))
    assert last(shown).text == ID("link.offer", phone=f"+{phone}", channel="Telegram")
    before = len(telegram_server.sent(telegram_person.user_id))
    await person.press(ID("link.yes"))
    await telegram_person.until_sent()
    [code_message] = telegram_server.sent(telegram_person.user_id)[before:]
    found = re.search(r"\b(\d{6})\b", code_message.params["text"])
    assert found is not None, "the code, in the Telegram chat"
    shown = await person.send(found.group(1))
    assert shown[0].text == ID(
        "link.done_event",
        channel="WhatsApp",
        other="Telegram",
        name="Siti Rahmawati",
        event=demo_event.name,
    )
    async with sessions() as session:
        identities = (await session.execute(select(ChannelIdentity))).scalars().all()
        people = (await session.execute(select(Person))).scalars().all()
    assert len(people) == 1
    assert {i.channel for i in identities} == {"telegram", "whatsapp"}
    shown = await person.send("/profil")
    assert "Siti Rahmawati" in shown[0].text


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """Everything the bot logs, down to DEBUG (stricter than the rule, which is for INFO)."""
    output = io.StringIO()
    configure_logging("DEBUG", "json", stream=output)
    try:
        yield output
    finally:
        structlog.reset_defaults()
        logging.basicConfig(force=True)


async def test_no_number_name_or_message_text_in_the_logs(
    whatsapp_person: WhatsAppDriver, logs: io.StringIO
) -> None:
    person = whatsapp_person
    await registered(person)
    await person.send("Perpustakaan Rahasia Sekali")
    await person.send_unsupported("location")
    logged = logs.getvalue()
    assert "whatsapp_delivery_stored" in logged, "the logs were captured"
    for secret in (person.user_key, person.user_key[2:], "Siti Rahmawati", "Rahasia", "Sukamaju"):
        assert secret not in logged, secret


async def test_an_organiser_gets_the_template_and_sends_an_agenda_on_whatsapp(
    whatsapp_person: WhatsAppDriver,
    whatsapp_server: FakeWhatsAppServer,
    sessions: SessionMaker,
    demo_event: Event,
) -> None:
    """Files both ways: the template spreadsheet uploaded, then sent by its media id;
    the organiser's file fetched by its media id before the agenda import reads it."""
    organiser = whatsapp_person
    assert demo_event.id is not None
    async with sessions.begin() as session:
        code = await create_invite(
            session, demo_event.id, RoleName.ORGANIZER, created_by="cli", now=utcnow()
        )
    shown = await organiser.send(f"/start {code}")
    assert "Selamat datang di tim panitia" in texts(shown)
    shown = await organiser.send("/impor")
    assert shown[0].document is not None
    assert shown[0].document[0].endswith(".xlsx")
    assert whatsapp_server.of_kind("upload"), "uploaded, then sent by its id"
    broken = (
        "Tanggal;Mulai;Selesai;Materi;Narasumber;Ruang\n"
        "14/11/2024;08.00;09.00;Sesi baru;;Ballroom\n"
        "14/11/2024;10.00;09.00;Mundur;;Ballroom\n"
    )
    shown = await organiser.send_file("jadwal.csv", broken.encode(), "text/csv")
    assert "tidak dimuat" in texts(shown), "the file was fetched and read"
    assert "3" in texts(shown)


async def test_opening_the_chat_for_the_first_time_starts_as_start_does(
    whatsapp_person: WhatsAppDriver,
) -> None:
    """WhatsApp tells the bot when someone opens the chat before typing anything."""
    shown = await whatsapp_person.deliver(whatsapp_person._message("request_welcome"))
    assert texts(shown) == ID("ask.language")


async def test_what_whatsapp_reports_after_a_send_is_recorded_on_the_outbox(
    whatsapp_person: WhatsAppDriver, whatsapp_bot: WhatsAppBot, sessions: SessionMaker
) -> None:
    """Status callbacks through the webhook: delivered and read on the row that sent the
    message; a late 131026 makes the number unreachable."""
    person = whatsapp_person
    await person.send("halo")
    [message] = person.server.sent_to(person.user_key)

    def statuses(*reports: tuple[str, int, dict[str, object]]) -> dict[str, object]:
        return {
            "messaging_product": "whatsapp",
            "metadata": whatsapp_bot.metadata(),
            "statuses": [
                {"id": message.message_id, "status": status, "timestamp": str(at),
                 "recipient_id": person.user_key, **extra}
                for status, at, extra in reports
            ],
        }  # fmt: skip

    await whatsapp_bot.post(statuses(("delivered", 1731465300, {}), ("read", 1731465360, {})))
    async with sessions() as session:
        row = (
            await session.execute(
                select(OutboxMessage).where(col(OutboxMessage.external_ids) == message.message_id)
            )
        ).scalar_one()
    assert row.delivered_at == datetime.fromtimestamp(1731465300, UTC)
    assert row.read_at == datetime.fromtimestamp(1731465360, UTC)

    failed: dict[str, object] = {"errors": [{"code": 131026, "title": "Message undeliverable"}]}
    await whatsapp_bot.post(statuses(("failed", 1731465400, failed)))
    async with sessions() as session:
        identity = (
            await session.execute(
                select(ChannelIdentity).where(col(ChannelIdentity.user_key) == person.user_key)
            )
        ).scalar_one()
    assert identity.unreachable_at == datetime.fromtimestamp(1731465400, UTC)
