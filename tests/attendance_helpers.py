"""An event for the attendance tests: two days in WITA with a ceremony, plenary
sessions, a break and a practice for each of two classes; its trainer, its organiser
and participants of both classes, talking to the engine at moments the tests choose."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlmodel import col, select

from bot.db import SessionMaker
from handlers.turn import Deployment
from handlers.types import Reply
from models import AgendaSession, Event, Person, RoleName
from models.attendance import Attendance
from tests.factories import (
    Talker,
    add_session,
    enrol,
    give_role,
    id_of,
    local,
    make_event,
    person_id_of,
)

WED, THU = date(2024, 11, 13), date(2024, 11, 14)
TAUFIK = "Taufik, S.Sos, M.Si"
DEPLOYMENT = Deployment(telegram_username="bimtek_contoh_bot", whatsapp_number="6281154001234")
# What a participant's answer to a code looks like once it recorded something.
RECORDED = re.compile(r"✅ Kehadiran tercatat")


@dataclass
class Cast:
    event: Event
    sessions: dict[str, AgendaSession]  # by a short name
    trainer: Talker
    organiser: Talker
    siti: Talker  # class A
    budi: Talker  # class B
    ani: Talker  # class A

    def at(self, event_time: str, day: date = WED) -> datetime:
        """A wall-clock time of the event ("09.50") as a moment."""
        return local(self.event, day, event_time)

    def set_clock(self, event_time: str, day: date = WED) -> None:
        moment = self.at(event_time, day)
        for person in (self.trainer, self.organiser, self.siti, self.budi, self.ani):
            person.now = moment


async def cast(sessions: SessionMaker) -> Cast:
    event = await make_event(sessions, "SMD24", classes=("A", "B"))
    rows = {
        "registrasi": await add_session(sessions, event, WED, "08.00", "08.30",
                                        "Registrasi peserta"),
        "strategi": await add_session(sessions, event, WED, "08.30", "10.00",
                                      "Strategi TPBIS", speakers=TAUFIK),
        "rehat": await add_session(sessions, event, WED, "10.00", "10.15", "Rehat kopi"),
        "praktik_a": await add_session(sessions, event, WED, "10.15", "12.00", "Praktik SLIMS",
                                       speakers=TAUFIK, class_name="A"),
        "praktik_b": await add_session(sessions, event, WED, "10.15", "12.00", "Praktik SLIMS",
                                       speakers="Rachmawati", class_name="B"),
        "advokasi": await add_session(sessions, event, WED, "13.00", "15.00", "Advokasi",
                                      speakers="Rachmawati"),
        "koleksi": await add_session(sessions, event, THU, "08.00", "10.00", "Tata kelola koleksi",
                                     speakers=TAUFIK),
    }  # fmt: skip
    await give_role(sessions, event, RoleName.TRAINER, "pelatih-taufik", speaker=TAUFIK)
    await give_role(sessions, event, RoleName.ORGANIZER, "panitia-smd")
    start = datetime(2024, 11, 13, 0, 0, tzinfo=UTC)

    def talker(user_key: str) -> Talker:
        return Talker(sessions, user_key, start, deployment=DEPLOYMENT)

    people = []
    for name, library, class_name in (
        ("Siti Rahayu", "Perpustakaan Desa Loa Janan", "A"),
        ("Budi Santoso", "TBM Cahaya", "B"),
        ("Ani Wulandari", "Perpustakaan Desa Tenggarong", "A"),
    ):
        user_key = await enrol(sessions, event, class_name=class_name)
        await rename(sessions, user_key, name, library)
        people.append(talker(user_key))
    return Cast(event, rows, talker("pelatih-taufik"), talker("panitia-smd"), *people)


async def rename(sessions: SessionMaker, user_key: str, name: str, library: str) -> None:
    person_id = await person_id_of(sessions, user_key)
    async with sessions.begin() as session:
        person = await session.get(Person, person_id)
        assert person is not None
        person.full_name, person.library_name = name, library


def code_in(replies: list[Reply]) -> str:
    """The check-in code an opener was shown ("K7M 2QX"), as typed: "K7M2QX"."""
    for reply in replies:
        found = re.search(r"🔑 (?:Kode|Code): ([A-Z0-9]{3}) ([A-Z0-9]{3})", reply.text)
        if found:
            return found.group(1) + found.group(2)
    raise AssertionError(f"no code in {[r.text for r in replies]}")


async def stored(sessions: SessionMaker) -> list[tuple[int, int, bool, str]]:
    """Every attendance row: (person, session, late, source), sorted."""
    async with sessions() as session:
        found = await session.execute(
            select(
                col(Attendance.person_id), col(Attendance.session_id), col(Attendance.late),
                col(Attendance.source),
            ).where(col(Attendance.unmarked_at).is_(None))
        )  # fmt: skip
        return sorted((p, s, late, source) for p, s, late, source in found.all())


def sid(row: AgendaSession) -> int:
    return id_of(row)
