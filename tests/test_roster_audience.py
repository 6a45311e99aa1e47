"""Who on the roster has not registered, and reminding them: the announcement to those not
registered reaches the roster's people the bot knows (their WhatsApp number, a number
registered for another event, a number given in a registration under way) besides those
who opened the event's link, and says how many on the roster it cannot reach. Counted by
hand on one crowd."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlmodel import col, select

from bot.db import SessionMaker
from handlers.i18n import Translator
from models import (
    ChannelIdentity,
    Conversation,
    Enrollment,
    Event,
    OutboxMessage,
    Person,
    RoleName,
)
from models.audience import Everyone, Unregistered, audience_of, audience_size
from models.broadcasts import confirm_broadcast, create_broadcast
from models.roles import create_invite
from models.roster.apply import import_roster
from models.roster.sheet import read_roster
from models.roster.status import Reach, roster_lines
from tests.drivers import EngineDriver
from tests.factories import id_of, make_event
from tests.test_registration import last

NOW = datetime(2024, 11, 13, 1, 0, tzinfo=UTC)
ID, EN = Translator("id"), Translator("en")
# Invented people and numbers.
ROSTER = "\n".join(
    [
        "Nama;No. HP",
        "Ani Terdaftar;0812 1111 0001",  # registered for the event
        "Bambang Whatsapp;0812 1111 0002",  # wrote to the bot on WhatsApp, nothing more
        "Citra Lain;0812 1111 0003",  # registered for another event with this number
        "Dedi Mendaftar;0812 1111 0004",  # typed it while registering for another event
        "Eka Asing;0812 1111 0005",  # unknown
        "Fajar Asing;0812 1111 0006",  # unknown
    ]
).encode()


@dataclass
class Crowd:
    event: Event
    people: dict[str, int]  # who → person id
    identities: dict[str, int]  # who → the identity a message to them goes to


async def someone(
    sessions: SessionMaker,
    channel: str,
    user_key: str,
    *,
    phone: str | None = None,
    enrolled_in: Event | None = None,
    state: dict[str, object] | None = None,
) -> tuple[int, int]:
    async with sessions.begin() as session:
        person = Person(
            locale="id",
            full_name="Orang Contoh" if phone else None,
            phone_e164=phone,
            registered_at=NOW if phone else None,
        )
        session.add(person)
        await session.flush()
        identity = ChannelIdentity(
            person_id=id_of(person),
            channel=channel,
            user_key=user_key,
            address=user_key,
            last_inbound_at=NOW,
        )
        session.add(identity)
        await session.flush()
        flow = "registration" if state else None
        session.add(Conversation(identity_id=id_of(identity), flow=flow, state=state or {}))
        if enrolled_in is not None:
            session.add(Enrollment(person_id=id_of(person), event_id=id_of(enrolled_in)))
        return id_of(person), id_of(identity)


@pytest.fixture
async def crowd(sessions: SessionMaker) -> Crowd:
    event = await make_event(sessions, "SMD24")
    other = await make_event(sessions, "BPN24")
    found = {
        "ani": await someone(
            sessions, "telegram", "101", phone="+6281211110001", enrolled_in=event
        ),
        "bambang": await someone(sessions, "whatsapp", "6281211110002"),
        "citra": await someone(
            sessions, "telegram", "103", phone="+6281211110003", enrolled_in=other
        ),
        "dedi": await someone(
            sessions,
            "console",
            "dedi",
            state={
                "registration": {
                    "event_id": id_of(other),
                    "answers": {"phone_e164": "+6281211110004"},
                }
            },
        ),
        # Opened this event's link; not on the roster.
        "xena": await someone(
            sessions, "telegram", "105", state={"registration": {"event_id": id_of(event)}}
        ),
        # Known to the bot, on no roster and joining nothing.
        "yudi": await someone(sessions, "whatsapp", "6281299990000"),
        # Registered for the event without being on the roster.
        "zaki": await someone(
            sessions, "telegram", "107", phone="+6281299990001", enrolled_in=event
        ),
    }
    async with sessions.begin() as session:
        await import_roster(session, event, read_roster("peserta.csv", ROSTER))
    return Crowd(
        event,
        {who: person for who, (person, _) in found.items()},
        {who: identity for who, (_, identity) in found.items()},
    )


async def test_where_the_roster_stands(sessions: SessionMaker, crowd: Crowd) -> None:
    async with sessions() as session:
        lines = await roster_lines(session, id_of(crowd.event))
    assert [(line.entry.full_name, line.registered, line.known) for line in lines] == [
        ("Ani Terdaftar", True, False),
        ("Bambang Whatsapp", False, True),
        ("Citra Lain", False, True),
        ("Dedi Mendaftar", False, True),
        ("Eka Asing", False, False),
        ("Fajar Asing", False, False),
    ]
    assert Reach.of(lines) == Reach(total=6, registered=1, known=3, unknown=2)
    assert lines[0].entry.person_id == crowd.people["ani"]


async def test_those_not_registered_include_the_rosters_people_the_bot_knows(
    sessions: SessionMaker, crowd: Crowd
) -> None:
    event_id = id_of(crowd.event)
    async with sessions() as session:
        found = await audience_of(session, event_id, Unregistered())
        size = await audience_size(session, event_id, Unregistered())
        everyone = await audience_of(session, event_id, Everyone())
    expected = {who: crowd.identities[who] for who in ("bambang", "citra", "dedi", "xena")}
    assert {r.person_id: r.identity_id for r in found} == {
        crowd.people[who]: identity for who, identity in expected.items()
    }
    assert (size.people, size.blocked) == (4, 0)
    assert {r.person_id for r in everyone} == {crowd.people["ani"], crowd.people["zaki"]}
    async with sessions.begin() as session:
        draft = await create_broadcast(
            session, event_id=event_id, author_id=None, text="Segera daftar ya.",
            audience=Unregistered(), now=NOW,
        )  # fmt: skip
        assert draft.id is not None
        assert await confirm_broadcast(session, draft.id, NOW) == 4
    async with sessions() as session:
        rows = await session.execute(
            select(ChannelIdentity.channel, ChannelIdentity.user_key)
            .join(OutboxMessage, col(OutboxMessage.identity_id) == col(ChannelIdentity.id))
            .where(col(OutboxMessage.kind) == "broadcast")
        )
        assert sorted(rows.all()) == [
            ("console", "dedi"),
            ("telegram", "103"),
            ("telegram", "105"),
            ("whatsapp", "6281211110002"),
        ]


async def test_once_registered_they_are_reminded_no_more(
    sessions: SessionMaker, crowd: Crowd
) -> None:
    async with sessions.begin() as session:
        session.add(Enrollment(person_id=crowd.people["citra"], event_id=id_of(crowd.event)))
    async with sessions() as session:
        size = await audience_size(session, id_of(crowd.event), Unregistered())
        lines = await roster_lines(session, id_of(crowd.event))
    assert size.people == 3
    # Enrolled without the bot linking her to the row: her number says it is hers.
    assert Reach.of(lines) == Reach(total=6, registered=2, known=2, unknown=2)


@pytest.fixture
async def organiser(
    database_url: str, sessions: SessionMaker, crowd: Crowd
) -> AsyncIterator[EngineDriver]:
    async with sessions.begin() as session:
        code = await create_invite(
            session, id_of(crowd.event), RoleName.ORGANIZER, created_by="cli", now=NOW
        )
    boss = EngineDriver(database_url, "panitia", lambda: NOW, language_code="id")
    await boss.send(f"/start {code}")
    yield boss
    await boss.close()


async def test_the_announcement_says_how_many_on_the_roster_it_cannot_reach(
    organiser: EngineDriver,
) -> None:
    await organiser.send("/umumkan")
    shown = await organiser.send("Pendaftaran ditutup besok pukul 12.00.")
    asked = last(shown).text
    audience = ID("broadcast.audience.unregistered")
    assert ID("broadcast.count_line", audience=audience, count=4) in asked
    assert ID("roster.audience_unknown", count=2) in asked
    shown = await organiser.press(ID("broadcast.audience_unregistered"))
    preview = shown[0].text
    assert preview.startswith(ID("broadcast.preview", count=4, audience=audience))
    assert ID("roster.audience_unknown", count=2) in preview


async def test_the_organiser_sees_who_has_not_registered(organiser: EngineDriver) -> None:
    shown = await organiser.send("/peserta")
    assert last(shown).text == ID(
        "roster.overview",
        event="Bimtek SMD24",
        total=6,
        registered=1,
        missing=5,
        known=3,
        unknown=2,
        outside=1,
    )
    assert last(shown).buttons == (
        ID("roster.button_import"),
        ID("roster.button_missing"),
        ID("roster.button_export"),
    )
    shown = await organiser.press(ID("roster.button_missing"))
    text = last(shown).text
    lines = text.split("\n")
    assert lines[0] == ID("roster.missing_title", event="Bimtek SMD24", count=5, total=6)
    assert lines[1:6] == [
        f"• Bambang Whatsapp · +6281211110002 · {ID('roster.known')}",
        f"• Citra Lain · +6281211110003 · {ID('roster.known')}",
        f"• Dedi Mendaftar · +6281211110004 · {ID('roster.known')}",
        f"• Eka Asing · +6281211110005 · {ID('roster.unknown')}",
        f"• Fajar Asing · +6281211110006 · {ID('roster.unknown')}",
    ]
    assert ID("roster.remind_known", count=3) in text
    assert ID("roster.remind_unknown", count=2, code="SMD24") in text
    assert last(shown).buttons[0] == ID("menu.broadcast")
