"""Schedule look-ups as a participant sees them: the right day in the event's zone,
now and next, classes, several events, one session's detail."""

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.db import SessionMaker
from models import Event, RoleName
from models.roles import create_invite
from tests.factories import (
    EN,
    ID,
    Talker,
    add_session,
    enrol,
    id_of,
    join_too,
    labels,
    make_event,
    text_of,
)

WED, THU, FRI = date(2024, 11, 13), date(2024, 11, 14), date(2024, 11, 15)


async def wita_event(sessions: SessionMaker, classes: tuple[str, ...] = ()) -> Event:
    event = await make_event(sessions, "SMD24", "Asia/Makassar", WED, FRI, classes)
    await add_session(
        sessions,
        event,
        WED,
        "08.30",
        "10.00",
        "Strategi Transformasi Perpustakaan",
        speakers="Taufik, S.Sos, M.Si",
    )
    await add_session(
        sessions,
        event,
        WED,
        "10.15",
        "12.00",
        "Advokasi untuk Keberlanjutan",
        speakers="Rachmawati",
        room="Ruang Kartanegara",
    )
    await add_session(
        sessions, event, THU, "08.00", "09.30", "Tata Kelola Koleksi", speakers="Putri Wardhani"
    )
    return event


async def test_today_follows_the_events_zone_across_the_day_boundary(
    sessions: SessionMaker,
) -> None:
    event = await wita_event(sessions)
    user = await enrol(sessions, event)
    # 23.30 UTC on the 13th is already 07.30 WITA on Thursday the 14th.
    person = Talker(sessions, user, datetime(2024, 11, 13, 23, 30, tzinfo=UTC))
    shown = text_of(await person.send("/jadwal"))
    assert "Kamis, 14 November 2024" in shown
    assert "08.00–09.30 Tata Kelola Koleksi" in shown
    assert "Strategi Transformasi" not in shown
    assert "WITA" in shown
    # 15.59 UTC on the 13th is 23.59 WITA the same Wednesday.
    person.now = datetime(2024, 11, 13, 15, 59, tzinfo=UTC)
    shown = text_of(await person.send("/jadwal"))
    assert "Rabu, 13 November 2024" in shown
    assert "08.30–10.00 Strategi Transformasi Perpustakaan" in shown
    assert "🎤 Taufik, S.Sos, M.Si" in shown
    # Tomorrow, asked late on Wednesday, is Thursday.
    assert "Tata Kelola Koleksi" in text_of(await person.send("/besok"))


async def test_wib_and_wit_events_open_at_the_same_time(sessions: SessionMaker) -> None:
    jambi = await make_event(sessions, "JAMBI24", "Asia/Jakarta", WED, THU)
    papua = await make_event(sessions, "PAPUA24", "Asia/Jayapura", WED, THU)
    for event in (jambi, papua):
        await add_session(sessions, event, WED, "08.30", "10.00", "Pembukaan")
        await add_session(sessions, event, WED, "10.30", "12.00", "Advokasi")
    moment = datetime(2024, 11, 13, 1, 45, tzinfo=UTC)  # 08.45 WIB, 10.45 WIT
    in_jambi = Talker(sessions, await enrol(sessions, jambi), moment)
    in_papua = Talker(sessions, await enrol(sessions, papua), moment)

    jambi_now = text_of(await in_jambi.send("/sekarang"))
    assert "08.45 WIB" in jambi_now
    assert "Sedang berlangsung: Pembukaan" in jambi_now
    assert "Selesai 1 jam 15 menit lagi" in jambi_now
    assert "Berikutnya: Advokasi" in jambi_now
    assert "Mulai 1 jam 45 menit lagi" in jambi_now

    papua_now = text_of(await in_papua.send("/sekarang"))
    assert "10.45 WIT" in papua_now
    assert "Sedang berlangsung: Advokasi" in papua_now
    assert "Selesai 1 jam 15 menit lagi" in papua_now
    assert "Berikutnya: Pembukaan" not in papua_now


async def test_now_and_next_between_sessions_and_across_days(sessions: SessionMaker) -> None:
    event = await wita_event(sessions)
    person = Talker(
        sessions, await enrol(sessions, event), datetime(2024, 11, 13, 2, 5, tzinfo=UTC)
    )
    shown = text_of(await person.send("/sekarang"))  # 10.05 WITA: between two sessions
    assert "Tidak ada sesi yang sedang berlangsung" in shown
    assert "Berikutnya: Advokasi untuk Keberlanjutan" in shown
    assert "Mulai 10 menit lagi" in shown
    assert "📍 Ruang Kartanegara" in shown
    person.now = datetime(2024, 11, 13, 5, 0, tzinfo=UTC)  # 13.00 WITA: day's sessions over
    shown = text_of(await person.send("/sekarang"))
    assert "Berikutnya: Tata Kelola Koleksi" in shown
    assert "Kamis, 14 November 2024, pukul 08.00 WITA" in shown
    person.now = datetime(2024, 11, 20, 5, 0, tzinfo=UTC)
    assert "sudah selesai" in text_of(await person.send("/sekarang"))


async def test_a_participant_sees_their_class_and_the_plenary_sessions(
    sessions: SessionMaker,
) -> None:
    event = await make_event(sessions, "KELAS24", classes=("A", "B"))
    await add_session(sessions, event, WED, "08.00", "09.00", "Pembukaan", room="Ballroom")
    await add_session(sessions, event, WED, "09.00", "11.00", "Praktik SLiMS A", class_name="A")
    await add_session(
        sessions,
        event,
        WED,
        "09.00",
        "11.00",
        "Praktik SLiMS B",
        class_name="B",
        room="Ruang Kartanegara",
    )
    morning = datetime(2024, 11, 13, 0, 0, tzinfo=UTC)
    in_a = Talker(sessions, await enrol(sessions, event, class_name="A"), morning)
    shown = text_of(await in_a.send("/jadwal"))
    assert "Kelas A dan sesi pleno" in shown
    assert "Pembukaan" in shown
    assert "Praktik SLiMS A" in shown
    assert "Praktik SLiMS B" not in shown

    # Someone yet to choose sees every class, labelled, and is told how to choose.
    undecided = Talker(sessions, await enrol(sessions, event), morning)
    replies = await undecided.send("/jadwal")
    shown = text_of(replies)
    assert "Praktik SLiMS A" in shown
    assert "Praktik SLiMS B" in shown
    assert "👥 Kelas B" in shown
    assert "/kelas" in shown
    assert ID("menu.class") in labels(await undecided.send("/bantuan"))
    replies = await undecided.send("/kelas")
    replies = await undecided.press_label(replies, ID("class.option", name="B"))
    assert "Anda di Kelas B" in text_of(replies)
    shown = text_of(await undecided.send("/jadwal"))
    assert "Praktik SLiMS B" in shown
    assert "Praktik SLiMS A" not in shown

    # A class the event does not have is refused, and nothing changes.
    replies = await undecided.press("kelas|Z")
    assert ID("invalid.stale_button") in text_of(replies)
    assert "Praktik SLiMS B" in text_of(await undecided.send("/jadwal"))


async def test_session_detail_and_day_navigation(sessions: SessionMaker) -> None:
    event = await wita_event(sessions)
    person = Talker(
        sessions, await enrol(sessions, event), datetime(2024, 11, 13, 0, 0, tzinfo=UTC)
    )
    replies = await person.send("/jadwal")
    assert labels(replies)[:2] == ["08.30 Strategi Transfor…", "10.15 Advokasi untuk Ke…"]
    assert all(len(label) <= 24 for label in labels(replies))
    detail = text_of(await person.send("2"))  # typed number picks the second button
    assert "📌 Advokasi untuk Keberlanjutan" in detail
    assert "Rabu, 13 November 2024, 10.15–12.00 WITA" in detail
    assert "Narasumber: Rachmawati" in detail
    assert "Ruang: Ruang Kartanegara" in detail
    replies = await person.press_label(await person.send("/jadwal"), ID("schedule.next_day"))
    assert "Kamis, 14 November 2024" in text_of(replies)


async def test_buttons_go_to_the_sessions_still_to_come(sessions: SessionMaker) -> None:
    event = await make_event(sessions, "PANJANG24")
    for hour in range(8, 18):  # ten one-hour sessions
        await add_session(sessions, event, WED, f"{hour:02d}.00", f"{hour:02d}.50", f"Sesi {hour}")
    afternoon = datetime(2024, 11, 13, 5, 10, tzinfo=UTC)  # 13.10 WITA
    person = Talker(sessions, await enrol(sessions, event), afternoon)
    replies = await person.send("/jadwal")
    assert "08.00–08.50 Sesi 8" in text_of(replies)  # the text still lists the whole day
    assert labels(replies)[:2] == ["13.00 Sesi 13", "14.00 Sesi 14"]
    assert "📌 Sesi 14" in text_of(await person.send("2"))  # the second button
    await person.send("/jadwal")
    assert "📌 Sesi 15" in text_of(await person.send("15.00 sesi 15"))  # or its label


async def test_a_session_of_another_event_cannot_be_opened(sessions: SessionMaker) -> None:
    mine = await wita_event(sessions)
    other = await make_event(sessions, "LAIN24")
    secret = await add_session(sessions, other, WED, "08.00", "09.00", "Rapat internal")
    person = Talker(sessions, await enrol(sessions, mine), datetime(2024, 11, 13, tzinfo=UTC))
    replies = await person.press(f"sesi|{secret.id}")
    assert "Rapat internal" not in text_of(replies)
    assert ID("invalid.stale_button") in text_of(replies)


async def test_whole_agenda_in_as_few_messages_as_fit(sessions: SessionMaker) -> None:
    event = await wita_event(sessions)
    person = Talker(
        sessions, await enrol(sessions, event, locale="en"), datetime(2024, 11, 1, tzinfo=UTC)
    )
    replies = await person.send("/agenda")
    assert len(replies) == 1, "a short agenda is one message"
    text = replies[0].text
    assert "All times in WITA." in text
    assert "Hotel Contoh" in text
    wednesday = text.index("\n\n📅 Wednesday, 13 November 2024\n")
    assert wednesday < text.index("\n\n📅 Thursday, 14 November 2024\n")
    assert text.endswith(EN("schedule.agenda_done"))
    assert EN("menu.today") in labels(replies)
    assert EN("menu.calendar") in labels(replies)


async def test_before_the_event_today_shows_the_first_day(sessions: SessionMaker) -> None:
    event = await wita_event(sessions)
    person = Talker(sessions, await enrol(sessions, event), datetime(2024, 11, 10, 1, tzinfo=UTC))
    shown = text_of(await person.send("/jadwal"))
    assert "belum dimulai" in shown
    assert "3 hari lagi" in shown
    assert "Strategi Transformasi Perpustakaan" in shown


async def test_no_agenda_yet_and_no_event(sessions: SessionMaker) -> None:
    event = await make_event(sessions, "KOSONG24")
    person = Talker(sessions, await enrol(sessions, event), datetime(2024, 11, 13, tzinfo=UTC))
    assert ID("schedule.not_loaded", event=event.name) in text_of(await person.send("/jadwal"))
    stranger = Talker(sessions, "belum-daftar", datetime(2024, 11, 13, tzinfo=UTC))
    assert ID("schedule.no_event") in text_of(await stranger.send("/sekarang"))


async def test_lookups_default_to_the_running_event_and_can_switch(
    sessions: SessionMaker,
) -> None:
    last_year = await make_event(
        sessions, "KUKAR23", starts_on=date(2023, 5, 2), ends_on=date(2023, 5, 5)
    )
    await add_session(sessions, last_year, date(2023, 5, 2), "08.00", "09.00", "Sesi lama")
    event = await wita_event(sessions)
    user = await enrol(sessions, last_year)
    await join_too(sessions, user, event)
    person = Talker(sessions, user, datetime(2024, 11, 13, 1, tzinfo=UTC))
    assert "Strategi Transformasi" in text_of(await person.send("/jadwal"))
    replies = await person.send("/acara")
    assert "KUKAR23" in labels(replies)
    assert "SMD24" in labels(replies)
    replies = await person.press_label(replies, "KUKAR23")
    assert "Bimtek KUKAR23" in text_of(replies)
    assert "Sesi lama" in text_of(await person.send("/agenda"))


async def test_tomorrow_on_the_last_day_shows_what_is_left_today(sessions: SessionMaker) -> None:
    event = await wita_event(sessions)
    await add_session(sessions, event, FRI, "08.00", "10.00", "Penutupan")
    person = Talker(sessions, await enrol(sessions, event), datetime(2024, 11, 15, 0, tzinfo=UTC))
    shown = text_of(await person.send("/besok"))
    assert "hari ini hari terakhir" in shown
    assert "Penutupan" in shown
    assert "sudah selesai" not in shown


async def test_a_trainer_in_a_class_still_opens_their_sessions_of_other_classes(
    sessions: SessionMaker,
) -> None:
    event = await make_event(sessions, "KELAS24", classes=("A", "B"))
    other_class = await add_session(
        sessions, event, WED, "09.00", "11.00", "Praktik B", class_name="B", speakers="Rachmawati"
    )
    user = await enrol(sessions, event, class_name="A")
    person = Talker(sessions, user, datetime(2024, 11, 13, tzinfo=UTC))
    assert ID("invalid.stale_button") in text_of(await person.press(f"sesi|{other_class.id}"))
    async with sessions.begin() as session:
        code = await create_invite(
            session,
            id_of(event),
            RoleName.TRAINER,
            created_by="cli",
            now=person.now,
            speaker="Rachmawati",
        )
    await person.send(f"/start {code}")
    assert "📌 Praktik B" in text_of(await person.press(f"sesi|{other_class.id}"))


@pytest.mark.parametrize(
    ("zone", "label", "hours"),
    [
        ("Asia/Jakarta", "WIB", 7),
        ("Asia/Pontianak", "WIB", 7),
        ("Asia/Makassar", "WITA", 8),
        ("Asia/Jayapura", "WIT", 9),
    ],
)
async def test_midnight_in_every_zone(
    sessions: SessionMaker, zone: str, label: str, hours: int
) -> None:
    event = await make_event(sessions, "ZONA24", zone, WED, THU)
    await add_session(sessions, event, WED, "08.00", "09.00", "Hari pertama")
    await add_session(sessions, event, THU, "08.00", "09.00", "Hari kedua")
    # One minute before and at local midnight between Wednesday and Thursday.
    midnight = datetime(2024, 11, 14, tzinfo=UTC) - timedelta(hours=hours)
    person = Talker(sessions, await enrol(sessions, event), midnight - timedelta(minutes=1))
    before = text_of(await person.send("/jadwal"))
    assert "Hari pertama" in before
    assert f"waktu {label}" in before
    person.now = midnight
    after = text_of(await person.send("/jadwal"))
    assert "Hari kedua" in after
    assert "Kamis, 14 November 2024" in after
    assert f"00.00 {label}" in text_of(await person.send("/sekarang"))
