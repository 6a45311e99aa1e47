import asyncio
import os
import uuid
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

# The PostgreSQL server on this machine; tests make a throwaway database on it.
POSTGRES_ADMIN_DSN = os.environ.get(
    "TEST_POSTGRES_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
TABLES = (
    "agenda_session, event_class, role, invite, enrollment, consent, conversation, participant, "
    "inboundmessage, event"
)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    name = f"bimtek_test_{uuid.uuid4().hex[:10]}"

    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(POSTGRES_ADMIN_DSN)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    try:
        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_DSN}: {exc}")
    base, _, _ = POSTGRES_ADMIN_DSN.rpartition("/")
    url = f"{base}/{name}".replace("postgresql://", "postgresql+asyncpg://", 1)

    async def migrate() -> None:
        engine = create_engine(url)
        await upgrade(engine)
        await engine.dispose()

    asyncio.run(migrate())
    yield url
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


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
