"""Attendance over Telegram itself (the real aiogram client against the fake Bot API),
on the demo event, with a clock the test moves: a trainer opens check-in and gets the
code and its QR codes (decoded back to the links), participants check in on time, late,
twice, after it expired, from another class; the trainer's count updates in place; an
organiser marks and unmarks people by hand with reasons and downloads the daftar hadir,
whose marks are checked against what happened."""

import io
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
import zxingcpp
from openpyxl import load_workbook
from PIL import Image
from sqlmodel import col, select

from bot.db import SessionMaker
from handlers.turn import Deployment
from models import ChannelIdentity, Conversation, Enrollment, Event, Person, Role, RoleName
from models.agenda import agenda
from models.attendance import AttendanceMark, attendance_of
from tests.drivers import Driver, Shown, TelegramDriver, texts
from tests.factories import ID, id_of, local
from tests.fakes.telegram_api import FakeTelegramServer

DEPLOYMENT = Deployment(telegram_username="bimtek_contoh_bot", whatsapp_number="6281154001234")
WED = datetime(2024, 11, 13).date()
BEFORE = datetime(2024, 11, 1, tzinfo=UTC)


class Clock:
    """The event's time, set by the test, then running at the test's pace (updates of
    a live message are due a moment after what caused them)."""

    def __init__(self, moment: datetime) -> None:
        self.set(moment)

    def set(self, moment: datetime) -> None:
        self.base, self.began = moment, time.monotonic()

    def __call__(self) -> datetime:
        return self.base + timedelta(seconds=time.monotonic() - self.began)


async def registered_as(
    sessions: SessionMaker, user: Driver, name: str, *, event: Event,
    class_name: str | None = None, role: RoleName | None = None, speaker: str = "",
    library: str = "",
) -> int:  # fmt: skip
    """``user`` (on their channel) as a registered participant of ``event`` (with
    ``class_name``), or holding ``role`` there."""
    async with sessions.begin() as session:
        person = Person(locale="id", full_name=name, library_name=library or None,
                        regency="Kutai Kartanegara", registered_at=BEFORE)  # fmt: skip
        session.add(person)
        await session.flush()
        if role is None:
            session.add(Enrollment(person_id=id_of(person), event_id=id_of(event),
                                   class_name=class_name))  # fmt: skip
        else:
            session.add(Role(event_id=id_of(event), person_id=id_of(person), role=role,
                             speaker=speaker, granted_at=BEFORE))  # fmt: skip
        identity = ChannelIdentity(person_id=id_of(person), channel=user.channel,
                                   user_key=user.user_key, address=user.user_key)  # fmt: skip
        session.add(identity)
        await session.flush()
        session.add(Conversation(identity_id=id_of(identity)))
        return id_of(person)


class Hall:
    def __init__(self, trainer: TelegramDriver, clock: Clock, event: Event) -> None:
        self.trainer, self.clock, self.event = trainer, clock, event
        self.organiser = trainer.another_person()
        self.siti = trainer.another_person()
        self.budi = trainer.another_person()
        self.ani = trainer.another_person()
        self.ids: dict[str, int] = {}

    def at(self, hhmm: str) -> None:
        self.clock.set(local(self.event, WED, hhmm))


@pytest.fixture
async def hall(
    telegram_server: FakeTelegramServer, database_url: str, demo_event: Event,
    sessions: SessionMaker,
) -> AsyncIterator[Hall]:  # fmt: skip
    clock = Clock(local(demo_event, WED, "09.40"))
    trainer = await TelegramDriver(
        telegram_server, database_url, clock=clock, deployment=DEPLOYMENT
    ).start()
    hall = Hall(trainer, clock, demo_event)
    people = [
        (hall.trainer, "Taufik", {"role": RoleName.TRAINER, "speaker": "Taufik, S.Sos, M.Si"}),
        (hall.organiser, "Rina Panitia", {"role": RoleName.ORGANIZER}),
        (hall.siti, "Siti Rahayu", {"class_name": "A", "library": "Perpustakaan Desa Loa Janan"}),
        (hall.budi, "Budi Santoso", {"class_name": "B", "library": "TBM Cahaya"}),
        (hall.ani, "Ani Wulandari", {"class_name": "A", "library": "Perpustakaan Desa Jembayan"}),
    ]
    for user, name, details in people:
        hall.ids[name.split()[0].lower()] = await registered_as(
            sessions,
            user,
            name,
            event=demo_event,
            **details,  # type: ignore[arg-type]
        )
    yield hall
    await trainer.close()


def button(shown: list[Shown], starting: str) -> str:
    return next(label for s in shown for label in s.buttons if label.startswith(starting))


def code_of(shown: list[Shown]) -> str:
    text = next(s.text for s in shown if "🔑 Kode: " in s.text)
    return text.split("🔑 Kode: ")[1][:7].replace(" ", "")


async def until(check: Callable[[], bool], person: TelegramDriver) -> None:
    deadline = time.monotonic() + 10
    while not check():
        assert time.monotonic() < deadline
        await person.until_sent()


async def test_check_in_journey_marks_and_the_register(
    hall: Hall, sessions: SessionMaker, demo_event: Event
) -> None:
    trainer, siti, budi, ani, boss = hall.trainer, hall.siti, hall.budi, hall.ani, hall.organiser
    shown = await trainer.send("/presensi 30")
    shown = await trainer.press(button(shown, "09.45 Strategi"))
    code = code_of(shown)
    assert "Berlaku 09.40 WITA–10.15 WITA" in texts(shown)

    # A QR code for each app, each the link that sends the code, as a camera reads it.
    pictures = [s for s in shown if s.document is not None]
    assert [s.text.split(" (")[0] for s in pictures] == ["QR untuk Telegram", "QR untuk WhatsApp"]
    decoded = []
    for picture in pictures:
        assert picture.document is not None
        [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(picture.document[1])))
        decoded.append(found.text)
        assert found.text in picture.text
    assert decoded == [
        f"https://t.me/bimtek_contoh_bot?start=hadir-{code}",
        f"https://wa.me/6281154001234?text={code}",
    ]
    await trainer.until_sent()
    assert "✅ Hadir: 0 dari 3 peserta (0 terlambat)" in trainer.server.chat(trainer.user_id)[-1]

    hall.at("09.50")
    shown = await siti.send(f"{code[:3].lower()} {code[3:].lower()}")
    assert "✅ Kehadiran tercatat: Strategi Transformasi Perpustakaan, pukul 09.50 WITA." in (
        texts(shown)
    )
    hall.at("10.05")
    shown = await budi.send(f"/start hadir-{code}")  # the QR code's Telegram link
    assert "pukul 10.05 WITA (terlambat)" in texts(shown)
    shown = await siti.send(code)
    assert "sudah tercatat pukul 09.50 WITA" in texts(shown)
    # The trainer's count changed in place, as they came.
    await until(lambda: "Hadir: 2 dari 3" in trainer.server.chat(trainer.user_id)[-1], trainer)
    assert "(1 terlambat)" in trainer.server.chat(trainer.user_id)[-1]
    assert trainer.server.edits(trainer.user_id)
    hall.at("10.16")
    shown = await ani.send(code)
    assert "sudah tidak berlaku sejak 10.15 WITA" in texts(shown)

    # The organiser marks Ani by hand, and takes Budi's presence off, each with a reason.
    hall.at("10.30")
    shown = await boss.send("/tandai")
    shown = await boss.press(button(shown, "09.45 Strategi"))
    assert ID("attendance.mark_ask_name") in texts(shown)
    shown = await boss.send("ani")
    shown = await boss.press(button(shown, "Ani Wulandari"))
    assert "Ani Wulandari — 09.45 Strategi Transfor…: belum tercatat hadir." in texts(shown)
    shown = await boss.press(ID("attendance.mark_present"))
    shown = await boss.send("Kodenya sudah habis; hadir sejak 10.10")
    assert "✅ Ani Wulandari ditandai hadir" in texts(shown)
    shown = await boss.send("/tandai")
    shown = await boss.press(button(shown, "09.45 Strategi"))
    shown = await boss.send("SANTOSO")
    shown = await boss.press(button(shown, "Budi Santoso"))
    assert "hadir pukul 10.05 WITA (terlambat)" in texts(shown)
    shown = await boss.press(ID("attendance.unmark_button"))
    shown = await boss.send("")  # a reason is required
    assert ID("attendance.mark_bad_reason", most=300) in texts(shown)
    shown = await boss.send("Pulang setelah sepuluh menit")
    assert "Kehadiran Budi Santoso di “Strategi Transformasi Perpustakaan” dihapus" in texts(shown)

    # The afternoon practice of class A: class B is refused, class A recorded.
    hall.at("15.25")
    shown = await trainer.send("/presensi")
    practice = code_of(await trainer.press(button(shown, "15.30 A · Praktik")))
    hall.at("15.31")
    shown = await budi.send(practice)
    assert "adalah sesi Kelas A, sedangkan Anda di Kelas B" in texts(shown)
    assert "✅ Kehadiran tercatat" in texts(await siti.send(practice))
    # Budi's code again for the morning: what the organiser took off stays off.
    async with sessions() as session:
        whole = await agenda(session, demo_event)
    strategi, practice_a = (
        next(i.id for i in whole.items if i.title.startswith(title) and i.class_name == group)
        for title, group in (("Strategi", None), ("Praktik: memetakan", "A"))
    )

    async with sessions() as session:
        assert await attendance_of(session, id_of(demo_event)) == {
            hall.ids["siti"]: {strategi, practice_a},
            hall.ids["ani"]: {strategi},
        }
        marks = await session.execute(select(AttendanceMark).order_by(col(AttendanceMark.id)))
        kept = [(m.person_id, m.action, m.reason, m.by_person_id, m.via, m.at)
                for m in marks.scalars()]  # fmt: skip
    assert [k[:5] for k in kept] == [
        (hall.ids["ani"], "mark", "Kodenya sudah habis; hadir sejak 10.10", hall.ids["rina"],
         "telegram"),
        (hall.ids["budi"], "unmark", "Pulang setelah sepuluh menit", hall.ids["rina"],
         "telegram"),
    ]  # fmt: skip
    assert all(local(demo_event, WED, "10.30") <= k[5] < local(demo_event, WED, "10.31")
               for k in kept)  # fmt: skip

    # The daftar hadir, by day: a day counts when someone was at any session of theirs.
    shown = await boss.send("/presensi")
    shown = await boss.press(ID("attendance.download"))
    [workbook_shown] = [s for s in shown if s.document is not None]
    assert workbook_shown.document is not None
    name, content = workbook_shown.document
    assert name == "daftar-hadir-KUKAR2024.xlsx"
    book = load_workbook(io.BytesIO(content))
    sheet = book["Daftar hadir"]
    rows = [[c if c is not None else "" for c in row] for row in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "DAFTAR HADIR PESERTA"
    assert rows[1][0] == "Bimtek SPP-TIK Kabupaten Kutai Kartanegara"
    assert rows[2][0] == "Rabu, 13 November 2024 – Sabtu, 16 November 2024"
    assert rows[3][0] == "Hotel Mercure Samarinda"
    header = rows[5]
    assert header == [
        "No.", "Nama", "Perpustakaan", "Kabupaten/Kota", "Kelas",
        "Rab, 13/11", "Kam, 14/11", "Jum, 15/11", "Sab, 16/11", "Tanda tangan",
    ]  # fmt: skip
    assert rows[6:9] == [
        [1, "Ani Wulandari", "Perpustakaan Desa Jembayan", "Kutai Kartanegara", "A",
         "✓", "", "", "", ""],
        [2, "Budi Santoso", "TBM Cahaya", "Kutai Kartanegara", "B", "", "", "", "", ""],
        [3, "Siti Rahayu", "Perpustakaan Desa Loa Janan", "Kutai Kartanegara", "A",
         "✓", "", "", "", ""],
    ]  # fmt: skip
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1
    assert sheet.sheet_properties.pageSetUpPr is not None
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$6:$6"
    changes = [list(r) for r in book["Perubahan manual"].iter_rows(values_only=True)]
    assert changes[1][1:] == [
        "Strategi Transformasi Perpustakaan", "Ani Wulandari", "ditandai hadir",
        "Kodenya sudah habis; hadir sejak 10.10", "Rina Panitia",
    ]  # fmt: skip
    assert changes[2][3] == "kehadiran dihapus"
