import asyncio
import io
import logging
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

import models  # noqa: F401  (registers every table)
from bot.db import SessionMaker, create_engine, session_maker
from bot.demo import ensure_demo_event
from bot.logging import configure_logging
from models import Event
from models.event import create_event
from tests.drivers import Driver, EngineDriver, TelegramDriver
from tests.fakes.telegram_api import FakeTelegramServer
from tests.fakes.whatsapp_api import FakeWhatsAppServer
from tests.postgres import ADMIN_DSN, create_database, drop_database, migrated
from tests.whatsapp_driver import WhatsAppBot, WhatsAppDriver

# Every table, emptied between tests on the shared PostgreSQL database.
TRUNCATE = "TRUNCATE {} RESTART IDENTITY CASCADE".format(
    ", ".join(f'"{table.name}"' for table in SQLModel.metadata.sorted_tables)
)


@pytest.fixture(autouse=True)
def no_default_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test that forgets DATABASE_URL writes into its own folder, not the user's."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; each test gets a copy instead of migrating again."""
    path = tmp_path_factory.mktemp("template") / "bimtek.sqlite3"
    asyncio.run(migrated(f"sqlite+aiosqlite:///{path}"))
    return path


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
        path = tmp_path / "bimtek.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    if engine.dialect.name == "postgresql":
        async with engine.begin() as connection:
            await connection.execute(text(TRUNCATE))
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
def web_debug_logs() -> Iterator[io.StringIO]:
    """The logs at DEBUG, as JSON, with uvicorn's access log on as a deployment's own
    logging may have it (the bot's keeps it at WARNING)."""
    stream = io.StringIO()
    configure_logging("DEBUG", "json", stream)
    logging.getLogger("uvicorn.access").setLevel(logging.INFO)
    yield stream
    configure_logging("INFO", "console")


@pytest.fixture
async def jambi(sessions: SessionMaker, demo_event: Event) -> Event:
    """A second event open alongside the demo one, with its own organiser (and so its
    own data controller) and time zone."""
    async with sessions.begin() as session:
        return await create_event(
            session,
            code="JBI2024",
            name="Bimtek SPP-TIK Provinsi Jambi",
            organizer="Dinas Perpustakaan dan Arsip Daerah Provinsi Jambi",
            venue="Swiss-Belhotel Jambi",
            timezone="Asia/Jakarta",
            starts_on=demo_event.starts_on,
            ends_on=demo_event.ends_on,
        )


@pytest.fixture
async def telegram_server() -> AsyncIterator[FakeTelegramServer]:
    server = await FakeTelegramServer().start()
    yield server
    await server.stop()


@pytest.fixture
async def driver(database_url: str, demo_event: Event) -> AsyncIterator[Driver]:
    """A person talking to the engine: the conversation as every channel carries it."""
    person = EngineDriver(database_url)
    yield person
    await person.close()


@pytest.fixture
async def whatsapp_server() -> AsyncIterator[FakeWhatsAppServer]:
    server = await FakeWhatsAppServer().start()
    yield server
    await server.stop()


@pytest.fixture
async def whatsapp_bot(
    database_url: str, demo_event: Event, whatsapp_server: FakeWhatsAppServer
) -> AsyncIterator[WhatsAppBot]:
    """The bot's WhatsApp side: its webhook under uvicorn, the engine, the dispatcher and
    the real sender against the fake Cloud API."""
    bot = await WhatsAppBot(whatsapp_server, database_url).start()
    yield bot
    await bot.stop()


@pytest.fixture
def whatsapp_person(whatsapp_bot: WhatsAppBot) -> WhatsAppDriver:
    """A person on WhatsApp, writing from their own number."""
    return WhatsAppDriver(whatsapp_bot)


@pytest.fixture
async def telegram_person(
    database_url: str, demo_event: Event, telegram_server: FakeTelegramServer
) -> AsyncIterator[TelegramDriver]:
    """A person on Telegram: the real aiogram client, the fake Bot API, over HTTP."""
    person = await TelegramDriver(telegram_server, database_url).start()
    yield person
    await person.close()
