"""The demo event with many registered participants, stored in bulk (as tests/factories.py
adds them one at a time), for the delivery benchmarks."""

import contextlib
import tempfile
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, insert, select

from bot.db import SessionMaker, create_engine, session_maker, upgrade
from bot.demo import ensure_demo_event
from bot.settings import async_database_url
from models import ChannelIdentity, Enrollment, Person

CLASSES = ("A", "B")
# Telegram's channel name, written here: importing bot.channels.telegram would import
# aiogram (4 s of CPU here) into benchmarks that never talk to Telegram.
CHANNEL = "telegram"


@contextlib.asynccontextmanager
async def database(url: str | None) -> AsyncIterator[SessionMaker]:
    """The database at ``url``, else a temporary SQLite file, migrated."""
    with tempfile.TemporaryDirectory(prefix="bimtek-bench-") as folder:
        db = create_engine(async_database_url(url or f"sqlite:///{Path(folder) / 'b.sqlite3'}"))
        try:
            await upgrade(db)
            yield session_maker(db)
        finally:
            await db.dispose()


async def seed(
    sessions: SessionMaker,
    count: int,
    now: datetime,
    *,
    classes: bool,
    channel: str = CHANNEL,
    address: Callable[[int], str] = str,
) -> int:
    """The demo event and ``count`` registered participants on ``channel`` (Telegram: chat
    ids 1..count; elsewhere ``address`` of 1..count), one in ten reading English; with
    ``classes``, 45 % in class A, 45 % in B and 10 % without. The event's id."""
    async with sessions.begin() as session:
        event = await ensure_demo_event(session)
        event_id = event.id
        assert event_id is not None
        last_id = await session.execute(select(func.coalesce(func.max(Person.id), 0)))
        first = last_id.scalar_one() or 0
        chats = range(1, count + 1)
        await session.execute(
            insert(Person),
            [
                {
                    "id": first + chat,
                    "locale": "id" if chat % 10 else "en",
                    "full_name": f"Peserta {chat}",
                    "registered_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for chat in chats
            ],
        )
        await session.execute(
            insert(ChannelIdentity),
            [
                {
                    "person_id": first + chat,
                    "channel": channel,
                    "user_key": address(chat),
                    "address": address(chat),
                    "last_inbound_at": now,
                    "created_at": now,
                }
                for chat in chats
            ],
        )
        await session.execute(
            insert(Enrollment),
            [
                {
                    "person_id": first + chat,
                    "event_id": event_id,
                    "enrolled_at": now,
                    "class_name": class_of(chat) if classes else None,
                }
                for chat in chats
            ],
        )
        return event_id


def class_of(chat: int) -> str | None:
    return None if chat % 10 == 4 else CLASSES[chat % 2]
