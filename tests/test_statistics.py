"""/statistik: an event's figures for its organisers, checked against a hand-counted
fixture on SQLite and PostgreSQL: four participants, a roster of three, Thursday's
check-ins, one person the bot cannot reach and one message held for a template."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlmodel import col

from bot.db import SessionMaker
from handlers.i18n import Translator
from handlers.outgoing import body_of
from handlers.types import Reply
from models import AgendaSession, ChannelIdentity, Event, Person, RoleName, outbox
from models.attendance.store import Attendance
from models.outbox import Outgoing, Priority, Status
from models.roster.entry import RosterEntry
from tests.drivers import EngineDriver
from tests.factories import enrol, give_role, id_of, person_id_of

ID = Translator("id")
# Thursday 14 November 2024, 14.00 WITA: the morning's sessions are over.
THURSDAY = datetime(2024, 11, 14, 6, 0, tzinfo=UTC)


class Console(EngineDriver):
    channel = "console"


async def fixture(sessions: SessionMaker, event: Event) -> None:
    people = [
        await person_id_of(sessions, await enrol(sessions, event, class_name=name))
        for name in ("A", "A", "B", None)
    ]
    p1, p2, p3, p4 = people
    async with sessions.begin() as session:
        for number, person_id in enumerate(people, 1):
            await session.execute(
                update(Person)
                .where(col(Person.id) == person_id)
                .values(phone_e164=f"+62812000070{number:02d}")
            )
        await session.execute(
            update(Person)
            .where(col(Person.id) == p3)
            .values(regency="Samarinda", library_type="kelurahan")
        )
        await session.execute(
            update(Person).where(col(Person.id) == p4).values(regency=None, library_type="tbm")
        )
        for line, (phone, linked) in enumerate(
            [("+6281200007001", p1), ("+6281200007002", p2), ("+6281200007099", None)], 2
        ):
            session.add(
                RosterEntry(
                    event_id=id_of(event), line=line, full_name=f"Peserta {line}",
                    phone_e164=phone, person_id=linked,
                )
            )  # fmt: skip
        thursday = {
            (s.starts_at.astimezone(UTC).hour, s.class_name): s
            for s in (
                await session.execute(
                    select(AgendaSession).where(
                        col(AgendaSession.event_id) == id_of(event),
                        col(AgendaSession.day) == THURSDAY.date(),
                    )
                )
            ).scalars()
        }
        plenary, practice_a = thursday[(0, None)], thursday[(2, "A")]
        for person_id, item, late in ((p1, plenary, False), (p2, plenary, True),
                                      (p3, plenary, False), (p1, practice_a, False)):  # fmt: skip
            session.add(
                Attendance(
                    event_id=id_of(event), session_id=id_of(item), person_id=person_id,
                    checked_in_at=item.starts_at + timedelta(minutes=20 if late else 2),
                    late=late, channel="telegram",
                )
            )  # fmt: skip
        await session.execute(
            update(ChannelIdentity)
            .where(col(ChannelIdentity.person_id) == p4)
            .values(unreachable_at=THURSDAY)
        )
        identity_of_p3 = (
            await session.execute(
                select(col(ChannelIdentity.id)).where(col(ChannelIdentity.person_id) == p3)
            )
        ).scalar_one()
        assert identity_of_p3 is not None
        held = Outgoing(
            "held", identity_of_p3, "whatsapp", "broadcast", body_of(Reply("Info")), THURSDAY,
            priority=Priority.BULK,
        )  # fmt: skip
        [row] = await session.run_sync(outbox.enqueue, [held])
        await session.execute(
            update(outbox.OutboxMessage)
            .where(col(outbox.OutboxMessage.id) == row)
            .values(status=Status.HELD)
        )


async def test_the_figures_as_counted_by_hand(
    database_url: str, sessions: SessionMaker, demo_event: Event
) -> None:
    await fixture(sessions, demo_event)
    await give_role(sessions, demo_event, RoleName.ORGANIZER, "panitia")
    organiser = Console(database_url, user_key="panitia", clock=lambda: THURSDAY)
    try:
        shown = await organiser.send("/statistik")
    finally:
        await organiser.close()
    lines = shown[0].text.split("\n")
    assert lines[0] == ID("statistics.title", event=demo_event.name)
    assert lines[1] == ID(
        "statistics.registered_of_roster",
        registered=2, roster=3, percent=67, known=0, unknown=1, others=2,
    )  # fmt: skip
    desa, kelurahan, tbm = (ID(f"library_type.{t}") for t in ("desa", "kelurahan", "tbm"))
    assert lines[3:11] == [
        ID("statistics.by_regency"),
        "  • Kutai Kartanegara: 2 (50%)",
        "  • Samarinda: 1 (25%)",
        f"  • {ID('statistics.not_given')}: 1 (25%)",
        ID("statistics.by_library_type"),
        f"  • {desa}: 2 (50%)",
        f"  • {kelurahan}: 1 (25%)",
        f"  • {tbm}: 1 (25%)",
    ]
    assert lines[12] == ID(
        "statistics.present_today", date="Kamis, 14 November 2024", present=3, registered=4,
        percent=75,
    )  # fmt: skip
    sessions_today = [line for line in lines[13:] if line.startswith("  • ")][:6]
    assert [line.rsplit(": ", 1)[1] for line in sessions_today] == [
        "3 dari 4, 1 terlambat",  # the plenary morning: everyone expected
        "1 dari 2, 0 terlambat",  # class A's practice
        "0 dari 1, 0 terlambat",  # class B's
        "0 dari 4, 0 terlambat",
        "0 dari 2, 0 terlambat",
        "0 dari 1, 0 terlambat",
    ]
    assert sessions_today[0].startswith("  • 08.00 Sistem Informasi Manajemen")
    assert sessions_today[1].startswith("  • 10.15 A · Praktik"), "parallel sessions apart"
    assert sessions_today[2].startswith("  • 10.15 B · Praktik")
    assert ID("statistics.no_surveys") in lines
    assert ID("statistics.unreachable", unreachable=1) in lines
    assert ID("statistics.held", held=1) in lines
    chart = shown[1]
    assert chart.text == ID("statistics.chart_today", date="Kamis, 14 November 2024")
    assert chart.document is not None
    assert chart.document[1].startswith(b"\x89PNG")


async def test_participants_and_trainers_are_refused(
    database_url: str, sessions: SessionMaker, demo_event: Event
) -> None:
    await give_role(sessions, demo_event, RoleName.TRAINER, "pelatih")
    trainer = Console(database_url, user_key="pelatih", clock=lambda: THURSDAY)
    try:
        shown = await trainer.send("/statistik")
    finally:
        await trainer.close()
    assert "hanya untuk panitia" in shown[0].text
