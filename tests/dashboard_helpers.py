"""What the dashboard's tests share: a world of two events with their organisers, a trainer
and participants; the web app over the test's database on a controlled clock; sessions
started directly, and cookies as a browser holds them."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from fastapi import FastAPI

from bot.dashboard.app import dashboard_part
from bot.dashboard.config import DashboardConfig
from bot.dashboard.core import COOKIE, Dashboard
from bot.db import SessionMaker
from bot.web import web_app
from models import Event, Person, RoleName, RosterEntry
from models.dashboard import mint_link, start_session
from tests.factories import (
    add_session,
    enrol,
    give_role,
    id_of,
    make_event,
    person_id_of,
    someone,
)

WED = date(2024, 11, 13)
# Wednesday 13 November 2024, 09.10 WITA: the first session is on.
NOW = datetime(2024, 11, 13, 1, 10, tzinfo=UTC)
SECRET = b"a test secret of thirty-two bytes or more!"


class Clock:
    """The pages' clock, moved on by the test."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


def config(clock: Callable[[], datetime], *, secure: bool = False) -> DashboardConfig:
    return DashboardConfig(
        secret=SECRET,
        session_length=timedelta(hours=12),
        secure_cookies=secure,
        admins=frozenset({("telegram", "900001")}),
        clock=clock,
    )


def dashboard_app(sessions: SessionMaker, clock: Callable[[], datetime]) -> FastAPI:
    """The web app as the bot serves it, with the dashboard and nothing else."""
    return web_app(None, [dashboard_part(sessions, config(clock))])


@dataclass(frozen=True)
class World:
    mine: Event
    other: Event
    organiser: int  # person ids
    other_organiser: int
    trainer: int
    participant: int
    admin: int


async def _participant(
    sessions: SessionMaker,
    event: Event,
    name: str,
    phone: str,
    *,
    class_name: str,
    regency: str,
    library_type: str,
) -> int:
    user_key = await enrol(sessions, event, class_name=class_name)
    person_id = await person_id_of(sessions, user_key)
    async with sessions.begin() as session:
        person = await session.get(Person, person_id)
        assert person is not None
        person.full_name = name
        person.phone_e164 = phone
        person.regency = regency
        person.library_type = library_type
        person.library_name = f"Perpustakaan {name.split()[0]}"
    return person_id


async def world(sessions: SessionMaker) -> World:
    mine = await make_event(sessions, "SMD24", classes=("A", "B"))
    other = await make_event(sessions, "BPN24")
    for event in (mine, other):
        await add_session(sessions, event, WED, "08.30", "10.00", "Strategi Transformasi")
        await add_session(sessions, event, WED, "10.15", "12.00", "Advokasi untuk Keberlanjutan")
    await give_role(sessions, mine, RoleName.ORGANIZER, "panitia-smd")
    await give_role(sessions, other, RoleName.ORGANIZER, "panitia-bpn")
    await give_role(sessions, mine, RoleName.TRAINER, "pelatih-smd", speaker="Rachmawati")
    participant = await _participant(
        sessions, mine, "Siti Rahayu", "+6281234500001",
        class_name="A", regency="Kutai Kartanegara", library_type="desa",
    )  # fmt: skip
    await _participant(
        sessions, mine, "Budi Santoso", "+6281234500002",
        class_name="B", regency="Samarinda", library_type="tbm",
    )  # fmt: skip
    await _participant(
        sessions, mine, "Dewi Lestari", "+6281234500003",
        class_name="A", regency="Samarinda", library_type="kelurahan",
    )  # fmt: skip
    async with sessions.begin() as session:
        session.add(
            RosterEntry(
                event_id=id_of(mine), line=2, full_name="Rina Wulandari",
                phone_e164="+6281234500009", library_name="TBM Pelangi", library_type="tbm",
                regency="Bontang", class_name="B",
            )
        )  # fmt: skip
    admin = await _admin(sessions)
    return World(
        mine,
        other,
        organiser=await person_id_of(sessions, "panitia-smd"),
        other_organiser=await person_id_of(sessions, "panitia-bpn"),
        trainer=await person_id_of(sessions, "pelatih-smd"),
        participant=participant,
        admin=admin,
    )


async def _admin(sessions: SessionMaker) -> int:
    return await someone(sessions, "900001", channel="telegram")


async def link_for(sessions: SessionMaker, person_id: int, now: datetime = NOW) -> str:
    async with sessions.begin() as session:
        return await mint_link(session, person_id, now)


async def cookie_for(
    sessions: SessionMaker, app: FastAPI, person_id: int, now: datetime = NOW
) -> dict[str, str]:
    """The cookie of a session started for ``person_id`` (as signing in starts one)."""
    dashboard: Dashboard = app.state.dashboard
    async with sessions.begin() as session:
        session_id = await start_session(session, person_id, now, timedelta(hours=12), None)
    return {COOKIE: dashboard.cookie_value(session_id)}
