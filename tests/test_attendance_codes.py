"""Check-in codes through the engine, on SQLite and PostgreSQL: what a code records for
whom and when, a day's code, check-out, the limit on wrong codes, and that no typed text
records anything but the code itself."""

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlmodel import col, select

from bot.db import SessionMaker
from handlers.agenda_texts import report_text
from models import ChannelIdentity, Enrollment, Person, RoleName
from models.agenda_import import import_agenda
from models.attendance import Attendance, AttendanceTries, attendance_of, sessions_expected
from models.attendance.files import Printable, xlsx_off_loop
from models.attendance.settings import update_rules
from models.attendance.store import AttendanceOpening
from models.linking import link_identity
from models.writer import TooLargeError
from tests.attendance_helpers import RECORDED, WED, Cast, cast, code_in, sid, stored
from tests.factories import (
    ID,
    Talker,
    add_session,
    give_role,
    id_of,
    make_event,
    person_id_of,
    someone,
    text_of,
)


@pytest.fixture
async def people(sessions: SessionMaker) -> Cast:
    return await cast(sessions)


async def open_for(opener: Talker, label: str, command: str = "/presensi") -> str:
    """The code ``opener`` opens for the session (or day) whose button is ``label``."""
    replies = await opener.send(command)
    return code_in(await opener.press_label(replies, label))


async def pid(sessions: SessionMaker, person: Talker) -> int:
    return await person_id_of(sessions, person.user_key)


async def test_a_session_code_on_time_late_twice_and_expired(
    people: Cast, sessions: SessionMaker
) -> None:
    people.set_clock("08.20")
    replies = await people.trainer.send("/presensi 30")
    # On now and to come first: the plenary session, then his class A practice.
    assert [c.label for r in replies for c in r.choices][:2] == [
        "08.30 Strategi TPBIS",
        "10.15 A · Praktik SLIMS",
    ]
    replies = await people.trainer.press_label(replies, "08.30 Strategi TPBIS")
    code = code_in(replies)
    # Opened before the start: working now, until 30 minutes after the start.
    assert "Berlaku 08.20 WITA–09.00 WITA" in text_of(replies)
    assert "terlambat bila lebih dari 15 menit setelah 08.30 WITA" in text_of(replies)
    strategi = sid(people.sessions["strategi"])

    people.set_clock("08.40")
    spaced = f"{code[:2].lower()} {code[2:4]}-{code[4:].lower()}"  # any case, spaces, dashes
    replies = await people.siti.send(spaced)
    assert "✅ Kehadiran tercatat: Strategi TPBIS, pukul 08.40 WITA." in text_of(replies)
    assert replies[-1].choices, "the answer comes with the menu"

    people.set_clock("08.50")
    replies = await people.budi.send(f"/hadir {code}")
    assert "pukul 08.50 WITA (terlambat)" in text_of(replies)

    replies = await people.siti.send(code)
    assert "sudah tercatat pukul 08.40 WITA" in text_of(replies)

    people.set_clock("09.01")
    replies = await people.ani.send(code)
    assert f"Kode {code[:3]} {code[3:]} sudah tidak berlaku sejak 09.00 WITA" in text_of(replies)

    siti, budi = await pid(sessions, people.siti), await pid(sessions, people.budi)
    assert await stored(sessions) == sorted(
        [(siti, strategi, False, "code"), (budi, strategi, True, "code")]
    )


async def test_another_class_not_yet_closed_and_not_registered(
    people: Cast, sessions: SessionMaker
) -> None:
    people.set_clock("09.00")
    code = await open_for(people.trainer, "10.15 A · Praktik SLIMS")
    replies = await people.siti.send(code)
    assert "Presensi dengan kode" in text_of(replies)
    assert "baru dibuka pukul 09.45 WITA" in text_of(replies)

    people.set_clock("10.20")
    assert RECORDED.search(text_of(await people.siti.send(code)))
    replies = await people.budi.send(code)
    assert "adalah sesi Kelas A, sedangkan Anda di Kelas B" in text_of(replies)

    replies = await people.trainer.press_label(
        await people.trainer.send("/presensi"), "10.15 A · Praktik SLIMS"
    )
    assert code_in(replies) == code, "the code still working is given again"
    replies = await people.trainer.press_label(replies, ID("attendance.close"))
    assert "ditutup pukul 10.20 WITA" in text_of(replies)
    assert "✅ Hadir: 1 dari 2 peserta (0 terlambat)" in text_of(replies)
    replies = await people.ani.send(code)
    assert "sudah ditutup pukul 10.20 WITA" in text_of(replies)

    stranger = Talker(sessions, "orang-asing", people.at("10.21"))
    replies = await stranger.send(code)
    assert "belum terdaftar di Bimtek SMD24" in text_of(replies)
    assert "/start SMD24" in text_of(replies)

    siti = await pid(sessions, people.siti)
    assert await stored(sessions) == [(siti, sid(people.sessions["praktik_a"]), False, "code")]


async def test_a_trainer_opens_only_their_sessions_and_an_organiser_the_day(
    people: Cast, sessions: SessionMaker
) -> None:
    people.set_clock("08.00")
    labels = [c.label for r in await people.trainer.send("/presensi") for c in r.choices]
    assert "13.00 Advokasi" not in labels  # Rachmawati's
    assert ID("attendance.whole_day") not in labels
    # A button of another's session, forged, opens nothing.
    replies = await people.trainer.press(f"presensi|open:s{sid(people.sessions['advokasi'])}:15")
    assert "bukan sesi Anda" in text_of(replies)
    replies = await people.trainer.press(f"presensi|open:d{id_of(people.event)}@2024-11-13:15")
    assert "hanya untuk panitia" in text_of(replies)
    for forged in ("open:s999999:15", "open:d1@2024-13-45:15", "open:s1:9999", "count:999999"):
        replies = await people.trainer.press(f"presensi|{forged}")
        assert ID("invalid.stale_button") in text_of(replies), forged

    people.set_clock("10.25")  # registration and the plenary session are over
    code = await open_for(people.organiser, ID("attendance.whole_day"))
    people.set_clock("10.35")
    replies = await people.budi.send(code)
    assert "untuk 2 sesi Anda hari ini" in text_of(replies)
    assert "Praktik SLIMS" in text_of(replies)
    budi = await pid(sessions, people.budi)
    assert await stored(sessions) == [
        (budi, sid(people.sessions["praktik_b"]), True, "code"),
        (budi, sid(people.sessions["advokasi"]), False, "code"),
    ]
    assert "sudah tercatat pukul 10.35 WITA" in text_of(await people.budi.send(code))


async def test_check_out_when_the_event_uses_it(people: Cast, sessions: SessionMaker) -> None:
    async with sessions.begin() as session:
        await update_rules(session, id_of(people.event), people.at("07.00"), check_out=True)
    people.set_clock("08.35")
    replies = await people.trainer.press_label(
        await people.trainer.send("/presensi"), "08.30 Strategi TPBIS"
    )
    replies = await people.trainer.press_label(replies, ID("attendance.direction_in"))
    code_in_ = code_in(replies)
    assert RECORDED.search(text_of(await people.siti.send(code_in_)))

    people.set_clock("09.58")
    replies = await people.trainer.press_label(
        await people.trainer.send("/presensi"), "08.30 Strategi TPBIS"
    )
    code_out = code_in(await people.trainer.press_label(replies, ID("attendance.direction_out")))
    assert code_out != code_in_
    assert "👋 Check-out tercatat pukul 09.58 WITA" in text_of(await people.siti.send(code_out))
    assert "sudah tercatat pukul 09.58" in text_of(await people.siti.send(code_out))
    assert "check-out tidak dicatat" in text_of(await people.ani.send(code_out))
    async with sessions() as session:
        found = await session.execute(select(Attendance.checked_out_at))
        assert found.scalars().all() == [people.at("09.58")]


async def test_wrong_codes_make_one_wait_whatever_comes_next(
    people: Cast, sessions: SessionMaker
) -> None:
    people.set_clock("08.30")
    code = await open_for(people.trainer, "08.30 Strategi TPBIS", "/presensi 60")
    wrong = "ZZ99ZZ" if code != "ZZ99ZZ" else "YY88YY"
    for left in (4, 3, 2, 1):
        assert f"Sisa percobaan: {left}" in text_of(await people.siti.send(wrong))
    assert "Coba lagi dalam 10 menit" in text_of(await people.siti.send(wrong))
    people.set_clock("08.35")
    replies = await people.siti.send(code)
    assert "Terlalu banyak kode yang salah. Coba lagi dalam 5 menit" in text_of(replies)
    assert await stored(sessions) == []
    # Others are not held up by it; and the wait ends.
    assert RECORDED.search(text_of(await people.ani.send(code)))
    people.set_clock("08.40")
    assert RECORDED.search(text_of(await people.siti.send(code)))


async def test_hadir_asks_for_the_code_in_the_middle_of_anything(
    people: Cast, sessions: SessionMaker
) -> None:
    people.set_clock("08.30")
    code = await open_for(people.trainer, "08.30 Strategi TPBIS")
    replies = await people.siti.send("/hadir")
    assert replies[-1].text == ID("attendance.ask_code")
    replies = await people.siti.send("halo")
    assert ID("attendance.not_a_code") in text_of(replies)
    assert replies[-1].text == ID("attendance.ask_code")
    replies = await people.siti.send(code.lower())
    assert RECORDED.search(text_of(replies))
    assert replies[-1].choices, "then the menu"


async def test_a_start_link_checks_in(people: Cast, sessions: SessionMaker) -> None:
    people.set_clock("08.30")
    code = await open_for(people.trainer, "08.30 Strategi TPBIS")
    assert RECORDED.search(text_of(await people.siti.send(f"/start hadir-{code}")))
    replies = await people.budi.send("/start hadir-oops")
    assert ID("attendance.not_a_code") in text_of(replies)


async def test_what_certificates_read(people: Cast, sessions: SessionMaker) -> None:
    people.set_clock("08.05")
    registration = await open_for(people.organiser, "08.00 Registrasi peserta")
    people.set_clock("08.06")
    await people.siti.send(registration)
    people.set_clock("10.20")
    practice = await open_for(people.trainer, "10.15 A · Praktik SLIMS")
    await people.siti.send(practice)
    siti = await pid(sessions, people.siti)
    budi = await pid(sessions, people.budi)
    s = {name: sid(row) for name, row in people.sessions.items()}
    async with sessions() as session:
        event_id = id_of(people.event)
        assert await attendance_of(session, event_id) == {siti: {s["registrasi"], s["praktik_a"]}}
        # Neither the break nor the registration is expected; the other class's practice
        # neither.
        expected_a = {s["strategi"], s["praktik_a"], s["advokasi"], s["koleksi"]}
        assert await sessions_expected(session, event_id, person_id=siti) == expected_a
        assert await sessions_expected(session, event_id, class_name="A") == expected_a
        assert await sessions_expected(session, event_id, person_id=budi) == {
            s["strategi"], s["praktik_b"], s["advokasi"], s["koleksi"]
        }  # fmt: skip
        assert await sessions_expected(session, event_id) == {
            s["strategi"], s["advokasi"], s["koleksi"]
        }  # fmt: skip
        stranger = Person(locale="id")
        session.add(stranger)
        await session.flush()
        assert await sessions_expected(session, event_id, person_id=id_of(stranger)) == set()


def expected_code(text: str) -> str | None:
    """What a typed text means, as the rule reads: without NUL (dropped on arrival), spaces,
    dashes, dots, underscores and zero-width characters, six ASCII letters and digits
    with at least one of each, any case, in a message of at most 40 characters that is
    not a command."""
    text = text.replace("\x00", "")
    if text.lstrip().startswith("/") or len(text) > 40:
        return None
    kept = re.sub(
        r"[\s\-._\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]",
        "",
        text,
    )
    if not re.fullmatch(r"[A-Za-z0-9]{6}", kept) or not re.search(r"\d", kept):
        return None
    return kept.upper() if re.search(r"[A-Za-z]", kept) else None


@pytest.fixture
async def open_code(people: Cast, sessions: SessionMaker) -> tuple[Cast, str]:
    people.set_clock("08.30")
    return people, await open_for(people.trainer, "08.30 Strategi TPBIS")


def around(code: str) -> st.SearchStrategy[str]:
    """The code as people might type it, and near misses."""
    pieces = st.lists(st.sampled_from([*code, *code.lower(), " ", "-", ".", "\u200b", "O", "1"]),
                      max_size=12)  # fmt: skip
    return pieces.map("".join)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
@example(data=None)
async def test_typed_text_records_only_the_code(
    open_code: tuple[Cast, str], sessions: SessionMaker, data: st.DataObject | None
) -> None:
    people, code = open_code
    if data is None:
        text = f" {code[:3].lower()}\u200b{code[3:]} "
    else:
        text = data.draw(st.one_of(st.text(max_size=30), around(code)), label="typed")
    async with sessions.begin() as session:
        await session.execute(delete(Attendance))
        await session.execute(delete(AttendanceTries))
    replies = await people.siti.send(text)
    assert replies, "every message gets an answer"
    assert ID("error.internal") not in text_of(replies)
    siti = await pid(sessions, people.siti)
    recorded = await stored(sessions)
    if expected_code(text) == code:
        assert recorded == [(siti, sid(people.sessions["strategi"]), False, "code")], text
    else:
        assert recorded == [], text
    async with sessions() as session:
        opening = (await session.execute(select(AttendanceOpening))).scalars().one()
        assert opening.closed_at is None


async def test_a_code_of_another_event(people: Cast, sessions: SessionMaker) -> None:
    other = await make_event(sessions, "BPN24")
    await add_session(sessions, other, WED, "08.30", "10.00", "Pembukaan")
    await give_role(sessions, other, RoleName.ORGANIZER, "panitia-bpn")
    boss = Talker(sessions, "panitia-bpn", people.at("08.20"))
    code = await open_for(boss, ID("attendance.whole_day"))
    people.set_clock("08.31")
    replies = await people.siti.send(code)
    assert "Anda belum terdaftar di Bimtek BPN24" in text_of(replies)
    assert await stored(sessions) == []


async def test_a_session_people_attended_is_archived_not_deleted_by_an_import(
    people: Cast, sessions: SessionMaker
) -> None:
    people.set_clock("13.05")
    await people.siti.send(await open_for(people.organiser, "13.00 Advokasi"))
    header = "Tanggal;Mulai;Selesai;Materi;Narasumber;Ruang;Kelas"
    only = "13/11/2024;08.30;10.00;Strategi TPBIS;Taufik, S.Sos, M.Si;Ballroom;"
    async with sessions.begin() as session:
        report = await import_agenda(
            session, people.event, "jadwal.csv", f"{header}\n{only}".encode(), apply=True
        )
    advokasi = sid(people.sessions["advokasi"])
    assert report.archived == {advokasi: ("attendance",)}
    assert "sudah ada presensinya" in report_text(ID, people.event, report)
    siti = await pid(sessions, people.siti)
    async with sessions() as session:
        assert await attendance_of(session, id_of(people.event)) == {siti: {advokasi}}
        assert await sessions_expected(session, id_of(people.event), person_id=siti) == {
            sid(people.sessions["strategi"])
        }


async def test_linking_two_apps_brings_the_attendance_along(
    people: Cast, sessions: SessionMaker
) -> None:
    people.set_clock("08.35")
    code = await open_for(people.trainer, "08.30 Strategi TPBIS")
    await people.siti.send(code)
    newcomer = Talker(sessions, "siti-di-whatsapp", people.at("08.36"))
    newcomer_id = await someone(sessions, newcomer.user_key)
    async with sessions.begin() as session:
        session.add(Enrollment(person_id=newcomer_id, event_id=id_of(people.event), class_name="A"))
    people.set_clock("13.05")
    afternoon = await open_for(people.organiser, "13.00 Advokasi")
    newcomer.now = people.at("13.06")
    replies = await newcomer.send(afternoon)
    assert RECORDED.search(text_of(replies))
    siti = await pid(sessions, people.siti)
    async with sessions.begin() as session:
        identity = (
            await session.execute(
                select(ChannelIdentity).where(col(ChannelIdentity.user_key) == newcomer.user_key)
            )
        ).scalar_one()
        into = await session.get(Person, siti)
        assert into is not None
        await link_identity(session, identity, into, people.at("13.10"))
    async with sessions() as session:
        assert await attendance_of(session, id_of(people.event)) == {
            siti: {sid(people.sessions["strategi"]), sid(people.sessions["advokasi"])}
        }


async def test_a_register_over_the_budget_is_not_written_in_the_chat() -> None:
    wide = Printable(
        sheet="Daftar hadir", title=("x",), header=tuple(f"h{i}" for i in range(500)),
        rows=tuple(tuple("" for _ in range(500)) for _ in range(501)), marks_from=4,
        marks=495, legend="", changes_sheet="c", changes_header=(), changes=(),
    )  # fmt: skip
    with pytest.raises(TooLargeError):
        await xlsx_off_loop(wide)
