"""The "add to my calendar" file, read back with a real iCalendar parser."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar

from bot.db import SessionMaker
from tests.factories import Talker, add_session, enrol, make_event

WED = date(2024, 11, 13)


async def test_calendar_file_has_every_session_at_the_right_moment(
    sessions: SessionMaker,
) -> None:
    event = await make_event(
        sessions, "PAPUA24", "Asia/Jayapura", WED, date(2024, 11, 14), classes=("A", "B")
    )
    opening = await add_session(
        sessions,
        event,
        WED,
        "08.30",
        "10.00",
        "Pembukaan",
        speakers="Taufik, S.Sos, M.Si",
        description="Sambutan Kepala Dinas",
    )
    await add_session(sessions, event, WED, "10.15", "12.00", "Praktik A", class_name="A")
    await add_session(
        sessions,
        event,
        WED,
        "10.15",
        "12.00",
        "Praktik B",
        class_name="B",
        room="Ruang Cenderawasih",
    )
    person = Talker(
        sessions, await enrol(sessions, event, class_name="B"), datetime(2024, 11, 12, tzinfo=UTC)
    )
    replies = await person.send("/kalender")
    attachment = replies[0].attachment
    assert attachment is not None
    assert attachment.filename == "jadwal-PAPUA24.ics"
    assert attachment.media_type == "text/calendar"
    assert "2 sesi" in replies[0].text
    assert attachment.content is not None

    calendar = Calendar.from_ical(attachment.content)
    entries = calendar.walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in entries] == ["Pembukaan", "Praktik B"]
    start = entries[0].decoded("DTSTART")
    assert start == datetime(2024, 11, 12, 23, 30, tzinfo=UTC)  # 08.30 WIT is 23.30 UTC
    assert start.utcoffset() == timedelta(hours=9)
    assert entries[0]["DTSTART"].params["TZID"] == "Asia/Jayapura"
    assert entries[0].decoded("DTEND") - start == timedelta(minutes=90)
    assert str(entries[0]["LOCATION"]) == "Ruang Mahakam, Hotel Contoh"
    assert "Taufik, S.Sos, M.Si" in str(entries[0]["DESCRIPTION"])
    assert "Kelas B" in str(entries[1]["DESCRIPTION"])
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Asia/Jayapura"]
    # The UID follows the stored session, so a newer file updates the same entries.
    assert f"session-{opening.id}-PAPUA24-" in str(entries[0]["UID"])
    assert entries[0].decoded("LAST-MODIFIED") == opening.updated_at.replace(microsecond=0)
    assert entries[0].decoded("SEQUENCE") > 0
    assert len({str(e["UID"]) for e in entries}) == 2

    # Parsed without the VTIMEZONE, the zone name alone still gives the same moment.
    assert entries[0].decoded("DTSTART").astimezone(ZoneInfo("Asia/Jayapura")).hour == 8


async def test_no_calendar_without_an_agenda(sessions: SessionMaker) -> None:
    event = await make_event(sessions, "KOSONG24")
    person = Talker(sessions, await enrol(sessions, event), datetime(2024, 11, 12, tzinfo=UTC))
    replies = await person.send("/kalender")
    assert all(reply.attachment is None for reply in replies)
    assert "belum dimuat" in replies[0].text
