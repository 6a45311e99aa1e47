"""Joining without commands: an event's code typed on its own (what a wa.me link fills
in), an invite code, or a greeting from someone not registered starts as /start does, on
every channel; registered people and answers to questions are not taken for them."""

from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from bot.db import SessionMaker
from bot.demo import DEMO_ORGANIZER
from handlers.consent_notice import CONSENT_VERSION
from handlers.greetings import is_opening
from handlers.i18n import Translator
from models import Event, Role, RoleName
from models.roles import create_invite
from models.types import utcnow
from tests.drivers import ConsoleDriver, Driver, EngineDriver
from tests.factories import enrolled_codes
from tests.test_registration import agree_in_indonesian, last, register_in_indonesian, stored

ID = Translator("id")


class WhatsAppPerson(EngineDriver):
    """Someone on WhatsApp as the core sees them: their number is their user key."""

    channel = "whatsapp"


@pytest.fixture
async def on_whatsapp(database_url: str, demo_event: Event) -> AsyncIterator[Driver]:
    person = WhatsAppPerson(database_url, user_key="6281200000123")
    yield person
    await person.close()


@pytest.mark.parametrize("typed", ["JBI2024", "jbi2024", "  JbI2024 \n"])
async def test_a_typed_event_code_starts_joining_that_event(
    on_whatsapp: Driver, jambi: Event, sessions: SessionMaker, typed: str
) -> None:
    shown = await on_whatsapp.send(typed)
    assert last(shown).text == ID("ask.language")
    shown = await on_whatsapp.press("Bahasa Indonesia")
    assert last(shown).text == ID(
        "consent.event_text",
        version=CONSENT_VERSION,
        organizer=jambi.organizer,
        kept=ID("consent.kept_years", years=2),
    )
    conversation, _ = await stored(sessions, on_whatsapp)
    assert conversation.state["registration"]["event_id"] == jambi.id


@pytest.mark.parametrize(
    "greeting", ["halo", "Haloo kak", "P", "Assalamu'alaikum wr. wb.", "selamat pagi", "Hi!"]
)
async def test_a_greeting_from_someone_new_starts_as_start_does(
    driver: Driver, greeting: str
) -> None:
    shown = await driver.send(greeting)
    assert last(shown).text == ID("ask.language")
    shown = await driver.press("Bahasa Indonesia")
    # One event open: no code needed, as with /start.
    assert last(shown).text == ID(
        "consent.event_text",
        version=CONSENT_VERSION,
        organizer=DEMO_ORGANIZER,
        kept=ID("consent.kept_years", years=10),
    )


async def test_with_several_events_a_greeting_asks_for_the_code(
    on_whatsapp: Driver, jambi: Event
) -> None:
    await on_whatsapp.send("selamat siang")
    shown = await on_whatsapp.press("Bahasa Indonesia")
    assert last(shown).text == ID("ask.event_code")
    shown = await on_whatsapp.send("kukar2024")
    assert last(shown).text == ID(
        "consent.event_text",
        version=CONSENT_VERSION,
        organizer=DEMO_ORGANIZER,
        kept=ID("consent.kept_years", years=10),
    )


async def test_start_with_a_code_still_works_and_words_that_mean_nothing_still_get_help(
    on_whatsapp: Driver, jambi: Event
) -> None:
    shown = await on_whatsapp.send("apa kabar?")
    assert last(shown).text == ID("idle.unregistered")
    shown = await on_whatsapp.send("/start JBI2024")
    assert last(shown).text == ID("ask.language")


async def test_a_registered_person_types_another_events_code_and_joins_it(
    driver: Driver, jambi: Event, sessions: SessionMaker, demo_event: Event
) -> None:
    await register_in_indonesian(driver, start="/start KUKAR2024")
    shown = await driver.send("halo")  # a greeting from someone registered: the menu
    assert last(shown).text == ID("idle.registered")
    shown = await driver.send("  jbi2024 ")
    # Another event: its own consent first, naming its organiser.
    assert last(shown).text == ID(
        "consent.event_text",
        version=CONSENT_VERSION,
        organizer=jambi.organizer,
        kept=ID("consent.kept_years", years=2),
    )
    shown = await driver.press(ID("consent.agree"))
    assert shown[1].text == ID(
        "registration.joined", name="Siti Rahmawati, S.Sos", event=jambi.name
    )
    assert await enrolled_codes(sessions) == ["JBI2024", "KUKAR2024"]
    shown = await driver.send("KUKAR2024")
    assert shown[0].text == ID(
        "registration.already", name="Siti Rahmawati, S.Sos", event=demo_event.name
    )
    assert await enrolled_codes(sessions) == ["JBI2024", "KUKAR2024"]


async def test_answers_to_questions_are_never_taken_for_codes_or_greetings(
    driver: Driver, jambi: Event, sessions: SessionMaker
) -> None:
    await agree_in_indonesian(driver, start="/start KUKAR2024")
    shown = await driver.send("Halo Santoso")  # a name that begins like a greeting
    assert last(shown).text == ID("ask.phone_e164")
    conversation, _ = await stored(sessions, driver)
    assert conversation.state["registration"]["answers"]["full_name"] == "Halo Santoso"
    assert conversation.state["registration"]["event_id"] != jambi.id


async def test_a_typed_invite_code_grants_its_role(
    driver: Driver, sessions: SessionMaker, demo_event: Event
) -> None:
    async with sessions.begin() as session:
        assert demo_event.id is not None
        code = await create_invite(
            session, demo_event.id, RoleName.ORGANIZER, created_by="cli", now=utcnow()
        )
    shown = await driver.send(code.lower())
    assert "tim panitia" in shown[0].text
    async with sessions() as session:
        assert len((await session.execute(select(Role))).scalars().all()) == 1


async def test_the_console_joins_by_code_too(database_url: str, jambi: Event) -> None:
    person = ConsoleDriver(database_url, user_key="tamu")
    try:
        shown = await person.send("JBI2024")
        assert last(shown).text == ID("ask.language")
    finally:
        await person.close()


# --- what counts as an opening, written out independently of the code -----------------

OPENINGS = [
    "halo", "HALO", "Halooo", "hai kak", "hi", "hello", "p", "P", "pp", "ping",
    "assalamualaikum", "Assalamu'alaikum", "Assalamu’alaikum warahmatullahi",
    "selamat pagi", "Selamat Siang Pak", "selamat sore", "SELAMAT MALAM", "pagi bu",
    "mau daftar", "daftar", "Daftar dong", "start",
]  # fmt: skip
NOT_OPENINGS = [
    "", "   ", "Budi Santoso", "Perpustakaan Desa Sukamaju", "0812-3456-7890", "1", "ya",
    "Kalimantan Timur", "kaltim", "apa kabar", "selamat", "halaman", "pakai", "hiasan",
    "pendaftaran", "KUKAR2024", "/start", "🙏",
]  # fmt: skip


@pytest.mark.parametrize("text", OPENINGS)
def test_openings(text: str) -> None:
    assert is_opening(text)


@pytest.mark.parametrize("text", [t for t in NOT_OPENINGS if t != "/start"])
def test_not_openings(text: str) -> None:
    assert not is_opening(text)


@settings(max_examples=300)
@given(st.text(max_size=400))
@example("\x00")
@example("h" * 10_000)
def test_any_text_is_read_without_failing(text: str) -> None:
    assert is_opening(text) in (True, False)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
@example(text="halo")
@example(text="JBI2024")
async def test_random_first_words_never_fail_nor_register_anyone(
    database_url: str, jambi: Event, sessions: SessionMaker, text: str
) -> None:
    person = WhatsAppPerson(database_url)
    try:
        shown = await person.send(text)
    finally:
        await person.close()
    assert shown, "every message gets an answer"
    assert not {s.text for s in shown} & {ID("error.internal")}
    assert await enrolled_codes(sessions) == []
