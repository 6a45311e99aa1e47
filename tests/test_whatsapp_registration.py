"""On WhatsApp the number is known: registration does not ask for it, shows it in the
summary to confirm, and lets it be changed there. Elsewhere the number is still asked."""

from collections.abc import AsyncIterator

import pytest

from bot.db import SessionMaker
from bot.demo import DEMO_ORGANIZER
from handlers.consent_notice import CONSENT_VERSION
from handlers.i18n import Translator
from models import Event
from tests.drivers import Driver, EngineDriver, Shown
from tests.test_registration import last, stored

ID = Translator("id")
WA_NUMBER = "6281200000123"


class WhatsAppPerson(EngineDriver):
    """Someone on WhatsApp as the core sees them: their number is their user key."""

    channel = "whatsapp"


class TelegramPerson(EngineDriver):
    """Someone on Telegram as the core sees them (the channel itself is tested apart)."""

    channel = "telegram"


# What each question gets, as a person would answer it: (press a button?, the answer).
ANSWERS = {
    ID("ask.language"): (True, "Bahasa Indonesia"),
    ID(
        "consent.event_text",
        version=CONSENT_VERSION,
        organizer=DEMO_ORGANIZER,
        kept=ID("consent.kept_years", years=10),
    ): (
        True,
        ID("consent.agree"),
    ),
    ID("ask.full_name"): (False, "Siti Rahmawati"),
    ID("ask.phone_e164"): (False, "0812-3456-7890"),
    ID("ask.library_name"): (False, "Perpustakaan Desa Sukamaju"),
    ID("ask.library_type"): (True, ID("library_type.desa")),
    ID("ask.regency"): (False, "Kutai Kartanegara"),
    ID("ask.province", page=1, pages=5): (False, "Kalimantan Timur"),
    ID("ask.library_role"): (False, "Kepala Perpustakaan"),
}


async def answer_everything(
    person: Driver, first: str = "halo", *, until: str | None = None
) -> tuple[list[str], list[Shown]]:
    """Answer each question as it comes, up to the summary (or the question ``until``):
    the questions asked, in order, and the last replies."""
    asked: list[str] = []
    shown = await person.send(first)
    while True:
        question = last(shown)
        if question.buttons and question.buttons[0] == ID("summary.confirm"):
            asked.append("summary")
            return asked, shown
        assert question.text in ANSWERS, f"unexpected: {question.text[:80]}"
        asked.append(question.text)
        if question.text == until:
            return asked, shown
        press, answer = ANSWERS[question.text]
        shown = await (person.press(answer) if press else person.send(answer))


@pytest.fixture
async def on_whatsapp(database_url: str, demo_event: Event) -> AsyncIterator[Driver]:
    person = WhatsAppPerson(database_url, user_key=WA_NUMBER)
    yield person
    await person.close()


@pytest.fixture
async def on_telegram(database_url: str, demo_event: Event) -> AsyncIterator[Driver]:
    person = TelegramPerson(database_url, user_key="700123")
    yield person
    await person.close()


async def test_whatsapp_asks_one_question_fewer_and_keeps_the_number_it_knows(
    on_whatsapp: Driver, on_telegram: Driver, sessions: SessionMaker, demo_event: Event
) -> None:
    on_wa, wa_shown = await answer_everything(on_whatsapp)
    on_tg, _ = await answer_everything(on_telegram)
    assert len(on_wa) == len(on_tg) - 1 == 9
    assert ID("ask.phone_e164") not in on_wa
    assert [q for q in on_tg if q != ID("ask.phone_e164")] == on_wa

    summary = last(wa_shown)
    assert "• Nomor HP: +6281200000123" in summary.text
    shown = await on_whatsapp.press(ID("summary.confirm"))
    assert shown[0].text == ID("registration.done", name="Siti Rahmawati", event=demo_event.name)
    _, person = await stored(sessions, on_whatsapp)
    assert (person.phone_e164, person.full_name) == ("+6281200000123", "Siti Rahmawati")


async def test_the_summary_still_lets_them_type_another_number(
    on_whatsapp: Driver, sessions: SessionMaker
) -> None:
    await answer_everything(on_whatsapp)
    shown = await on_whatsapp.press(ID("summary.fix", field=ID("field.phone_e164")))
    assert last(shown).text == ID("ask.phone_e164")
    shown = await on_whatsapp.send("not a number")
    assert [s.text for s in shown] == [ID("invalid.phone")]
    shown = await on_whatsapp.send("0813-1111-2222")
    assert "• Nomor HP: +6281311112222" in last(shown).text
    await on_whatsapp.press(ID("summary.confirm"))
    _, person = await stored(sessions, on_whatsapp)
    assert person.phone_e164 == "+6281311112222"


async def test_a_key_that_is_no_phone_number_means_the_number_is_asked(
    database_url: str, demo_event: Event
) -> None:
    """A channel's key that does not read as a number (never from WhatsApp itself, but
    the core does not count on it) is no number: it is asked."""
    person = WhatsAppPerson(database_url, user_key="99999")
    try:
        asked, _ = await answer_everything(person, until=ID("ask.phone_e164"))
    finally:
        await person.close()
    assert asked[-1] == ID("ask.phone_e164")
