"""SQLite for the async engine, with each statement run where it is awaited.

aiosqlite hands every call (open a cursor, execute, fetch, close) to a thread of its own
and back: four round trips through the event loop for one SELECT, which measured as
most of the CPU a message cost. A statement on a local SQLite file takes microseconds,
so here it runs inline. The one long wait SQLite knows, another process holding the
write lock, is not waited for inside SQLite (busy_timeout 0): the statement is retried
after an asyncio sleep, so the loop serves everyone else meanwhile.

Commits do not wait for the disk (WAL with synchronous=NORMAL): a killed or crashed bot
loses nothing committed; only a power cut can lose the last moments.
"""

import asyncio
import sqlite3
from collections.abc import Callable, Generator, Iterable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

BUSY_TIMEOUT = 30.0  # seconds to wait for another process's write lock
_BUSY = 5  # SQLITE_BUSY; its extended codes share the low byte
_BUSY_SNAPSHOT = 517  # a stale read snapshot: only a new transaction helps, not a retry


def _is_busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == _BUSY and code != _BUSY_SNAPSHOT


async def _when_free(call: Callable[[], T]) -> T:
    """``call()``, retried while another process holds the lock it needs."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + BUSY_TIMEOUT
    delay = 0.002
    while True:
        try:
            return call()
        except sqlite3.OperationalError as error:
            if not _is_busy(error) or loop.time() + delay > deadline:
                raise
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.1)


async def _begin(connection: sqlite3.Connection) -> None:
    """Every statement runs in a transaction, begun IMMEDIATE: it takes the write lock up
    front, where two deferred transactions that both read and then write would fail at
    once with "database is locked". SQLAlchemy ends it with commit or rollback."""
    if not connection.in_transaction:
        await _when_free(lambda: connection.execute("BEGIN IMMEDIATE"))


class Cursor:
    """What SQLAlchemy's aiosqlite adapter expects of a cursor, run inline."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> "Cursor":
        await _begin(self._cursor.connection)
        await _when_free(lambda: self._cursor.execute(sql, parameters))
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> "Cursor":
        rows = list(parameters)
        await _begin(self._cursor.connection)
        await _when_free(lambda: self._cursor.executemany(sql, rows))
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    async def __aenter__(self) -> "Cursor":
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()


class _OpeningCursor:
    """``connection.cursor()``: awaited, or entered with ``async with``."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def __await__(self) -> Generator[Any, None, Cursor]:
        return self.__aenter__().__await__()

    async def __aenter__(self) -> Cursor:
        return Cursor(self._connection.cursor())

    async def __aexit__(self, *_exc: object) -> None:
        return None


class Connection:
    """What SQLAlchemy's aiosqlite adapter expects of a connection, run inline."""

    def __init__(self, path: str) -> None:
        # Used only from the event loop's thread, but opened before it is handed there.
        self._connection: sqlite3.Connection | None = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False
        )

    @property
    def _open(self) -> sqlite3.Connection:
        if self._connection is None:
            raise sqlite3.ProgrammingError("the connection is closed")
        return self._connection

    @property
    def isolation_level(self) -> str | None:
        return self._open.isolation_level

    def cursor(self) -> _OpeningCursor:
        return _OpeningCursor(self._open)

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> Cursor:
        cursor = Cursor(self._open.cursor())
        return await cursor.execute(sql, parameters)

    async def checkpoint(self, patience: float = 1.0) -> bool:
        """Copy the write-ahead log into the database file and cut the log to nothing,
        so that what was deleted (and zeroed, with secure_delete) is in neither file any
        more. Outside any transaction, as SQLite requires. Another process reading holds
        it up: it is retried off the loop for ``patience`` seconds, no longer, since the
        one connection is everyone's meanwhile. Whether it got through."""
        connection = self._open
        if connection.in_transaction:
            return False
        loop = asyncio.get_running_loop()
        deadline = loop.time() + patience
        while True:
            busy, _, _ = await _when_free(
                lambda: connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            )
            if not busy:
                return True
            if loop.time() > deadline:
                return False
            await asyncio.sleep(0.05)

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._open.create_function(*args, **kwargs)

    async def commit(self) -> None:
        await _when_free(self._open.commit)

    async def rollback(self) -> None:
        self._open.rollback()

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


async def connect(path: str) -> Connection:
    connection = Connection(path)
    opened = connection._open
    for pragma in (
        "PRAGMA busy_timeout=0",  # waiting is done by _when_free, off the loop
        "PRAGMA foreign_keys=ON",
        # Deleted rows are overwritten with zeros, not left in free space to be read back
        # from the file (UU PDP: an erased person's data must really go).
        "PRAGMA secure_delete=ON",
        "PRAGMA journal_mode=WAL",  # outside any transaction, as SQLite requires
        "PRAGMA synchronous=NORMAL",
    ):
        await _when_free(lambda pragma=pragma: opened.execute(pragma))  # type: ignore[misc]
    return connection
