"""What the tests of the dashboard's agenda and announcement pages share: agenda files for
the world of tests/dashboard_helpers.py (its event SMD24 runs 13-16 November 2024, WITA,
with classes A and B and two plenary sessions on Wednesday), an announcement made with
the chat's own functions, and a client signed in as one person."""

import contextlib
import re
import struct
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from bot.db import SessionMaker
from models import Broadcast, Event, OutboxMessage
from models.audience import Audience
from models.broadcasts import confirm_broadcast, create_broadcast
from models.outbox import FileToSend
from tests.dashboard_helpers import NOW, Clock, World, cookie_for, dashboard_app, world
from tests.factories import id_of


def _png() -> bytes:
    """A PNG of one white pixel: what a phone's photo stands for."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    parts = chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + parts


PNG = _png()

# The Wednesday as stored, its second session moved to 10.30 in another room (today's
# sessions change: the participants are told, if the organiser wants), and two sessions
# added on Thursday, one for class A.
AGENDA_CSV = (
    b"Tanggal;Mulai;Selesai;Materi;Narasumber;Ruang;Kelas\n"
    b"13/11/2024;08.30;10.00;Strategi Transformasi;Taufik, S.Sos, M.Si;Ruang Mahakam;\n"
    b";10.30;12.00;Advokasi untuk Keberlanjutan;Rachmawati;Ruang Kartanegara;\n"
    b"14/11/2024;08.00;10.00;Praktik tata kelola koleksi;Tim Pelatih Ahli;Ruang Mahakam;A\n"
    b";10.15;12.00;Sistem Informasi Manajemen;Putri Wardhani;Ballroom;\n"
)

# Three rows wrong: a start that is no time, a class the event does not have, a day
# outside the event.
BAD_CSV = (
    b"Tanggal;Mulai;Selesai;Materi;Narasumber;Ruang;Kelas\n"
    b"13/11/2024;08.30;10.00;Strategi Transformasi;Taufik;Ruang Mahakam;\n"
    b"13/11/2024;pagi;12.00;Advokasi untuk Keberlanjutan;Rachmawati;Ballroom;\n"
    b"14/11/2024;08.00;10.00;Praktik;Tim Pelatih Ahli;Ruang Mahakam;C\n"
    b"20/11/2024;08.00;10.00;Penutupan;Panitia;Ballroom;\n"
)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found is not None, "no form on the page"
    return found.group(1)


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found is not None, f"no field {name}"
    return found.group(1)


async def announce(
    sessions: SessionMaker,
    event: Event,
    author_id: int | None,
    audience: Audience,
    text: str,
    *,
    file: FileToSend | None = None,
    send_at: datetime | None = None,
    confirm: bool = True,
    now: datetime = NOW,
) -> int:
    """An announcement made as the chat makes one (a draft, then confirmed); its id."""
    async with sessions.begin() as session:
        draft = await create_broadcast(
            session,
            event_id=id_of(event),
            author_id=author_id,
            text=text,
            audience=audience,
            now=now,
            file=file,
            send_at=send_at,
        )
        assert draft.id is not None
        if confirm:
            await confirm_broadcast(session, draft.id, now)
        return draft.id


async def counted(sessions: SessionMaker, table: type[Broadcast] | type[OutboxMessage]) -> int:
    async with sessions() as session:
        return int((await session.execute(select(func.count()).select_from(table))).scalar_one())


@dataclass
class Signed:
    """The dashboard's app, the world, and a client carrying one person's session."""

    app: FastAPI
    client: httpx.AsyncClient
    clock: Clock
    world: World
    sessions: SessionMaker

    async def sign_in(self, person_id: int) -> None:
        self.client.cookies.clear()
        self.client.cookies.update(await cookie_for(self.sessions, self.app, person_id))

    def path(self, tail: str, event: Event | None = None) -> str:
        return f"/dasbor/acara/{id_of(event or self.world.mine)}{tail}"


@contextlib.asynccontextmanager
async def signed_site(sessions: SessionMaker) -> AsyncIterator[Signed]:
    """The world, and the app with a client signed in as the world's organiser."""
    clock = Clock()
    app = dashboard_app(sessions, clock)
    built = await world(sessions)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://bimtek.test") as client,
    ):
        site = Signed(app, client, clock, built, sessions)
        await site.sign_in(built.organiser)
        yield site
