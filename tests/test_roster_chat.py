"""The roster in the chat, as an organiser uses it: ``/peserta_impor`` sends the template
and waits for the file; a file with problems is answered with all of them, in the
organiser's language, and nothing is stored; a good one is shown and saved after a yes.
``/peserta`` offers the participants as a workbook. The file is read before its message's
transaction: nobody waits on the database meanwhile."""

import asyncio
import io
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import openpyxl
import pytest
from sqlalchemy import update
from sqlmodel import col, select

from bot.db import SessionMaker
from handlers.i18n import Translator
from models import Enrollment, Event, RoleName, RosterEntry, Upload
from models.roles import create_invite
from tests.drivers import EngineDriver
from tests.factories import Talker, enrol, id_of, make_event, person_id_of, text_of
from tests.hostile_files import one_wide_row
from tests.test_registration import last

NOW = datetime(2024, 11, 13, 1, 0, tzinfo=UTC)  # Wednesday, 09.00 WITA
ID, EN = Translator("id"), Translator("en")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Invented people and numbers.
GOOD = "\n".join(
    [
        "Nama;No. HP/WA;Nama Perpustakaan;Jenis Perpustakaan;Kabupaten/Kota;Kelas",
        "Siti Rahayu;0812-3456-7890;Perpustakaan Desa Contoh;Desa;Kutai Kartanegara;A",
        "Budi Santoso;0813 1111 2222;-TBM Pelangi;TBM;Samarinda;B",
        "Budi Santoso;0813 1111 3333;;;Samarinda;B",
    ]
).encode()
BAD = "\n".join(
    [
        "Nama;No. HP;Kelas",
        "Siti Rahayu;0812-3456-7890;A",
        "Budi 2;0813 1111 2222;A",
        "Rina Wati;0812-3456-7890;C",
    ]
).encode()


@pytest.fixture
async def event(sessions: SessionMaker) -> Event:
    return await make_event(sessions, "SMD24", classes=("A", "B"))


async def organiser(
    database_url: str, sessions: SessionMaker, event: Event, locale: str
) -> EngineDriver:
    async with sessions.begin() as session:
        code = await create_invite(
            session, id_of(event), RoleName.ORGANIZER, created_by="cli", now=NOW
        )
    boss = EngineDriver(database_url, f"panitia-{locale}", lambda: NOW, language_code=locale)
    await boss.send(f"/start {code}")
    return boss


@pytest.fixture
async def boss(
    database_url: str, sessions: SessionMaker, event: Event
) -> AsyncIterator[EngineDriver]:
    found = await organiser(database_url, sessions, event, "id")
    yield found
    await found.close()


async def roster(sessions: SessionMaker) -> list[tuple[str, str, str | None]]:
    async with sessions() as session:
        found = await session.execute(select(RosterEntry).order_by(col(RosterEntry.line)))
        return [(e.full_name, e.phone_e164, e.class_name) for e in found.scalars()]


async def uploads(sessions: SessionMaker) -> int:
    async with sessions() as session:
        return len((await session.execute(select(Upload))).scalars().all())


async def test_a_file_is_asked_for_with_the_template_then_shown_and_saved_after_a_yes(
    boss: EngineDriver, sessions: SessionMaker
) -> None:
    shown = await boss.send("/peserta_impor")
    assert shown[0].text == ID("roster.import_how", event="Bimtek SMD24", code="SMD24")
    assert shown[0].document is not None
    name, template = shown[0].document
    assert name == "peserta-template.xlsx"
    headers = [c.value for c in openpyxl.load_workbook(io.BytesIO(template)).worksheets[0][1]]
    assert headers[:3] == ["No", "Nama", "No. HP/WhatsApp"]
    assert last(shown).text == ID("roster.ask_file", event="Bimtek SMD24")

    shown = await boss.send("ini bukan berkas")
    assert shown[0].text == ID("roster.not_a_file")
    assert last(shown).text == ID("roster.ask_file", event="Bimtek SMD24")

    shown = await boss.send_file("peserta.csv", BAD)
    assert shown[0].text.startswith(ID("roster.refused", event="Bimtek SMD24"))
    assert "Baris 3: nama “Budi 2” hanya boleh berisi huruf" in shown[0].text
    assert "Baris 4: nomor +6281234567890 sudah ada di baris 2" in shown[0].text
    assert last(shown).text == ID("roster.ask_file", event="Bimtek SMD24")  # waits for another
    assert await roster(sessions) == []

    shown = await boss.send_file("peserta.csv", GOOD)
    preview = shown[0].text
    assert preview.startswith(ID("roster.preview.title", event="Bimtek SMD24", file="peserta.csv"))
    assert ID("roster.preview.count", count=3) in preview
    assert ID("roster.preview.classes", classes="A: 1, B: 2") in preview
    assert ID("roster.preview.same_name_line", name="Budi Santoso", rows="3, 4") in preview
    assert last(shown).text == ID("roster.confirm", event="Bimtek SMD24")
    assert last(shown).buttons == (ID("roster.apply"), ID("roster.cancel"))
    assert await roster(sessions) == []
    assert await uploads(sessions) == 1  # the file waits in the database

    shown = await boss.press(ID("roster.apply"))
    assert shown[0].text == ID("roster.saved", event="Bimtek SMD24", count=3)
    assert "👥" in last(shown).text
    assert await roster(sessions) == [
        ("Siti Rahayu", "+6281234567890", "A"),
        ("Budi Santoso", "+6281311112222", "B"),
        ("Budi Santoso", "+6281311113333", "B"),
    ]
    assert await uploads(sessions) == 0
    # The yes again: that question is gone.
    shown = await boss.press(ID("roster.apply"))
    assert ID("invalid.stale_button") in shown[0].text
    assert len(await roster(sessions)) == 3


async def test_a_no_saves_nothing_and_english_organisers_read_english(
    database_url: str, sessions: SessionMaker, event: Event
) -> None:
    boss = await organiser(database_url, sessions, event, "en")
    try:
        await boss.send("/participants_import")
        shown = await boss.send_file("roster.csv", BAD)
        assert shown[0].text.startswith(EN("roster.refused", event="Bimtek SMD24"))
        assert "Row 4: the number +6281234567890 is on row 2 already" in shown[0].text
        await boss.send_file("roster.csv", GOOD)
        shown = await boss.press(EN("roster.cancel"))
        assert shown[0].text == EN("roster.cancelled")
    finally:
        await boss.close()
    assert await roster(sessions) == []
    assert await uploads(sessions) == 0


async def test_the_team_list_leads_to_the_participants(boss: EngineDriver) -> None:
    shown = await boss.send("/tim")
    assert ID("menu.participants") in last(shown).buttons
    shown = await boss.press(ID("menu.participants"))
    assert last(shown).text == ID("roster.overview_empty", event="Bimtek SMD24", registered=0)
    shown = await boss.press(ID("roster.button_import"))
    assert last(shown).text == ID("roster.ask_file", event="Bimtek SMD24")


async def test_the_participants_arrive_as_a_workbook(
    boss: EngineDriver, sessions: SessionMaker, event: Event
) -> None:
    user_key = await enrol(sessions, event)  # Siti Rahayu, +6281234567890
    async with sessions.begin() as session:
        await session.execute(
            update(Enrollment)
            .where(col(Enrollment.person_id) == await person_id_of(sessions, user_key))
            .values(enrolled_at=datetime(2024, 11, 12, 2, 5, tzinfo=UTC))
        )
    await boss.send("/peserta_impor")
    await boss.send_file("peserta.csv", GOOD)
    await boss.press(ID("roster.apply"))
    shown = await boss.press(ID("roster.button_export"))
    assert shown[0].text == ID(
        "roster.export_caption", event="Bimtek SMD24", registered=1, missing=2
    )
    assert shown[0].document is not None
    name, content = shown[0].document
    assert name == "peserta-SMD24.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    assert sheet.title == ID("roster.sheet_title")
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == [
        "No", "Nama", "No. HP", "Nama perpustakaan", "Jenis perpustakaan", "Kabupaten/kota",
        "Provinsi", "Jabatan", "Kelas", "Waktu mendaftar (WITA)", "Di daftar peserta", "Status",
    ]  # fmt: skip
    assert rows[1] == [
        1, "Siti Rahayu", "+6281234567890", "Perpustakaan Desa Contoh", "Perpustakaan desa",
        "Kutai Kartanegara", "Kalimantan Timur", "Pengelola", "A",
        datetime(2024, 11, 12, 10, 5), "ya", "terdaftar",
    ]  # fmt: skip
    assert rows[2] == [
        2, "Budi Santoso", "+6281311112222", "'-TBM Pelangi", "TBM", "Samarinda", None, None,
        "B", None, "ya", "belum mendaftar",
    ]  # fmt: skip
    assert rows[3][1:4] == ["Budi Santoso", "+6281311113333", None]
    assert len(rows) == 4
    assert all(cell.font.b for cell in sheet[1])


async def test_nobody_waits_on_the_database_while_a_roster_is_read(
    sessions: SessionMaker, demo_event: Event
) -> None:
    """A file that takes the reader its whole time limit, sent to the question that waits
    for it, and a participant's question sent just after it: the question is answered
    first."""
    async with sessions.begin() as session:
        code = await create_invite(
            session, id_of(demo_event), RoleName.ORGANIZER, created_by="cli", now=NOW
        )
    boss = Talker(sessions, "panitia", NOW)
    await boss.send(f"/start {code}")
    await boss.send("/peserta_impor")
    participant = Talker(sessions, await enrol(sessions, demo_event), NOW)
    finished: list[str] = []
    content = one_wide_row(800_000)

    async def upload() -> None:
        replies = await boss.send_file(f"lebar-{time.monotonic_ns()}.xlsx", content)
        finished.append("upload: " + text_of(replies)[:60])

    async def question() -> None:
        await asyncio.sleep(0.2)  # the upload is being read by now
        replies = await participant.send("/sekarang")
        finished.append("question: " + text_of(replies)[:60])

    await asyncio.gather(upload(), question())
    assert [line.split(":")[0] for line in finished] == ["question", "upload"], finished
    assert "terlalu lama" in finished[1] or "❌" in finished[1]
