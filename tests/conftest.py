import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import SessionMaker, create_engine, session_maker, upgrade
from bot.demo import ensure_demo_event
from models import Event
from tests.drivers import ConsoleDriver, Driver, TelegramDriver
from tests.fakes.telegram_api import FakeTelegramServer
from tests.postgres import ADMIN_DSN, create_database, drop_database

TABLES = (
    "agenda_session, event_class, role, invite, enrollment, consent, conversation, participant, "
    "inboundmessage, event"
)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway database on the PostgreSQL server of this machine."""
    try:
        name, url = asyncio.run(create_database("bimtek_test"))
    except (OSError, asyncpg.PostgresError) as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL is not reachable at {ADMIN_DSN}: {exc}")
    yield url
    asyncio.run(drop_database(name))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'bimtek.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    if engine.dialect.name == "postgresql":
        async with engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    else:
        await upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> SessionMaker:
    return session_maker(engine)


@pytest.fixture
async def demo_event(sessions: SessionMaker) -> Event:
    async with sessions.begin() as session:
        return await ensure_demo_event(session)


@pytest.fixture
async def telegram_server() -> AsyncIterator[FakeTelegramServer]:
    server = await FakeTelegramServer().start()
    yield server
    await server.stop()


@pytest.fixture(params=["console", "telegram"])
async def driver(
    request: pytest.FixtureRequest,
    database_url: str,
    demo_event: Event,
    telegram_server: FakeTelegramServer,
) -> AsyncIterator[Driver]:
    person: Driver
    if request.param == "console":
        person = ConsoleDriver(database_url)
    else:
        person = await TelegramDriver(telegram_server, database_url).start()
    yield person
    await person.close()
