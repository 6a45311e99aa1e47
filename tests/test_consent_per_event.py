"""Consent is given per event: joining a second event names that event's organiser as the
data controller and asks again; declining it leaves the first as it was; consents given
before (migration 0016) keep everyone going where they already are."""

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from bot.db import SessionMaker, downgrade, upgrade
from bot.demo import DEMO_ORGANIZER
from handlers.consent_notice import CONSENT_VERSION
from handlers.i18n import Translator
from models import Consent, Enrollment, Event, Person
from tests.drivers import EngineDriver, texts
from tests.factories import (
    Talker,
    enrol,
    enrolled_codes,
    id_of,
    make_event,
    person_id_of,
    text_of,
)
from tests.test_registration import agree_in_indonesian, last, register_in_indonesian

ID = Translator("id")
NOW = datetime(2024, 11, 13, 1, 0, tzinfo=UTC)
SITI = "Siti Rahmawati, S.Sos"


@pytest.fixture
async def siti(database_url: str) -> AsyncIterator[EngineDriver]:
    driver = EngineDriver(database_url, "siti")
    yield driver
    await driver.close()


async def consents(sessions: SessionMaker) -> list[tuple[str | None, str]]:
    """Each consent's event code (None: no event) and digest, in order."""
    async with sessions() as session:
        found = await session.execute(
            select(Event.code, Consent.text_sha256)
            .select_from(Consent)
            .outerjoin(Event, col(Event.id) == col(Consent.event_id))
            .order_by(col(Consent.id))
        )
        return [(code, digest) for code, digest in found.all()]


def digest(organizer: str) -> str:
    years = 10 if organizer == DEMO_ORGANIZER else 2  # the demo keeps data the longest
    notice = ID(
        "consent.event_text",
        version=CONSENT_VERSION,
        organizer=organizer,
        kept=ID("consent.kept_years", years=years),
    )
    return hashlib.sha256(notice.encode()).hexdigest()


async def test_a_second_event_asks_for_its_own_consent_naming_its_organiser(
    siti: EngineDriver, jambi: Event, sessions: SessionMaker
) -> None:
    await register_in_indonesian(siti, start="/start KUKAR2024")
    assert await consents(sessions) == [("KUKAR2024", digest(DEMO_ORGANIZER))]
    shown = await siti.send("/start JBI2024")
    notice = last(shown).text
    assert notice == ID(
        "consent.event_text",
        version=CONSENT_VERSION,
        organizer=jambi.organizer,
        kept=ID("consent.kept_years", years=2),
    )
    assert "Dinas Perpustakaan dan Arsip Daerah Provinsi Jambi" in notice
    assert DEMO_ORGANIZER not in notice
    assert await enrolled_codes(sessions) == ["KUKAR2024"]  # nothing given to Jambi yet
    shown = await siti.press(ID("consent.agree"))
    assert texts(shown).startswith(ID("consent.thanks_event", event=jambi.name))
    assert ID("registration.joined", name=SITI, event=jambi.name) in texts(shown)
    assert await enrolled_codes(sessions) == ["JBI2024", "KUKAR2024"]
    assert await consents(sessions) == [
        ("KUKAR2024", digest(DEMO_ORGANIZER)),
        ("JBI2024", digest(jambi.organizer)),
    ]
    # Back to either: no question, either way.
    for code, event in (("KUKAR2024", "Bimtek SPP-TIK Kabupaten Kutai Kartanegara"),
                        ("JBI2024", jambi.name)):  # fmt: skip
        shown = await siti.send(f"/start {code}")
        assert shown[0].text == ID("registration.already", name=SITI, event=event)


@pytest.mark.parametrize(
    ("days", "said"), [(180, "paling lama 180 hari sesudahnya"), (1096, "paling lama 3 tahun")]
)
async def test_the_notice_says_how_long_that_event_keeps_the_data(
    siti: EngineDriver, jambi: Event, sessions: SessionMaker, days: int, said: str
) -> None:
    async with sessions.begin() as session:
        stored = await session.get(Event, jambi.id)
        assert stored is not None
        stored.retention_days = days  # as `bimtek event retention JBI2024` sets it
    await siti.send("/start JBI2024")
    shown = await siti.press("Bahasa Indonesia")
    assert said in last(shown).text


async def test_declining_the_second_event_leaves_the_first_as_it_was(
    siti: EngineDriver, jambi: Event, sessions: SessionMaker
) -> None:
    await register_in_indonesian(siti, start="/start KUKAR2024")
    async with sessions() as session:
        before = (await session.execute(select(Person))).scalars().one().model_dump()
    await siti.send("JBI2024")  # the code typed on its own
    shown = await siti.press(ID("consent.decline"))
    assert shown[0].text == ID("consent.declined_event", event=jambi.name, code="JBI2024")
    assert await enrolled_codes(sessions) == ["KUKAR2024"]
    assert await consents(sessions) == [("KUKAR2024", digest(DEMO_ORGANIZER))]
    async with sessions() as session:
        person = (await session.execute(select(Person))).scalars().one()
        assert person.model_dump() == before  # the profile, the event looked at: all kept
    # The first event works as before; the second asks again.
    shown = await siti.send("/jadwal")
    assert "Kutai Kartanegara" in texts(shown)
    shown = await siti.send("/start JBI2024")
    assert last(shown).text.startswith(
        ID(
            "consent.event_text", version="x", organizer="x", kept=ID("consent.kept_years", years=2)
        )[:30]
    )
    assert jambi.organizer in last(shown).text


async def test_consent_for_one_event_is_none_for_another_while_registering(
    siti: EngineDriver, jambi: Event, sessions: SessionMaker
) -> None:
    await agree_in_indonesian(siti, start="/start KUKAR2024")
    shown = await siti.send("Siti Rahmawati")
    assert last(shown).text == ID("ask.phone_e164")
    # The link of another event, in the middle: that event's consent first.
    shown = await siti.send("/start JBI2024")
    assert last(shown).text == ID(
        "consent.event_text",
        version=CONSENT_VERSION,
        organizer=jambi.organizer,
        kept=ID("consent.kept_years", years=2),
    )
    shown = await siti.press(ID("consent.agree"))
    assert last(shown).text == ID("ask.phone_e164")  # the name given is kept
    assert [code for code, _ in await consents(sessions)] == ["KUKAR2024", "JBI2024"]


async def test_migration_ties_existing_consents_to_the_events_people_are_in(
    engine: AsyncEngine, sessions: SessionMaker
) -> None:
    first = await make_event(sessions, "SMD24")
    second = await make_event(sessions, "BPN24")
    third = await make_event(sessions, "JMB24")
    both = await enrol(sessions, first)  # registered in two events
    async with sessions.begin() as session:
        session.add(Enrollment(person_id=await person_id_of(sessions, both), event_id=id_of(second),
                               enrolled_at=datetime(2099, 1, 1, tzinfo=UTC)))  # fmt: skip
    registering = Talker(sessions, "tengah-daftar", NOW)  # consented, answering questions
    await registering.send("halo")
    idle = Talker(sessions, "diam", NOW)  # consented once, then did nothing more
    await idle.send("halo")
    await downgrade(engine, "0014")
    answers = '"answers": {"full_name": "Rina"}'
    state = f'{{"registration": {{"event_id": {id_of(second)}, {answers}}}}}'
    async with engine.begin() as connection:
        people = {
            key: (await connection.execute(
                text("SELECT person_id FROM channel_identity WHERE user_key = :k"), {"k": key}
            )).scalar_one()
            for key in (both, "tengah-daftar", "diam")
        }  # fmt: skip
        for key, person_id in people.items():
            await connection.execute(
                text(
                    "INSERT INTO consent (person_id, channel, text_version, locale, "
                    "text_sha256, agreed_at) VALUES (:p, 'console', '2026-11', 'id', :sha, :at)"
                ),
                {"p": person_id, "sha": key[:1] * 64, "at": NOW},
            )
        await connection.execute(
            text(
                "INSERT INTO consent (person_id, channel, text_version, locale, text_sha256, "
                "agreed_at, withdrawn_at) VALUES (NULL, 'console', '2026-11', 'id', :sha, :at, :at)"
            ),
            {"sha": "e" * 64, "at": NOW},
        )
        await connection.execute(
            text(
                "UPDATE conversation SET flow = 'registration', step = 'phone_e164', "
                "state = :state WHERE identity_id = (SELECT id FROM channel_identity "
                "WHERE user_key = 'tengah-daftar')"
            ),
            {"state": state},
        )
        await connection.execute(
            text("UPDATE person SET locale = 'id' WHERE id = :p"), {"p": people["tengah-daftar"]}
        )
    await upgrade(engine)

    async with sessions() as session:
        found = await session.execute(
            select(
                Consent.person_id, Consent.event_id, Consent.text_sha256, Consent.agreed_at
            ).order_by(col(Consent.id))
        )
        rows = found.all()
    assert [(p, e) for p, e, _, _ in rows] == [
        (people[both], id_of(first)),
        (people["tengah-daftar"], id_of(second)),
        (people["diam"], None),
        (None, None),
        (people[both], id_of(second)),  # the copy for their second event, same proof
    ]
    assert rows[4][2:] == rows[0][2:]

    # Nobody already in an event is asked again; joining a new one asks.
    person = Talker(sessions, both, NOW)
    for event in (first, second):
        shown = await person.send(f"/start {event.code}")
        assert ID("registration.already", name="Siti Rahayu", event=event.name) in text_of(shown)
    shown = await person.send(f"/start {third.code}")
    assert ID("consent.agree") in [c.label for r in shown for c in r.choices]
    # Rina goes on with her questions where she was.
    shown = await registering.send("0812-5555-0101")
    assert ID("ask.library_name") in text_of(shown)
