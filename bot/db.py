"""Engines, sessions and migrations."""

from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import make_url, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession

from bot import sqlite_driver

if TYPE_CHECKING:
    from alembic.config import Config

SessionMaker = async_sessionmaker[AsyncSession]


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if not url.startswith("sqlite"):
        return create_async_engine(url, pool_pre_ping=True, hide_parameters=True, **kwargs)
    database = make_url(url).database or ":memory:"
    if database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    # SQLite takes one writer at a time. Inside one process a single pooled connection
    # queues transactions; another process's lock is waited for off the event loop (see
    # bot/sqlite_driver.py, which also runs each statement without a thread hop).
    return create_async_engine(
        url,
        async_creator=lambda: sqlite_driver.connect(database),
        pool_size=1,
        max_overflow=0,
        hide_parameters=True,  # errors must not carry names and numbers into the logs
        **kwargs,
    )


def session_maker(engine: AsyncEngine) -> SessionMaker:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config() -> "Config":
    # Alembic is imported only when a migration runs: a start-up with the schema current
    # does without it (see HEAD).
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("bot") / "migrations"))
    return config


# The newest migration. Checked against Alembic's own view by a test; it lets a start-up
# with the schema already current skip loading Alembic and every migration script.
HEAD = "0015"


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema up to ``revision``."""
    if revision == "head" and await current_revision(engine) == HEAD:
        return
    await _migrate(engine, "upgrade", revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    """The schema's revision, or None for a database never migrated."""
    async with engine.connect() as connection:
        try:
            found = await connection.execute(text("SELECT version_num FROM alembic_version"))
        except DBAPIError:
            return None
        versions = found.scalars().all()
        return versions[0] if len(versions) == 1 else None


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Take the schema back to ``revision`` ("base": nothing)."""
    await _migrate(engine, "downgrade", revision)


async def _migrate(
    engine: AsyncEngine, direction: Literal["upgrade", "downgrade"], revision: str
) -> None:
    from alembic import command

    step: Callable[[Config, str], None] = getattr(command, direction)

    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        step(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)
