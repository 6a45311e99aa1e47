"""The organisers' dashboard: how long each page takes to make and how many bytes it
weighs, for an event of a given size, next to the plainest page the same app serves (the
certificate check's form, which reads no database) as the baseline.

    python -m bench.dashboard_pages                  # 300 participants, 20 requests a page
    python -m bench.dashboard_pages --people 2000 --requests 10

The event is the demo event (its agenda of four days) with ``--people`` registered
participants, each on the roster, checked in to the first session, half of them with an
announcement sent; an organiser signed in. Requests go to the app in this process (no
network): the time is the server's. The weight is the page's HTML plus the stylesheet and
script every page loads, and the time it takes over a slow mobile link (400 kbit/s).
"""

import argparse
import asyncio
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlmodel import select

from bot.dashboard.app import dashboard_part
from bot.dashboard.config import DashboardConfig
from bot.dashboard.core import COOKIE, PREFIX, Dashboard
from bot.db import create_engine, session_maker, upgrade
from bot.demo import ensure_demo_event
from bot.web import web_app
from bot.web_certificates import certificate_pages
from models import AgendaSession, ChannelIdentity, Enrollment, Person, Role, RoleName
from models.attendance.store import Attendance
from models.broadcasts import Broadcast
from models.dashboard import start_session
from models.outbox import OutboxMessage, Outgoing, Status, enqueue
from models.roster.entry import RosterEntry

NOW = datetime(2024, 11, 13, 2, 0, tzinfo=UTC)  # 10.00 WITA on the first day
SLOW_LINK = 400_000 / 8  # bytes a second
STATIC = (f"{PREFIX}/static/dashboard.css", f"{PREFIX}/static/live.js")
PAGES = {
    "overview": "",
    "participants": "/peserta",
    "agenda": "/agenda",
    "announcements": "/pengumuman",
    "attendance": "/presensi",
    "surveys": "/survei",
    "certificates": "/sertifikat",
    "audit log": "/audit",
}


@dataclass(frozen=True)
class Figures:
    median_ms: float
    p95_ms: float
    html_bytes: int


async def build(database: Path, people: int) -> tuple[FastAPI, httpx.AsyncClient, int]:
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    await upgrade(engine)
    sessions = session_maker(engine)
    async with sessions.begin() as session:
        event = await ensure_demo_event(session)
        assert event.id is not None
        first = (
            (
                await session.execute(
                    select(AgendaSession)
                    .where(AgendaSession.event_id == event.id)
                    .order_by(AgendaSession.starts_at)  # type: ignore[arg-type]
                )
            )
            .scalars()
            .first()
        )
        assert first is not None
        assert first.id is not None
        organiser = Person(full_name="Rina Panitia", locale="id")
        session.add(organiser)
        await session.flush()
        assert organiser.id is not None
        session.add(Role(event_id=event.id, person_id=organiser.id, role=RoleName.ORGANIZER))
        identities: list[int] = []
        for n in range(people):
            phone = f"+62812{n:08d}"
            person = Person(
                full_name=f"Peserta Bench {n}", phone_e164=phone, locale="id",
                library_name=f"Perpustakaan Desa {n}", library_type="desa",
                regency="Kutai Kartanegara", province="Kalimantan Timur",
                library_role="Pengelola", registered_at=NOW - timedelta(days=3),
            )  # fmt: skip
            session.add(person)
            await session.flush()
            assert person.id is not None
            identity = ChannelIdentity(
                person_id=person.id, channel="telegram", user_key=str(800000 + n),
                address=str(800000 + n), last_inbound_at=NOW - timedelta(hours=1),
            )  # fmt: skip
            session.add(identity)
            class_name = "A" if n % 2 else "B"
            session.add(Enrollment(person_id=person.id, event_id=event.id, class_name=class_name))
            session.add(
                RosterEntry(
                    event_id=event.id, line=n + 2, full_name=person.full_name or "",
                    phone_e164=phone, library_name=person.library_name,
                    library_type="desa", regency="Kutai Kartanegara", class_name=class_name,
                    person_id=person.id,
                )
            )  # fmt: skip
            session.add(
                Attendance(
                    event_id=event.id, session_id=first.id, person_id=person.id,
                    checked_in_at=first.starts_at + timedelta(minutes=n % 20), late=n % 20 > 15,
                    channel="telegram",
                )
            )  # fmt: skip
            await session.flush()
            assert identity.id is not None
            identities.append(identity.id)
        broadcast = Broadcast(event_id=event.id, text="Sesi pindah ke Ruang Mahakam", audience={})
        session.add(broadcast)
        await session.flush()
        await session.run_sync(
            enqueue,
            [
                Outgoing(
                    key=f"bench:{broadcast.id}:{i}", identity_id=i, channel="telegram",
                    kind="broadcast", body={"text": broadcast.text}, due_at=NOW,
                    broadcast_id=broadcast.id,
                )
                for i in identities[::2]
            ],
        )  # fmt: skip
        session_id = await start_session(session, organiser.id, NOW, timedelta(hours=12), "id")
        event_id = event.id
    async with sessions.begin() as session:  # half of them sent already
        sent = (await session.execute(select(OutboxMessage).limit(people // 4))).scalars()
        for message in sent:
            message.status, message.sent_at = Status.SENT, NOW
    config = DashboardConfig(
        secret=b"bench" * 8,
        session_length=timedelta(hours=12),
        secure_cookies=False,
        admins=frozenset(),
        clock=lambda: NOW,
    )
    app = web_app(None, [dashboard_part(sessions, config), certificate_pages(sessions)])
    transport = httpx.ASGITransport(app=app)
    dashboard: Dashboard = app.state.dashboard
    client = httpx.AsyncClient(
        transport=transport,
        base_url="http://bench.test",
        cookies={COOKIE: dashboard.cookie_value(session_id)},
    )
    return app, client, event_id


async def measure(client: httpx.AsyncClient, path: str, requests: int) -> Figures:
    times: list[float] = []
    size = 0
    for _ in range(requests):
        started = time.perf_counter()
        response = await client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code}\n{response.text[-400:]}")
        size = len(response.content)
    times.sort()
    return Figures(statistics.median(times), times[int(0.95 * (len(times) - 1))], size)


async def run(people: int, requests: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        app, client, event_id = await build(Path(folder) / "bench.sqlite3", people)
        async with app.router.lifespan_context(app), client:
            static = 0
            for path in STATIC:
                static += len((await client.get(path)).content)
            baseline = await measure(client, "/sertifikat", requests)
            print(f"{people} participants, {requests} requests a page; static files {static} B")
            print(f"{'page':<16}{'median ms':>10}{'p95 ms':>9}{'× base':>8}{'HTML kB':>9}"
                  f"{'slow link s':>12}")  # fmt: skip
            rows = [("baseline", baseline)]
            for name, tail in PAGES.items():
                path = f"{PREFIX}/acara/{event_id}{tail}"
                rows.append((name, await measure(client, path, requests)))
            for name, figures in rows:
                ratio = figures.median_ms / baseline.median_ms
                weight = figures.html_bytes + (static if name != "baseline" else 0)
                print(
                    f"{name:<16}{figures.median_ms:>10.1f}{figures.p95_ms:>9.1f}{ratio:>8.1f}"
                    f"{figures.html_bytes / 1000:>9.1f}{weight / SLOW_LINK:>12.2f}"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(run(args.people, args.requests))


if __name__ == "__main__":
    main()
