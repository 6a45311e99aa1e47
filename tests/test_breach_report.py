"""``bimtek breach-report``: whose data of an event a time window touched, built by hand
with actions inside and outside the window; the people expected are written out below."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import col, select
from typer.testing import CliRunner

from bot.cli import app
from bot.db import SessionMaker
from models import (
    Attendance,
    ChannelIdentity,
    Consent,
    Enrollment,
    Event,
    OutboxMessage,
    Person,
    RosterEntry,
)
from models.audit import CLI, ExportKind, record_export
from models.breach import Touched, notify_by, touched_people
from models.certificates.store import Holder, issue
from models.surveys.shipped import SESSION_FEEDBACK, install_shipped
from models.surveys.store import SurveyResponse, latest_survey, open_round
from tests.factories import add_session, id_of, make_event, on_database

SINCE = datetime(2024, 11, 14, 0, 0, tzinfo=UTC)  # 08.00 WITA
UNTIL = datetime(2024, 11, 14, 12, 0, tzinfo=UTC)  # 20.00 WITA
BEFORE = datetime(2024, 11, 10, 1, 0, tzinfo=UTC)
INSIDE = datetime(2024, 11, 14, 3, 0, tzinfo=UTC)
AFTER = datetime(2024, 11, 14, 13, 0, tzinfo=UTC)


async def person(sessions: SessionMaker, name: str, phone: str, *events: Event) -> int:
    """A registered person of ``events``, enrolled well before the window, on WhatsApp."""
    async with sessions.begin() as session:
        row = Person(locale="id", full_name=name, phone_e164=phone, registered_at=BEFORE,
                     created_at=BEFORE, updated_at=BEFORE)  # fmt: skip
        session.add(row)
        await session.flush()
        assert row.id is not None
        for event in events:
            session.add(Enrollment(person_id=row.id, event_id=id_of(event), enrolled_at=BEFORE))
        session.add(ChannelIdentity(person_id=row.id, channel="whatsapp", user_key=phone[1:],
                                    address=phone[1:], created_at=BEFORE))  # fmt: skip
        return row.id


async def build(sessions: SessionMaker) -> tuple[Event, dict[str, int]]:
    """The event SMD24 and another, BPN24, and what happened to whom, and when."""
    mine = await make_event(sessions, "SMD24")
    other = await make_event(sessions, "BPN24")
    talk = await add_session(sessions, mine, mine.starts_on, "08.00", "09.00", "Strategi")
    elsewhere = await add_session(sessions, other, other.starts_on, "08.00", "09.00", "Advokasi")
    ids = {
        name: await person(sessions, name, phone, *events)
        for name, phone, events in (
            ("Ani Wulandari", "+6281200000001", (mine,)),
            ("Budi Santoso", "+6281200000002", ()),
            ("Citra Lestari", "+6281200000003", (mine,)),
            ("Dewi Anggraini", "+6281200000004", (mine,)),
            ("Eko Prasetyo", "+6281200000005", (mine,)),
            ("Fajar Nugroho", "+6281200000006", (mine, other)),
            ("Gita Permata", "+6281200000007", (other,)),
            ("Hadi Wijaya", "+6281200000008", (mine,)),
        )
    }
    async with sessions.begin() as session:
        await install_shipped(session)
        survey = await latest_survey(session, SESSION_FEEDBACK)
        assert survey is not None
        round_, _ = await open_round(session, survey=survey, event_id=id_of(mine), slot="s1",
                                     opens_at=BEFORE)  # fmt: skip
        assert round_.id is not None
        # Ani checks in inside the window; Hadi only after it; Gita in the other event.
        for who, event, agenda_item, at in (
            ("Ani Wulandari", mine, talk, INSIDE),
            ("Hadi Wijaya", mine, talk, AFTER),
            ("Gita Permata", other, elsewhere, INSIDE),
        ):
            session.add(
                Attendance(
                    event_id=id_of(event),
                    session_id=id_of(agenda_item),
                    person_id=ids[who],
                    checked_in_at=at,
                    channel="whatsapp",
                )
            )
        # Budi registers for SMD24 inside the window, with his consent.
        session.add(Enrollment(person_id=ids["Budi Santoso"], event_id=id_of(mine),
                               enrolled_at=INSIDE))  # fmt: skip
        session.add(Consent(person_id=ids["Budi Santoso"], event_id=id_of(mine),
                            channel="whatsapp", text_version="2026-12", locale="id",
                            text_sha256="b" * 64, agreed_at=INSIDE))  # fmt: skip
        # Citra changes her profile inside; Dewi answers a survey she began before it.
        citra = await session.get(Person, ids["Citra Lestari"])
        assert citra is not None
        citra.updated_at = INSIDE
        session.add(SurveyResponse(round_id=round_.id, person_id=ids["Dewi Anggraini"],
                                   started_at=BEFORE, updated_at=INSIDE))  # fmt: skip
        # Eko's certificate is issued after the window; Fajar is sent a message inside it.
        await issue(session, mine, [Holder(ids["Eko Prasetyo"], "Eko Prasetyo", None, 32)],
                    AFTER, issued_by="cli")  # fmt: skip
        found = await session.execute(
            select(ChannelIdentity.id).where(col(ChannelIdentity.person_id) == ids["Fajar Nugroho"])
        )
        identity_id = found.scalar_one()
        session.add(OutboxMessage(key="reply:fajar:1", identity_id=identity_id, channel="whatsapp",
                                  kind="reply", body={"text": "Jadwal hari ini"},
                                  due_at=INSIDE, status="sent", sent_at=INSIDE))  # fmt: skip
        # A roster row of someone who never wrote to the bot.
        session.add(RosterEntry(event_id=id_of(mine), line=2, full_name="Joko Susilo",
                                phone_e164="+6281200000010"))  # fmt: skip
    return mine, ids


def people(found: list[Touched]) -> dict[str, set[str]]:
    return {f"{t.name}": t.touched for t in found}


async def test_the_window_names_whose_data_it_touched(sessions: SessionMaker) -> None:
    event, _ = await build(sessions)
    async with sessions() as session:
        found = await touched_people(session, id_of(event), SINCE, UNTIL)
    assert people(found) == {
        "Ani Wulandari": {"attendance"},
        "Budi Santoso": {"registered", "consent"},
        "Citra Lestari": {"profile"},
        "Dewi Anggraini": {"answers"},
        "Fajar Nugroho": {"message"},
    }
    fajar = next(t for t in found if t.name == "Fajar Nugroho")
    assert (fajar.phone, fajar.channels) == ("+6281200000006", ["whatsapp"])
    # A wider window takes in Hadi's check-in and Eko's certificate.
    async with sessions() as session:
        wider = await touched_people(
            session, id_of(event), SINCE, datetime(2024, 11, 15, tzinfo=UTC)
        )
    assert people(wider)["Hadi Wijaya"] == {"attendance"}
    assert people(wider)["Eko Prasetyo"] == {"certificate"}


async def test_an_export_in_the_window_touches_everyone_it_covered(
    sessions: SessionMaker,
) -> None:
    event, _ = await build(sessions)
    other = await make_event(sessions, "JMB24")
    async with sessions.begin() as session:
        record_export(session, CLI, event_id=id_of(event), what=ExportKind.PARTICIPANTS, rows=8,
                      at=datetime(2024, 11, 14, 8, 0, tzinfo=UTC))  # fmt: skip
        # Outside the window, or of another event: nothing.
        record_export(session, CLI, event_id=id_of(event), what=ExportKind.ATTENDANCE, rows=8,
                      at=AFTER)  # fmt: skip
        record_export(session, CLI, event_id=id_of(other), what=ExportKind.ATTENDANCE, rows=0,
                      at=INSIDE)  # fmt: skip
    async with sessions() as session:
        found = await touched_people(session, id_of(event), SINCE, UNTIL)
    exported = "exported:participants"
    assert people(found) == {
        "Ani Wulandari": {"attendance", exported},
        "Budi Santoso": {"registered", "consent", exported},
        "Citra Lestari": {"profile", exported},
        "Dewi Anggraini": {"answers", exported},
        "Eko Prasetyo": {exported},
        "Fajar Nugroho": {"message", exported},
        "Hadi Wijaya": {exported},
        "Joko Susilo": {exported},  # on the roster only, reachable by phone
    }
    assert [t.ref.split()[0] for t in found] == ["person"] * 7 + ["roster"]


def test_notify_within_72_hours() -> None:
    assert notify_by(UNTIL) == datetime(2024, 11, 17, 12, 0, tzinfo=UTC)
    found = datetime(2024, 11, 15, 9, 30, tzinfo=UTC)
    assert notify_by(UNTIL, found) == datetime(2024, 11, 18, 9, 30, tzinfo=UTC)


def test_the_command_prints_the_table_the_deadline_and_a_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'admin.sqlite3'}")
    assert CliRunner().invoke(app, ["db", "upgrade"]).exit_code == 0

    on_database(f"sqlite+aiosqlite:///{tmp_path / 'admin.sqlite3'}", build)
    out = tmp_path / "terdampak.csv"
    result = CliRunner().invoke(app, [
        "breach-report", "SMD24", "--since", "2024-11-14 08:00", "--until", "2024-11-14T20:00",
        "--discovered", "2024-11-15 10:00", "--csv", str(out),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1] == "Window: 2024-11-14 08:00 WITA to 2024-11-14 20:00 WITA"
    assert lines[2] == "People whose data it touched: 5"
    assert lines[3] == "Notify them by: 2024-11-18 10:00 WITA (72 hours after the discovery)"
    assert lines[4].split() == ["ref", "name", "reach", "touched"]
    budi = next(line for line in lines if "Budi Santoso" in line)
    assert "whatsapp, +6281200000002" in budi
    assert budi.rstrip().endswith("consent, registered")
    assert "Gita" not in result.output
    assert "Hadi" not in result.output
    written = out.read_text().splitlines()
    assert written[0] == "ref,name,phone,channels,touched"
    assert len(written) == 6
