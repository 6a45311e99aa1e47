"""Erasing one person (``/hapus``) as the outbox grows: the erasure looks for the person's
name and number in the text other people own (announcements, messages sent to others),
which reads every outbox row still holding text. On SQLite the erasing transaction holds
the one write lock, so everyone else's message waits that long. Beside it, the baseline:
the same person's enrolment deleted alone, in the same database.

    python -m bench.erasure                       # 1,000 / 10,000 / 100,000 rows
    python -m bench.erasure --rows 1000 50000

Each size gets a fresh SQLite file: one event, 200 participants, the outbox filled with
messages to them (reminders and announcements, 150-300 characters, some naming others);
the person erased has registered, answered nothing, and is named in 10 of the messages.
"""

import argparse
import asyncio
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, update
from sqlmodel import col

from bot.db import SessionMaker, create_engine, session_maker, upgrade
from bot.demo import ensure_demo_event
from models import ChannelIdentity, Enrollment, Person
from models.outbox import OutboxMessage, Outgoing, Status, enqueue
from models.privacy.erasure import erase_person

NOW = datetime(2024, 11, 14, 2, 0, tzinfo=UTC)
PEOPLE = 200
NAMED = "Ni Luh Ayu Kartika"
WORDS = [
    "sesi",
    "materi",
    "ruang",
    "pukul",
    "peserta",
    "kelas",
    "jadwal",
    "pengumuman",
    "perpustakaan",
    "desa",
]


async def fill(sessions: SessionMaker, rows: int) -> tuple[int, int]:
    """The event, its people and ``rows`` outbox rows; (the person to erase, their event)."""
    chance = random.Random(7)
    async with sessions.begin() as session:
        event = await ensure_demo_event(session)
        assert event.id is not None
        identities: list[int] = []
        people: list[int] = []
        for n in range(PEOPLE):
            name = NAMED if n == 0 else f"Peserta {n}"
            person = Person(full_name=name, phone_e164=f"+62813{n:08d}", registered_at=NOW)
            session.add(person)
            await session.flush()
            assert person.id is not None
            identity = ChannelIdentity(
                person_id=person.id, channel="telegram", user_key=str(700000 + n),
                address=str(700000 + n),
            )  # fmt: skip
            session.add(identity)
            session.add(Enrollment(person_id=person.id, event_id=event.id))
            await session.flush()
            assert identity.id is not None
            identities.append(identity.id)
            people.append(person.id)
        messages = []
        for i in range(rows):
            words = " ".join(chance.choice(WORDS) for _ in range(chance.randint(25, 45)))
            text = f"{NAMED} pindah ke kelas B. {words}" if i % (rows // 10) == 0 else words
            messages.append(
                Outgoing(
                    key=f"bench:{i}", identity_id=identities[1 + i % (PEOPLE - 1)],
                    channel="telegram", kind="reminder", body={"text": text},
                    due_at=NOW - timedelta(minutes=i % 600),
                )
            )  # fmt: skip
        await session.run_sync(enqueue, messages)
    async with sessions.begin() as session:
        await session.execute(update(OutboxMessage).values(status=Status.SENT, sent_at=NOW))
    return people[0], event.id


async def one_size(rows: int) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}")
        await upgrade(engine)
        sessions = session_maker(engine)
        person_id, event_id = await fill(sessions, rows)
        async with sessions.begin() as session:  # the baseline, rolled back
            started = time.perf_counter()
            await session.execute(
                delete(Enrollment).where(
                    col(Enrollment.person_id) == person_id, col(Enrollment.event_id) == event_id
                )
            )
            baseline = time.perf_counter() - started
            await session.rollback()
        async with sessions.begin() as session:
            started = time.perf_counter()
            done = await erase_person(session, person_id, NOW)
            erased = time.perf_counter() - started
        await engine.dispose()
        assert done is not None
        return erased, baseline, done.mentions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    args = parser.parse_args()
    print(f"{'outbox rows':>12}{'erase ms':>10}{'baseline ms':>13}{'× base':>9}{'mentions':>10}")
    for rows in args.rows:
        erased, baseline, mentions = asyncio.run(one_size(rows))
        print(
            f"{rows:>12,}{erased * 1000:>10.1f}{baseline * 1000:>13.2f}"
            f"{erased / baseline:>9.0f}{mentions:>10}"
        )


if __name__ == "__main__":
    main()
