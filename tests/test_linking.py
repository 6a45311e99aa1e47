"""One person across channels: a number registered on another channel is linked with a
code sent there; a wrong, expired or worn-out code, a declined link and a number taken on
the same channel each get a clear answer, and change nothing stored."""

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import update
from sqlmodel import col, select

from bot.db import SessionMaker
from handlers.i18n import Translator
from models import (
    ChannelIdentity,
    Consent,
    Conversation,
    Enrollment,
    Event,
    LinkCode,
    OutboxMessage,
    Person,
    Role,
    RoleName,
)
from models.linking import link_identity
from models.people import PROFILE_FIELDS
from models.roles import create_invite
from tests.drivers import Driver, EngineDriver, Shown
from tests.factories import make_event
from tests.test_registration import last, stored
from tests.test_whatsapp_registration import TelegramPerson, WhatsAppPerson, answer_everything

ID = Translator("id")
EN = Translator("en")
START = datetime(2024, 11, 10, 1, 0, tzinfo=UTC)  # before the demo event: it is open
SITI_WA = "6281234567890"  # the number Siti registered on Telegram, as WhatsApp keys it


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Two:
    """Siti registered on Telegram, and someone writing from her number on WhatsApp."""

    telegram: EngineDriver
    whatsapp: EngineDriver
    clock: Clock


@pytest.fixture
async def two(database_url: str, demo_event: Event) -> AsyncIterator[Two]:
    clock = Clock()
    telegram = TelegramPerson(database_url, user_key="700001", clock=clock)
    whatsapp = WhatsAppPerson(database_url, user_key=SITI_WA, clock=clock)
    await answer_everything(telegram, "/start")
    await telegram.press(ID("summary.confirm"))
    yield Two(telegram, whatsapp, clock)
    await telegram.close()
    await whatsapp.close()


async def sent_to(sessions: SessionMaker, person: Driver, kind: str | None = None) -> list[str]:
    """The texts of the outbox rows written for ``person``'s identity, oldest first."""
    async with sessions() as session:
        query = (
            select(OutboxMessage.kind, OutboxMessage.body)
            .join(ChannelIdentity, col(ChannelIdentity.id) == col(OutboxMessage.identity_id))
            .where(
                col(ChannelIdentity.channel) == person.channel,
                col(ChannelIdentity.user_key) == person.user_key,
            )
            .order_by(col(OutboxMessage.id))
        )
        rows = (await session.execute(query)).all()
    return [str(body["text"]) for found, body in rows if kind is None or found == kind]


async def codes_sent(sessions: SessionMaker, person: Driver) -> list[str]:
    found = []
    for text in await sent_to(sessions, person, "link_code"):
        match = re.search(r"\b(\d{6})\b", text)
        assert match, text
        found.append(match.group(1))
    return found


def other_than(code: str) -> str:
    return "000000" if code != "000000" else "111111"


async def at_the_offer(person: Driver) -> list[Shown]:
    """A greeting, the language and the consent: on WhatsApp the number is checked next."""
    await person.send("halo")
    await person.press("Bahasa Indonesia")
    return await person.press(ID("consent.agree"))


async def at_the_code(two: Two) -> list[Shown]:
    shown = await at_the_offer(two.whatsapp)
    assert last(shown).text == ID("link.offer", phone="+6281234567890", channel="Telegram")
    return await two.whatsapp.press(ID("link.yes"))


async def people(sessions: SessionMaker) -> list[Person]:
    async with sessions() as session:
        return list((await session.execute(select(Person).order_by(col(Person.id)))).scalars())


def profile(person: Person) -> dict[str, Any]:
    return {name: getattr(person, name) for name in (*PROFILE_FIELDS, "registered_at", "locale")}


async def test_whatsapp_links_to_the_person_registered_on_telegram(
    two: Two, sessions: SessionMaker, demo_event: Event
) -> None:
    assert demo_event.id is not None
    async with sessions.begin() as session:
        invite = await create_invite(
            session, demo_event.id, RoleName.TRAINER, created_by="cli", now=START,
            speaker="Rachmawati",
        )  # fmt: skip
    # Before registering, the WhatsApp number took a role: it follows the person.
    await two.whatsapp.send(f"/start {invite}")
    (siti,) = [p for p in await people(sessions) if p.registered_at is not None]
    before = profile(siti)

    shown = await at_the_offer(two.whatsapp)
    assert [s.text for s in shown] == [
        ID("consent.thanks"),
        ID("link.offer", phone="+6281234567890", channel="Telegram"),
    ]
    assert last(shown).buttons == (ID("link.yes"), ID("link.no"))
    shown = await two.whatsapp.press(ID("link.yes"))
    assert last(shown) == Shown(
        ID("link.ask_code", channel="Telegram", minutes=10),
        (ID("link.resend"), ID("link.other_number")),
    )
    (code,) = await codes_sent(sessions, two.telegram)
    (message,) = await sent_to(sessions, two.telegram, "link_code")
    assert message == ID("link.code_message", channel="WhatsApp", code=code, minutes=10)
    # Whoever typed the number learnt nothing of whose it is.
    said = " ".join(reply.text for reply in two.whatsapp.replies)
    for field in ("full_name", "library_name", "library_role"):
        assert before[field] not in said, field

    shown = await two.whatsapp.send(other_than(code))
    assert [s.text for s in shown] == [ID("link.wrong", left=4)]
    shown = await two.whatsapp.send(f" {code[:3]} {code[3:]} ")
    assert shown[0].text == ID(
        "link.done_event",
        channel="WhatsApp",
        other="Telegram",
        name="Siti Rahmawati",
        event=demo_event.name,
    )
    assert ID("menu.today") in shown[0].buttons

    (person,) = await people(sessions)
    assert person.id == siti.id
    assert profile(person) == before
    async with sessions() as session:
        identities = (await session.execute(select(ChannelIdentity))).scalars().all()
        consents = (await session.execute(select(Consent))).scalars().all()
        enrolments = (await session.execute(select(Enrollment))).scalars().all()
        roles = (await session.execute(select(Role))).scalars().all()
        codes = (await session.execute(select(LinkCode))).scalars().all()
    assert {(i.channel, i.person_id) for i in identities} == {
        ("telegram", siti.id),
        ("whatsapp", siti.id),
    }
    assert sorted((c.channel, c.person_id) for c in consents) == [
        ("telegram", siti.id),
        ("whatsapp", siti.id),
    ]
    assert [(e.person_id, e.event_id) for e in enrolments] == [(siti.id, demo_event.id)]
    assert [(r.person_id, r.role) for r in roles] == [(siti.id, RoleName.TRAINER)]
    assert codes == [], "a used code is gone"
    assert (await sent_to(sessions, two.telegram, "link_notice")) == [
        ID("link.notice_other", channel="WhatsApp", notify="WhatsApp")
    ]
    conversation, _ = await stored(sessions, two.whatsapp)
    assert (conversation.flow, conversation.state) == (None, {})

    shown = await two.whatsapp.send("/profil")
    assert "• Nama lengkap: Siti Rahmawati" in shown[0].text
    shown = await two.whatsapp.send("/bantuan")
    assert "/umpanbalik" in shown[0].text, "the trainer's commands, on WhatsApp too"


async def test_an_expired_code_is_refused_and_a_new_one_works(
    two: Two, sessions: SessionMaker
) -> None:
    await at_the_code(two)
    (first,) = await codes_sent(sessions, two.telegram)
    two.clock.advance(minutes=10)
    shown = await two.whatsapp.send(first)
    assert [s.text for s in shown] == [
        ID("link.expired", minutes=10),
        ID("link.ask_code", channel="Telegram", minutes=10),
    ]
    assert len(await people(sessions)) == 2
    shown = await two.whatsapp.press(ID("link.resend"))
    assert last(shown).text == ID("link.ask_code", channel="Telegram", minutes=10)
    first_again, second = await codes_sent(sessions, two.telegram)
    assert first_again == first
    if second != first:
        shown = await two.whatsapp.send(first)
        assert [s.text for s in shown] == [ID("link.wrong", left=4)]
    two.clock.advance(minutes=9, seconds=59)
    shown = await two.whatsapp.send(second)
    assert shown[0].text.startswith("✅")
    assert len(await people(sessions)) == 1


async def test_five_wrong_tries_wear_a_code_out(two: Two, sessions: SessionMaker) -> None:
    await at_the_code(two)
    (code,) = await codes_sent(sessions, two.telegram)
    wrong = other_than(code)
    for left in (4, 3, 2, 1):
        assert [s.text for s in await two.whatsapp.send(wrong)] == [ID("link.wrong", left=left)]
    shown = await two.whatsapp.send(wrong)
    assert [s.text for s in shown] == [
        ID("link.exhausted"),
        ID("link.ask_code", channel="Telegram", minutes=10),
    ]
    shown = await two.whatsapp.send(code)  # the right one, too late
    assert shown[0].text == ID("link.exhausted")
    assert len(await people(sessions)) == 2
    # Text that is no code uses no try and says what a code looks like.
    shown = await two.whatsapp.send("kodenya mana?")
    assert [s.text for s in shown] == [ID("link.code_format", channel="Telegram")]

    shown = await two.whatsapp.press(ID("link.resend"))
    assert shown[0].text == ID("link.too_soon", channel="Telegram")
    assert len(await codes_sent(sessions, two.telegram)) == 1
    two.clock.advance(minutes=1)
    await two.whatsapp.press(ID("link.resend"))
    new = (await codes_sent(sessions, two.telegram))[-1]
    shown = await two.whatsapp.send(new)
    assert shown[0].text.startswith("✅")


async def test_codes_a_day_are_limited(two: Two, sessions: SessionMaker) -> None:
    await at_the_code(two)
    for _ in range(4):
        two.clock.advance(minutes=2)
        await two.whatsapp.press(ID("link.resend"))
    assert len(await codes_sent(sessions, two.telegram)) == 5
    two.clock.advance(minutes=2)
    shown = await two.whatsapp.press(ID("link.resend"))
    assert shown[0].text == ID("link.daily_limit", count=5)
    assert len(await codes_sent(sessions, two.telegram)) == 5
    two.clock.advance(hours=24)
    await two.whatsapp.press(ID("link.resend"))
    assert len(await codes_sent(sessions, two.telegram)) == 6


@pytest.mark.parametrize("where", ["offer", "code"])
async def test_declining_means_another_number(
    two: Two, sessions: SessionMaker, demo_event: Event, where: str
) -> None:
    (siti,) = await people(sessions)
    before = profile(siti)
    if where == "offer":
        await at_the_offer(two.whatsapp)
        shown = await two.whatsapp.press(ID("link.no"))
    else:
        await at_the_code(two)
        shown = await two.whatsapp.press(ID("link.other_number"))
    assert [s.text for s in shown] == [ID("phone.taken"), ID("ask.phone_e164")]
    shown = await two.whatsapp.send("0812-3456-7890")  # the same again: the same answer
    assert last(shown).text == ID("link.offer", phone="+6281234567890", channel="Telegram")
    await two.whatsapp.press(ID("link.no"))
    shown = await two.whatsapp.send("0813-1111-2222")
    assert last(shown).text == ID("ask.full_name")
    _, shown = await answer_everything(two.whatsapp, "Budi Santoso")
    assert "• Nomor HP: +6281311112222" in last(shown).text
    await two.whatsapp.press(ID("summary.confirm"))

    found = await people(sessions)
    assert [p.phone_e164 for p in found] == ["+6281234567890", "+6281311112222"]
    assert profile(found[0]) == before
    assert await sent_to(sessions, two.telegram, "link_notice") == []


async def test_a_number_typed_on_telegram_links_to_whatsapp(
    database_url: str, demo_event: Event, sessions: SessionMaker
) -> None:
    clock = Clock()
    whatsapp = WhatsAppPerson(database_url, user_key="6281200000123", clock=clock)
    telegram = TelegramPerson(database_url, user_key="700002", clock=clock, language_code="en")
    try:
        await answer_everything(whatsapp)
        await whatsapp.press(ID("summary.confirm"))
        await telegram.send("/start")
        await telegram.press("English")
        await telegram.press(EN("consent.agree"))
        await telegram.send("Someone Else")
        shown = await telegram.send("+62 812 0000 0123")
        # The person's language is Indonesian; this channel's English.
        assert last(shown).text == EN("link.offer", phone="+6281200000123", channel="WhatsApp")
        shown = await telegram.press(EN("link.yes"))
        (code,) = await codes_sent(sessions, whatsapp)
        assert (await sent_to(sessions, whatsapp, "link_code"))[-1] == ID(
            "link.code_message", channel="Telegram", code=code, minutes=10
        )
        shown = await telegram.send(code)
        # Linked: the person's language, Indonesian, now speaks here too.
        assert shown[0].text == ID(
            "link.done_event",
            channel="Telegram",
            other="WhatsApp",
            name="Siti Rahmawati",
            event=demo_event.name,
        )
        (person,) = await people(sessions)
        assert (person.full_name, person.locale) == ("Siti Rahmawati", "id")
    finally:
        await whatsapp.close()
        await telegram.close()


async def test_a_number_taken_on_the_same_channel_is_refused(
    two: Two, database_url: str, sessions: SessionMaker
) -> None:
    other = TelegramPerson(database_url, user_key="700003", clock=two.clock)
    try:
        await other.send("/start")
        await other.press("Bahasa Indonesia")
        await other.press(ID("consent.agree"))
        await other.send("Budi Santoso")
        shown = await other.send("0812-3456-7890")
        assert [s.text for s in shown] == [
            ID("phone.taken_here", channel="Telegram"),
            ID("ask.phone_e164"),
        ]
        conversation, _ = await stored(sessions, other)
        assert conversation.state["registration"]["answers"]["phone_e164"] is None
        shown = await other.send("0813-1111-2222")
        assert last(shown).text == ID("ask.library_name")

        # Registered, a change of number to hers is refused too.
        _, shown = await answer_everything(other, "Perpustakaan Desa Loa Janan")
        await other.press(ID("summary.confirm"))
        await other.send("/ubah")
        await other.press(ID("field.phone_e164"))
        shown = await other.send("0812 3456 7890")
        assert shown[0].text == ID("phone.taken")
        assert ID("ask.phone_e164") in last(shown).text
        shown = await other.send("0813-9999-0000")
        assert shown[0].text == ID("edit.saved", field=ID("field.phone_e164"))
    finally:
        await other.close()
    assert sorted(p.phone_e164 or "" for p in await people(sessions)) == [
        "+6281234567890",
        "+6281399990000",
    ]
    assert await codes_sent(sessions, two.telegram) == []


async def test_whatsapp_refuses_its_own_number_taken_by_another_whatsapp_account(
    database_url: str, demo_event: Event, sessions: SessionMaker
) -> None:
    first = WhatsAppPerson(database_url, user_key="6285250001111")
    second = WhatsAppPerson(database_url, user_key=SITI_WA)
    try:
        await answer_everything(first)
        await first.press(ID("summary.fix", field=ID("field.phone_e164")))
        await first.send("0812-3456-7890")  # typed another's number on purpose
        await first.press(ID("summary.confirm"))
        shown = await at_the_offer(second)
        assert [s.text for s in shown] == [
            ID("consent.thanks"),
            ID("phone.taken_here", channel="WhatsApp"),
            ID("ask.phone_e164"),
        ]
        shown = await second.send("0813-1111-2222")
        assert last(shown).text == ID("ask.full_name")
    finally:
        await first.close()
        await second.close()
    assert len(await people(sessions)) == 2


async def test_a_number_registered_meanwhile_is_checked_at_the_summary(
    database_url: str, demo_event: Event, sessions: SessionMaker
) -> None:
    telegram = TelegramPerson(database_url, user_key="700004")
    whatsapp = WhatsAppPerson(database_url, user_key="6281200000123")
    try:
        await telegram.send("/start")
        await telegram.press("Bahasa Indonesia")
        await telegram.press(ID("consent.agree"))
        await telegram.send("Siti Rahmawati")
        await telegram.send("0812-0000-0123")
        await answer_everything(telegram, "Perpustakaan Desa Sukamaju")
        await answer_everything(whatsapp)
        await whatsapp.press(ID("summary.confirm"))  # the number is free: hers now
        shown = await telegram.press(ID("summary.confirm"))
        assert last(shown).text == ID("link.offer", phone="+6281200000123", channel="WhatsApp")
    finally:
        await telegram.close()
        await whatsapp.close()
    assert [p.registered_at is not None for p in await people(sessions)] == [False, True]


# --- typed codes: random text never links, never fails, never changes a person -------


@dataclass
class AtTheCode:
    two: Two
    conversation: dict[str, Any]
    before: list[tuple[int | None, dict[str, Any]]]
    owners: list[tuple[str, int]]


@pytest.fixture
async def waiting_for_a_code(two: Two, sessions: SessionMaker) -> AtTheCode:
    await at_the_code(two)
    conversation, _ = await stored(sessions, two.whatsapp)
    saved = {
        name: getattr(conversation, name)
        for name in ("flow", "step", "paused_flow", "paused_step", "question", "state")
    }
    before = [(p.id, profile(p)) for p in await people(sessions)]
    return AtTheCode(two, saved, before, await owners(sessions))


async def owners(sessions: SessionMaker) -> list[tuple[str, int]]:
    """Which person each channel's identity belongs to."""
    async with sessions() as session:
        found = await session.execute(
            select(ChannelIdentity.channel, ChannelIdentity.person_id).order_by(
                col(ChannelIdentity.channel)
            )
        )
        return [(channel, person_id) for channel, person_id in found.all()]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    text=st.one_of(
        st.text(max_size=40),
        st.from_regex(r"[0-9]{6}", fullmatch=True),
        st.from_regex(r"[0-9 .\-]{5,9}", fullmatch=True),
    )
)
@example(text="١٢٣٤٥٦")  # Arabic-Indic digits: digits to str.isdigit(), not the code
@example(text="1")  # the number of a button: a new code
@example(text="2")  # another number
@example(text="/batal")
@example(text="\x00")
async def test_typed_codes_never_link_anyone(
    waiting_for_a_code: AtTheCode, sessions: SessionMaker, text: str
) -> None:
    state = waiting_for_a_code
    known = await codes_sent(sessions, state.two.telegram)
    assume(not any(code in re.sub(r"\D", "", text) for code in known))
    async with sessions.begin() as session:
        identity = await session.execute(
            select(ChannelIdentity.id).where(col(ChannelIdentity.channel) == "whatsapp")
        )
        await session.execute(
            update(Conversation)
            .where(col(Conversation.identity_id) == identity.scalar_one())
            .values(**state.conversation)
        )
        # Every example may use its five tries.
        await session.execute(update(LinkCode).values(tries=0))

    shown = await state.two.whatsapp.send(text)

    assert shown, "every message gets an answer"
    assert ID("error.internal") not in {s.text for s in shown}
    assert [(p.id, profile(p)) for p in await people(sessions)] == state.before
    assert await owners(sessions) == state.owners
    assert await sent_to(sessions, state.two.telegram, "link_notice") == []


async def test_linking_moves_what_the_newcomer_held_unless_the_person_holds_it(
    sessions: SessionMaker, demo_event: Event
) -> None:
    other = await make_event(sessions, "JBI2024")
    async with sessions.begin() as session:
        registered, newcomer = Person(locale="id", full_name="Siti"), Person(locale="en")
        session.add_all([registered, newcomer])
        await session.flush()
        assert registered.id is not None
        assert newcomer.id is not None
        identity = ChannelIdentity(
            person_id=newcomer.id, channel="whatsapp", user_key=SITI_WA, address=SITI_WA
        )
        session.add(identity)
        for person_id, event in ((registered.id, demo_event), (newcomer.id, demo_event),
                                 (newcomer.id, other)):  # fmt: skip
            assert event.id is not None
            session.add(
                Enrollment(person_id=person_id, event_id=event.id, class_name=str(person_id))
            )
        session.add(Consent(person_id=newcomer.id, channel="whatsapp", text_version="v",
                            locale="en", text_sha256="0" * 64))  # fmt: skip
        await session.flush()
        ids = (registered.id, newcomer.id)
    async with sessions.begin() as session:
        found = await session.get(ChannelIdentity, identity.id)
        into = await session.get(Person, ids[0])
        assert found is not None
        assert into is not None
        await link_identity(session, found, into, START)
    async with sessions() as session:
        enrolments = await session.execute(
            select(Enrollment.event_id, Enrollment.person_id, Enrollment.class_name)
        )
        consents = await session.execute(select(Consent.person_id))
        persons = await session.execute(select(Person.id, Person.locale))
        moved = await session.get(ChannelIdentity, identity.id)
    assert sorted(enrolments.all()) == sorted(
        [
            (demo_event.id, ids[0], str(ids[0])),  # theirs stays; the newcomer's went
            (other.id, ids[0], str(ids[1])),  # moved
        ]
    )
    assert consents.scalars().all() == [ids[0]]
    assert persons.all() == [(ids[0], "id")], "the newcomer's person is gone; the language kept"
    assert moved is not None
    assert moved.person_id == ids[0]
