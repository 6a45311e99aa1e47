"""Roles per event: invites, what organisers and trainers may do, and that nobody else
may do it."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from bot.db import SessionMaker
from handlers.registry import registry
from handlers.turn import Deployment
from handlers.types import Attachment, InboundKind
from models import (
    AgendaSession,
    Broadcast,
    Certificate,
    ChannelIdentity,
    Conversation,
    Event,
    Invite,
    Role,
    RoleName,
    RosterEntry,
    Upload,
)
from models.agenda import classes_of
from models.attendance import AttendanceOpening
from models.audience import Everyone
from models.broadcasts import confirm_broadcast, create_broadcast, report
from models.dashboard import DashboardLink
from models.reminders import Reminders, reminders_of
from models.roles import create_invite
from tests.factories import (
    ID,
    Talker,
    add_session,
    enrol,
    id_of,
    labels,
    make_event,
    person_id_of,
    text_of,
)

WED = date(2024, 11, 13)
NOW = datetime(2024, 11, 13, 0, 30, tzinfo=UTC)
CSV = "Tanggal,Mulai,Selesai,Materi,Narasumber,Ruang\n13/11/2024,08.00,09.00,Pembukaan,,Ballroom\n"


async def invite(sessions: SessionMaker, event: Event, role: RoleName, speaker: str = "") -> str:
    async with sessions.begin() as session:
        return await create_invite(
            session, id_of(event), role, created_by="cli", now=NOW, speaker=speaker
        )


async def organiser_of(sessions: SessionMaker, event: Event, user_key: str) -> Talker:
    person = Talker(sessions, user_key, NOW)
    replies = await person.send(f"/start {await invite(sessions, event, RoleName.ORGANIZER)}")
    assert "Selamat datang di tim panitia" in text_of(replies)
    return person


async def two_events(sessions: SessionMaker) -> tuple[Event, Event]:
    mine = await make_event(sessions, "SMD24")
    other = await make_event(sessions, "BPN24")
    for event in (mine, other):
        await add_session(
            sessions,
            event,
            WED,
            "08.30",
            "10.00",
            "Strategi Transformasi",
            speakers="Taufik, S.Sos, M.Si; Rachmawati",
        )
    return mine, other


async def stored_agenda(sessions: SessionMaker, event: Event) -> list[str]:
    async with sessions() as session:
        found = await session.execute(
            select(AgendaSession.title).where(col(AgendaSession.event_id) == event.id)
        )
        return sorted(found.scalars())


PRIVILEGED = [c for c in registry().commands if c.needs is not None]


# Every way in to a privileged action: commands, menu buttons, team and announcement
# buttons, files.
def privileged_inputs(
    role_id: int, broadcast_id: int, event_id: int, session_id: int, opening_id: int
) -> list[tuple[str, str]]:
    inputs = [("command", f"/{name}") for c in PRIVILEGED for name in c.names.values()]
    inputs += [("command", "/kelas A B C"), ("command", "/class A B")]  # declaring classes
    inputs += [("button", f"menu|{c.key}") for c in PRIVILEGED]
    inputs += [("button", f"tim|{a}:{role_id}") for a in ("role", "confirm-role")]
    reminders = ("sessions-off", "sessions-on", "digest-off", "digest-on", "offsets", "time")
    inputs += [("button", f"ingat|{a}:{event_id}") for a in reminders]
    inputs += [("button", f"umumkan|{a}:{broadcast_id}") for a in ("report", "cancel", "stop")]
    inputs += [("button", f"umumkan|list:{event_id}")]
    inputs += [("button", f"hasil|xlsx:{event_id}")]
    certificates = ("list", "all", "confirm-all", "hand", "revoke")
    inputs += [("button", f"sertifikat|{a}:{event_id}") for a in certificates]
    attendance = (f"open:s{session_id}:15", f"open:d{event_id}@2024-11-13:15",
                  f"xlsx:{event_id}", f"count:{opening_id}", f"close:{opening_id}")  # fmt: skip
    inputs += [("button", f"presensi|{a}") for a in attendance]
    inputs += [("button", f"peserta|{a}:{event_id}") for a in ("import", "missing", "xlsx")]
    inputs += [("button", f"catatan|{event_id}:10"), ("button", "catatan|all:10")]
    inputs += [("file", "jadwal.csv")]
    return inputs


async def announced(sessions: SessionMaker, event: Event) -> int:
    """An announcement of ``event`` due tomorrow: its id."""
    async with sessions.begin() as session:
        draft = await create_broadcast(
            session, event_id=id_of(event), author_id=None, text="Sesi pindah", audience=Everyone(),
            now=NOW, send_at=NOW + timedelta(days=1),
        )  # fmt: skip
        assert draft.id is not None
        assert await confirm_broadcast(session, draft.id, NOW) > 0
        return draft.id


async def check_in_open(sessions: SessionMaker, event: Event) -> tuple[int, int]:
    """A check-in code open for the event's session: the session's id and the code's."""
    async with sessions() as session:
        found = await session.execute(
            select(AgendaSession.id).where(col(AgendaSession.event_id) == event.id)
        )
        session_id = found.scalars().one()
    async with sessions.begin() as session:
        opening = AttendanceOpening(
            event_id=id_of(event), session_id=session_id, day=WED, code="K7M2QX",
            opens_at=NOW, expires_at=NOW + timedelta(days=1), opened_at=NOW,
        )  # fmt: skip
        session.add(opening)
        await session.flush()
        assert opening.id is not None
        return session_id, opening.id


async def test_every_privileged_action_refuses_participants_and_other_organisers(
    sessions: SessionMaker,
) -> None:
    mine, other = await two_events(sessions)
    boss = await organiser_of(sessions, mine, "panitia-smd")
    trainer_code = await invite(sessions, mine, RoleName.TRAINER, "Rachmawati")
    trainer = Talker(sessions, "pelatih-smd", NOW)
    await trainer.send(f"/start {trainer_code}")
    async with sessions() as session:
        found = await session.execute(
            select(Role).where(col(Role.person_id) == await person_id_of(sessions, "pelatih-smd"))
        )
        trainer_role = found.scalars().one()
    assert trainer_role.id is not None
    participant = Talker(sessions, await enrol(sessions, mine), NOW)
    # An organiser of another event, who also takes part in this one, looking at it.
    elsewhere = await organiser_of(sessions, other, await enrol(sessions, mine))
    assert "Bimtek SMD24" in text_of(await elsewhere.press(f"acara|{mine.id}"))

    broadcast_id = await announced(sessions, mine)
    session_id, opening_id = await check_in_open(sessions, mine)
    for outsider in (participant, elsewhere):
        for kind, value in privileged_inputs(
            trainer_role.id, broadcast_id, id_of(mine), session_id, opening_id
        ):
            if kind == "command":
                replies = await outsider.send(value)
            elif kind == "button":
                replies = await outsider.press(value)
            else:
                replies = await outsider.send_file(value, CSV.encode())
            shown = text_of(replies)
            refused = (
                "hanya untuk panitia" in shown
                or "hanya untuk pelatih" in shown
                or "hanya panitia" in shown
                or ID("invalid.stale_button") in shown
            )
            assert refused, (outsider.user_key, value, shown)
            assert "Kode undangan" not in shown
            assert "Tim Bimtek" not in shown
            assert "Pengumuman #" not in shown
    # Nothing was changed by any of it.
    assert await stored_agenda(sessions, mine) == ["Strategi Transformasi"]
    async with sessions() as session:
        assert await classes_of(session, mine.id) == []
    async with sessions() as session:
        still = await session.get(Role, trainer_role.id)
        assert still is not None
        assert still.revoked_at is None
        assert len((await session.execute(select(Invite))).scalars().all()) == 3
        assert await reminders_of(session, id_of(mine)) == Reminders()
        assert (await report(session, broadcast_id)).waiting == 4  # 2 participants, 2 staff
        assert (await session.execute(select(Broadcast))).scalars().one().cancelled_at is None
        assert (await session.execute(select(Certificate))).first() is None
        opening = (await session.execute(select(AttendanceOpening))).scalars().one()
        assert opening.closed_at is None
        assert (await session.execute(select(RosterEntry))).scalars().all() == []
        assert (await session.execute(select(DashboardLink))).first() is None  # no /dasbor link

    # The organiser of the event may do each of them.
    for name in ("tim", "undang", "impor", "umumkan", "pengumuman", "tandai", "peserta",
                 "peserta_impor", "statistik", "dasbor"):  # fmt: skip
        assert "hanya untuk panitia" not in text_of(await boss.send(f"/{name}"))
        await boss.send("/batal")
    # The trainer may see their sessions but not organise.
    assert "Strategi Transformasi" in text_of(await trainer.send("/sesisaya"))
    assert "hanya untuk panitia" in text_of(await trainer.send("/tim"))
    assert "hanya untuk" not in text_of(await trainer.send("/presensi"))
    assert "hanya untuk panitia" in text_of(await trainer.send("/tandai"))


def test_every_privileged_action_is_walked() -> None:
    # A new privileged command, button or file handler must be added to the walk above.
    assert {c.key for c in PRIVILEGED} == {
        "invite", "team", "import", "mysessions", "broadcast", "broadcasts", "quickfeedback",
        "results", "checkin", "mark", "participants", "participants_import", "statistics",
        "audit",
        "dashboard",
    }  # fmt: skip
    assert set(registry().buttons) == {
        "sesi", "hari", "acara", "kelas", "tim", "ingat", "umumkan", "survei",
        "umpan", "hasil", "sertifikat", "presensi", "peserta", "catatan",
    }  # fmt: skip
    assert len(registry().files) == 1


async def test_organiser_invites_a_trainer_who_then_sees_their_sessions(
    sessions: SessionMaker,
) -> None:
    mine, _ = await two_events(sessions)
    boss = await organiser_of(sessions, mine, "panitia-smd")
    replies = await boss.send("/undang")
    assert labels(replies)[:2] == ["Taufik, S.Sos, M.Si", "Rachmawati"]
    replies = await boss.press_label(replies, "Rachmawati")
    shown = text_of(replies)
    assert "1 sesi" in shown
    code_message = replies[1].text
    code = code_message.split("/start ")[1].strip()
    trainer = Talker(sessions, "pelatih-1", NOW)
    replies = await trainer.send(f"/start {code.lower()}")  # case and dashes do not matter
    assert "Selamat datang, Rachmawati" in text_of(replies)
    assert ID("menu.mysessions") in labels(replies)
    shown = text_of(await trainer.send("/sesisaya"))
    assert "Rabu, 13 November 2024, 08.30–10.00 WITA — Strategi Transformasi" in shown
    # The code works once.
    assert ID("invite.used") in text_of(await Talker(sessions, "lain", NOW).send(f"/start {code}"))

    # The organiser revokes the trainer; the trainer's commands stop working at once.
    replies = await boss.send("/tim")
    assert "Pelatih: Rachmawati" in text_of(replies)
    replies = await boss.press_label(replies, "Cabut: Rachmawati")
    replies = await boss.press_label(replies, ID("team.yes_revoke"))
    assert "sudah dicabut" in text_of(replies)
    assert "hanya untuk pelatih" in text_of(await trainer.send("/sesisaya"))


async def test_typed_trainer_name_and_expired_or_cancelled_invites(
    sessions: SessionMaker,
) -> None:
    mine, _ = await two_events(sessions)
    boss = await organiser_of(sessions, mine, "panitia-smd")
    await boss.send("/undang")
    await boss.send(ID("invite.other_speaker"))
    replies = await boss.send("x")  # too short for a name
    assert ID("invalid.name_short") in text_of(replies)
    replies = await boss.send("Taufik, S.Sos, M.Si")
    code = replies[1].text.split("/start ")[1].strip()

    replies = await boss.send("/tim")
    assert "Undangan terbuka: Taufik" in text_of(replies)
    replies = await boss.press_label(replies, "Batal: Taufik, S.Sos, M…")
    replies = await boss.press_label(replies, ID("team.yes_revoke"))
    assert ID("invite.used") in text_of(await Talker(sessions, "x1", NOW).send(f"/start {code}"))

    late = await invite(sessions, mine, RoleName.TRAINER, "Rachmawati")
    later = Talker(sessions, "x2", NOW + timedelta(days=8))
    assert ID("invite.expired") in text_of(await later.send(f"/start {late}"))
    # An unknown code is taken for an event code, as before.
    assert ID("start.unknown_code") in text_of(await later.send("/start ABCD-EFGH-JKMN"))


async def test_organiser_loads_the_agenda_by_sending_the_file(sessions: SessionMaker) -> None:
    mine, _ = await two_events(sessions)
    boss = await organiser_of(sessions, mine, "panitia-smd")
    replies = await boss.send("/impor")
    assert replies[0].attachment is not None
    assert replies[0].attachment.filename.endswith(".xlsx")
    # This file drops the one stored session: nothing happens before a confirmation.
    replies = await boss.send_file("jadwal.csv", CSV.encode())
    assert "menghapus 1 sesi" in text_of(replies)
    assert "agenda Bimtek SMD24 akan berisi 1 sesi: 1 baru" in text_of(replies)
    assert "disimpan" not in text_of(replies)
    assert await stored_agenda(sessions, mine) == ["Strategi Transformasi"]
    replies = await boss.press_label(replies, ID("import.cancel"))
    assert ID("import.cancelled") in text_of(replies)
    assert await stored_agenda(sessions, mine) == ["Strategi Transformasi"]
    replies = await boss.send_file("jadwal.csv", CSV.encode())
    replies = await boss.press_label(replies, ID("import.apply"))
    assert "Agenda dimuat" in text_of(replies)
    assert await stored_agenda(sessions, mine) == ["Pembukaan"]
    # A file that only adds or changes is applied at once.
    more = CSV + "13/11/2024,09.00,10.00,Advokasi,Rachmawati,Ballroom\n"
    assert "Agenda dimuat" in text_of(await boss.send_file("jadwal.csv", more.encode()))
    assert await stored_agenda(sessions, mine) == ["Advokasi", "Pembukaan"]
    # A broken file changes nothing and says which row is wrong.
    broken = more + "14/11/2024,10.00,09.00,,,\n"
    replies = await boss.send_file("jadwal.csv", broken.encode())
    assert "tidak dimuat" in text_of(replies)
    assert "4" in text_of(replies)
    assert await stored_agenda(sessions, mine) == ["Advokasi", "Pembukaan"]
    replies = await boss.send_file("jadwal.xlsx", None)  # too big for the channel to fetch
    assert ID("import.unreadable") in text_of(replies)


async def test_the_caption_names_the_event_a_file_is_for(sessions: SessionMaker) -> None:
    mine, other = await two_events(sessions)
    boss = await organiser_of(sessions, mine, "panitia-smd")
    async with sessions.begin() as session:
        code = await create_invite(
            session, id_of(other), RoleName.ORGANIZER, created_by="cli", now=NOW
        )
    await boss.send(f"/start {code}")  # organises both; now looking at BPN24
    added = CSV.replace("Pembukaan", "Pembukaan SMD") + (
        "13/11/2024,08.30,10.00,Strategi Transformasi,Rachmawati,Ruang Mahakam\n"
    )
    replies = await boss._send(
        kind=InboundKind.FILE,
        text="agenda SMD24",
        attachment=Attachment("jadwal.csv", "text/csv", added.encode(), len(added)),
    )
    assert "Agenda dimuat" in text_of(replies)
    assert await stored_agenda(sessions, mine) == ["Pembukaan SMD", "Strategi Transformasi"]
    assert await stored_agenda(sessions, other) == ["Strategi Transformasi"]


async def test_admins_from_settings_act_in_every_event(sessions: SessionMaker) -> None:
    _mine, other = await two_events(sessions)
    admin = Talker(
        sessions,
        "4242",
        NOW,
        channel="telegram",
        deployment=Deployment(frozenset({("telegram", "4242")})),
    )
    replies = await admin.send("/acara")
    replies = await admin.press_label(replies, other.code)
    assert "Tim Bimtek BPN24" in text_of(await admin.send("/tim"))


@pytest.mark.parametrize("code", ["", "KUKAR2024", "ZZZZ-ZZZZ-ZZZZ-ZZZZ", "../../etc"])
async def test_start_arguments_that_are_no_invite_are_no_role(
    sessions: SessionMaker, code: str
) -> None:
    await make_event(sessions, "SMD24")
    person = Talker(sessions, "someone", NOW)
    await person.send(f"/start {code}")
    async with sessions() as session:
        assert (await session.execute(select(Role))).scalars().all() == []


async def test_an_organiser_declares_classes_in_the_chat(sessions: SessionMaker) -> None:
    mine, _ = await two_events(sessions)
    boss = await organiser_of(sessions, mine, "panitia-smd")
    replies = await boss.send("/kelas A, B")
    assert "Kelas Bimtek SMD24 sekarang: A, B" in text_of(replies)
    classed = CSV + "13/11/2024,09.00,10.00,Praktik,Rachmawati,Ruang Mahakam,\n"
    classed = classed.replace("Ruang\n", "Ruang,Kelas\n").replace(
        "Ruang Mahakam,", "Ruang Mahakam,B"
    )
    replies = await boss.send_file("jadwal.csv", classed.encode())
    replies = await boss.press_label(replies, ID("import.apply"))
    assert "Agenda dimuat" in text_of(replies)
    # A class still used by a session cannot be dropped.
    replies = await boss.send("/kelas A")
    assert "B" in text_of(replies)
    async with sessions() as session:
        assert [c.name for c in await classes_of(session, mine.id)] == ["A", "B"]


async def test_an_upload_waiting_for_confirmation_never_applies_stale_changes(
    sessions: SessionMaker,
) -> None:
    mine, _ = await two_events(sessions)
    boss = await organiser_of(sessions, mine, "panitia-smd")
    three = CSV + (
        "13/11/2024,10.00,11.00,Advokasi,Rachmawati,Ballroom\n"
        "13/11/2024,11.00,12.00,Praktik,Rachmawati,Ballroom\n"
    )
    await boss.send_file("jadwal.csv", three.encode())
    await boss.press_label(await boss.send_file("jadwal.csv", three.encode()), ID("import.apply"))
    assert await stored_agenda(sessions, mine) == ["Advokasi", "Pembukaan", "Praktik"]
    # A file that drops two sessions waits for a yes...
    replies = await boss.send_file("jadwal.csv", CSV.encode())
    assert "menghapus 2 sesi" in text_of(replies)
    # ...but a newer file that drops nothing replaces it, and the old question is gone.
    four = three + "13/11/2024,13.00,14.00,Evaluasi,,Ballroom\n"
    replies = await boss.send_file("jadwal.csv", four.encode())
    assert "Agenda dimuat" in text_of(replies)
    assert ID("import.apply") not in labels(replies)
    assert ID("invalid.stale_button") in text_of(await boss.press("import:confirm|apply"))
    assert len(await stored_agenda(sessions, mine)) == 4

    # A preview confirmed after the agenda changed elsewhere is shown afresh, not applied.
    replies = await boss.send_file("jadwal.csv", CSV.encode())
    assert "menghapus 3 sesi" in text_of(replies)
    await add_session(sessions, mine, WED, "15.00", "16.00", "Ditambah lewat CLI")
    replies = await boss.press_label(replies, ID("import.apply"))
    assert "menghapus 4 sesi" in text_of(replies)
    assert len(await stored_agenda(sessions, mine)) == 5
    replies = await boss.press_label(replies, ID("import.apply"))
    assert "Agenda dimuat" in text_of(replies)
    assert await stored_agenda(sessions, mine) == ["Pembukaan"]


async def test_side_actions_keep_a_registration_under_way(sessions: SessionMaker) -> None:
    mine, _ = await two_events(sessions)
    person = Talker(sessions, "baru", NOW)
    await person.send(f"/start {mine.code}")
    await person.send("1")  # Bahasa Indonesia
    await person.press_label(await person.send("/profil"), ID("consent.agree"))
    await person.send("Siti Rahayu")
    # Accepting an invite mid-way: the welcome, then the phone question again.
    code = await invite(sessions, mine, RoleName.ORGANIZER)
    replies = await person.send(f"/start {code}")
    assert "tim panitia" in text_of(replies)
    assert replies[-1].text == ID("ask.phone_e164")
    # An invite started and cancelled: the answers so far are kept.
    await person.send("/undang")
    replies = await person.send("/batal")
    assert replies[-1].text == ID("ask.phone_e164")
    replies = await person.send("0812-3456-7890")
    assert replies[-1].text == ID("ask.library_name")


async def test_kelas_with_a_name_picks_a_class_and_organisers_see_how_to_set_them(
    sessions: SessionMaker,
) -> None:
    event = await make_event(sessions, "KELAS24", classes=("A", "B"))
    participant = Talker(sessions, await enrol(sessions, event), NOW)
    assert "Anda di Kelas B" in text_of(await participant.send("/kelas b"))
    assert "tidak punya kelas C. Kelasnya: A, B" in text_of(await participant.send("/kelas C"))
    assert "Anda di Kelas A" in text_of(await participant.send("/kelas Kelas A"))
    assert "hanya untuk panitia" in text_of(await participant.send("/kelas C D"))
    boss = await organiser_of(sessions, event, "panitia-kelas")
    assert "Kelas Bimtek KELAS24: A, B" in text_of(await boss.send("/kelas"))
    replies = await boss.send("/acara KELAS24")
    assert "Sekarang Anda melihat Bimtek KELAS24" in text_of(replies)


async def test_buttons_of_older_previews_and_invite_lists_are_refused(
    sessions: SessionMaker,
) -> None:
    mine, other = await two_events(sessions)
    boss = await organiser_of(sessions, mine, "panitia-dua")
    await boss.send(f"/start {await invite(sessions, other, RoleName.ORGANIZER)}")

    # Two previews, for two events: the first one's button no longer applies.
    def upload(caption: str) -> Any:
        return boss._send(
            kind=InboundKind.FILE,
            text=caption,
            attachment=Attachment("jadwal.csv", "text/csv", CSV.encode(), len(CSV)),
        )

    first = await upload(mine.code)
    second = await upload(other.code)
    assert ID("side.abandoned") not in text_of(second)  # the same question, renewed
    stale = await boss.press_label(first, ID("import.apply"))
    assert ID("invalid.stale_button") in text_of(stale)
    assert await stored_agenda(sessions, mine) == ["Strategi Transformasi"]
    assert await stored_agenda(sessions, other) == ["Strategi Transformasi"]
    await boss.send("/batal")

    # An invite list of one event, pressed while inviting for another.
    await boss.send(f"/acara {mine.code}")
    old_list = await boss.send("/undang")
    await boss.send("/batal")
    await add_session(sessions, other, WED, "13.00", "14.00", "Lain", speakers="Budi; Wati")
    await boss.send(f"/acara {other.code}")
    await boss.send("/undang")
    replies = await boss.press_label(old_list, "Rachmawati")
    assert ID("invalid.stale_button") in text_of(replies)
    async with sessions() as session:
        assert len((await session.execute(select(Invite))).scalars().all()) == 2


async def test_returning_to_a_paused_question_and_replacing_one(sessions: SessionMaker) -> None:
    mine, _ = await two_events(sessions)
    boss = await organiser_of(sessions, mine, "panitia-smd")
    await boss.send("/undang")
    replies = await boss.send_file("jadwal.csv", CSV.encode())  # an upload pauses the invite
    assert "menghapus 1 sesi" in text_of(replies)
    replies = await boss.send("/undang")  # back to the invite: the upload is dropped
    replies = await boss.press_label(replies, "Rachmawati")
    assert "Undangan pelatih untuk Rachmawati" in text_of(replies)
    assert replies[-1].choices  # the main menu, not a leftover question
    assert ID("invite.other_speaker") not in labels(replies)
    async with sessions() as session:
        identity = await session.execute(
            select(ChannelIdentity.id).where(col(ChannelIdentity.user_key) == "panitia-smd")
        )
        found = await session.execute(
            select(Conversation).where(col(Conversation.identity_id) == identity.scalar_one())
        )
        assert found.scalars().one().state == {}
        assert (await session.execute(select(Upload))).first() is None, "the file is not kept"
