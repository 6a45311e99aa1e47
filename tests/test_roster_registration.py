"""Registering with a number on the event's roster: what the roster holds is shown to
confirm or correct instead of asked (on WhatsApp, whose number is known, and after a
matching name where the number is typed), the person is linked to the row and lands in
its class; fewer questions. A typed number with another name shows nothing of the row."""

from collections.abc import AsyncIterator

import pytest
from sqlmodel import col, select

from bot.db import SessionMaker
from bot.demo import DEMO_ORGANIZER
from handlers.consent_notice import CONSENT_VERSION
from models import Enrollment, Event, Person, RosterEntry
from models.roster.apply import import_roster
from models.roster.sheet import read_roster
from tests.drivers import Driver, Shown
from tests.factories import ID, enrol, make_event
from tests.test_registration import last, stored
from tests.test_whatsapp_registration import WA_NUMBER, TelegramPerson, WhatsAppPerson

ROSTER = "\n".join(
    [
        "Nama;No. HP;Nama Perpustakaan;Jenis Perpustakaan;Kabupaten/Kota;Kelas",
        "Siti Rahmawati, S.Sos;0812-3456-7890;Perpustakaan Desa Sukamaju;Desa;Kutai Kartanegara;B",
        f"Dewi Lestari;+{WA_NUMBER};TBM Pelangi;TBM;Samarinda;A",
    ]
).encode()

# How each question is answered: (press a button?, the answer).
Answers = dict[str, tuple[bool, str]]


def answers(name: str, phone: str) -> Answers:
    return {
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
        ID("ask.full_name"): (False, name),
        ID("ask.phone_e164"): (False, phone),
        ID("ask.library_name"): (False, "Perpustakaan Desa Lain"),
        ID("ask.library_type"): (True, ID("library_type.umum")),
        ID("ask.regency"): (False, "Bontang"),
        ID("ask.province", page=1, pages=5): (False, "Kalimantan Timur"),
        ID("ask.library_role"): (False, "Pustakawan"),
    }


async def answer_everything(person: Driver, given: Answers) -> tuple[list[str], list[Shown]]:
    """Answer each question as it comes, the roster's too (as it is), up to the summary:
    the questions asked, in order, and every reply."""
    asked: list[str] = []
    seen: list[Shown] = []
    shown = await person.send("halo")
    while True:
        seen += shown
        question = last(shown)
        if question.buttons and question.buttons[0] == ID("summary.confirm"):
            asked.append("summary")
            return asked, seen
        if question.buttons and question.buttons[0] == ID("roster.registration_confirm"):
            asked.append("roster")
            shown = await person.press(ID("roster.registration_confirm"))
            continue
        assert question.text in given, f"unexpected: {question.text[:80]}"
        asked.append(question.text)
        press, answer = given[question.text]
        shown = await (person.press(answer) if press else person.send(answer))


@pytest.fixture
async def with_roster(sessions: SessionMaker, demo_event: Event) -> Event:
    async with sessions.begin() as session:
        await import_roster(session, demo_event, read_roster("peserta.csv", ROSTER))
    return demo_event


@pytest.fixture
async def on_whatsapp(database_url: str, with_roster: Event) -> AsyncIterator[Driver]:
    person = WhatsAppPerson(database_url, user_key=WA_NUMBER)
    yield person
    await person.close()


@pytest.fixture
async def on_telegram(database_url: str, with_roster: Event) -> AsyncIterator[Driver]:
    person = TelegramPerson(database_url, user_key="700123")
    yield person
    await person.close()


@pytest.fixture
async def elsewhere(database_url: str, with_roster: Event) -> AsyncIterator[Driver]:
    """Someone on Telegram whose number is not on the roster."""
    person = TelegramPerson(database_url, user_key="700456")
    yield person
    await person.close()


async def roster_row(sessions: SessionMaker, phone: str) -> RosterEntry:
    async with sessions() as session:
        found = await session.execute(
            select(RosterEntry).where(col(RosterEntry.phone_e164) == phone)
        )
        return found.scalars().one()


async def class_of(sessions: SessionMaker, person: Person, event: Event) -> str | None:
    async with sessions() as session:
        found = await session.execute(
            select(Enrollment.class_name).where(
                col(Enrollment.person_id) == person.id, col(Enrollment.event_id) == event.id
            )
        )
        class_name: str | None = found.scalars().one()
        return class_name


async def test_a_typed_number_on_the_roster_after_its_name_saves_three_questions(
    on_telegram: Driver, elsewhere: Driver, sessions: SessionMaker, with_roster: Event
) -> None:
    listed, seen = await answer_everything(on_telegram, answers("Siti Rahmawati", "0812-3456-7890"))
    unlisted, _ = await answer_everything(elsewhere, answers("Budi Santoso", "0813-5555-1234"))
    assert len(unlisted) == 10
    assert len(listed) == len(unlisted) - 2 == 8
    skipped = {ID(f"ask.{name}") for name in ("library_name", "library_type", "regency")}
    assert [q for q in unlisted if q not in skipped and q != ID("ask.phone_e164")] == [
        q for q in listed if q not in ("roster", ID("ask.phone_e164"))
    ]
    found = next(s for s in seen if s.buttons[:1] == (ID("roster.registration_confirm"),))
    assert found.text.startswith(
        ID("roster.registration_found", event=with_roster.name, profile="")[:40]
    )
    assert "• Nama lengkap: Siti Rahmawati\n" in found.text  # as typed
    assert "• Nama perpustakaan: Perpustakaan Desa Sukamaju" in found.text
    assert "• Jenis perpustakaan: Perpustakaan desa" in found.text
    assert "• Kabupaten/kota: Kutai Kartanegara" in found.text
    summary = last(seen).text
    assert "• Nama perpustakaan: Perpustakaan Desa Sukamaju" in summary
    assert "• Provinsi: Kalimantan Timur" in summary

    shown = await on_telegram.press(ID("summary.confirm"))
    assert shown[0].text.startswith(ID("registration.done", name="Siti Rahmawati", event="")[:30])
    _, person = await stored(sessions, on_telegram)
    assert (person.full_name, person.phone_e164) == ("Siti Rahmawati", "+6281234567890")
    assert (person.library_name, person.library_type, person.regency) == (
        "Perpustakaan Desa Sukamaju",
        "desa",
        "Kutai Kartanegara",
    )
    assert (person.province, person.library_role) == ("Kalimantan Timur", "Pustakawan")
    assert await class_of(sessions, person, with_roster) == "B"
    assert (await roster_row(sessions, "+6281234567890")).person_id == person.id


async def test_on_whatsapp_the_roster_answers_four_questions_of_nine(
    on_whatsapp: Driver, sessions: SessionMaker, with_roster: Event
) -> None:
    asked, seen = await answer_everything(on_whatsapp, answers("-", "-"))
    assert asked == [
        ID("ask.language"),
        ID(
            "consent.event_text",
            version=CONSENT_VERSION,
            organizer=DEMO_ORGANIZER,
            kept=ID("consent.kept_years", years=10),
        ),
        "roster",
        ID("ask.province", page=1, pages=5),
        ID("ask.library_role"),
        "summary",
    ]  # nine without a roster (tests/test_whatsapp_registration.py)
    found = next(s for s in seen if s.buttons[:1] == (ID("roster.registration_confirm"),))
    assert "• Nama lengkap: Dewi Lestari" in found.text
    assert "• Jenis perpustakaan: TBM" in found.text
    assert found.buttons[1:] == tuple(
        ID("summary.fix", field=ID(f"field.{name}"))
        for name in ("full_name", "library_name", "library_type", "regency")
    )
    await on_whatsapp.press(ID("summary.confirm"))
    _, person = await stored(sessions, on_whatsapp)
    assert (person.full_name, person.phone_e164, person.library_name) == (
        "Dewi Lestari",
        "+" + WA_NUMBER,
        "TBM Pelangi",
    )
    assert await class_of(sessions, person, with_roster) == "A"
    assert (await roster_row(sessions, "+" + WA_NUMBER)).person_id == person.id


async def test_what_the_roster_holds_is_corrected_before_it_is_taken(
    on_whatsapp: Driver, sessions: SessionMaker
) -> None:
    await on_whatsapp.send("halo")
    await on_whatsapp.press("Bahasa Indonesia")
    shown = await on_whatsapp.press(ID("consent.agree"))
    assert last(shown).buttons[0] == ID("roster.registration_confirm")
    shown = await on_whatsapp.press(ID("summary.fix", field=ID("field.library_name")))
    assert last(shown).text == ID("ask.library_name")
    shown = await on_whatsapp.send("TBM Pelangi Baru")
    assert "• Nama perpustakaan: TBM Pelangi Baru" in last(shown).text
    assert last(shown).buttons[0] == ID("roster.registration_confirm")
    shown = await on_whatsapp.press(ID("summary.fix", field=ID("field.library_type")))
    shown = await on_whatsapp.press(ID("library_type.desa"))
    assert "• Jenis perpustakaan: Perpustakaan desa" in last(shown).text
    await on_whatsapp.press(ID("roster.registration_confirm"))
    await on_whatsapp.send("Kalimantan Timur")
    shown = await on_whatsapp.send("Pengelola")
    assert "• Nama perpustakaan: TBM Pelangi Baru" in last(shown).text
    assert "• Kabupaten/kota: Samarinda" in last(shown).text  # from the roster
    await on_whatsapp.press(ID("summary.confirm"))
    _, person = await stored(sessions, on_whatsapp)
    assert (person.library_name, person.library_type) == ("TBM Pelangi Baru", "desa")


async def test_a_typed_number_with_another_name_shows_nothing_of_the_roster(
    on_telegram: Driver, sessions: SessionMaker, with_roster: Event
) -> None:
    asked, seen = await answer_everything(on_telegram, answers("Budi Santoso", "0812-3456-7890"))
    assert "roster" not in asked
    assert len(asked) == 10
    everything = "\n".join(s.text for s in seen)
    for listed in ("Sukamaju", "Siti", "S.Sos", ID("roster.registration_confirm")):
        assert listed not in everything
    await on_telegram.press(ID("summary.confirm"))
    _, person = await stored(sessions, on_telegram)
    assert person.library_name == "Perpustakaan Desa Lain"
    # The number is the roster's: the row is theirs all the same, and its class.
    assert (await roster_row(sessions, "+6281234567890")).person_id == person.id
    assert await class_of(sessions, person, with_roster) == "B"


async def test_someone_registered_before_joins_in_the_rosters_class_without_a_question(
    database_url: str, sessions: SessionMaker, with_roster: Event
) -> None:
    other = await make_event(sessions, "BPN24")
    # Registered for another event with Siti's number (+6281234567890).
    user_key = await enrol(sessions, other, channel="telegram")
    person = TelegramPerson(database_url, user_key=user_key)
    try:
        shown = await person.send(f"/start {with_roster.code}")
        # Consent is per event: this one's is asked first.
        assert last(shown).buttons == (ID("consent.agree"), ID("consent.decline"))
        shown = await person.press(ID("consent.agree"))
    finally:
        await person.close()
    assert "terdaftar juga" in last(shown).text
    _, found = await stored(sessions, person)
    assert await class_of(sessions, found, with_roster) == "B"
    assert (await roster_row(sessions, "+6281234567890")).person_id == found.id
