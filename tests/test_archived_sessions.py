"""A session that feedback points at survives a re-imported agenda that drops it: kept,
archived, off every agenda, and brought back (same row) by a later file that has it
again. A session nothing points at is still deleted."""

import asyncio
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlmodel import col, select
from typer.testing import CliRunner

from bot.cli import app
from bot.db import SessionMaker, create_engine, session_maker
from handlers.agenda_texts import report_text
from models import AgendaSession, Event, RoleName, SurveyRound
from models.agenda import session_titles
from models.agenda_import import ImportReport, import_agenda, set_classes
from models.surveys.definition import SurveyDefinition
from models.surveys.store import open_round, save_survey
from tests.factories import EN, ID, Talker, enrol, give_role, labels, make_event, text_of
from tests.reminder_helpers import notes, only_sessions, plan, utc

HEADER = "Tanggal;Mulai;Selesai;Materi;Narasumber;Ruang;Kelas"
OPENING = "13/11/2024;08.00;09.00;Pembukaan;Kepala Dinas;Ballroom;"
ADVOCACY = "13/11/2024;09.00;11.00;Advokasi untuk Keberlanjutan;Rachmawati;Ballroom;"
COLLECTION = "14/11/2024;08.00;10.00;Tata Kelola Koleksi;Putri Wardhani;Ruang Mahakam;"
CANCELLED = "14/11/2024;13.00;14.00;Sesi yang batal;;Ballroom;"
FIRST = "\n".join([HEADER, OPENING, ADVOCACY, COLLECTION, CANCELLED]).encode()
DROPPED = "\n".join([HEADER, OPENING, COLLECTION]).encode()  # no advocacy, no cancelled
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
BEFORE_THE_EVENT = datetime(2024, 11, 12, 2, 0, tzinfo=UTC)
FEEDBACK = SurveyDefinition.model_validate(
    {
        "id": "umpan-balik-sesi",
        "purpose": "session_feedback",
        "title": "Umpan balik sesi",
        "questions": [{"id": "puas", "type": "scale", "scale": 5, "text": "Seberapa puas?"}],
    }
)


async def load(
    sessions: SessionMaker, event: Event, content: bytes, *, apply: bool = True
) -> ImportReport:
    async with sessions.begin() as session:
        return await import_agenda(session, event, "jadwal.csv", content, apply=apply)


async def ask_feedback(sessions: SessionMaker, event: Event, session_id: int) -> int:
    """A feedback round about one session; its id."""
    assert event.id is not None
    async with sessions.begin() as session:
        survey, _ = await save_survey(session, FEEDBACK)
        round_, _ = await open_round(
            session,
            survey=survey,
            event_id=event.id,
            slot=f"session:{session_id}",
            opens_at=utc(13, 3, 0),
            session_id=session_id,
        )
        assert round_.id is not None
        return round_.id


async def rows(sessions: SessionMaker, event: Event) -> dict[str, tuple[int, datetime | None]]:
    """Every stored session of the event, archived or not: title → (id, archived_at)."""
    async with sessions() as session:
        found = await session.execute(
            select(AgendaSession).where(col(AgendaSession.event_id) == event.id)
        )
        return {s.title: (s.id or 0, s.archived_at) for s in found.scalars()}


async def round_session(sessions: SessionMaker, round_id: int) -> int | None:
    async with sessions() as session:
        found = await session.get(SurveyRound, round_id)
        assert found is not None
        return found.session_id


async def event_with_feedback(sessions: SessionMaker) -> tuple[Event, int, int]:
    """The event with the first agenda and a feedback round about its advocacy session:
    (event, the advocacy session's id, the round's id)."""
    event = await make_event(sessions, "ARSIP24")
    report = await load(sessions, event, FIRST)
    advocacy = next(s.id for s in report.added if s.title.startswith("Advokasi"))
    assert advocacy is not None
    return event, advocacy, await ask_feedback(sessions, event, advocacy)


async def test_a_dropped_session_with_feedback_is_archived_and_off_every_agenda(
    sessions: SessionMaker,
) -> None:
    event, advocacy, round_id = await event_with_feedback(sessions)
    cancelled = (await rows(sessions, event))["Sesi yang batal"][0]
    participant = Talker(sessions, await enrol(sessions, event), utc(13, 0, 30))
    await give_role(sessions, event, RoleName.TRAINER, "pelatih", speaker="Rachmawati")
    await give_role(sessions, event, RoleName.ORGANIZER, "panitia")
    organiser = Talker(sessions, "panitia", BEFORE_THE_EVENT)

    # The file drops two sessions: the preview names both, and says which one is kept.
    replies = await organiser.send_file("jadwal.csv", DROPPED)
    preview = text_of(replies)
    assert "termasuk menghapus 2 sesi" in preview
    kept = (
        "• Rabu, 13 November 2024 · 09.00–11.00 WITA · Advokasi untuk Keberlanjutan · "
        "Rachmawati · Ballroom (disimpan sebagai arsip: sudah ada umpan baliknya)"
    )
    assert kept in preview
    assert "• Kamis, 14 November 2024 · 13.00–14.00 WITA · Sesi yang batal · Ballroom\n" in (
        preview + "\n"
    )
    assert (await rows(sessions, event))["Advokasi untuk Keberlanjutan"] == (advocacy, None)

    replies = await organiser.press_label(replies, ID("import.apply"))
    done = text_of(replies)
    assert "Agenda dimuat" in done
    assert "2 dihapus" in done
    assert kept in done

    stored = await rows(sessions, event)
    assert stored["Advokasi untuk Keberlanjutan"][0] == advocacy
    archived_at = stored["Advokasi untuk Keberlanjutan"][1]
    assert archived_at is not None
    assert archived_at > BEFORE_THE_EVENT
    assert "Sesi yang batal" not in stored  # nothing pointed at it: deleted
    assert await round_session(sessions, round_id) == advocacy
    async with sessions() as session:
        titles = await session_titles(session, [advocacy, cancelled])
    assert titles == {advocacy: "Advokasi untuk Keberlanjutan"}

    # Off every look-up: the day, the agenda, the session's button, the calendar file, a
    # trainer's own sessions.
    for command in ("/jadwal", "/agenda"):
        shown = text_of(await participant.send(command))
        assert "Pembukaan" in shown
        assert "Advokasi" not in shown
    assert not any("Advokasi" in label for label in labels(await participant.send("/jadwal")))
    assert "Advokasi" not in text_of(await participant.press(f"sesi|{advocacy}"))
    [calendar] = [r.attachment for r in await participant.send("/kalender") if r.attachment]
    assert calendar.content is not None
    summaries = [str(e["SUMMARY"]) for e in Calendar.from_ical(calendar.content).walk("VEVENT")]
    assert summaries == ["Pembukaan", "Tata Kelola Koleksi"]
    trainer = Talker(sessions, "pelatih", utc(13, 0, 30))
    assert "Belum ada sesi di agenda" in text_of(await trainer.send("/sesisaya"))

    # Nor is anyone reminded of it: 08.45 WITA, 15 minutes before it would have begun.
    await only_sessions(sessions, event, 15)
    await plan(sessions, utc(13, 0, 44))
    assert not [n for n in await notes(sessions, "reminder") if "Advokasi" in n.text]

    # The same file again changes nothing: the archived session is not "removed" again.
    again = await load(sessions, event, DROPPED)
    assert not again.has_changes


async def test_a_later_file_brings_the_archived_row_back(sessions: SessionMaker) -> None:
    event, advocacy, round_id = await event_with_feedback(sessions)
    await load(sessions, event, DROPPED)

    # Same title and day, another hour: the same session again, feedback and all.
    later = ADVOCACY.replace("09.00;11.00", "09.30;11.00")
    back = "\n".join([HEADER, OPENING, later, COLLECTION]).encode()
    preview = await load(sessions, event, back, apply=False)
    assert (await rows(sessions, event))["Advokasi untuk Keberlanjutan"][1] is not None
    report = await load(sessions, event, back)
    assert [s.id for s in report.added] == [advocacy]
    assert report.restored == preview.restored == {advocacy}
    assert (await rows(sessions, event))["Advokasi untuk Keberlanjutan"] == (advocacy, None)
    assert await round_session(sessions, round_id) == advocacy
    assert (
        "Kembali dari arsip (umpan balik yang sudah ada tetap tersambung):\n"
        "• Rabu, 13 November 2024 · 09.30–11.00 WITA · Advokasi untuk Keberlanjutan"
    ) in report_text(ID, event, report)
    assert "Back from the archive" in report_text(EN, event, report)
    participant = Talker(sessions, await enrol(sessions, event), utc(13, 0, 30))
    assert "09.30–11.00 Advokasi untuk Keberlanjutan" in text_of(await participant.send("/jadwal"))


@SQLITE_ONLY  # matching rules: the same on both databases
async def test_an_archived_row_comes_back_only_as_the_same_session_that_day(
    sessions: SessionMaker,
) -> None:
    event, advocacy, _ = await event_with_feedback(sessions)
    await load(sessions, event, DROPPED)
    # Another session in its slot, and its title on another day: both new sessions.
    in_its_slot = ADVOCACY.replace("Advokasi untuk Keberlanjutan", "Praktik SLiMS")
    other_day = ADVOCACY.replace("13/11/2024", "15/11/2024")
    report = await load(
        sessions, event, "\n".join([HEADER, OPENING, in_its_slot, other_day]).encode()
    )
    assert not report.restored
    assert advocacy not in {s.id for s in report.added}
    assert (await rows(sessions, event))["Praktik SLiMS"][0] != advocacy
    async with sessions() as session:
        found = await session.execute(
            select(AgendaSession.id, AgendaSession.archived_at).where(
                col(AgendaSession.title) == "Advokasi untuk Keberlanjutan"
            )
        )
        advocacy_rows = {ident: archived is not None for ident, archived in found.all()}
    assert advocacy_rows.pop(advocacy) is True  # still archived
    assert list(advocacy_rows.values()) == [False]  # Friday's: a new session


@SQLITE_ONLY  # the same query on both databases as the look-ups above
async def test_an_archived_session_does_not_hold_its_class(sessions: SessionMaker) -> None:
    """Class A's only session is archived: the organiser, who sees no session of A, may
    drop the class."""
    event = await make_event(sessions, "KELAS24", classes=("A", "B"))
    practice = "14/11/2024;10.00;12.00;Praktik;;Lab;A"
    report = await load(sessions, event, "\n".join([HEADER, OPENING, practice]).encode())
    practice_id = next(s.id for s in report.added if s.title == "Praktik")
    assert practice_id is not None
    await ask_feedback(sessions, event, practice_id)
    await load(sessions, event, "\n".join([HEADER, OPENING]).encode())
    async with sessions.begin() as session:
        assert await set_classes(session, event, ["B"]) == ["B"]


def test_the_command_line_says_which_sessions_are_kept(
    sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "admin.sqlite3"
    shutil.copyfile(sqlite_template, database)
    url = f"sqlite+aiosqlite:///{database}"

    async def prepare() -> None:
        engine = create_engine(url)
        try:
            await event_with_feedback(session_maker(engine))
        finally:
            await engine.dispose()

    asyncio.run(prepare())
    monkeypatch.setenv("DATABASE_URL", url)
    (tmp_path / "jadwal.csv").write_bytes(DROPPED)
    runner = CliRunner()
    command = ["agenda", "import", "ARSIP24", str(tmp_path / "jadwal.csv"), "--lang", "en"]
    dry = runner.invoke(app, [*command, "--dry-run"])
    kept = (
        "• Wednesday, 13 November 2024 · 09.00–11.00 WITA · Advokasi untuk Keberlanjutan · "
        "Rachmawati · Ballroom (kept, archived: it has feedback)"
    )
    assert kept in dry.output
    done = runner.invoke(app, [*command, "--yes"])
    assert done.exit_code == 0, done.output
    assert "2 removed" in done.output
    assert kept in done.output
    assert "Sesi yang batal · Ballroom\n" in done.output  # deleted: no reason given
    shown = runner.invoke(app, ["agenda", "show", "ARSIP24", "--lang", "en"])
    assert "Advokasi" not in shown.output
    assert "Pembukaan" in shown.output
