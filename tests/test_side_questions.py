"""Side questions in the middle of a registration (language, profile, erasure, help, a
closed event) answer and then come back to the same question, keeping every answer."""

from sqlmodel import select

from bot.db import SessionMaker
from handlers.i18n import Translator
from models import Conversation, Event, Person
from tests.drivers import ConsoleDriver, Driver
from tests.test_registration import (
    agree_in_indonesian,
    answers,
    last,
    personal,
    register_in_indonesian,
    stored,
)

ID = Translator("id")
EN = Translator("en")


async def halfway(driver: Driver) -> None:
    """Consented, name and phone given: the library name is asked next."""
    await agree_in_indonesian(driver)
    await driver.send("Budi Santoso")
    shown = await driver.send("0812-3456-7890")
    assert last(shown).text == ID("ask.library_name")


ANSWERS = {"full_name": "Budi Santoso", "phone_e164": "+6281234567890"}


async def test_changing_language_mid_registration_keeps_the_answers(
    driver: Driver, sessions: SessionMaker
) -> None:
    await halfway(driver)
    shown = await driver.send("/bahasa")
    assert last(shown).text == ID("ask.language_change")
    shown = await driver.press("English")
    assert [s.text for s in shown] == [EN("language.saved"), EN("ask.library_name")]
    conversation, _ = await stored(sessions, driver)
    assert answers(conversation) == ANSWERS


async def test_cancelling_a_side_question_returns_to_the_registration(
    driver: Driver, sessions: SessionMaker
) -> None:
    await halfway(driver)
    await driver.send("/hapus")
    shown = await driver.send("/batal")
    assert [s.text for s in shown] == [ID("cancel.done"), ID("ask.library_name")]
    await driver.send("/hapus")
    shown = await driver.press(ID("erase.no"))
    assert [s.text for s in shown] == [ID("erase.kept"), ID("ask.library_name")]
    conversation, participant = await stored(sessions, driver)
    assert answers(conversation) == ANSWERS
    assert participant is not None


async def test_erasing_mid_registration_forgets_everything(
    driver: Driver, sessions: SessionMaker
) -> None:
    await halfway(driver)
    await driver.send("/hapus")
    shown = await driver.press(ID("erase.yes"))
    assert last(shown).text == ID("erase.done")
    conversation, participant = await stored(sessions, driver)
    assert personal(participant) == {}
    assert (conversation.state, conversation.flow) == ({}, None)


async def test_profile_and_help_mid_registration(driver: Driver) -> None:
    await halfway(driver)
    shown = await driver.send("/profil")
    assert shown[0].text.startswith(ID("profile.partial", profile="")[:30])
    assert "• Nomor HP: +6281234567890" in shown[0].text
    assert "• Nama perpustakaan: —" in shown[0].text
    assert last(shown).text == ID("ask.library_name")
    shown = await driver.send("/bantuan")
    for command, key in (("batal", "cancel"), ("profil", "profile"), ("hapus", "delete")):
        assert f"/{command} — " + ID(f"command.{key}") in shown[0].text
    assert last(shown).text == ID("ask.library_name")
    shown = await driver.send("/ubah")
    assert [s.text for s in shown] == [ID("edit.during_registration"), ID("ask.library_name")]


async def test_an_event_closed_mid_registration_keeps_the_answers(
    driver: Driver, sessions: SessionMaker, demo_event: Event
) -> None:
    await halfway(driver)
    async with sessions.begin() as session:
        event = await session.get(Event, demo_event.id)
        assert event is not None
        event.is_open = False
    shown = await driver.send("Perpustakaan Desa Sukamaju")
    assert [s.text for s in shown] == [
        ID("registration.closed", event=demo_event.name),
        ID("ask.event_code"),
    ]
    conversation, participant = await stored(sessions, driver)
    assert answers(conversation)["library_name"] == "Perpustakaan Desa Sukamaju"
    assert participant.registered_at is None


async def test_mulai_takes_an_event_code_like_start(driver: Driver, demo_event: Event) -> None:
    await register_in_indonesian(driver)
    shown = await driver.send("/mulai KUKAR2024")
    assert shown[0].text == ID(
        "registration.already", name="Siti Rahmawati, S.Sos", event=demo_event.name
    )


async def test_the_console_main_menu_answers_to_numbers_and_labels(
    database_url: str, demo_event: Event, sessions: SessionMaker
) -> None:
    person = ConsoleDriver(database_url)
    try:
        shown = await register_in_indonesian(person)
        number = last(shown).buttons.index(ID("menu.profile")) + 1
        shown = await person.send(str(number))
        assert shown[0].text.startswith(ID("profile.show", profile="")[:20])
        shown = await person.send(ID("menu.edit"))
        assert last(shown).text == ID("edit.pick")
    finally:
        await person.close()
    async with sessions() as session:
        assert (await session.execute(select(Person))).scalar_one().full_name
        assert (await session.execute(select(Conversation))).scalar_one().flow == "edit"
