"""The audit log: every privileged action, done in the chat or on the command line, leaves
exactly one entry with its actor, action and target, in the action's own transaction;
the log holds no participant's name, number or typed text; ``/audit`` shows an event's
entries to its organisers only, and every event's to admins."""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import col, select
from typer.testing import CliRunner

from bot.cli import app
from bot.db import SessionMaker
from handlers.i18n import LOCALES, Translator, catalog
from handlers.registry import registry
from handlers.turn import Deployment
from handlers.types import Reply
from models import (
    AgendaSession,
    AttendanceMark,
    Broadcast,
    Certificate,
    Event,
    Person,
    Role,
    RoleName,
)
from models.audit import (
    CLI,
    Actor,
    ActorKind,
    AuditAction,
    AuditEntry,
    AuditError,
    audit_entries,
    record,
)
from models.certificates.store import settings_for_update
from models.event import event_by_code
from models.roles import create_invite
from models.surveys.shipped import install_shipped
from tests.factories import (
    ID,
    Talker,
    add_session,
    enrol,
    id_of,
    make_event,
    on_database,
    person_id_of,
    text_of,
)

NOW = datetime(2024, 11, 13, 1, 0, tzinfo=UTC)  # Wednesday 09.00 WITA
WED = date(2024, 11, 13)
EN = Translator("en")
AGENDA = (
    "Tanggal,Mulai,Selesai,Materi,Narasumber,Ruang\n"
    "13/11/2024,08.00,08.50,Strategi Transformasi,Rachmawati,Ballroom\n"
    "13/11/2024,09.00,10.00,Advokasi,Taufik,Ballroom\n"
)
ROSTER = (
    "Nama;No. HP/WA;Nama Perpustakaan;Jenis Perpustakaan;Kabupaten/Kota\n"
    "Wulan Sarinah;0812-7777-1001;Perpustakaan Desa Contoh;Desa;Kutai Kartanegara\n"
)
# What a participant or an organiser typed: none of it may reach the log.
PARTICIPANT = "Ani Wulandari"
PHONE = "+6281299990001"
MARK_REASON = "Kodenya habis, hadir sejak 08.10"
REVOKE_REASON = "Data ganda peserta"
ANNOUNCEMENT = "Sesi Advokasi pindah ke Ruang Mahakam."


@dataclass(frozen=True)
class Seen:
    actor_kind: str
    actor_person_id: int | None
    action: str
    target_kind: str


async def entries_after(sessions: SessionMaker, last_id: int) -> list[AuditEntry]:
    async with sessions() as session:
        found = await session.execute(
            select(AuditEntry).where(col(AuditEntry.id) > last_id).order_by(col(AuditEntry.id))
        )
        return list(found.scalars())


class Log:
    """The audit rows written since the last look."""

    def __init__(self, sessions: SessionMaker, last: int = 0) -> None:
        self.sessions, self.last, self.actions = sessions, last, set[str]()

    async def new(self) -> list[Seen]:
        rows = await entries_after(self.sessions, self.last)
        if rows:
            self.last = rows[-1].id or 0
        self.actions.update(r.action for r in rows)
        return [Seen(r.actor_kind, r.actor_person_id, r.action, r.target_kind) for r in rows]

    async def one(self, actor: int | None, action: AuditAction, target: str) -> AuditEntry:
        """Exactly one new entry, this one; it is returned."""
        rows = await entries_after(self.sessions, self.last)
        kind = ActorKind.PERSON if actor is not None else ActorKind.CLI
        assert await self.new() == [Seen(kind, actor, action, target)], rows
        return rows[0]


def choice(replies: list[Reply], starting: str) -> str:
    """The payload of the button whose label starts with ``starting``."""
    for reply in reversed(replies):
        for option in reply.choices:
            if option.label.startswith(starting):
                return option.payload
    raise AssertionError(f"no button {starting!r} in {[r.choices for r in replies]}")


async def organiser(sessions: SessionMaker, event: Event, user_key: str) -> Talker:
    async with sessions.begin() as session:
        code = await create_invite(
            session, id_of(event), RoleName.ORGANIZER, created_by="cli", now=NOW, actor=CLI
        )
    boss = Talker(sessions, user_key, NOW)
    assert "Selamat datang di tim panitia" in text_of(await boss.send(f"/start {code}"))
    return boss


async def test_every_privileged_chat_action_leaves_one_entry(sessions: SessionMaker) -> None:
    event = await make_event(sessions, "SMD24")
    eid = id_of(event)
    log = Log(sessions)
    async with sessions.begin() as session:
        await install_shipped(session)
        rule = await settings_for_update(session, eid)  # everyone qualifies
        rule.min_attendance, rule.needs_evaluation, rule.needs_post_test = 0, False, False
    boss = await organiser(sessions, event, "panitia-smd")
    me = await person_id_of(sessions, "panitia-smd")
    seen = await log.new()
    assert Seen("cli", None, "invite.created", "invite") in seen
    assert seen[-1] == Seen("person", me, "role.granted", "role")
    ani = await enrol(sessions, event)
    async with sessions.begin() as session:
        await session.execute(
            update(Person)
            .where(col(Person.id) == await person_id_of(sessions, ani))
            .values(full_name=PARTICIPANT, phone_e164=PHONE)
        )

    # The agenda and its classes.
    assert "Kelas Bimtek SMD24 sekarang: A, B" in text_of(await boss.send("/kelas A, B"))
    await log.one(me, AuditAction.AGENDA_CHANGED, "event")
    assert "Agenda dimuat" in text_of(await boss.send_file("jadwal.csv", AGENDA.encode()))
    entry = await log.one(me, AuditAction.AGENDA_IMPORTED, "event")
    assert (entry.target_id, entry.details["added"]) == (eid, 2)

    # A trainer invited, who takes the role.
    replies = await boss.send("/undang")
    replies = await boss.press(choice(replies, "Rachmawati"))
    await log.one(me, AuditAction.INVITE_CREATED, "invite")
    code = replies[1].text.split("/start ")[1].strip()
    trainer = Talker(sessions, "pelatih-smd", NOW)
    await trainer.send(f"/start {code}")
    trainer_id = await person_id_of(sessions, "pelatih-smd")
    await log.one(trainer_id, AuditAction.ROLE_GRANTED, "role")

    # The trainer asks for quick feedback on the session just over.
    replies = await trainer.send("/umpanbalik")
    assert "dikirim ke 1 peserta" in text_of(replies), text_of(replies)
    await log.one(trainer_id, AuditAction.SURVEY_OPENED, "survey_round")

    # An announcement, sent; one scheduled for later, stopped.
    await boss.send("/umumkan")
    replies = await boss.send(ANNOUNCEMENT)
    replies = await boss.press(choice(replies, ID("broadcast.audience_all")))
    replies = await boss.press(choice(replies, ID("broadcast.send_now")))
    replies = await boss.press(choice(replies, ID("broadcast.yes_send")))
    entry = await log.one(me, AuditAction.BROADCAST_SENT, "broadcast")
    assert entry.details == {"audience": "everyone", "recipients": 3}
    await boss.send("/umumkan")
    replies = await boss.send(ANNOUNCEMENT)
    replies = await boss.press(choice(replies, ID("broadcast.audience_all")))
    replies = await boss.press(choice(replies, ID("broadcast.send_later")))
    replies = await boss.send("besok 07.00")
    replies = await boss.press(choice(replies, ID("broadcast.yes_send")))
    scheduled = await log.one(me, AuditAction.BROADCAST_SCHEDULED, "broadcast")
    replies = await boss.press(f"umumkan|cancel:{scheduled.target_id}")
    await boss.press(choice(replies, ID("broadcast.yes_cancel")))
    await log.one(me, AuditAction.BROADCAST_CANCELLED, "broadcast")

    # Attendance: a code opened and closed, a mark by hand, the register downloaded.
    async with sessions() as session:
        found = await session.execute(
            select(AgendaSession.id).where(col(AgendaSession.title) == "Advokasi")
        )
        session_id = found.scalars().one()
    await boss.press(f"presensi|open:s{session_id}:15")
    opened = await log.one(me, AuditAction.ATTENDANCE_OPENED, "attendance_opening")
    await boss.press(f"presensi|close:{opened.target_id}")
    await log.one(me, AuditAction.ATTENDANCE_CLOSED, "attendance_opening")
    replies = await boss.send("/tandai")
    replies = await boss.press(choice(replies, "09.00 Advokasi"))
    replies = await boss.send("ani")
    replies = await boss.press(choice(replies, PARTICIPANT))
    replies = await boss.press(choice(replies, ID("attendance.mark_present")))
    assert "ditandai hadir" in text_of(await boss.send(MARK_REASON))
    marked = await log.one(me, AuditAction.ATTENDANCE_MARKED, "attendance_mark")
    async with sessions() as session:
        mark = await session.get(AttendanceMark, marked.target_id)
        assert mark is not None
        assert mark.reason == MARK_REASON
    await boss.press(f"presensi|xlsx:{eid}")
    entry = await log.one(me, AuditAction.EXPORT, "attendance")
    assert entry.details["rows"] == 1

    # Certificates: issued to all who qualify, one revoked with a reason.
    await boss.press(f"sertifikat|all:{eid}")
    await boss.press(f"sertifikat|confirm-all:{eid}")
    entry = await log.one(me, AuditAction.CERTIFICATE_ISSUED, "certificate")
    assert entry.details["count"] == 1
    await boss.press(f"sertifikat|revoke:{eid}")
    await boss.send("1")
    replies = await boss.send(REVOKE_REASON)
    await boss.press(choice(replies, ID("certificate.yes_revoke")))
    revoked = await log.one(me, AuditAction.CERTIFICATE_REVOKED, "certificate")
    async with sessions() as session:
        certificate = await session.get(Certificate, revoked.target_id)
        assert certificate is not None
        assert certificate.revoked_reason == REVOKE_REASON

    # The roster loaded, the participants' workbook and the survey results downloaded.
    await boss.send("/peserta_impor")
    replies = await boss.send_file("peserta.csv", ROSTER.encode())
    await boss.press(choice(replies, ID("roster.apply")))
    await log.one(me, AuditAction.ROSTER_IMPORTED, "roster")
    await boss.press(f"peserta|xlsx:{eid}")
    await log.one(me, AuditAction.EXPORT, "participants")
    await boss.press(f"hasil|xlsx:{eid}")
    await log.one(me, AuditAction.EXPORT, "survey_results")

    # Reminder settings; the trainer's role revoked, an invite cancelled.
    await boss.press(f"ingat|digest-off:{eid}")
    await log.one(me, AuditAction.EVENT_SETTINGS, "settings")
    async with sessions() as session:
        role = await session.execute(select(Role).where(col(Role.person_id) == trainer_id))
        role_id = role.scalars().one().id
    await boss.press(f"tim|confirm-role:{role_id}")
    await log.one(me, AuditAction.ROLE_REVOKED, "role")
    replies = await boss.send("/undang")
    await boss.press(choice(replies, "Taufik"))
    invite = await log.one(me, AuditAction.INVITE_CREATED, "invite")
    await boss.press(f"tim|confirm-invite:{invite.target_id}")
    await log.one(me, AuditAction.INVITE_CANCELLED, "invite")

    # Everything but the CLI's own (creating events, changing certificate and attendance
    # settings) and a purge was done here.
    not_in_chat = {
        AuditAction.EVENT_CREATED,
        AuditAction.CERTIFICATE_SETTINGS,
        AuditAction.ATTENDANCE_SETTINGS,
        AuditAction.ATTENDANCE_UNMARKED,
        AuditAction.PURGE,
        AuditAction.DASHBOARD_SIGNED_IN,  # on the web: tests/test_dashboard_routes.py
    }
    assert log.actions | not_in_chat == set(AuditAction)

    # Nothing personal in the log: no name, number, typed reason or announcement.
    async with sessions() as session:
        rows = (await session.execute(select(AuditEntry))).scalars().all()
        broadcast_texts = (await session.execute(select(Broadcast.text))).scalars().all()
    dumped = json.dumps([r.model_dump(mode="json") for r in rows]).casefold()
    for secret in (PARTICIPANT, "Wulan Sarinah", PHONE, "6281299990001", "81277771001",
                   MARK_REASON, REVOKE_REASON, ANNOUNCEMENT, "Rachmawati", "Taufik",
                   *broadcast_texts):  # fmt: skip
        assert secret.casefold() not in dumped, secret

    # The organiser reads it: newest first, their own name looked up now.
    shown = text_of(await boss.send("/audit"))
    assert shown.startswith("📜 Catatan tindakan — Bimtek SMD24")
    cancelled = f"2024-11-13 09:00 WITA · orang #{me} (panitia) · membatalkan undangan pelatih #"
    assert any(line.startswith(cancelled) for line in shown.splitlines()), shown
    assert shown.count("\n2024-") + shown.count("\n2026-") == 10  # a page
    assert ID("audit.older") in [o.label for r in await boss.send("/audit") for o in r.choices]


async def test_an_entry_refuses_personal_facts() -> None:
    class Nothing:
        def add(self, _: object) -> None:
            raise AssertionError("not to be stored")

    for details in ({"reason": "sakit"}, {"count": "Ani Wulandari"}, {"rows": 1.5}):
        with pytest.raises(AuditError):
            record(Nothing(), CLI, AuditAction.EXPORT, event_id=1, target="roster", **details)  # type: ignore[arg-type]
    with pytest.raises(AuditError):
        record(Nothing(), CLI, AuditAction.EXPORT, event_id=1, target="the list of Ani")  # type: ignore[arg-type]
    with pytest.raises(AuditError):
        record(Nothing(), Actor(ActorKind.PERSON), AuditAction.EXPORT, event_id=1, target="roster")  # type: ignore[arg-type]


def test_every_action_reads_in_both_languages() -> None:
    for locale in LOCALES:
        texts = catalog(locale)
        for action in AuditAction:
            if action is AuditAction.EXPORT:
                continue
            assert f"audit.action.{action}" in texts, (locale, action)
        for kind in ("participants", "roster", "attendance", "survey_results"):
            assert f"audit.action.export.{kind}" in texts


# The privileged commands and button namespaces, and what each may leave in the log. A new
# privileged command or button must be added here, and its actions audited (and walked
# in the test above or the CLI's).
AUDITED_COMMANDS = {
    "invite": {AuditAction.INVITE_CREATED},
    "team": {AuditAction.ROLE_REVOKED, AuditAction.INVITE_CANCELLED},
    "import": {AuditAction.AGENDA_IMPORTED},
    "broadcast": {AuditAction.BROADCAST_SENT, AuditAction.BROADCAST_SCHEDULED},
    "broadcasts": {AuditAction.BROADCAST_CANCELLED},
    "quickfeedback": {AuditAction.SURVEY_OPENED},
    "checkin": {AuditAction.ATTENDANCE_OPENED, AuditAction.ATTENDANCE_CLOSED},
    "mark": {AuditAction.ATTENDANCE_MARKED, AuditAction.ATTENDANCE_UNMARKED},
    "participants": {AuditAction.EXPORT},
    "participants_import": {AuditAction.ROSTER_IMPORTED},
    # Reading only, with nothing of anyone's personal data handed out:
    "mysessions": set(),
    "results": set(),  # figures without names; its download is the "hasil" button
    "statistics": set(),
    "audit": set(),
    "dashboard": set(),  # a link; opening it is logged (AuditAction.DASHBOARD_SIGNED_IN)
}
AUDITED_BUTTONS = {
    "tim": {AuditAction.ROLE_REVOKED, AuditAction.INVITE_CANCELLED},
    "ingat": {AuditAction.EVENT_SETTINGS},
    "umumkan": {AuditAction.BROADCAST_CANCELLED},
    "hasil": {AuditAction.EXPORT},
    "sertifikat": {AuditAction.CERTIFICATE_ISSUED, AuditAction.CERTIFICATE_REVOKED},
    "presensi": {AuditAction.ATTENDANCE_OPENED, AuditAction.ATTENDANCE_CLOSED, AuditAction.EXPORT},
    "peserta": {AuditAction.ROSTER_IMPORTED, AuditAction.EXPORT},
    "catatan": set(),
    # A participant's own: schedule, event, class, survey answering.
    "sesi": set(), "hari": set(), "acara": set(), "kelas": set(), "survei": set(),
    "umpan": set(),
}  # fmt: skip


def test_every_privileged_command_and_button_is_accounted_for() -> None:
    privileged = {c.key for c in registry().commands if c.needs is not None}
    assert privileged == set(AUDITED_COMMANDS)
    assert set(registry().buttons) == set(AUDITED_BUTTONS)


async def test_only_organisers_read_their_events_log_and_admins_every_one(
    sessions: SessionMaker,
) -> None:
    mine = await make_event(sessions, "SMD24")
    other = await make_event(sessions, "BPN24")
    await add_session(sessions, mine, WED, "08.00", "08.50", "Strategi", speakers="Rachmawati")
    boss = await organiser(sessions, mine, "panitia-smd")
    elsewhere = await organiser(sessions, other, "panitia-bpn")
    await boss.send("/kelas A, B")
    await elsewhere.send("/kelas Pagi, Siang, Sore")
    async with sessions.begin() as session:
        code = await create_invite(session, id_of(mine), RoleName.TRAINER, created_by="cli",
                                   now=NOW, speaker="Rachmawati")  # fmt: skip
    trainer = Talker(sessions, "pelatih", NOW)
    await trainer.send(f"/start {code}")
    participant = Talker(sessions, await enrol(sessions, mine), NOW)

    for refused in (participant, trainer):
        shown = text_of(await refused.send("/audit"))
        assert "hanya untuk panitia" in shown, shown
        assert "📜" not in shown
        shown = text_of(await refused.press(f"catatan|{id_of(mine)}:10"))
        assert "📜" not in shown
    shown = text_of(await boss.send("/audit"))
    assert "menetapkan kelas (2 kelas)" in shown
    assert "(3 kelas)" not in shown  # the other event's
    assert "BPN24" not in shown
    shown = text_of(await boss.press(f"catatan|{id_of(other)}:10"))
    assert "hanya untuk panitia" in shown
    assert "📜" not in shown
    shown = text_of(await boss.press("catatan|all:10"))
    assert "📜" not in shown

    admin = Talker(sessions, "4242", NOW, channel="telegram",
                   deployment=Deployment(frozenset({("telegram", "4242")})))  # fmt: skip
    shown = text_of(await admin.send("/audit"))
    assert "semua kegiatan" in shown
    assert "· BPN24 · " in shown
    assert "· SMD24 · " in shown
    assert "(3 kelas)" in shown
    assert "(2 kelas)" in shown


async def test_pages_and_the_query_api(sessions: SessionMaker) -> None:
    event = await make_event(sessions, "SMD24")
    boss = await organiser(sessions, event, "panitia-smd")
    me = await person_id_of(sessions, "panitia-smd")
    for day in range(12):
        async with sessions.begin() as session:
            record(session, Actor.person(me), AuditAction.EXPORT, event_id=id_of(event),
                   target="attendance", at=datetime(2024, 11, 1 + day, 2, 0, tzinfo=UTC),
                   rows=day)  # fmt: skip
    shown = await boss.send("/audit")
    assert "2024-11-12 10:00 WITA" in text_of(shown)  # the newest first
    assert "(0 peserta)" not in text_of(shown)
    shown = await boss.press(choice(shown, ID("audit.older")))
    assert "(0 peserta)" in text_of(shown)
    async with sessions() as session:
        rows = await audit_entries(
            session,
            id_of(event),
            since=datetime(2024, 11, 3, tzinfo=UTC),
            until=datetime(2024, 11, 5, tzinfo=UTC),
            actions=frozenset({AuditAction.EXPORT}),
        )
    assert [r.details["rows"] for r in rows] == [3, 2]
    assert {(r.actor_name, r.actor_roles, r.event_code) for r in rows} == {
        (None, frozenset({"organizer"}), "SMD24")
    }
    assert EN("audit.action.export.attendance").format(rows=3) == (
        "exported the attendance register (3 participants)"
    )


# --- the command line -----------------------------------------------------------------


def bimtek(*args: str, typed: str | None = None) -> str:
    result = CliRunner().invoke(app, list(args), input=typed)
    assert result.exit_code == 0, (args, result.output)
    return result.output


def test_every_privileged_cli_action_leaves_one_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'admin.sqlite3'}")
    url = f"sqlite+aiosqlite:///{tmp_path / 'admin.sqlite3'}"

    def new() -> list[Seen]:
        return on_database(url, lambda sessions: Log(sessions, last[0]).new())

    last = [0]

    def one(action: AuditAction, target: str) -> None:
        rows = on_database(url, lambda s: entries_after(s, last[0]))
        assert [Seen(r.actor_kind, r.actor_person_id, r.action, r.target_kind) for r in rows] == [
            Seen("cli", None, action, target)
        ], rows
        last[0] = rows[0].id or 0
        done.add(action)

    done: set[AuditAction] = set()
    bimtek("event", "create", "--code", "SMD24", "--name", "Bimtek SPP-TIK Samarinda",
           "--timezone", "Asia/Makassar", "--starts", "2024-11-13", "--ends", "2024-11-16",
           "--organizer", "Dinas Perpustakaan Kota Samarinda")  # fmt: skip
    one(AuditAction.EVENT_CREATED, "event")
    bimtek("event", "classes", "SMD24", "A", "B")
    one(AuditAction.AGENDA_CHANGED, "event")
    agenda = tmp_path / "jadwal.csv"
    agenda.write_text(AGENDA)
    bimtek("agenda", "import", "SMD24", str(agenda))
    one(AuditAction.AGENDA_IMPORTED, "event")

    async def seed(sessions: SessionMaker) -> tuple[int, int]:
        async with sessions() as session:
            event = await event_by_code(session, "SMD24")
            assert event is not None
            found = await session.execute(
                select(AgendaSession.id).where(col(AgendaSession.title) == "Advokasi")
            )
            session_id = found.scalars().one()
        user_key = await enrol(sessions, event, class_name="A")
        person_id = await person_id_of(sessions, user_key)
        async with sessions.begin() as session:
            await session.execute(
                update(Person)
                .where(col(Person.id) == person_id)
                .values(full_name=PARTICIPANT, phone_e164=PHONE)
            )
            role = Role(event_id=id_of(event), person_id=person_id, role=RoleName.TRAINER,
                        granted_at=NOW)  # fmt: skip
            session.add(role)
            await session.flush()
            assert role.id is not None
            return session_id, role.id

    session_id, role_id = on_database(url, seed)
    assert new() == []
    bimtek("invite", "trainer", "SMD24", "--speaker", "Rachmawati")
    one(AuditAction.INVITE_CREATED, "invite")
    bimtek("team", "revoke", "SMD24", str(role_id))
    one(AuditAction.ROLE_REVOKED, "role")
    roster = tmp_path / "peserta.csv"
    roster.write_text(ROSTER)
    bimtek("roster", "import", "SMD24", str(roster))
    one(AuditAction.ROSTER_IMPORTED, "roster")
    bimtek("roster", "list", "SMD24")
    one(AuditAction.EXPORT, "roster")
    bimtek("participants", "SMD24", "--csv", str(tmp_path / "peserta-out.csv"))
    one(AuditAction.EXPORT, "participants")
    bimtek("broadcast", "create", "SMD24", "--text", ANNOUNCEMENT, typed="y\n")
    one(AuditAction.BROADCAST_SENT, "broadcast")
    bimtek("broadcast", "cancel", "1")
    one(AuditAction.BROADCAST_CANCELLED, "broadcast")
    bimtek("attendance", "settings", "SMD24", "--minutes", "20")
    one(AuditAction.ATTENDANCE_SETTINGS, "settings")
    for command, action in (("mark", AuditAction.ATTENDANCE_MARKED),
                            ("unmark", AuditAction.ATTENDANCE_UNMARKED)):  # fmt: skip
        bimtek("attendance", command, "SMD24", "--session", str(session_id), "--phone", PHONE,
               "--reason", MARK_REASON)  # fmt: skip
        one(action, "attendance_mark")
    bimtek("attendance", "export", "SMD24", "--csv", str(tmp_path / "hadir.csv"))
    one(AuditAction.EXPORT, "attendance")
    bimtek("certificate", "rule", "SMD24", "--attendance", "0", "--no-evaluation",
           "--no-post-test")  # fmt: skip
    one(AuditAction.CERTIFICATE_SETTINGS, "settings")
    bimtek("certificate", "issue", "SMD24", "--all")
    one(AuditAction.CERTIFICATE_ISSUED, "certificate")
    bimtek("certificate", "revoke", "SMD24", "1", "--reason", REVOKE_REASON)
    one(AuditAction.CERTIFICATE_REVOKED, "certificate")
    bimtek("survey", "results", "SMD24")
    one(AuditAction.EXPORT, "survey_results")
    bimtek("event", "close", "SMD24")
    one(AuditAction.EVENT_SETTINGS, "event")
    # Only what the CLI cannot do: take a role with a code, open or close a check-in code,
    # open a trainer's quick survey (the schedule's rounds are the system's); a purge.
    chat_only = {AuditAction.ROLE_GRANTED, AuditAction.ATTENDANCE_OPENED,
                 AuditAction.ATTENDANCE_CLOSED, AuditAction.SURVEY_OPENED,
                 AuditAction.BROADCAST_SCHEDULED, AuditAction.INVITE_CANCELLED,
                 AuditAction.PURGE, AuditAction.DASHBOARD_SIGNED_IN}  # fmt: skip
    assert done | chat_only == set(AuditAction)

    # Reading it back, in English by default.
    shown = bimtek("audit", "SMD24").splitlines()
    assert len(shown) == len(AuditAction) - len(chat_only) + 3  # exports and marks twice
    assert shown[0].endswith(" · server operator (CLI) · changed the event's settings")
    assert " · server operator (CLI) · exported the attendance register (1 participants)" in (
        "\n".join(shown)
    )
    exports = bimtek("audit", "smd24", "--action", "export", "--lang", "id").splitlines()
    assert [line.split(" · ")[-1] for line in exports] == [
        "mengekspor hasil survei (0 jawaban)",
        "mengekspor daftar hadir (1 peserta)",
        "mengekspor daftar peserta (2 baris)",
        "menampilkan daftar peserta panitia (1 baris)",
    ]
    everything = bimtek("audit", "--all", "--since", "2020-01-01", "--csv",
                        str(tmp_path / "audit.csv"))  # fmt: skip
    assert " · SMD24 · " in everything
    written = (tmp_path / "audit.csv").read_text()
    assert written.startswith("id,at_utc,local_time,event,actor_kind")
    for secret in (PARTICIPANT, PHONE, MARK_REASON, REVOKE_REASON, ANNOUNCEMENT, "Rachmawati"):
        assert secret not in written
        assert secret not in everything
    result = CliRunner().invoke(app, ["audit"])
    assert result.exit_code == 2
