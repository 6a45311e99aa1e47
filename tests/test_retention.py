"""Retention: an event's personal data go once it has been over long enough (two years by
default, or as set), by the privacy job on a clock the test sets, or on demand from the
command line after the event; someone in another event keeps that event's data; the
preview counts what the purge then removes."""

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.db import SessionMaker
from bot.demo import ensure_demo_event
from models import (
    AgendaSession,
    ChannelIdentity,
    Consent,
    Enrollment,
    Event,
    Person,
    Role,
    RoleName,
    SurveyAnswer,
    SurveyResponse,
)
from models.attendance.store import Attendance
from models.audit import AuditEntry
from models.broadcasts import Broadcast
from models.certificates.store import Certificate, Holder, issue
from models.outbox import OutboxMessage, Outgoing, enqueue
from models.privacy.retention import kept_until, preview_purge, purge_event
from models.roster.entry import RosterEntry
from models.surveys.definition import SurveyDefinition
from models.surveys.store import SurveyRound, open_round, save_survey
from models.types import utcnow
from models.uploads import Upload
from scheduler.retention import privacy_round
from tests.factories import add_session, id_of, local, make_event
from tests.privacy_helpers import leftovers
from tests.test_survey_answering import DEFINITION

ADMIN = ("telegram", "700999")  # ADMIN_TELEGRAM_IDS


@dataclass
class World:
    old: Event  # 13–16 November 2024, WITA: due on 17 November 2026
    later: Event  # July 2025
    only_old: int  # a participant of the old event only
    both: int  # a participant of both events
    trainer: int  # a trainer in the old event, not registered
    admin: int  # registered for the old event only, but an admin


def at(event: Event, day: date, hhmm: str = "12.00") -> datetime:
    return local(event, day, hhmm)


async def person(
    sessions: SessionMaker, name: str, phone: str, key: str, events: list[Event]
) -> int:
    async with sessions.begin() as session:
        row = Person(
            full_name=name, phone_e164=phone, registered_at=datetime(2024, 11, 1, tzinfo=UTC)
        )
        session.add(row)
        await session.flush()
        for event in events:
            session.add(Enrollment(person_id=id_of(row), event_id=id_of(event)))
        session.add(
            ChannelIdentity(person_id=id_of(row), channel="telegram", user_key=key, address=key)
        )
        return id_of(row)


async def took_part(
    sessions: SessionMaker, event: Event, who: int, round_: SurveyRound, text: str
) -> None:
    """Answered the round (with a text), checked in, has a certificate with its paper."""
    async with sessions.begin() as session:
        [item] = (
            (
                await session.execute(
                    select(AgendaSession).where(col(AgendaSession.event_id) == event.id)
                )
            )
            .scalars()
            .all()
        )
        assert round_.id is not None
        response = SurveyResponse(
            round_id=round_.id, person_id=who, submitted_at=at(event, event.starts_on)
        )
        session.add(response)
        await session.flush()
        assert response.id is not None
        session.add(SurveyAnswer(response_id=response.id, question_id="useful", value=3))
        session.add(SurveyAnswer(response_id=response.id, question_id="why", value=text))
        session.add(
            Attendance(
                event_id=id_of(event), session_id=id_of(item), person_id=who,
                checked_in_at=at(event, event.starts_on, "08.05"), channel="telegram",
            )
        )  # fmt: skip
        [paper] = await issue(
            session, event, [Holder(who, f"Orang {who}", None, 10)], at(event, event.ends_on),
            issued_by="cli",
        )  # fmt: skip
        paper.pdf = b"%PDF-1.4 paper"


async def feedback_round(sessions: SessionMaker, event: Event) -> SurveyRound:
    async with sessions.begin() as session:
        survey, _ = await save_survey(session, SurveyDefinition.model_validate(DEFINITION))
        round_, _ = await open_round(
            session, survey=survey, event_id=id_of(event), slot="evaluation",
            opens_at=at(event, event.starts_on),
        )  # fmt: skip
        return round_


async def announced(sessions: SessionMaker, event: Event, people: list[int]) -> None:
    """An announcement, sent to ``people`` (one outbox row each)."""
    async with sessions.begin() as session:
        broadcast = Broadcast(
            event_id=id_of(event), text="Sesi pindah ke Ruang Mahakam", audience={}
        )
        session.add(broadcast)
        await session.flush()
        keys = (
            (
                await session.execute(
                    select(ChannelIdentity).where(col(ChannelIdentity.person_id).in_(people))
                )
            )
            .scalars()
            .all()
        )
        await session.run_sync(
            enqueue,
            [
                Outgoing(
                    key=f"b:{broadcast.id}:{i.id}", identity_id=id_of(i), channel="telegram",
                    kind="broadcast", body={"text": broadcast.text},
                    due_at=at(event, event.starts_on), broadcast_id=broadcast.id,
                )
                for i in keys
            ],
        )  # fmt: skip


@pytest.fixture
async def world(sessions: SessionMaker) -> World:
    old = await make_event(sessions, "LAMA24")
    later = await make_event(
        sessions, "BARU25", starts_on=date(2025, 7, 15), ends_on=date(2025, 7, 18)
    )
    for event in (old, later):
        await add_session(sessions, event, event.starts_on, "08.00", "10.00", "Advokasi")
    only_old = await person(sessions, "Ani Lama", "+6281100000001", "tg-ani", [old])
    both = await person(sessions, "Budi Dua", "+6281100000002", "tg-budi", [old, later])
    trainer = await person(sessions, "Citra Pelatih", "+6281100000003", "tg-citra", [])
    admin = await person(sessions, "Dewi Admin", "+6281100000004", ADMIN[1], [old])
    async with sessions.begin() as session:
        for event in (old, later):  # Budi consented to each event's organiser
            session.add(
                Consent(
                    person_id=both, event_id=id_of(event), channel="telegram",
                    text_version="2026-12", locale="id", text_sha256="c" * 64,
                    agreed_at=at(event, event.starts_on - timedelta(days=7), "10.17"),
                )
            )  # fmt: skip
        for event in (old, later):  # the old event's role goes with it; the later one stays
            session.add(
                Role(
                    event_id=id_of(event), person_id=trainer, role=RoleName.TRAINER,
                    speaker="Citra",
                )
            )  # fmt: skip
        for line, (who, phone) in enumerate(
            ((only_old, "+6281100000001"), (None, "+6281199999999")), 2
        ):
            session.add(
                RosterEntry(
                    event_id=id_of(old),
                    line=line,
                    full_name=f"Baris {line}",
                    phone_e164=phone,
                    person_id=who,
                )
            )
        session.add(
            Upload(
                person_id=both,
                event_id=id_of(old),
                filename="rtl.txt",
                media_type="text/plain",
                content=b"RTL Budi",
                sha256="0" * 64,
            )
        )
    old_round, later_round = (
        await feedback_round(sessions, old),
        await feedback_round(sessions, later),
    )
    await took_part(sessions, old, only_old, old_round, "Jawaban Ani di acara lama")
    await took_part(sessions, old, both, old_round, "Jawaban Budi di acara lama")
    await took_part(sessions, later, both, later_round, "Jawaban Budi di acara baru")
    await announced(sessions, old, [only_old, both])
    await announced(sessions, later, [both])
    return World(old, later, only_old, both, trainer, admin)


async def count(sessions: SessionMaker, model: Any, *where: Any) -> int:
    async with sessions() as session:
        query = select(func.count()).select_from(model)
        for condition in where:
            query = query.where(condition)
        return int((await session.execute(query)).scalar_one())


async def snapshot(sessions: SessionMaker) -> dict[str, int]:
    models = (Person, Enrollment, SurveyResponse, SurveyAnswer, Attendance, RosterEntry,
              Certificate, Upload, OutboxMessage, Broadcast, ChannelIdentity)  # fmt: skip
    return {m.__name__: await count(sessions, m) for m in models}


async def test_nothing_goes_a_day_before_and_it_all_goes_a_day_after(
    sessions: SessionMaker, engine: AsyncEngine, world: World
) -> None:
    old = world.old
    assert kept_until(old) == date(2026, 11, 16)
    before = await snapshot(sessions)
    for day in (date(2026, 11, 15), date(2026, 11, 16)):
        assert await privacy_round(sessions, at(old, day, "23.59"), frozenset({ADMIN})) == 0
    assert await snapshot(sessions) == before

    assert (
        await privacy_round(sessions, at(old, date(2026, 11, 17), "00.01"), frozenset({ADMIN})) == 1
    )
    async with sessions() as session:
        event = await session.get(Event, id_of(old))
        assert event is not None
        assert event.purged_at is not None
        assert event.name == old.name  # the event itself stays
        assert not event.is_open  # and nobody joins it any more
    # Ani had nothing else: gone. Budi keeps the later event; Citra her role in it; Dewi is
    # an admin.
    assert await count(sessions, Person, col(Person.id) == world.only_old) == 0
    for kept in (world.both, world.trainer, world.admin):
        assert await count(sessions, Person, col(Person.id) == kept) == 1
    assert await count(sessions, Enrollment, col(Enrollment.event_id) == id_of(old)) == 0
    assert await count(sessions, Enrollment, col(Enrollment.event_id) == id_of(world.later)) == 1
    assert await count(sessions, Attendance, col(Attendance.event_id) == id_of(old)) == 0
    assert await count(sessions, Attendance, col(Attendance.person_id) == world.both) == 1
    assert await count(sessions, RosterEntry) == 0
    assert await count(sessions, Upload) == 0
    assert await count(sessions, Role, col(Role.event_id) == id_of(old)) == 0
    # Budi's consent to the old event's organiser stays as a record, his no more, to the day.
    async with sessions() as session:
        consents = (await session.execute(select(Consent))).scalars().all()
        [purged] = (
            (
                await session.execute(
                    select(AuditEntry).where(col(AuditEntry.action) == "event.purged")
                )
            )
            .scalars()
            .all()
        )
    by_event = {c.event_id: c for c in consents}
    assert by_event[id_of(old)].person_id is None
    assert by_event[id_of(old)].agreed_at.time() == time(0, 0)
    assert by_event[id_of(world.later)].person_id == world.both
    assert (purged.event_id, purged.actor_kind) == (id_of(old), "system")
    assert await count(sessions, Role, col(Role.event_id) == id_of(world.later)) == 1
    # The old event's answers: figures without anyone, the texts gone; Budi's later ones whole.
    assert await count(sessions, SurveyResponse, col(SurveyResponse.person_id).is_(None)) == 2
    assert await count(sessions, SurveyResponse, col(SurveyResponse.person_id) == world.both) == 1
    assert (
        await leftovers(engine, ["Jawaban Ani", "Jawaban Budi di acara lama", "Ani Lama", "tg-ani"])
        == []
    )
    assert await leftovers(engine, ["Jawaban Budi di acara baru", "Budi Dua"]) != []
    async with sessions() as session:
        papers = (
            (await session.execute(select(Certificate).order_by(col(Certificate.event_id))))
            .scalars()
            .all()
        )
    assert [(c.holder_name, c.pdf is None) for c in papers] == [
        ("", True), ("", True), (f"Orang {world.both}", False),
    ]  # fmt: skip
    # The old announcement's text and rows are gone; the later one's stay.
    assert await count(sessions, Broadcast, col(Broadcast.text) != "") == 1
    assert await count(sessions, OutboxMessage, col(OutboxMessage.kind) == "broadcast") == 1
    # Run again: nothing more to do.
    assert await privacy_round(sessions, at(old, date(2026, 11, 18)), frozenset({ADMIN})) == 0


async def test_the_preview_counts_what_the_purge_removes(
    sessions: SessionMaker, world: World
) -> None:
    now = at(world.old, date(2025, 1, 10))  # over, well within its retention: on demand
    before = await snapshot(sessions)
    async with sessions.begin() as session:
        preview = await preview_purge(session, id_of(world.old), now, frozenset({ADMIN}))
    assert await snapshot(sessions) == before, "a preview changes nothing"
    # Counted by hand from the fixture: Ani, Budi and Dewi registered; Ani alone goes;
    # two answers (each with a text dropped), two check-ins, two roster rows, two
    # certificates, an upload and two papers, two announcement rows, one announcement.
    assert (preview.people, preview.erased) == (3, 1)
    assert (preview.answers, preview.texts) == (2, 2)
    assert (preview.attendance, preview.roster, preview.certificates) == (2, 2, 2)
    assert (preview.files, preview.messages, preview.broadcasts) == (3, 2, 1)
    async with sessions.begin() as session:
        done = await purge_event(session, id_of(world.old), now, frozenset({ADMIN}))
    assert done == preview


async def test_a_retention_set_for_the_event_decides_the_day(
    sessions: SessionMaker, world: World
) -> None:
    async with sessions.begin() as session:
        event = await session.get(Event, id_of(world.old))
        assert event is not None
        event.retention_days = 300
    async with sessions() as session:
        event = await session.get(Event, id_of(world.old))
        assert event is not None
        assert kept_until(event) == date(2025, 9, 12)
    assert await privacy_round(sessions, at(world.old, date(2025, 9, 12), "23.59")) == 0
    assert await privacy_round(sessions, at(world.old, date(2025, 9, 13), "00.01")) == 1


# --- the command line ---------------------------------------------------------------------


async def cli(runner: CliRunner, args: list[str], input: str | None = None) -> Result:
    """The command, run as from a shell: in a thread with its own event loop."""
    return await asyncio.to_thread(lambda: runner.invoke(app, args, input=input))


@pytest.fixture
def runner(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ADMIN_TELEGRAM_IDS", ADMIN[1])
    return CliRunner()


async def test_purge_refuses_an_event_not_over(
    runner: CliRunner, sessions: SessionMaker, world: World
) -> None:
    today = utcnow().date()
    running = await make_event(
        sessions, "JALAN", starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=1)
    )
    await person(sessions, "Eko Jalan", "+6281100000005", "tg-eko", [running])
    refused = await cli(runner, ["event", "purge", "JALAN", "--yes"])
    assert refused.exit_code == 1
    assert "has not ended yet" in refused.output
    assert "Nothing was changed" in refused.output
    assert await count(sessions, Enrollment, col(Enrollment.event_id) == id_of(running)) == 1


async def test_purge_on_demand_after_the_end_with_a_preview_and_a_question(
    runner: CliRunner, sessions: SessionMaker, world: World
) -> None:
    before = await snapshot(sessions)
    declined = await cli(runner, ["event", "purge", "LAMA24"], input="n\n")
    assert declined.exit_code == 1
    assert "3 people registered, 1 of them with no other event" in declined.output
    assert (
        "2 survey answers kept as anonymous numbers (2 written answers deleted)" in declined.output
    )
    assert "Cancelled. Nothing was changed." in declined.output
    assert await snapshot(sessions) == before
    done = await cli(runner, ["event", "purge", "LAMA24", "--lang", "id"], input="y\n")
    assert done.exit_code == 0, done.output
    assert "Hapus sekarang?" in done.output
    assert "3 pendaftaran" in done.output
    assert await count(sessions, Enrollment, col(Enrollment.event_id) == id_of(world.old)) == 0
    again = await cli(runner, ["event", "purge", "LAMA24", "--yes"])
    assert again.exit_code == 0
    assert "were removed on" in again.output


async def test_retention_is_shown_and_set(
    runner: CliRunner, sessions: SessionMaker, world: World
) -> None:
    shown = await cli(runner, ["event", "retention", "LAMA24"])
    assert "kept until Monday, 16 November 2026 (730 days after it ends)" in shown.output
    changed = await cli(runner, ["event", "retention", "LAMA24", "--years", "5"])
    assert "16 November 2029 (1826 days" in changed.output
    refused = await cli(runner, ["event", "retention", "LAMA24", "--days", "0"])
    assert refused.exit_code == 2
    async with sessions() as session:
        event = await session.get(Event, id_of(world.old))
        assert event is not None
        assert event.retention_days == 1826


async def test_the_demo_event_stays_to_be_tried_years_after_its_dates(
    sessions: SessionMaker,
) -> None:
    async with sessions.begin() as session:
        demo = await ensure_demo_event(session)
    ten_years_on = datetime(2034, 11, 15, tzinfo=UTC)
    assert await privacy_round(sessions, ten_years_on) == 0
    async with sessions() as session:
        kept = await session.get(Event, id_of(demo))
        assert kept is not None
        assert kept.purged_at is None
