"""Which process runs the periodic jobs: one at a time for a database.

PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) taken on a
connection of its own and held for as long as that connection lives. A leader that stops,
crashes or loses its connection loses the lock with it, and a follower's next try takes
it over.

SQLite: an OS file lock (``flock``, never waited for) on a file beside the database file.
The processes sharing a SQLite file share a machine (SQLite on a network file system is
not supported), and the OS drops the lock when its process ends, however it ends. A lock
inside SQLite would be a write transaction held open, which would stop every writer.
"""

import contextlib
import fcntl
import os
from pathlib import Path
from typing import Protocol

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

# Any constant does, as long as every scheduler of a database uses the same one. This is
# "bimtek-j" in ASCII.
LOCK_KEY = 0x62696D74656B2D6A
_TRY_LOCK = text("SELECT pg_try_advisory_lock(:key)").bindparams(key=LOCK_KEY)
_PING = text("SELECT 1")
# A leader whose machine vanishes sends nothing more, not even a goodbye: the server then
# finds its connection dead (and frees the lock) within about 10 + 5 x 3 seconds instead
# of the operating system's two hours.
_KEEPALIVES = {
    "tcp_keepalives_idle": "10",
    "tcp_keepalives_interval": "5",
    "tcp_keepalives_count": "3",
}


class Leadership(Protocol):
    async def acquire(self) -> bool:
        """Try once, without waiting: whether this process leads now."""

    async def held(self) -> bool:
        """Whether the lead ``acquire`` took is still this process's."""

    async def release(self) -> None:
        """Give up the lead, if held, and what following or leading kept open."""


def leadership_for(database_url: str) -> Leadership:
    """The leadership that fits the database (an async SQLAlchemy URL)."""
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "postgresql":
        return PostgresLeadership(database_url)
    if backend == "sqlite":
        database = url.database or ":memory:"
        if database == ":memory:":
            return SoleLeadership()
        return FileLeadership(Path(f"{database}.scheduler.lock"))
    raise ValueError(f"no scheduler leadership for {backend} databases")


class PostgresLeadership:
    def __init__(self, database_url: str) -> None:
        # No pool: closing the connection ends its database session, and the lock with it.
        self._engine = create_async_engine(
            database_url,
            poolclass=NullPool,
            hide_parameters=True,
            connect_args={"server_settings": _KEEPALIVES},
        )
        self._connection: AsyncConnection | None = None
        self._leading = False

    async def acquire(self) -> bool:
        # A follower keeps its connection between tries rather than opening one each time.
        if self._connection is None:
            connection = await self._engine.connect()
            # The lock belongs to the session; autocommit leaves no transaction open on it.
            self._connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        try:
            self._leading = bool(await self._connection.scalar(_TRY_LOCK))
        except BaseException:
            await self._drop_connection()
            raise
        return self._leading

    async def held(self) -> bool:
        if not self._leading or self._connection is None:
            return False
        try:
            await self._connection.execute(_PING)
        except BaseException:
            await self._drop_connection()
            raise
        return True

    async def release(self) -> None:
        connection, self._connection, self._leading = self._connection, None, False
        try:
            if connection is not None:
                await connection.close()
        finally:
            await self._engine.dispose()

    async def _drop_connection(self) -> None:
        """Forget a connection that failed or was given up on. Invalidated, it is cut
        without a word to a server that may not answer, and if the server is there after
        all its session ends and the lock is free: a process that no longer knows whether
        it leads must not go on holding the lead."""
        connection, self._connection, self._leading = self._connection, None, False
        if connection is not None:
            # Already broken, it may fail to be cut as well: it is gone either way.
            with contextlib.suppress(Exception):
                await connection.invalidate()


class FileLeadership:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._leading = False

    async def acquire(self) -> bool:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        self._leading = True
        return True

    async def held(self) -> bool:
        # The OS keeps the lock for as long as the file stays open.
        return self._leading

    async def release(self) -> None:
        # Closing the file drops the lock. The file itself stays: removing it could let a
        # second process lock a new file of the same name while a third holds the old one.
        fd, self._fd, self._leading = self._fd, None, False
        if fd is not None:
            os.close(fd)


class SoleLeadership:
    """An in-memory SQLite database lives and dies with its process: nobody can share it."""

    async def acquire(self) -> bool:
        return True

    async def held(self) -> bool:
        return True

    async def release(self) -> None:
        return None
