"""Attendance from the dashboard, through its routes over a real database (SQLite and
PostgreSQL): a code opened for a session or the day, as /presensi opens it, with its QR
codes; participants checking in through the chat and counted on the projector view and
the session's roll; closing; marks by hand, refused without a reason (nothing changes);
the daftar hadir as XLSX and CSV. Refusals of anyone else are the route walk's
(tests/test_dashboard_routes.py)."""

import csv
import io
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import openpyxl
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from bot.dashboard.core import PREFIX
from bot.db import SessionMaker
from models import Attendance
from models.attendance.marks import ReasonError, checked_reason
from models.attendance.settings import Rules, rules_of, update_rules
from models.attendance.store import AttendanceMark, AttendanceOpening, ExportBy
from models.audit import AuditAction
from models.outbox import OutboxMessage
from tests.audit_helpers import actors_of
from tests.dashboard_attendance_helpers import (
    csrf_in,
    full_app,
    qr_texts,
    session_ids,
    talker_of,
)
from tests.dashboard_helpers import NOW, WED, Clock, World, cookie_for, world
from tests.factories import id_of, local


@dataclass
class Hall:
    app: FastAPI
    client: httpx.AsyncClient
    clock: Clock
    world: World
    sessions: SessionMaker
    strategi: int  # the session on at NOW (08.30-10.00 WITA)
    advokasi: int  # the next (10.15-12.00)

    @property
    def base(self) -> str:
        return f"{PREFIX}/acara/{self.world.mine.id}/presensi"

    async def csrf(self) -> str:
        return csrf_in((await self.client.get(self.base)).text)

    async def post(self, path: str, **form: str) -> httpx.Response:
        return await self.client.post(self.base + path, data={"csrf": await self.csrf(), **form})


@pytest.fixture
async def hall(sessions: SessionMaker) -> AsyncIterator[Hall]:
    clock = Clock()
    app = full_app(sessions, clock)
    built = await world(sessions)
    ids = await session_ids(sessions, id_of(built.mine))
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://bimtek.test") as client,
    ):
        client.cookies.update(await cookie_for(sessions, app, built.organiser))
        yield Hall(
            app, client, clock, built, sessions,
            ids["Strategi Transformasi"], ids["Advokasi untuk Keberlanjutan"],
        )  # fmt: skip


async def openings(sessions: SessionMaker) -> list[AttendanceOpening]:
    async with sessions() as session:
        found = await session.execute(select(AttendanceOpening).order_by(col(AttendanceOpening.id)))
        return list(found.scalars())


async def records(sessions: SessionMaker) -> list[tuple[int, int, bool, str, str]]:
    """(person, session, late, source, channel) of everyone present, sorted."""
    async with sessions() as session:
        found = await session.execute(
            sa.select(
                col(Attendance.person_id), col(Attendance.session_id), col(Attendance.late),
                col(Attendance.source), col(Attendance.channel),
            ).where(col(Attendance.unmarked_at).is_(None))
        )  # fmt: skip
        return sorted((p, s, late, source, channel) for p, s, late, source, channel in found.all())


async def marks(sessions: SessionMaker) -> list[AttendanceMark]:
    async with sessions() as session:
        found = await session.execute(select(AttendanceMark).order_by(col(AttendanceMark.id)))
        return list(found.scalars())


def spaced(code: str) -> str:
    return f"{code[:3]} {code[3:]}"


async def test_a_code_opened_for_a_session_is_shown_with_its_qr_codes_and_counted(
    hall: Hall,
) -> None:
    opened = await hall.post("/buka", sesi=str(hall.strategi))
    assert opened.status_code == 303
    [opening] = await openings(hall.sessions)
    assert opened.headers["location"] == f"{hall.base}/layar?kode={opening.id}"
    # The chat's rule: from 30 minutes before the start, the event's 30 minutes counted
    # from the start or from now, whichever is later (09.10 WITA: until 09.40).
    assert opening.session_id == hall.strategi
    assert opening.opened_by == hall.world.organiser
    assert opening.opens_at == local(hall.world.mine, WED, "08.00")
    assert opening.expires_at == NOW + timedelta(minutes=30)

    screen = await hall.client.get(opened.headers["location"])
    assert screen.status_code == 200
    assert f'<div id="code" class="projector-code">{spaced(opening.code)}</div>' in screen.text
    assert qr_texts(screen.text) == {
        "qr-telegram": f"https://t.me/bimtek_contoh_bot?start=hadir-{opening.code}",
        "qr-whatsapp": f"https://wa.me/6281154001234?text={opening.code}",
    }
    assert 'data-seconds="1800"' in screen.text  # the countdown: 30 minutes left
    assert "Hadir: 0 dari 3" in screen.text
    assert "Siti Rahayu" not in screen.text  # the hall sees a count, never names

    # Siti checks in through the chat: the projector counts her.
    siti = await talker_of(hall.sessions, hall.world.participant)
    said = await siti.send(opening.code.lower())
    assert "Kehadiran tercatat" in said[0].text
    screen = await hall.client.get(opened.headers["location"])
    assert "Hadir: 1 dari 3" in screen.text
    # Opening the same again gives the same code, as in the chat.
    again = await hall.post("/buka", sesi=str(hall.strategi), menit="45")
    assert again.headers["location"] == opened.headers["location"]
    assert len(await openings(hall.sessions)) == 1

    # Closed: the projector says so, and a code sent afterwards records nothing.
    closed = await hall.post("/tutup", kode=str(opening.id))
    assert closed.status_code == 303
    screen = await hall.client.get(opened.headers["location"])
    assert "Kode ini sudah ditutup." in screen.text
    assert "data-seconds" not in screen.text
    budi = (await talker_of(hall.sessions, await _person(hall, "Budi Santoso"))).send
    assert "ditutup" in (await budi(opening.code))[0].text
    assert len(await records(hall.sessions)) == 1
    day = await hall.client.get(hall.base)
    assert spaced(opening.code) not in day.text  # no longer among the working codes


async def _person(hall: Hall, name: str) -> int:
    page = await hall.client.get(f"{hall.base}/tandai")
    found = re.search(rf'<option value="(\d+)">{name}', page.text)
    assert found is not None, name
    return int(found.group(1))


async def test_a_code_for_the_whole_day_checks_in_to_each_session_left(hall: Hall) -> None:
    response = await hall.post("/buka", hari=WED.isoformat(), menit="45")
    assert response.status_code == 303
    [opening] = await openings(hall.sessions)
    assert opening.session_id is None
    assert opening.day == WED
    assert opening.expires_at == NOW + timedelta(minutes=45)
    screen = await hall.client.get(response.headers["location"])
    assert "Presensi seluruh hari" in screen.text
    siti = await talker_of(hall.sessions, hall.world.participant)
    await siti.send(opening.code)
    assert await records(hall.sessions) == [
        (hall.world.participant, hall.strategi, True, "code", "console"),  # 40 minutes in
        (hall.world.participant, hall.advokasi, False, "code", "console"),
    ]


@pytest.mark.parametrize("minutes", ["0", "241", "abc", "-5", "1e3"])
async def test_minutes_out_of_range_open_nothing(hall: Hall, minutes: str) -> None:
    response = await hall.post("/buka", sesi=str(hall.strategi), menit=minutes)
    assert response.status_code == 400
    assert "Menit tidak sah" in response.text
    assert await openings(hall.sessions) == []


async def test_another_events_session_or_code_is_not_found(hall: Hall) -> None:
    other = await session_ids(hall.sessions, id_of(hall.world.other))
    response = await hall.post("/buka", sesi=str(other["Strategi Transformasi"]))
    assert response.status_code == 404
    assert await openings(hall.sessions) == []
    # A code of the other event, opened by its organiser: not this event's to show or close.
    mine = dict(hall.client.cookies)
    hall.client.cookies.clear()
    hall.client.cookies.update(
        await cookie_for(hall.sessions, hall.app, hall.world.other_organiser)
    )
    other_base = f"{PREFIX}/acara/{hall.world.other.id}/presensi"
    token = csrf_in((await hall.client.get(other_base)).text)
    await hall.client.post(
        other_base + "/buka", data={"csrf": token, "sesi": str(other["Strategi Transformasi"])}
    )
    [theirs] = await openings(hall.sessions)
    hall.client.cookies.clear()
    hall.client.cookies.update(mine)
    assert (await hall.client.get(f"{hall.base}/layar?kode={theirs.id}")).status_code == 404
    assert (await hall.post("/tutup", kode=str(theirs.id))).status_code == 404
    [still] = await openings(hall.sessions)
    assert still.closed_at is None


async def test_the_roll_lists_who_checked_in_how_and_who_has_not(hall: Hall) -> None:
    await hall.post("/buka", sesi=str(hall.strategi))
    [opening] = await openings(hall.sessions)
    siti = await talker_of(hall.sessions, hall.world.participant)
    await siti.send(opening.code)
    roll = await hall.client.get(f"{hall.base}/sesi?id={hall.strategi}")
    assert roll.status_code == 200
    present = roll.text.split('id="present"')[1].split("</table>")[0]
    absent = roll.text.split('id="absent"')[1].split("</ul>")[0]
    assert "Siti Rahayu" in present
    assert "09.10" in present
    assert "Terlambat" in present  # 40 minutes after the start, the event's 15 passed
    assert "Konsol" in present
    assert "Budi Santoso" in absent
    assert "Dewi Lestari" in absent
    assert "Hadir 1 dari 3 (1 terlambat)" in roll.text
    assert 'data-refresh="5"' in roll.text
    # Without a session named: the one on now.
    assert "Strategi Transformasi" in (await hall.client.get(f"{hall.base}/sesi")).text


async def test_a_mark_by_hand_needs_a_reason_and_changes_nothing_without(hall: Hall) -> None:
    budi = await _person(hall, "Budi Santoso")
    form = {"sesi": str(hall.strategi), "orang": str(budi), "aksi": "marked"}
    for reason in ("", "   ", "\u200b", "x" * 301):
        response = await hall.post("/tandai", **form, alasan=reason)
        assert response.status_code == 400, reason
        assert "Alasan wajib diisi" in response.text
    for incomplete in ({"sesi": ""}, {"orang": "abc"}, {"aksi": "hapus"}):
        response = await hall.post("/tandai", **{**form, **incomplete}, alasan="Tanda tangan")
        assert response.status_code == 400
    assert await records(hall.sessions) == []
    assert await marks(hall.sessions) == []

    done = await hall.post("/tandai", **form, alasan="Tanda tangan di kertas")
    assert done.status_code == 303
    assert done.headers["location"] == f"{hall.base}/sesi?id={hall.strategi}&hasil=marked"
    assert await records(hall.sessions) == [(budi, hall.strategi, False, "manual", "dashboard")]
    [kept] = await marks(hall.sessions)
    assert (kept.action, kept.reason, kept.by_person_id, kept.via) == (
        "mark", "Tanda tangan di kertas", hall.world.organiser, "dashboard",
    )  # fmt: skip
    roll = await hall.client.get(done.headers["location"])
    assert "Tersimpan: ditandai hadir." in roll.text
    assert "Dasbor · manual" in roll.text

    # Twice: nothing more. Taken off, with a reason; then a code does not put it back.
    again = await hall.post("/tandai", **form, alasan="Tanda tangan di kertas")
    assert again.status_code == 409
    assert "sudah tercatat hadir" in again.text
    off = await hall.post("/tandai", **{**form, "aksi": "unmarked"}, alasan="Pulang cepat")
    assert off.status_code == 303
    assert await records(hall.sessions) == []
    assert [m.action for m in await marks(hall.sessions)] == ["mark", "unmark"]


async def test_marks_refused_as_the_chat_refuses_them(hall: Hall) -> None:
    budi = await _person(hall, "Budi Santoso")
    other = await session_ids(hall.sessions, id_of(hall.world.other))
    cases = [
        ({"sesi": str(other["Strategi Transformasi"]), "orang": str(budi)}, "tidak ada di agenda"),
        ({"sesi": str(hall.strategi), "orang": str(hall.world.other_organiser)}, "tidak terdaftar"),
        ({"sesi": str(hall.strategi), "orang": str(budi), "aksi": "unmarked"}, "tidak tercatat"),
    ]
    for fields, said in cases:
        form = {"aksi": "marked", **fields, "alasan": "Salah ketik"}
        response = await hall.post("/tandai", **form)
        assert response.status_code == 409, fields
        assert said in response.text, fields
    assert await marks(hall.sessions) == []


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(reason=st.text(max_size=320))
async def test_a_reason_is_taken_exactly_when_the_chat_takes_it(hall: Hall, reason: str) -> None:
    budi = await _person(hall, "Budi Santoso")
    present = any(row[0] == budi for row in await records(hall.sessions))
    action = "unmarked" if present else "marked"
    before = len(await marks(hall.sessions))
    response = await hall.post(
        "/tandai", sesi=str(hall.strategi), orang=str(budi), aksi=action, alasan=reason
    )
    try:
        kept = checked_reason(reason)
    except ReasonError:
        assert response.status_code == 400
        assert len(await marks(hall.sessions)) == before
        return
    assert response.status_code == 303
    assert (await marks(hall.sessions))[-1].reason == kept


async def test_the_daftar_hadir_by_session_and_by_day(hall: Hall) -> None:
    await hall.post("/buka", sesi=str(hall.strategi))
    [opening] = await openings(hall.sessions)
    await (await talker_of(hall.sessions, hall.world.participant)).send(opening.code)
    budi = await _person(hall, "Budi Santoso")
    await hall.post(
        "/tandai", sesi=str(hall.advokasi), orang=str(budi), aksi="marked", alasan="Lupa kode"
    )
    response = await hall.client.get(f"{hall.base}/daftar-hadir.xlsx?per=sesi")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        'attachment; filename="daftar-hadir-SMD24.xlsx"'
    )
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    rows = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    changes = [list(row) for row in book.worksheets[1].iter_rows(values_only=True)]
    book.close()
    header = next(row for row in rows if row and row[0] == "No.")
    by_name = {row[1]: row for row in rows if row and isinstance(row[0], int)}
    strategi = next(i for i, h in enumerate(header) if h and "Strategi" in str(h))
    advokasi = next(i for i, h in enumerate(header) if h and "Advokasi" in str(h))
    assert by_name["Siti Rahayu"][strategi] == "T"  # late
    assert by_name["Budi Santoso"][advokasi] == "✓"
    assert by_name["Dewi Lestari"][strategi] in (None, "")
    assert any("Lupa kode" in row for row in changes)

    by_day = await hall.client.get(f"{hall.base}/daftar-hadir.csv?per=hari")
    assert by_day.status_code == 200
    lines = list(csv.reader(io.StringIO(by_day.content.decode("utf-8-sig"))))
    day_column = len(lines[0]) - 2  # before the signature column
    marked = {line[1]: line[day_column] for line in lines[1:]}
    assert marked == {"Budi Santoso": "✓", "Dewi Lestari": "", "Siti Rahayu": "✓"}


async def test_a_check_out_code_where_the_event_asks_for_check_out(hall: Hall) -> None:
    refused = await hall.post("/buka", sesi=str(hall.strategi), arah="out")
    assert refused.status_code == 400  # the event takes no check-out
    async with hall.sessions.begin() as session:
        await update_rules(session, id_of(hall.world.mine), NOW, check_out=True)
    day = await hall.client.get(hall.base)
    assert '<option value="out">Presensi pulang</option>' in day.text
    await hall.post("/buka", sesi=str(hall.strategi), arah="in")
    [check_in] = await openings(hall.sessions)
    siti = await talker_of(hall.sessions, hall.world.participant)
    await siti.send(check_in.code)
    opened = await hall.post("/buka", sesi=str(hall.strategi), arah="out")
    check_out = (await openings(hall.sessions))[-1]
    assert check_out.direction == "out"
    await siti.send(check_out.code)
    screen = await hall.client.get(opened.headers["location"])
    assert "Sudah pulang: 1 dari 1 yang hadir" in screen.text


async def test_the_pages_in_english(hall: Hall) -> None:
    await hall.post("/buka", sesi=str(hall.strategi))
    day = await hall.client.get(f"{hall.base}?lang=en")
    assert "<h1>Attendance</h1>" in day.text
    assert "Close code" in day.text
    screen = await hall.client.get(f"{hall.base}/layar")  # the language is remembered
    assert "Present: 0 of 3" in screen.text
    sheet = await hall.client.get(f"{hall.base}/daftar-hadir.csv?per=sesi")
    assert sheet.content.decode("utf-8-sig").startswith("No.,Name,")


async def test_a_code_opened_in_the_chat_is_the_same_here_and_closing_it_tells_the_chat(
    hall: Hall,
) -> None:
    organiser = await talker_of(hall.sessions, hall.world.organiser)
    await organiser.press(f"presensi|open:s{hall.strategi}:30")
    [opening] = await openings(hall.sessions)
    assert opening.status_outbox_id is not None  # the count the organiser sees in the chat
    # Asked here for the same session: the same code, as a second /presensi gives.
    again = await hall.post("/buka", sesi=str(hall.strategi))
    assert again.headers["location"] == f"{hall.base}/layar?kode={opening.id}"
    await hall.post("/tutup", kode=str(opening.id))
    async with hall.sessions() as session:
        found = await session.execute(
            select(OutboxMessage.body).where(col(OutboxMessage.kind).like("%attendance_status%"))
        )
        bodies = [str(body) for body in found.scalars()]
    assert any("Ditutup pukul 09.10" in body for body in bodies), bodies
    # The log says who opened it (in the chat) and who closed it (here): the organiser.
    organiser_acted = [("person", hall.world.organiser)]
    assert await actors_of(hall.sessions, AuditAction.ATTENDANCE_OPENED) == organiser_acted
    assert await actors_of(hall.sessions, AuditAction.ATTENDANCE_CLOSED) == organiser_acted


async def test_the_events_settings_as_the_command_line_changes_them(hall: Hall) -> None:
    form = {"menit": "20", "terlambat": "10", "per": "sesi", "pulang": "ya", "hari": "2024-11-13"}
    for wrong in ({"menit": "0"}, {"terlambat": "241"}, {"per": "minggu"}, {"menit": "x"}):
        refused = await hall.post("/aturan", **{**form, **wrong})
        assert refused.status_code == 400, wrong
    async with hall.sessions() as session:
        assert await rules_of(session, id_of(hall.world.mine)) == Rules()
    saved = await hall.post("/aturan", **form)
    assert saved.status_code == 303
    async with hall.sessions() as session:
        rules = await rules_of(session, id_of(hall.world.mine))
    assert rules == Rules(20, 10, True, ExportBy.SESSION)
    assert await actors_of(hall.sessions, AuditAction.ATTENDANCE_SETTINGS) == [
        ("person", hall.world.organiser)
    ]
    await hall.post("/buka", sesi=str(hall.strategi))
    [opening] = await openings(hall.sessions)
    assert opening.expires_at == NOW + timedelta(minutes=20)
    hall.clock.advance(timedelta(minutes=20))
    screen = await hall.client.get(f"{hall.base}/layar?kode={opening.id}")
    assert "Waktu kode ini sudah habis." in screen.text
