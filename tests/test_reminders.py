"""Planning reminders and morning digests on the real databases: the right local moment
in WIB, WITA and WIT events, offsets, classes, muted and unreachable people, a job run
twice, an agenda change. Expected moments are written out in UTC by hand."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import update
from sqlmodel import col

from bot.db import SessionMaker
from models import ChannelIdentity, Event, Person
from models.agenda_import import import_sheet, read_file
from models.reminders import set_muted, update_reminders
from tests.factories import add_session, enrol, make_event, person_id_of
from tests.reminder_helpers import THURSDAY, notes, only_sessions, pending, plan, utc

ZONES = {"JKT24": "Asia/Jakarta", "MKS24": "Asia/Makassar", "JYP24": "Asia/Jayapura"}


async def three_zones(sessions: SessionMaker) -> dict[str, str]:
    """An event in each of Indonesia's zones, each with a session at 08.30 local time on
    Thursday 14 November, reminded of 15 minutes before (no digest), and one
    participant; the participants' keys by event code."""
    people = {}
    for code, zone in ZONES.items():
        event = await make_event(sessions, code, timezone=zone)
        await add_session(sessions, event, THURSDAY, "08.30", "10.00", "Strategi Transformasi")
        await only_sessions(sessions, event, 15)
        people[code] = await enrol(sessions, event)
    return people


async def test_a_reminder_comes_15_minutes_before_in_each_zone(sessions: SessionMaker) -> None:
    people = await three_zones(sessions)
    # 00.12 UTC is 07.12 WIB, 08.12 WITA and 09.12 WIT: only the WITA session is 18
    # minutes away; the WIT one is over, the WIB one an hour and 18 minutes away.
    assert await plan(sessions, utc(14, 0, 12)) == 1
    [wita] = await notes(sessions, "reminder")
    assert wita.user_key == people["MKS24"]
    assert (wita.due_at, wita.expires_at) == (utc(14, 0, 15), utc(14, 0, 30))
    assert "mulai pukul 08.30 WITA" in wita.text
    assert "Strategi Transformasi" in wita.text
    assert "📍 Ruang Mahakam" in wita.text

    assert await plan(sessions, utc(14, 1, 12)) == 1  # 08.12 WIB
    wib = (await notes(sessions, "reminder"))[-1]
    assert wib.user_key == people["JKT24"]
    assert (wib.due_at, wib.expires_at) == (utc(14, 1, 15), utc(14, 1, 30))
    assert "mulai pukul 08.30 WIB" in wib.text


async def test_a_wit_reminder_is_due_the_evening_before_in_utc(sessions: SessionMaker) -> None:
    people = await three_zones(sessions)
    assert await plan(sessions, utc(13, 23, 11)) == 1  # 08.11 WIT, Thursday
    [wit] = await notes(sessions, "reminder")
    assert wit.user_key == people["JYP24"]
    assert (wit.due_at, wit.expires_at) == (utc(13, 23, 15), utc(13, 23, 30))
    assert "mulai pukul 08.30 WIT\n" in wit.text


async def test_every_offset_gets_its_reminder_and_a_late_round_skips_the_stale_one(
    sessions: SessionMaker,
) -> None:
    event = await make_event(sessions, "OFS24")
    await add_session(sessions, event, THURSDAY, "10.00", "12.00", "Advokasi")  # 02.00 UTC
    await enrol(sessions, event)
    await only_sessions(sessions, event, 15, 60)

    assert await plan(sessions, utc(14, 0, 57)) == 1  # 08.57 WITA: the hour's reminder
    assert await plan(sessions, utc(14, 1, 30)) == 0
    assert await plan(sessions, utc(14, 1, 41)) == 1  # 09.41: the quarter's
    hour, quarter = await notes(sessions)
    # The hour's reminder goes no later than the quarter's: they would arrive together.
    assert (hour.due_at, hour.expires_at) == (utc(14, 1, 0), utc(14, 1, 45))
    assert (quarter.due_at, quarter.expires_at) == (utc(14, 1, 45), utc(14, 2, 0))

    # Another event, where planning stopped for an hour: at 09.50 only the quarter's.
    other = await make_event(sessions, "OFT24")
    await add_session(sessions, other, THURSDAY, "10.00", "12.00", "Advokasi")
    late = await enrol(sessions, other)
    await only_sessions(sessions, other, 60, 15)
    assert await plan(sessions, utc(14, 1, 50)) == 1
    assert [(n.user_key, n.due_at) for n in (await notes(sessions))[2:]] == [(late, utc(14, 1, 45))]
    # And once the session has begun, nothing.
    assert await plan(sessions, utc(14, 2, 0)) == 0


async def test_the_digest_comes_at_06_30_local_in_each_zone_and_language(
    sessions: SessionMaker,
) -> None:
    people = {}
    for code, zone in ZONES.items():
        event = await make_event(sessions, code, timezone=zone)
        await add_session(sessions, event, THURSDAY, "08.30", "10.00", "Strategi Transformasi")
        await add_session(sessions, event, THURSDAY, "10.15", "12.00", "Advokasi")
        await add_session(sessions, event, date(2024, 11, 15), "08.00", "09.00", "Besoknya")
        people[code] = (await enrol(sessions, event), await enrol(sessions, event, locale="en"))
        assert event.id is not None
        async with sessions.begin() as session:  # the digest only
            now = datetime(2024, 11, 1, tzinfo=UTC)
            await update_reminders(session, event.id, now, before_sessions=False)

    # 06.27 in each zone, east to west; 06.30 is 21.30 UTC (WIT), 22.30 UTC (WITA), 23.30
    # UTC (WIB) on Wednesday, and the digest goes no later than the first session, 08.30
    # local. At 06.27 WIT it is still night in the other zones.
    expected = {
        "JYP24": (utc(13, 21, 30), utc(13, 23, 30), "WIT"),
        "MKS24": (utc(13, 22, 30), utc(14, 0, 30), "WITA"),
        "JKT24": (utc(13, 23, 30), utc(14, 1, 30), "WIB"),
    }
    for code, (due, expires, zone) in expected.items():
        before = len(await notes(sessions))
        assert await plan(sessions, due - timedelta(minutes=3)) == 2, code
        written = (await notes(sessions))[before:]
        by_person = {n.user_key: n for n in written}
        indonesian, english = (by_person[key] for key in people[code])
        for note in (indonesian, english):
            assert (note.kind, note.due_at, note.expires_at) == ("digest", due, expires)
            assert "▪️ 08.30–10.00 Strategi Transformasi" in note.text
            assert "▪️ 10.15–12.00 Advokasi" in note.text
            assert "Besoknya" not in note.text
        assert "Selamat pagi! Jadwal Anda hari ini, Kamis, 14 November 2024" in indonesian.text
        assert f"waktu {zone}" in indonesian.text
        assert "Good morning! Your schedule today, Thursday, 14 November 2024" in english.text
        assert f"times in {zone}" in english.text
        assert "/reminders" in english.text
        assert "/pengingat" in indonesian.text


async def test_reminders_follow_the_class_and_breaks_get_none(sessions: SessionMaker) -> None:
    event = await make_event(sessions, "CLS24", classes=("A", "B"))
    await add_session(sessions, event, THURSDAY, "10.00", "10.15", "Rehat kopi", room="Foyer")
    await add_session(
        sessions, event, THURSDAY, "10.15", "12.00", "Praktik SLIMS", room="Ruang A", class_name="A"
    )
    await add_session(
        sessions, event, THURSDAY, "10.15", "12.00", "Praktik SLIMS", room="Ruang B", class_name="B"
    )
    await add_session(sessions, event, THURSDAY, "13.00", "15.00", "Tata kelola koleksi")
    a = await enrol(sessions, event, class_name="A")
    b = await enrol(sessions, event, class_name="B")
    undecided = await enrol(sessions, event)
    await only_sessions(sessions, event, 15)

    await plan(sessions, utc(14, 1, 44))  # 09.44 WITA: the break at 10.00 is within reach
    assert await notes(sessions) == []
    await plan(sessions, utc(14, 1, 58))  # 09.58: the practice at 10.15
    found = {n.user_key: n.text for n in await notes(sessions)}
    assert set(found) == {a, b}  # no class chosen: plenary sessions only
    assert "Ruang A" in found[a]
    assert "Ruang B" in found[b]
    await plan(sessions, utc(14, 4, 50))  # 12.50: the plenary session at 13.00
    plenary = [n.user_key for n in await notes(sessions) if "Tata kelola" in n.text]
    assert sorted(plenary) == sorted([a, b, undecided])


async def test_the_digest_shows_ones_own_class(sessions: SessionMaker) -> None:
    event = await make_event(sessions, "DCL24", classes=("A", "B"))
    await add_session(sessions, event, THURSDAY, "08.00", "10.00", "Pleno pagi")
    await add_session(sessions, event, THURSDAY, "10.15", "12.00", "Praktik A", class_name="A")
    await add_session(sessions, event, THURSDAY, "10.15", "12.00", "Praktik B", class_name="B")
    a = await enrol(sessions, event, class_name="A")
    assert await plan(sessions, utc(13, 22, 30)) == 1  # 06.30 WITA
    [digest] = await notes(sessions, "digest")
    assert digest.user_key == a
    assert "Kelas A dan sesi pleno" in digest.text
    assert "Praktik A" in digest.text
    assert "Praktik B" not in digest.text


async def test_muted_people_get_nothing_until_they_unmute(sessions: SessionMaker) -> None:
    event = await make_event(sessions, "MUT24")
    await add_session(sessions, event, THURSDAY, "10.00", "12.00", "Advokasi")
    quiet = await enrol(sessions, event)
    other = await enrol(sessions, event)
    await only_sessions(sessions, event, 15, 60)

    await plan(sessions, utc(14, 0, 56))  # the hour's reminder, for both
    async with sessions.begin() as session:
        person = await session.get(Person, await person_id_of(sessions, quiet))
        assert person is not None
        assert await set_muted(session, person, True, utc(14, 0, 57)) == 1
    mine = [n for n in await notes(sessions) if n.user_key == quiet]
    assert [n.status for n in mine] == ["cancelled"]  # what waited for them is called off
    await plan(sessions, utc(14, 1, 41))
    assert {n.user_key for n in pending(await notes(sessions))} == {other}

    async with sessions.begin() as session:
        person = await session.get(Person, await person_id_of(sessions, quiet))
        assert person is not None
        await set_muted(session, person, False, utc(14, 1, 42))
    await plan(sessions, utc(14, 1, 43))
    assert {n.user_key for n in pending(await notes(sessions))} == {other, quiet}


async def test_unreachable_and_unregistered_people_get_nothing(sessions: SessionMaker) -> None:
    event = await make_event(sessions, "UNR24")
    await add_session(sessions, event, THURSDAY, "10.00", "12.00", "Advokasi")
    blocked = await enrol(sessions, event)
    reachable = await enrol(sessions, event)
    await only_sessions(sessions, event, 15)
    async with sessions.begin() as session:
        await session.execute(
            update(ChannelIdentity)
            .where(col(ChannelIdentity.user_key) == blocked)
            .values(unreachable_at=utc(13, 12, 0))
        )
    await plan(sessions, utc(14, 1, 41))
    assert [n.user_key for n in await notes(sessions)] == [reachable]


async def test_running_the_job_twice_or_late_writes_each_reminder_once(
    sessions: SessionMaker,
) -> None:
    event = await make_event(sessions, "TWC24")
    await add_session(sessions, event, THURSDAY, "10.00", "12.00", "Advokasi")
    await add_session(sessions, event, THURSDAY, "10.15", "12.00", "Lanjutan", room="Ruang 2")
    for _ in range(3):
        await enrol(sessions, event)
    await only_sessions(sessions, event, 15)
    assert await plan(sessions, utc(14, 1, 41)) == 3
    assert await plan(sessions, utc(14, 1, 41)) == 0
    assert await plan(sessions, utc(14, 1, 42)) == 0
    assert await plan(sessions, utc(14, 1, 55)) == 3  # the 10.15 session's
    assert await plan(sessions, utc(14, 1, 59)) == 0
    assert len(await notes(sessions)) == 6


AGENDA = (
    "Tanggal;Mulai;Selesai;Materi;Narasumber;Ruang\n"
    "14/11/2024;08.30;10.00;Strategi Transformasi;Taufik;Ruang Mahakam\n"
    "14/11/2024;10.15;12.00;Advokasi;Rachmawati;Ruang Mahakam\n"
)


async def load(sessions: SessionMaker, event: Event, content: str) -> None:
    async with sessions.begin() as session:
        stored = await session.get(Event, event.id)
        assert stored is not None
        await import_sheet(session, stored, read_file("jadwal.csv", content.encode()))


async def test_an_agenda_change_cancels_the_old_reminder_and_plans_the_new(
    sessions: SessionMaker,
) -> None:
    event = await make_event(sessions, "CHG24")
    await load(sessions, event, AGENDA)
    person = await enrol(sessions, event)
    await only_sessions(sessions, event, 15)
    await plan(sessions, utc(14, 0, 12))  # 08.12 WITA
    [first] = await notes(sessions)
    assert (first.status, first.due_at) == ("pending", utc(14, 0, 15))

    # The first session moves to 09.00 and to another room.
    moved = AGENDA.replace(
        "08.30;10.00;Strategi Transformasi;Taufik;Ruang Mahakam",
        "09.00;10.00;Strategi Transformasi;Taufik;Ruang Kartanegara",
    )
    await load(sessions, event, moved)
    [old] = await notes(sessions)
    assert old.status == "cancelled"  # not sent for 08.30
    assert await plan(sessions, utc(14, 0, 13)) == 0  # 09.00 is not near yet
    assert await plan(sessions, utc(14, 0, 41)) == 1
    new = (await notes(sessions))[-1]
    assert (new.user_key, new.status, new.due_at) == (person, "pending", utc(14, 0, 45))
    assert "mulai pukul 09.00 WITA" in new.text
    assert "Ruang Kartanegara" in new.text

    # Only the room changes now: the reminder waiting says the new room instead.
    await load(sessions, event, moved.replace("Ruang Kartanegara", "Ballroom"))
    assert await plan(sessions, utc(14, 0, 42)) == 1
    latest = pending(await notes(sessions))
    assert len(latest) == 1
    assert "📍 Ballroom" in latest[0].text
    assert latest[0].due_at == utc(14, 0, 45)


async def test_a_removed_session_has_its_reminders_cancelled(sessions: SessionMaker) -> None:
    event = await make_event(sessions, "RMV24")
    await load(sessions, event, AGENDA)
    await enrol(sessions, event)
    await only_sessions(sessions, event, 15)
    await plan(sessions, utc(14, 0, 12))
    await load(sessions, event, AGENDA.splitlines()[0] + "\n" + AGENDA.splitlines()[2] + "\n")
    assert [n.status for n in await notes(sessions)] == ["cancelled"]
    assert await plan(sessions, utc(14, 0, 14)) == 0


async def test_a_digest_waiting_when_the_day_changes_is_written_again(
    sessions: SessionMaker,
) -> None:
    event = await make_event(sessions, "DIG24")
    await load(sessions, event, AGENDA)
    await enrol(sessions, event)
    await plan(sessions, utc(13, 22, 27))  # 06.27 WITA
    [waiting] = await notes(sessions, "digest")
    assert "10.15–12.00 Advokasi" in waiting.text
    await load(sessions, event, AGENDA.replace("10.15;12.00;Advokasi", "10.30;12.00;Advokasi"))
    assert await plan(sessions, utc(13, 22, 28)) == 1
    old, new = await notes(sessions, "digest")
    assert old.status == "cancelled"
    assert (new.status, new.due_at) == ("pending", utc(13, 22, 30))
    assert "10.30–12.00 Advokasi" in new.text


async def test_settings_changed_call_off_what_the_old_ones_planned(
    sessions: SessionMaker,
) -> None:
    event = await make_event(sessions, "SET24")
    await add_session(sessions, event, THURSDAY, "10.00", "12.00", "Advokasi")
    await enrol(sessions, event)
    await only_sessions(sessions, event, 15)
    await plan(sessions, utc(14, 1, 41))
    assert event.id is not None
    async with sessions.begin() as session:
        await update_reminders(session, event.id, utc(14, 1, 42), before_sessions=False)
    assert [n.status for n in await notes(sessions)] == ["cancelled"]
    assert await plan(sessions, utc(14, 1, 43)) == 0
    async with sessions.begin() as session:  # on again: planned again, once
        await update_reminders(session, event.id, utc(14, 1, 43), before_sessions=True)
    assert await plan(sessions, utc(14, 1, 44)) == 1
    assert await plan(sessions, utc(14, 1, 45)) == 0
