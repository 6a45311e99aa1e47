"""The registration journeys on Telegram itself: the real aiogram client talking HTTP to
the fake Bot API. The same conversation runs against the engine in test_registration.py;
here it is the channel that is under test, end to end."""

from sqlmodel import select

from bot.db import SessionMaker
from models import Person
from tests.drivers import TelegramDriver, texts
from tests.test_registration import (
    ID,
    REGISTERED_MENU,
    agree_in_indonesian,
    last,
    register_in_indonesian,
)


async def test_a_participant_registers_on_telegram(
    telegram_person: TelegramDriver, sessions: SessionMaker
) -> None:
    shown = await register_in_indonesian(telegram_person)
    assert shown[0].buttons == REGISTERED_MENU
    async with sessions() as session:
        person = (await session.execute(select(Person))).scalar_one()
    assert (person.full_name, person.phone_e164) == ("Siti Rahmawati, S.Sos", "+6281234567890")


async def test_stickers_old_buttons_and_a_restart_on_telegram(
    telegram_person: TelegramDriver,
) -> None:
    person = telegram_person
    await agree_in_indonesian(person)
    await person.send("Budi Santoso")
    await person.send("0812-3456-7890")
    await person.send("Perpustakaan Desa Loa Ipuh")
    for kind in ("sticker", "photo", "voice"):
        shown = await person.send_unsupported(kind)
        assert shown[0].text == ID("invalid.unsupported"), kind
        assert last(shown).text == ID("ask.library_type")
    shown = await person.press("English", newest=False)  # the language question's button
    assert shown[0].text == ID("invalid.stale_button")
    await person.restart()
    shown = await person.send("TBM")  # the label, typed: picks the button
    assert texts(shown) == ID("ask.regency")
