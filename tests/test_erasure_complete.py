"""``/hapus`` erases a person completely: one person on Telegram and WhatsApp (linked),
registered, answering a survey with a free-text answer, checking in with a code, holding
a certificate and a trainer's role in another event, named in other people's rows. After
the erasure no column of any table (as the database lists them) and no byte of SQLite's
files holds their name, number in any form, Telegram id, WhatsApp id or free text; their
survey choices stay as anonymous figures; the bad inputs get clear answers."""

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlmodel import col, select

from bot.db import SessionMaker
from handlers.turn import Deployment
from models import (
    AgendaSession,
    ChannelIdentity,
    Conversation,
    Enrollment,
    Event,
    Person,
    Role,
    RoleName,
    SurveyAnswer,
    SurveyResponse,
)
from models.attendance.codes import new_code
from models.attendance.store import Attendance, AttendanceMark, AttendanceOpening
from models.audit import AuditEntry
from models.broadcasts import Broadcast
from models.certificates.store import Certificate, Holder, issue
from models.dashboard import DashboardLink, DashboardSession, mint_link, start_session
from models.outbox import Outgoing, enqueue
from models.people import Consent
from models.privacy.erasure import TOUCHED, erase_person
from models.privacy.wipe import wipe
from models.roles import create_invite, find_invite, redeem_invite
from models.roster.entry import RosterEntry
from models.surveys.definition import SurveyDefinition
from models.surveys.store import SurveyRound, open_round, save_survey
from models.uploads import Upload
from scheduler.retention import privacy_round
from tests.drivers import TelegramDriver, texts
from tests.factories import ID, add_session, id_of, make_event
from tests.fakes.telegram_api import FakeTelegramServer
from tests.fakes.whatsapp_api import FakeWhatsAppServer
from tests.privacy_helpers import leftovers, phone_forms, raw_leftovers
from tests.test_survey_answering import DEFINITION
from tests.test_whatsapp_registration import answer_everything
from tests.whatsapp_driver import WhatsAppBot, WhatsAppDriver

NAME = "Siti Rahmawati"  # as tests.test_whatsapp_registration registers
PHONE = "+6281234567890"  # typed there as 0812-3456-7890
FREE_TEXT = "Sinyal susah di aula"  # 20 characters: the survey's limit
NOW = datetime(2024, 11, 14, 1, 30, tzinfo=UTC)  # 09.30 WITA, the demo event's second day
DEPLOYMENT = Deployment(telegram_username="bimtek_contoh_bot", whatsapp_number="6281154001234")


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Both:
    telegram: TelegramDriver
    whatsapp: WhatsAppDriver
    bot: WhatsAppBot
    clock: Clock


@pytest.fixture
async def both(
    telegram_server: FakeTelegramServer,
    whatsapp_server: FakeWhatsAppServer,
    database_url: str,
    demo_event: Event,
) -> AsyncIterator[Both]:
    clock = Clock()
    telegram = await TelegramDriver(
        telegram_server, database_url, clock=clock, deployment=DEPLOYMENT
    ).start()
    bot = await WhatsAppBot(whatsapp_server, database_url, clock=clock).start()
    yield Both(telegram, WhatsAppDriver(bot, wa_id=PHONE.removeprefix("+")), bot, clock)
    await bot.stop()
    await telegram.close()


async def linked(both: Both, sessions: SessionMaker) -> int:
    """Registered on Telegram, WhatsApp linked with the code sent there: one person."""
    telegram, whatsapp = both.telegram, both.whatsapp
    await answer_everything(telegram, first="/start")
    await telegram.press(ID("summary.confirm"))
    await whatsapp.send("halo")
    await whatsapp.press("Bahasa Indonesia")
    await whatsapp.press(ID("consent.agree"))
    before = len(telegram.server.sent(telegram.user_id))
    await whatsapp.press(ID("link.yes"))
    await telegram.until_sent()
    [message] = telegram.server.sent(telegram.user_id)[before:]
    found = re.search(r"\b(\d{6})\b", message.params["text"])
    assert found is not None
    await whatsapp.send(found.group(1))
    async with sessions() as session:
        [person] = (await session.execute(select(Person))).scalars().all()
        channels = (await session.execute(select(ChannelIdentity.channel))).scalars().all()
    assert sorted(channels) == ["telegram", "whatsapp"]
    assert person.id is not None
    return person.id


async def someone_else(sessions: SessionMaker, event: Event, name: str, phone: str) -> int:
    async with sessions.begin() as session:
        person = Person(locale="id", full_name=name, phone_e164=phone, registered_at=NOW)
        session.add(person)
        await session.flush()
        assert person.id is not None
        assert event.id is not None
        session.add(Enrollment(person_id=person.id, event_id=event.id))
        identity = ChannelIdentity(
            person_id=person.id, channel="telegram", user_key=f"9{person.id}", address="x"
        )
        session.add(identity)
        await session.flush()
        assert identity.id is not None
        session.add(Conversation(identity_id=identity.id))
        # A message to them that names our person (an organiser's notice, say).
        session.add(Broadcast(event_id=event.id, text=f"Selamat untuk {NAME}!", audience={}))
        await session.run_sync(
            enqueue,
            [
                Outgoing(
                    key=f"notice:{person.id}", identity_id=identity.id, channel="telegram",
                    kind="reply", body={"text": f"Kehadiran {NAME} (0812-3456-7890) dicatat"},
                    due_at=NOW,
                )
            ],
        )  # fmt: skip
        return person.id


async def first_session(
    session: AsyncSession, event: Event, day: date | None = None
) -> AgendaSession:
    query = select(AgendaSession).where(col(AgendaSession.event_id) == event.id)
    if day is not None:
        query = query.where(col(AgendaSession.day) == day)
    found = (await session.execute(query.order_by(col(AgendaSession.starts_at)))).scalars()
    return found.first() or pytest.fail("no session")


async def open_feedback(sessions: SessionMaker, event: Event) -> None:
    async with sessions.begin() as session:
        item = await first_session(session, event, NOW.date())
        survey, _ = await save_survey(session, SurveyDefinition.model_validate(DEFINITION))
        assert event.id is not None
        await open_round(
            session, survey=survey, event_id=event.id, slot=f"session:{item.id}",
            session_id=item.id, speakers=["Rachmawati"], opens_at=NOW - timedelta(hours=1),
            closes_at=NOW + timedelta(days=1),
        )  # fmt: skip


async def start_feedback(telegram: TelegramDriver) -> None:
    listed = await telegram.send("/survei")
    await telegram.press(next(b for s in listed for b in s.buttons if "Umpan balik" in b))
    await telegram.press("1 Tidak")  # a rating of 1 brings the free-text follow-up
    await telegram.send(FREE_TEXT)


async def answer_the_survey(both: Both, sessions: SessionMaker, event: Event) -> None:
    """Over Telegram, with a free-text answer."""
    await open_feedback(sessions, event)
    telegram = both.telegram
    await start_feedback(telegram)
    await telegram.press("5")
    await telegram.send("1, 3")
    await telegram.send("12,5")
    done = await telegram.press("Lewati")
    assert "Terima kasih" in texts(done)


async def check_in(both: Both, sessions: SessionMaker, event: Event) -> None:
    """Over WhatsApp, with the code a trainer opened."""
    async with sessions.begin() as session:
        item = await first_session(session, event, NOW.date())
        code = new_code()
        assert event.id is not None
        session.add(
            AttendanceOpening(
                event_id=event.id, session_id=item.id, day=NOW.date(), code=code,
                opens_at=NOW - timedelta(minutes=10), expires_at=NOW + timedelta(minutes=30),
            )
        )  # fmt: skip
    shown = await both.whatsapp.send(code)
    assert "Kehadiran tercatat" in texts(shown)


async def trainer_elsewhere(sessions: SessionMaker, person_id: int) -> Event:
    """A trainer in another event by an invite naming them, on its agenda, and rated by
    another participant there."""
    other = await make_event(
        sessions, "BPN25", starts_on=date(2025, 7, 15), ends_on=date(2025, 7, 18)
    )
    await add_session(
        sessions, other, date(2025, 7, 15), "08.00", "10.00", "Advokasi",
        speakers=f"{NAME}; Taufik",
    )  # fmt: skip
    async with sessions.begin() as session:
        assert other.id is not None
        code = await create_invite(
            session, other.id, RoleName.TRAINER, created_by="cli", now=NOW, speaker=NAME
        )
        invite = await find_invite(session, code)
        assert invite is not None
        await redeem_invite(session, invite, person_id, NOW)
        survey, _ = await save_survey(session, SurveyDefinition.model_validate(DEFINITION))
        round_, _ = await open_round(
            session, survey=survey, event_id=other.id, slot="evaluation",
            speakers=[NAME, "Taufik"], opens_at=NOW,
        )  # fmt: skip
    rater = await someone_else(sessions, other, "Budi Santoso", "+6281300000002")
    async with sessions.begin() as session:
        response = SurveyResponse(round_id=round_id(round_), person_id=rater, submitted_at=NOW)
        session.add(response)
        await session.flush()
        assert response.id is not None
        for subject, value in ((NAME, 4), ("Taufik", 3)):
            session.add(
                SurveyAnswer(
                    response_id=response.id, question_id="clarity", subject=subject, value=value
                )
            )
    return other


async def more_of_them(sessions: SessionMaker, event: Event, person_id: int) -> None:
    """A certificate with its paper, an upload, a roster row matched to them, a
    hand-made mark whose reason names them."""
    async with sessions.begin() as session:
        assert event.id is not None
        [certificate] = await issue(
            session, event, [Holder(person_id, NAME, None, 33)], NOW, issued_by="cli",
            manual_reason=f"Diminta {NAME}",
        )  # fmt: skip
        certificate.pdf = f"%PDF-1.4 {NAME}".encode()
        session.add(
            Upload(
                person_id=person_id, event_id=event.id, filename=f"RTL {NAME}.xlsx",
                media_type="text/plain", content=f"{NAME} {PHONE}".encode(), sha256="0" * 64,
            )
        )  # fmt: skip
        session.add(
            RosterEntry(
                event_id=event.id, line=2, full_name=NAME.upper(), phone_e164=PHONE,
                person_id=person_id,
            )
        )  # fmt: skip
        item = await first_session(session, event)
        session.add(
            AttendanceMark(
                event_id=event.id, session_id=id_of(item), person_id=person_id, action="mark",
                reason=f"{NAME} datang terlambat, HP 0812 3456 7890", via="cli", at=NOW,
            )
        )  # fmt: skip


def round_id(round_: SurveyRound) -> int:
    assert round_.id is not None
    return round_.id


async def count(sessions: SessionMaker, model: Any) -> int:
    async with sessions() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


def needles(telegram_id: int) -> list[str]:
    return [NAME, *phone_forms(PHONE), str(telegram_id), FREE_TEXT]


def sqlite_file(database_url: str) -> Path | None:
    url = make_url(database_url)
    return Path(url.database) if url.get_backend_name() == "sqlite" and url.database else None


SEEDED = (
    "person", "channel_identity", "survey_answer", "certificate", "role",
    "roster_entry", "agenda_session", "broadcast", "outbox", "upload", "attendance_mark",
)  # fmt: skip


async def test_hapus_leaves_nothing_of_them_anywhere(
    both: Both, sessions: SessionMaker, engine: AsyncEngine, demo_event: Event, database_url: str
) -> None:
    person_id = await linked(both, sessions)
    await answer_the_survey(both, sessions, demo_event)
    await check_in(both, sessions, demo_event)
    other = await trainer_elsewhere(sessions, person_id)
    await more_of_them(sessions, demo_event, person_id)
    async with sessions.begin() as session:  # they had opened the web dashboard once
        await mint_link(session, person_id, NOW)
        await start_session(session, person_id, NOW, timedelta(hours=12), "id")
    everything = needles(both.telegram.user_id)
    seeded = {table for table, _, _ in await leftovers(engine, everything)}
    assert set(SEEDED) <= seeded, "the test put something of theirs in each"
    assert await count(sessions, Attendance) == 1  # names nobody but is theirs

    shown = await both.telegram.send("/hapus")
    assert shown[-1].buttons == (ID("erase.yes"), ID("erase.no"))
    assert ID("privacy_erase.confirm") in texts(shown)
    shown = await both.telegram.press(ID("erase.yes"))
    assert shown[-1].text == ID("erase.done")
    assert both.telegram.server.chat(both.telegram.user_id)[-1] == ID("erase.done")
    # At once, before the reply's address goes: no way into the dashboard, and the audit
    # log's entries of what they did (taking the trainer's role) name nobody.
    async with sessions() as session:
        for model in (DashboardLink, DashboardSession):
            theirs = select(model).where(col(model.person_id) == person_id)
            assert (await session.execute(theirs)).scalars().all() == []
        actors = (await session.execute(select(AuditEntry.actor_person_id))).scalars().all()
        assert person_id not in actors
        assert actors, "the role they took was logged"
    # Only the address the reply went to is left, and the privacy job takes it.
    assert await privacy_round(sessions, both.clock()) == 1

    assert await leftovers(engine, everything) == []
    database = sqlite_file(database_url)
    if database is not None:
        assert raw_leftovers(database, everything) == []
    async with sessions() as session:
        assert (await session.execute(select(func.count()).select_from(Person))).scalar_one() == 1
        # Their survey choices stay as numbers, nobody's, on the day, without the text.
        anonymous = select(SurveyResponse).where(col(SurveyResponse.person_id).is_(None))
        [kept] = (await session.execute(anonymous)).scalars().all()
        assert kept.submitted_at == kept.started_at == datetime(2024, 11, 14, tzinfo=UTC)
        of_kept = select(SurveyAnswer).where(col(SurveyAnswer.response_id) == kept.id)
        answers = (await session.execute(of_kept)).scalars().all()
        assert {(a.question_id, a.subject): a.value for a in answers} == {
            ("useful", ""): 1, ("clarity", "Rachmawati"): 5, ("topics", ""): ["sim", "koleksi"],
            ("hours", ""): 12.5,
        }  # fmt: skip
        assert {a.answered_at for a in answers} == {kept.submitted_at}
        # The certificate verifies as revoked, naming nobody.
        [certificate] = (await session.execute(select(Certificate))).scalars().all()
        assert (certificate.holder_name, certificate.pdf, certificate.revoked) == ("", None, True)
        # The other event's agenda and the rating about them keep one pseudonym.
        cells = select(AgendaSession.speakers).where(col(AgendaSession.event_id) == other.id)
        [cell] = (await session.execute(cells)).scalars().all()
        alias = cell.split(";")[0]
        assert alias.startswith("[dihapus")
        assert cell.endswith("; Taufik")
        subjects = (await session.execute(select(SurveyAnswer.subject))).scalars().all()
        assert {alias, "Taufik"} <= set(subjects)
        consents = (await session.execute(select(Consent))).scalars().all()
        assert {c.person_id for c in consents} == {None}
    assert await count(sessions, Role) == 0
    assert await count(sessions, Attendance) == 0


async def test_a_second_hapus_and_a_refusal(
    both: Both, sessions: SessionMaker, engine: AsyncEngine
) -> None:
    await linked(both, sessions)
    before = await leftovers(engine, [NAME, PHONE])
    await both.whatsapp.send("/hapus")
    shown = await both.whatsapp.press(ID("erase.no"))
    assert shown[0].text == ID("erase.kept")
    assert await leftovers(engine, [NAME, PHONE]) == before, "declined: nothing changes"
    await both.whatsapp.send("/hapus")
    shown = await both.whatsapp.press(ID("erase.yes"))
    assert shown[-1].text == ID("erase.done")
    # Before the privacy job: asked again, they are told nothing is stored.
    shown = await both.whatsapp.send("/hapus")
    assert shown[0].text == ID("erase.nothing")
    await privacy_round(sessions, both.clock())
    shown = await both.telegram.send("/hapus")  # somebody new to the bot now
    assert ID("erase.nothing") in texts(shown)


async def test_hapus_in_the_middle_of_a_survey_keeps_nothing_of_it(
    both: Both, sessions: SessionMaker, demo_event: Event
) -> None:
    await linked(both, sessions)
    await open_feedback(sessions, demo_event)
    telegram = both.telegram
    await start_feedback(telegram)  # stored as they go, not submitted
    # Declining goes back to the question it interrupted.
    await telegram.send("/hapus")
    shown = await telegram.press(ID("erase.no"))
    assert "Rachmawati" in shown[-1].text
    await telegram.send("/hapus")
    shown = await telegram.press(ID("erase.yes"))
    assert [s.text for s in shown[-2:]] == [ID("privacy_erase.abandoned"), ID("erase.done")]
    async with sessions() as session:
        assert (await session.execute(select(SurveyResponse))).first() is None
        assert (await session.execute(select(SurveyAnswer))).first() is None
    shown = await telegram.send("5")  # the survey's next answer, typed anyway
    assert "Rachmawati" not in texts(shown)


async def test_hapus_while_asked_for_a_check_in_code(both: Both, sessions: SessionMaker) -> None:
    await linked(both, sessions)
    await both.whatsapp.send("/hadir")  # asked for the code
    await both.whatsapp.send("/hapus")
    shown = await both.whatsapp.press(ID("erase.yes"))
    assert [s.text for s in shown[-2:]] == [ID("privacy_erase.abandoned"), ID("erase.done")]
    assert await count(sessions, Attendance) == 0
    async with sessions() as session:
        [conversation] = (await session.execute(select(Conversation))).scalars().all()
    assert (conversation.flow, conversation.paused_flow, conversation.state) == (None, None, {})


async def test_the_files_are_wiped_on_either_database(engine: AsyncEngine) -> None:
    assert await wipe(engine, TOUCHED) is True


# --- any subset of what a person may have done -------------------------------------------

ACTIVITIES = ("survey", "attendance", "certificate", "upload", "roster", "trainer", "mention")


@dataclass
class Someone:
    name: str
    phone: str
    key: str
    text: str

    def needles(self) -> list[str]:
        return [self.name, *phone_forms(self.phone), self.key, self.text]


async def someone_who_did(
    sessions: SessionMaker, event: Event, n: int, done: frozenset[str]
) -> tuple[int, Someone]:
    who = Someone(
        f"Warga Nomor{chr(65 + n % 26)}{chr(65 + n // 26)} Uji",
        f"+62857{n:08d}",
        f"tg{n:07d}x",
        f"jawaban bebas ke {n:04d}",
    )
    async with sessions.begin() as session:
        person = Person(full_name=who.name, phone_e164=who.phone, registered_at=NOW)
        session.add(person)
        await session.flush()
        pid, eid = person.id, event.id
        assert pid is not None
        assert eid is not None
        session.add(Enrollment(person_id=pid, event_id=eid))
        session.add(
            ChannelIdentity(person_id=pid, channel="telegram", user_key=who.key, address=who.key)
        )
        session.add(
            Consent(
                person_id=pid, channel="telegram", text_version="1", locale="id",
                text_sha256="0" * 64, agreed_at=NOW,
            )
        )  # fmt: skip
        first = await first_session(session, event)
        if "survey" in done:
            survey, _ = await save_survey(session, SurveyDefinition.model_validate(DEFINITION))
            round_, _ = await open_round(
                session, survey=survey, event_id=eid, slot="evaluation", opens_at=NOW
            )
            response = SurveyResponse(round_id=round_id(round_), person_id=pid, submitted_at=NOW)
            session.add(response)
            await session.flush()
            assert response.id is not None
            session.add(SurveyAnswer(response_id=response.id, question_id="why", value=who.text))
            session.add(SurveyAnswer(response_id=response.id, question_id="useful", value=2))
        if "attendance" in done:
            session.add(
                Attendance(
                    event_id=eid, session_id=id_of(first), person_id=pid, checked_in_at=NOW,
                    channel="telegram",
                )
            )  # fmt: skip
        if "certificate" in done:
            holder = Holder(pid, who.name, None, 10)
            [paper] = await issue(session, event, [holder], NOW, issued_by="cli")
            paper.pdf = who.name.encode()
        if "upload" in done:
            session.add(
                Upload(
                    person_id=pid, event_id=eid, filename="x.txt", media_type="text/plain",
                    content=who.text.encode(), sha256="1" * 64,
                )
            )  # fmt: skip
        if "roster" in done:
            session.add(
                RosterEntry(
                    event_id=eid, line=n + 2, full_name=who.name, phone_e164=who.phone,
                    person_id=pid,
                )
            )  # fmt: skip
        if "trainer" in done:
            session.add(Role(event_id=eid, person_id=pid, role=RoleName.TRAINER, speaker=who.name))
            first.speakers = f"{who.name}; Taufik"
        if "mention" in done:
            text = f"Hubungi {who.name} di {who.phone}"
            session.add(Broadcast(event_id=eid, text=text, audience={}))
    return pid, who


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(done=st.frozensets(st.sampled_from(ACTIVITIES)), n=st.integers(0, 600))
async def test_whatever_they_did_nothing_is_left(
    sessions: SessionMaker, engine: AsyncEngine, demo_event: Event, done: frozenset[str], n: int
) -> None:
    async with sessions.begin() as session:  # each example on its own
        for table in ("survey_response", "certificate", "roster_entry", "person"):
            await session.execute(text(f"DELETE FROM {table}"))
    pid, who = await someone_who_did(sessions, demo_event, n, done)
    async with sessions.begin() as session:
        assert await erase_person(session, pid, NOW) is not None
    assert await leftovers(engine, who.needles()) == []
