"""The whole agenda story over the real aiogram client and the fake Bot API: an
organiser accepts an invite and sends the spreadsheet, a participant registers, looks
up the day, a session and what is on now, and takes the agenda into their calendar."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from icalendar import Calendar

from bot.db import SessionMaker
from bot.demo import DEMO_CODE
from models import Event, RoleName
from models.roles import create_invite
from tests.drivers import Shown, TelegramDriver, texts
from tests.factories import id_of
from tests.fakes.telegram_api import FakeTelegramServer
from tests.test_registration import ID, last, register_in_indonesian

# Thursday 14 November 2024, 09.00 WITA: the second day of the demo event.
THURSDAY_MORNING = datetime(2024, 11, 14, 1, 0, tzinfo=UTC)
MESSAGE_LIMIT = 4096


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def people(
    telegram_server: FakeTelegramServer, database_url: str, demo_event: Event
) -> AsyncIterator[tuple[TelegramDriver, TelegramDriver, Clock]]:
    clock = Clock(THURSDAY_MORNING)
    organiser = await TelegramDriver(telegram_server, database_url, clock=clock).start()
    yield organiser, organiser.another_person(), clock
    await organiser.close()


def buttons(shown: list[Shown]) -> list[str]:
    return [label for s in shown for label in s.buttons]


async def make_organiser(
    person: TelegramDriver, sessions: SessionMaker, event: Event, now: datetime
) -> list[Shown]:
    """An invite made on the command line, accepted in the chat."""
    async with sessions.begin() as session:
        code = await create_invite(
            session, id_of(event), RoleName.ORGANIZER, created_by="cli", now=now
        )
    return await person.send(f"/start {code}")


async def test_organiser_loads_agenda_and_participant_looks_it_up(
    people: tuple[TelegramDriver, TelegramDriver, Clock],
    sessions: SessionMaker,
    demo_event: Event,
) -> None:
    organiser, participant, clock = people
    shown = await make_organiser(organiser, sessions, demo_event, clock.now)
    assert "Selamat datang di tim panitia" in texts(shown)
    assert ID("menu.team") in buttons(shown)

    # /impor sends the template as a document.
    shown = await organiser.send("/impor")
    assert shown[0].document is not None
    assert shown[0].document[0].endswith(".xlsx")

    # A broken spreadsheet: nothing changes, every bad row is named.
    broken = (
        "Tanggal;Mulai;Selesai;Materi;Narasumber;Ruang\n"
        "14/11/2024;08.00;09.00;Sesi baru;;Ballroom\n"
        "14/11/2024;10.00;09.00;Mundur;;Ballroom\n"
        "20/11/2024;08.00;09.00;Di luar tanggal;;Ballroom\n"
    )
    shown = await organiser.send_file("jadwal.csv", broken.encode())
    assert "tidak dimuat" in texts(shown)
    assert "3" in texts(shown)
    assert "4" in texts(shown)

    # The participant registers and asks for today.
    shown = await register_in_indonesian(participant, f"/start {DEMO_CODE}")
    shown = await participant.press(ID("menu.today"))
    day = texts(shown)
    assert "Kamis, 14 November 2024" in day
    assert "Sistem Informasi Manajemen" in day
    assert "WITA" in day
    assert "Sesi baru" not in day  # the broken file changed nothing

    # Now and next at 09.00 WITA.
    shown = await participant.press(ID("menu.now"))
    assert "09.00 WITA" in texts(shown)
    assert "Sedang berlangsung: Sistem Informasi Manajemen" in texts(shown)

    # A session's detail from the day's buttons.
    shown = await participant.press(ID("menu.today"))
    first_session = next(label for label in buttons(shown) if label.startswith("08.00"))
    shown = await participant.press(first_session)
    assert "📌" in texts(shown)
    assert "Putri Wardhani" in texts(shown)

    # Under the full agenda, the calendar file arrives as a document and parses.
    shown = await participant.press(ID("menu.agenda"))
    assert "Jumat, 15 November 2024" in texts(shown)
    shown = await participant.press(ID("menu.calendar"))
    assert shown[0].document is not None
    name, content = shown[0].document
    assert name == f"jadwal-{DEMO_CODE}.ics"
    entries = Calendar.from_ical(content).walk("VEVENT")
    assert entries
    assert all(e["DTSTART"].params["TZID"] == "Asia/Makassar" for e in entries)

    # The participant picks class B; class A's practice disappears from their agenda.
    shown = await participant.send("/kelas")
    shown = await participant.press(ID("class.option", name="B"))
    shown = await participant.send("/agenda")
    agenda = texts(shown)
    assert "Ruang Kartanegara" in agenda
    assert "👥 Kelas A" not in agenda

    # The organiser loads an edited agenda: the participant sees the change at once.
    edited = (
        "Tanggal;Mulai;Selesai;Materi;Narasumber;Ruang\n"
        "Kamis, 14 November 2024;08.00;10.00;Sesi pindah ruang;Putri Wardhani;Ruang Mahakam\n"
    )
    shown = await organiser.send_file("jadwal.csv", edited.encode())
    assert "menghapus 31 sesi" in texts(shown)  # asked first: the file drops sessions
    shown = await organiser.press(ID("import.apply"))
    assert "Agenda dimuat" in texts(shown)
    shown = await participant.send("/jadwal")
    assert "Sesi pindah ruang" in texts(shown)
    assert "📍 Ruang Mahakam" in texts(shown)


async def test_a_long_agenda_is_split_to_fit_telegram(
    people: tuple[TelegramDriver, TelegramDriver, Clock],
    sessions: SessionMaker,
    demo_event: Event,
) -> None:
    organiser, _, clock = people
    await make_organiser(organiser, sessions, demo_event, clock.now)
    rows = ["Tanggal;Mulai;Selesai;Materi;Narasumber;Ruang"]
    speaker = "Dr. Narasumber Dengan Nama Yang Sangat Panjang Sekali, S.Sos, M.Si, M.Hum"
    for day in (13, 14, 15, 16):
        for slot in range(40):  # 40 sessions of 15 minutes a day, 08.00 to 18.00
            start = 8 * 60 + slot * 15
            begin = f"{start // 60:02d}.{start % 60:02d}"
            end = f"{(start + 15) // 60:02d}.{(start + 15) % 60:02d}"
            title = f"Sesi {slot + 1} dengan judul panjang tentang layanan perpustakaan desa"
            rows.append(f"{day}/11/2024;{begin};{end};{title};{speaker};Ruang {slot % 3 + 1}")
    shown = await organiser.send_file("jadwal.csv", "\n".join(rows).encode())
    shown = await organiser.press(ID("import.apply"))
    assert "Agenda dimuat" in texts(shown)
    before = len(organiser.server.calls)
    await organiser.send("/agenda")
    sent = organiser.server.sent(organiser.user_id, since=before)
    assert len(sent) > 6  # four days of which each needs two or more parts
    # Telegram counts a message's length in UTF-16 code units.
    assert all(len(call.params["text"].encode("utf-16-le")) // 2 <= MESSAGE_LIMIT for call in sent)
    everything = "\n".join(call.params["text"] for call in sent)
    for slot in (1, 20, 40):
        assert f"Sesi {slot} dengan judul" in everything
    assert last(organiser.shown_since(before)).buttons
