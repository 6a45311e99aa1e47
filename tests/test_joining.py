"""Joining events: by link, by code, with one or several events open."""

from collections.abc import AsyncIterator

import pytest
from sqlmodel import select

from bot.db import SessionMaker
from bot.demo import DEMO_ORGANIZER
from handlers.consent_notice import CONSENT_VERSION
from handlers.i18n import Translator
from models import Conversation, Event
from tests.drivers import Driver, EngineDriver
from tests.factories import enrolled_codes
from tests.test_registration import last, register_in_indonesian

ID = Translator("id")


@pytest.fixture
async def person(database_url: str) -> AsyncIterator[Driver]:
    driver = EngineDriver(database_url)
    yield driver
    await driver.close()


async def test_a_join_link_picks_the_event_among_several(
    person: Driver, jambi: Event, sessions: SessionMaker
) -> None:
    await person.send("/start JBI2024")  # what t.me/<bot>?start=JBI2024 sends
    shown = await person.press("Bahasa Indonesia")
    assert last(shown).text == ID(
        "consent.event_text",
        version=CONSENT_VERSION,
        organizer=jambi.organizer,
        kept=ID("consent.kept_years", years=2),
    )
    assert await enrolled_codes(sessions) == []
    async with sessions() as session:
        conversation = (await session.execute(select(Conversation))).scalar_one()
    assert conversation.state["registration"]["event_id"] == jambi.id


async def test_with_several_events_open_the_bot_asks_for_the_code(
    person: Driver, jambi: Event, sessions: SessionMaker
) -> None:
    await person.send("/start")
    shown = await person.press("Bahasa Indonesia")
    assert last(shown).text == ID("ask.event_code")
    for wrong in ("SALAH", "KUKAR 2024", "'; DROP TABLE event; --", "x" * 200):
        shown = await person.send(wrong)
        assert [s.text for s in shown] == [ID("invalid.event_code")]
    shown = await person.send("kukar2024")  # codes are not case-sensitive
    assert last(shown).text == ID(
        "consent.event_text",
        version=CONSENT_VERSION,
        organizer=DEMO_ORGANIZER,
        kept=ID("consent.kept_years", years=10),
    )


async def test_an_unknown_code_in_a_link_is_explained(person: Driver, jambi: Event) -> None:
    shown = await person.send("/start NOPE99")
    assert shown[0].text == ID("start.unknown_code")
    assert last(shown).text == ID("ask.language")


async def test_a_registered_person_joins_a_second_event_without_registering_again(
    person: Driver, jambi: Event, sessions: SessionMaker, demo_event: Event
) -> None:
    driver: Driver = person
    shown = await register_in_indonesian(driver, start="/start KUKAR2024")
    assert shown[0].text.startswith("Pendaftaran selesai")
    # Consent is per event: the second one's organiser is named, and asked for.
    shown = await driver.send("/start JBI2024")
    assert last(shown).text == ID(
        "consent.event_text",
        version=CONSENT_VERSION,
        organizer=jambi.organizer,
        kept=ID("consent.kept_years", years=2),
    )
    shown = await driver.press(ID("consent.agree"))
    assert shown[0].text == ID("consent.thanks_event", event=jambi.name)
    assert shown[1].text == ID(
        "registration.joined", name="Siti Rahmawati, S.Sos", event=jambi.name
    )
    shown = await driver.send("/start JBI2024")
    assert shown[0].text == ID(
        "registration.already", name="Siti Rahmawati, S.Sos", event=jambi.name
    )
    assert await enrolled_codes(sessions) == ["JBI2024", "KUKAR2024"]


async def test_a_closed_event_takes_no_new_registrations(
    person: Driver, sessions: SessionMaker, demo_event: Event
) -> None:
    async with sessions.begin() as session:
        event = await session.get(Event, demo_event.id)
        assert event is not None
        event.is_open = False
    shown = await person.send("/start KUKAR2024")
    assert shown[0].text == ID("start.unknown_code")
    shown = await person.press("Bahasa Indonesia")
    assert last(shown).text == ID("ask.event_code"), "with no open event the code is asked"
    shown = await person.send("KUKAR2024")
    assert [s.text for s in shown] == [ID("invalid.event_code")]
