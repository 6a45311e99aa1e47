"""The agenda page: sessions day by day in the event's zone; a spreadsheet read as the chat
reads it, previewed, kept where the chat keeps a file waiting, applied only when confirmed
(with the chat's schedule-change notices, if asked for); a bad file names each bad row and
changes nothing; a file too big is refused before it is read; the template."""

import io
from collections.abc import AsyncIterator
from datetime import UTC, time

import httpx
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlmodel import col

from bot.db import SessionMaker
from handlers.i18n import Translator
from models import AgendaSession, OutboxMessage, RoleName, Upload
from models.agenda import agenda_of
from models.agenda_import import MAX_FILE_BYTES, template_csv
from models.audit import AuditAction
from models.notifications import Kind
from tests.audit_helpers import actors_of
from tests.dashboard_helpers import WED
from tests.dashboard_pages import AGENDA_CSV, BAD_CSV, Signed, csrf_of, hidden, signed_site
from tests.factories import add_session, give_role, id_of, person_id_of

ID = Translator("id")


@pytest.fixture
async def site(sessions: SessionMaker) -> AsyncIterator[Signed]:
    async with signed_site(sessions) as signed:
        yield signed


async def titles(site: Signed) -> list[str]:
    async with site.sessions() as session:
        return [s.title for s in await agenda_of(session, id_of(site.world.mine))]


async def uploads(site: Signed) -> int:
    async with site.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(Upload))).scalar_one())


async def notices(site: Signed) -> list[OutboxMessage]:
    async with site.sessions() as session:
        found = await session.execute(
            select(OutboxMessage).where(col(OutboxMessage.kind) == Kind.SCHEDULE_CHANGE)
        )
        return list(found.scalars())


async def send_file(
    site: Signed, content: bytes, name: str = "jadwal.csv", media: str = "text/csv"
) -> httpx.Response:
    page = await site.client.get(site.path("/agenda"))
    return await site.client.post(
        site.path("/agenda/impor"),
        data={"csrf": csrf_of(page.text)},
        files={"berkas": (name, content, media)},
    )


async def test_the_agenda_is_shown_day_by_day_in_the_events_zone(site: Signed) -> None:
    await add_session(
        site.sessions, site.world.mine, WED.replace(day=14), "08.00", "10.00",
        "Praktik tata kelola koleksi", room="Ruang Kartanegara", speakers="Tim Pelatih Ahli",
        class_name="A",
    )  # fmt: skip
    page = await site.client.get(site.path("/agenda"))
    assert page.status_code == 200
    text = page.text
    assert "3 sesi; waktu dalam WITA." in text
    wednesday, thursday = text.index("Rabu, 13 November 2024"), text.index("Kamis, 14 November")
    assert wednesday < text.index("Strategi Transformasi") < thursday
    assert "08.30–10.00" in text  # 00.30 UTC, shown in WITA
    assert thursday < text.index("Praktik tata kelola koleksi")
    assert "Tim Pelatih Ahli" in text
    assert "Ruang Kartanegara" in text
    english = await site.client.get(site.path("/agenda?lang=en"))
    assert "Wednesday, 13 November 2024" in english.text
    assert "All classes" in english.text


async def test_a_file_is_previewed_kept_and_applied_only_when_confirmed(site: Signed) -> None:
    sent = await send_file(site, AGENDA_CSV)
    assert sent.status_code == 303
    assert sent.headers["location"] == site.path("/agenda/impor")
    # Nothing applied yet: the file waits where the chat keeps one.
    assert await titles(site) == ["Strategi Transformasi", "Advokasi untuk Keberlanjutan"]
    async with site.sessions() as session:
        [held] = (await session.execute(select(Upload))).scalars().all()
    assert (held.person_id, held.event_id, held.content) == (
        site.world.organiser, id_of(site.world.mine), AGENDA_CSV,
    )  # fmt: skip

    preview = await site.client.get(sent.headers["location"])
    assert preview.status_code == 200
    said = ID(
        "agenda_import.report.preview", event="Bimtek SMD24",
        added=2, changed=2, removed=0, unchanged=0, count=4,
    )  # fmt: skip
    assert said in preview.text
    assert "Advokasi untuk Keberlanjutan" in preview.text
    # Today's sessions moved for the three registered participants: the chat's question.
    asked = ID("change.ask", count=3, event="Bimtek SMD24").replace('"', "&#34;")
    assert asked in preview.text
    form = {
        "csrf": csrf_of(preview.text),
        "upload": hidden(preview.text, "upload"),
        "versi": hidden(preview.text, "versi"),
        "kabari": "1",
    }
    assert form["upload"] == str(held.id)
    applied = await site.client.post(site.path("/agenda/impor/terapkan"), data=form)
    assert applied.status_code == 303
    assert applied.headers["location"] == site.path("/agenda?dimuat=1&dikabari=3")

    assert await titles(site) == [
        "Strategi Transformasi",
        "Advokasi untuk Keberlanjutan",
        "Praktik tata kelola koleksi",
        "Sistem Informasi Manajemen",
    ]
    assert await uploads(site) == 0
    told = await notices(site)
    assert len(told) == 3
    for row in told:
        assert "Advokasi untuk Keberlanjutan" in row.body["text"]
        assert "10.30" in row.body["text"]
    shown = await site.client.get(applied.headers["location"])
    assert ID("change.sent", count=3) in shown.text
    assert "Ruang Kartanegara" in shown.text
    # The form again (reloaded, or a second tab): the file no longer waits.
    again = await site.client.post(site.path("/agenda/impor/terapkan"), data=form)
    assert again.status_code == 404
    assert len(await notices(site)) == 3
    assert await actors_of(site.sessions, AuditAction.AGENDA_IMPORTED) == [
        ("person", site.world.organiser)
    ]


async def test_without_the_box_ticked_no_notice_is_sent(site: Signed) -> None:
    await send_file(site, AGENDA_CSV)
    preview = await site.client.get(site.path("/agenda/impor"))
    form = {k: hidden(preview.text, k) for k in ("csrf", "upload", "versi")}
    applied = await site.client.post(site.path("/agenda/impor/terapkan"), data=form)
    assert applied.headers["location"] == site.path("/agenda?dimuat=1&dikabari=-1")
    assert len(await titles(site)) == 4
    assert await notices(site) == []


async def test_a_bad_file_names_each_bad_row_and_changes_nothing(site: Signed) -> None:
    refused = await send_file(site, BAD_CSV)
    assert refused.status_code == 422
    text = refused.text
    assert ID("agenda_import.problems.heading", count=3) in text
    for row in (3, 4, 5):
        assert f"Baris {row}:" in text, row
    assert "A, B" in text  # the event's classes, beside the one it does not have
    assert ID("import.agenda_untouched") in text
    assert await titles(site) == ["Strategi Transformasi", "Advokasi untuk Keberlanjutan"]
    assert await uploads(site) == 0


@pytest.mark.parametrize(
    ("content", "name", "key"),
    [
        (b"%PDF-1.4\n" + bytes(range(256)) * 4, "jadwal.pdf", "agenda_import"),
        (b"", "kosong.csv", "agenda_import.empty"),
        (b"x" * (MAX_FILE_BYTES + 1), "besar.csv", "agenda_import.too_big"),
        (b"\xd0\xcf\x11\xe0" + b"\x00" * 600, "lama.xls", "agenda_import.save_as"),
    ],
)
async def test_what_is_not_an_agenda_is_refused_as_the_chat_refuses_it(
    site: Signed, content: bytes, name: str, key: str
) -> None:
    refused = await send_file(site, content, name, "application/octet-stream")
    assert refused.status_code == 422, refused.text[-500:]
    assert "Berkas agenda ditolak" in refused.text
    assert name in refused.text
    if key != "agenda_import":
        expected: dict[str, dict[str, object]] = {
            "too_big": {"max_mb": 2},
            "save_as": {"kind": "Excel 97-2003 (.xls)"},
        }
        values = expected.get(key.rsplit(".", 1)[1], {})
        assert ID(key, **values) in refused.text.replace("&#34;", '"').replace("&#39;", "'")
    assert await titles(site) == ["Strategi Transformasi", "Advokasi untuk Keberlanjutan"]
    assert await uploads(site) == 0


async def test_an_agenda_changed_since_the_preview_is_previewed_again(site: Signed) -> None:
    await send_file(site, AGENDA_CSV)
    preview = await site.client.get(site.path("/agenda/impor"))
    form = {k: hidden(preview.text, k) for k in ("csrf", "upload", "versi")}
    # Meanwhile someone else (the chat, another tab) changes the agenda.
    await add_session(site.sessions, site.world.mine, WED, "13.00", "14.00", "Evaluasi")
    applied = await site.client.post(site.path("/agenda/impor/terapkan"), data=form)
    assert applied.status_code == 303
    assert applied.headers["location"] == site.path("/agenda/impor?berubah=1")
    assert "Evaluasi" in await titles(site)
    assert len(await titles(site)) == 3  # the file was not applied
    again = await site.client.get(applied.headers["location"])
    assert "Agenda berubah sejak pratinjau" in again.text
    assert ID("agenda_import.report.preview", event="Bimtek SMD24",
              added=2, changed=2, removed=1, unchanged=0, count=4) in again.text  # fmt: skip
    assert await uploads(site) == 1


async def test_cancelling_drops_the_file(site: Signed) -> None:
    await send_file(site, AGENDA_CSV)
    preview = await site.client.get(site.path("/agenda/impor"))
    form = {k: hidden(preview.text, k) for k in ("csrf", "upload")}
    dropped = await site.client.post(site.path("/agenda/impor/batal"), data=form)
    assert dropped.status_code == 303
    assert await uploads(site) == 0
    assert len(await titles(site)) == 2
    nothing = await site.client.get(site.path("/agenda/impor"))
    assert "Tidak ada berkas agenda yang menunggu" in nothing.text


async def test_another_organisers_waiting_file_is_not_theirs_to_apply(site: Signed) -> None:
    await send_file(site, AGENDA_CSV)
    preview = await site.client.get(site.path("/agenda/impor"))
    upload_id = hidden(preview.text, "upload")
    versi = hidden(preview.text, "versi")
    await give_role(site.sessions, site.world.mine, RoleName.ORGANIZER, "panitia-smd-2")
    await site.sign_in(await person_id_of(site.sessions, "panitia-smd-2"))
    page = await site.client.get(site.path("/agenda/impor"))
    assert "Tidak ada berkas agenda yang menunggu" in page.text  # their own: none
    form = {"csrf": csrf_of(page.text), "upload": upload_id, "versi": versi, "kabari": "1"}
    refused = await site.client.post(site.path("/agenda/impor/terapkan"), data=form)
    assert refused.status_code == 404
    assert "Berkas tidak menunggu lagi" in refused.text
    cancelled = await site.client.post(site.path("/agenda/impor/batal"), data=form)
    assert cancelled.status_code == 303
    assert await uploads(site) == 1  # still the first organiser's
    assert len(await titles(site)) == 2


async def test_a_file_too_big_is_refused_before_it_is_read(site: Signed) -> None:
    read: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        for _ in range(64):  # 4 MB declared, in 64 KB pieces
            read.append(1)
            yield b"x" * 65536

    declared = {"content-length": str(64 * 65536), "content-type": "multipart/form-data; b=x"}
    refused = await site.client.post(
        site.path("/agenda/impor"), content=body(),
        headers=declared,
    )  # fmt: skip
    assert refused.status_code == 413
    assert "Berkas terlalu besar" in refused.text
    assert len(read) <= 1  # the body was not read
    assert await uploads(site) == 0

    async def chunks() -> AsyncIterator[bytes]:
        yield b"x" * 100

    unsized = await site.client.post(site.path("/agenda/impor"), content=chunks())
    assert unsized.status_code == 411
    # Nobody signed in: refused as well, unread.
    site.client.cookies.clear()
    read.clear()
    anonymous = await site.client.post(site.path("/agenda/impor"), content=body(), headers=declared)
    assert anonymous.status_code == 413
    assert len(read) <= 1


async def test_the_template_downloads_as_csv_and_xlsx(site: Signed) -> None:
    csv_file = await site.client.get(site.path("/agenda/template.csv"))
    assert csv_file.status_code == 200
    assert csv_file.content == template_csv()
    assert 'filename="jadwal-template.csv"' in csv_file.headers["content-disposition"]
    xlsx = await site.client.get(site.path("/agenda/template.xlsx"))
    assert xlsx.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx.content), read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    assert rows[0][:4] == ("Tanggal", "Mulai", "Selesai", "Materi")
    # The template itself loads: the organiser's starting point is a valid agenda.
    sent = await send_file(site, xlsx.content, "jadwal-template.xlsx", "application/zip")
    assert sent.status_code == 303


async def test_the_stored_agenda_matches_what_the_chat_would_store(
    site: Signed, sessions: SessionMaker
) -> None:
    """Applied from the page, the sessions are those /impor stores from the same file."""
    await send_file(site, AGENDA_CSV)
    preview = await site.client.get(site.path("/agenda/impor"))
    form = {k: hidden(preview.text, k) for k in ("csrf", "upload", "versi")}
    await site.client.post(site.path("/agenda/impor/terapkan"), data=form)
    async with sessions() as session:
        rows = (
            (
                await session.execute(
                    select(AgendaSession).where(col(AgendaSession.event_id) == site.world.mine.id)
                )
            )
            .scalars()
            .all()
        )
    moved = next(r for r in rows if r.title == "Advokasi untuk Keberlanjutan")
    assert moved.starts_at.astimezone(UTC).time() == time(2, 30)  # 10.30 WITA
    assert moved.room == "Ruang Kartanegara"
    assert moved.speakers == "Rachmawati"
    practice = next(r for r in rows if r.title == "Praktik tata kelola koleksi")
    assert practice.class_name == "A"


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    content=st.one_of(
        st.binary(max_size=2000),
        st.lists(st.text(max_size=40), max_size=8).map(
            lambda rows: AGENDA_CSV[:60] + ";".join(rows).encode()
        ),
    ),
    name=st.sampled_from(["jadwal.csv", "jadwal.xlsx", "jadwal", "../../x.csv"]),
)
async def test_any_file_is_previewed_or_refused_and_never_applied_unasked(
    site: Signed, content: bytes, name: str
) -> None:
    waiting = await uploads(site)  # an earlier example's file may still wait
    response = await send_file(site, content, name, "application/octet-stream")
    assert response.status_code in (303, 422), response.text[-300:]
    if response.status_code == 422:
        assert 'id="problems"' in response.text
        assert await uploads(site) == waiting
    else:
        assert await uploads(site) == 1  # the person's one waiting file
    assert await titles(site) == ["Strategi Transformasi", "Advokasi untuk Keberlanjutan"]
