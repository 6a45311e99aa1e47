"""``/pengingat`` in the chat: a participant mutes and unmutes, only organisers change an
event's settings; after an import that moved today's sessions the organiser decides
whether a "perubahan jadwal" message goes; a reminder too late to send is counted."""

import asyncio
import contextlib
from datetime import UTC, datetime, time

from bot.db import SessionMaker
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.rates import RateGate
from bot.delivery.sending import Outcome, Pace, SendResult
from handlers.types import Reply
from models import Event, Person, RoleName
from models.agenda_import import import_sheet, read_file
from models.reminders import Reminders, reminders_of
from tests.factories import (
    EN,
    ID,
    Talker,
    enrol,
    give_role,
    labels,
    make_event,
    person_id_of,
    text_of,
)
from tests.reminder_helpers import notes, only_sessions, plan, utc

NINE_WITA = utc(14, 1, 0)  # Thursday 14 November 2024, 09.00 in Samarinda


async def settings_of(sessions: SessionMaker, event: Event) -> Reminders:
    assert event.id is not None
    async with sessions() as session:
        return await reminders_of(session, event.id)


async def muted(sessions: SessionMaker, talker: Talker) -> bool:
    async with sessions() as session:
        person = await session.get(Person, await person_id_of(sessions, talker.user_key))
        assert person is not None
        return person.reminders_muted_at is not None


async def test_a_participant_mutes_and_unmutes_but_cannot_change_the_event(
    sessions: SessionMaker,
) -> None:
    event = await make_event(sessions, "PGT24")
    participant = Talker(sessions, await enrol(sessions, event), NINE_WITA)
    replies = await participant.send("/pengingat")
    text = text_of(replies)
    assert "Pengingat untuk Anda: nyala" in text
    assert "Sebelum sesi: 15 menit sebelum mulai" in text
    assert "Ringkasan jadwal pagi: pukul 06.30 WITA" in text
    assert labels(replies) == [ID("reminders.mute")]
    assert "Sejauh ini" not in text  # the counts are for organisers

    replies = await participant.press_label(replies, ID("reminders.mute"))
    assert "Pengingat dimatikan" in text_of(replies)
    assert await muted(sessions, participant)
    assert labels(replies) == [ID("reminders.unmute")]
    replies = await participant.press_label(replies, ID("reminders.unmute"))
    assert not await muted(sessions, participant)

    # Buttons an organiser would see, forged: refused, nothing changes, nothing is asked.
    for action in ("sessions-off", "digest-off", "offsets", "time"):
        replies = await participant.press(f"ingat|{action}:{event.id}")
        assert ID("staff.organizer_only", event=event.name) in text_of(replies)
    assert await settings_of(sessions, event) == Reminders()
    replies = await participant.send("60")
    assert "disimpan" not in text_of(replies)


async def test_an_organiser_sets_the_events_reminders_with_buttons(
    sessions: SessionMaker,
) -> None:
    event = await make_event(sessions, "ORG24")
    await give_role(sessions, event, RoleName.ORGANIZER, "panitia")
    organiser = Talker(sessions, "panitia", NINE_WITA)
    replies = await organiser.send("/pengingat")
    assert "Sejauh ini: 0 terkirim" in text_of(replies)
    assert labels(replies) == [
        ID("reminders.mute"),
        ID("reminders.sessions_turn_off"),
        ID("reminders.change_offsets"),
        ID("reminders.digest_turn_off"),
        ID("reminders.change_time"),
    ]

    replies = await organiser.press_label(replies, ID("reminders.digest_turn_off"))
    assert "Ringkasan jadwal pagi: tidak ada" in text_of(replies)
    assert ID("reminders.digest_turn_on") in labels(replies)

    replies = await organiser.press_label(replies, ID("reminders.change_offsets"))
    assert "Sekarang: 15." in text_of(replies)
    replies = await organiser.send("300")
    assert "antara 1 dan 240" in text_of(replies)
    replies = await organiser.send("60 dan 15 menit")
    assert "Sebelum sesi: 60, 15 menit sebelum mulai" in text_of(replies)

    replies = await organiser.press_label(replies, ID("reminders.change_time"))
    assert "(waktu WITA)" in text_of(replies)
    replies = await organiser.send("jam tujuh")
    assert "seperti 06.30" in text_of(replies)
    replies = await organiser.send("7.00")
    assert "Pengaturan pengingat Bimtek ORG24 disimpan" in text_of(replies)
    assert await settings_of(sessions, event) == Reminders(
        before_sessions=True, offsets=(60, 15), digest=False, digest_at=time(7, 0)
    )

    # In English, the same screen.
    await organiser.press_label(await organiser.send("/bahasa"), "English")
    replies = await organiser.send("/reminders")
    assert "Before sessions: 60, 15 minutes before the start" in text_of(replies)
    assert EN("reminders.digest_turn_on") in labels(replies)


class Recording:
    """A console sender that notes what it sends."""

    channel = "console"

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(
        self, address: str, reply: Reply, *, skip: int, pace: Pace, **_: object
    ) -> SendResult:
        await pace()
        self.sent.append(reply.text)
        return SendResult(Outcome.SENT, 1)


async def test_a_reminder_too_late_to_send_is_dropped_and_counted(
    sessions: SessionMaker,
) -> None:
    event = await make_event(sessions, "LAT24")
    await only_sessions(sessions, event, 15)
    assert event.id is not None
    async with sessions.begin() as session:
        await import_sheet(
            session,
            event,
            read_file("j.csv", b"Tanggal;Mulai;Selesai;Materi\n14/11/2024;10.00;11.00;Advokasi\n"),
        )
    await enrol(sessions, event)
    await plan(sessions, utc(14, 1, 41))  # due 09.45 WITA, not sent once 10.00 has come

    sender = Recording()
    gate = RateGate({"console": "1000/second"}, {"console": "1000/second"})
    dispatcher = Dispatcher(sessions, [sender], gate, clock=lambda: utc(14, 2, 5), poll_every=0.02)
    task = asyncio.create_task(dispatcher.run())
    try:
        for _ in range(500):
            if [n.status for n in await notes(sessions)] == ["expired"]:
                break
            await asyncio.sleep(0.02)
    finally:
        await dispatcher.stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert [n.status for n in await notes(sessions)] == ["expired"]
    assert sender.sent == []

    await give_role(sessions, event, RoleName.ORGANIZER, "panitia-lat")
    replies = await Talker(sessions, "panitia-lat", NINE_WITA).send("/pengingat")
    assert "0 terkirim, 0 menunggu, 1 lewat waktu (tidak dikirim)" in text_of(replies)


# --- a schedule change, confirmed by the organiser -------------------------------------

HEADER = "Tanggal;Mulai;Selesai;Materi;Ruang;Kelas\n"
AGENDA = (
    HEADER + "14/11/2024;08.00;10.00;Pleno pagi;Ballroom;\n"
    "14/11/2024;10.15;12.00;Praktik SLIMS;Ruang Mahakam;A\n"
    "14/11/2024;10.15;12.00;Praktik SLIMS;Ruang Kartanegara;B\n"
    "15/11/2024;08.00;10.00;Besok pagi;Ballroom;\n"
)


async def change_event(sessions: SessionMaker) -> tuple[Event, str, str, Talker]:
    event = await make_event(sessions, "PJD24", classes=("A", "B"))
    async with sessions.begin() as session:
        stored = await session.get(Event, event.id)
        assert stored is not None
        await import_sheet(session, stored, read_file("jadwal.csv", AGENDA.encode()))
    a = await enrol(sessions, event, class_name="A")
    b = await enrol(sessions, event, class_name="B")
    await give_role(sessions, event, RoleName.ORGANIZER, "panitia-pjd")
    return event, a, b, Talker(sessions, "panitia-pjd", NINE_WITA)


async def test_today_moved_sessions_get_a_notice_once_the_organiser_says_yes(
    sessions: SessionMaker,
) -> None:
    _, a, b, organiser = await change_event(sessions)
    # Class A's practice today changes room; tomorrow's session moves (not today: no
    # notice for it).
    edited = AGENDA.replace("Ruang Mahakam", "Ruang Lontar").replace(
        "15/11/2024;08.00;10.00", "15/11/2024;10.00;12.00"
    )
    replies = await organiser.send_file("jadwal.csv", edited.encode())
    text = text_of(replies)
    assert "Agenda dimuat" in text
    assert "Hari ini 1 peserta Bimtek PJD24 punya sesi yang pindah" in text
    assert labels(replies)[-2:] == [ID("change.send"), ID("change.skip")]
    assert await notes(sessions, "schedule_change") == []  # not before the yes

    replies = await organiser.press_label(replies, ID("change.send"))
    assert "dikirim ke 1 peserta" in text_of(replies)
    [notice] = await notes(sessions, "schedule_change")
    assert notice.user_key == a
    assert notice.due_at == NINE_WITA
    assert notice.expires_at == datetime(2024, 11, 14, 16, 0, tzinfo=UTC)  # midnight WITA
    assert notice.text.startswith("📢 Perubahan jadwal hari ini, Bimtek PJD24:")
    assert (
        "▪️ Praktik SLIMS: sekarang 10.15–12.00 WITA, 📍 Ruang Lontar "
        "(sebelumnya 10.15–12.00 WITA, 📍 Ruang Mahakam)"
    ) in notice.text
    assert "Besok" not in notice.text

    # Another change, the plenary session today: it concerns both, but the organiser
    # says no this time.
    later = edited.replace("08.00;10.00;Pleno pagi", "08.30;10.00;Pleno pagi")
    replies = await organiser.send_file("jadwal.csv", later.encode())
    assert "Hari ini 2 peserta" in text_of(replies)
    replies = await organiser.press_label(replies, ID("change.skip"))
    assert ID("change.not_sent") in text_of(replies)
    assert len(await notes(sessions, "schedule_change")) == 1
    assert b not in {n.user_key for n in await notes(sessions)}


async def test_no_question_when_nothing_of_today_moved(sessions: SessionMaker) -> None:
    _, _, _, organiser = await change_event(sessions)
    edited = AGENDA.replace("Besok pagi;Ballroom", "Besok pagi;Ruang Lontar")
    replies = await organiser.send_file("jadwal.csv", edited.encode())
    assert "Agenda dimuat" in text_of(replies)
    assert ID("change.send") not in labels(replies)


def test_the_new_labels_fit_a_button() -> None:
    keys = ["reminders.mute", "reminders.unmute", "reminders.change_offsets"]
    keys += ["reminders.change_time", "change.send", "change.skip"]
    for kind in ("sessions", "digest"):
        keys += [f"reminders.{kind}_turn_on", f"reminders.{kind}_turn_off"]
    assert all(len(t(key)) <= 24 for t in (ID, EN) for key in keys)


async def test_erasing_ones_data_calls_off_what_was_planned(sessions: SessionMaker) -> None:
    event = await make_event(sessions, "ERS24")
    await only_sessions(sessions, event, 15)
    async with sessions.begin() as session:
        csv = b"Tanggal;Mulai;Selesai;Materi\n14/11/2024;10.00;11.00;Advokasi\n"
        await import_sheet(session, event, read_file("j.csv", csv))
    participant = Talker(sessions, await enrol(sessions, event), utc(14, 1, 42))
    await plan(sessions, utc(14, 1, 41))
    assert [n.status for n in await notes(sessions)] == ["pending"]
    replies = await participant.send("/hapus")
    await participant.press_label(replies, ID("erase.yes"))
    # Called off by being deleted, text and all: a waiting reminder names the session
    # and the person it goes to.
    assert await notes(sessions) == []
