"""Looking for a person's data everywhere: every column of every table, as the database
itself lists them (not as the models say), and the raw bytes of SQLite's files."""

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine


def phone_forms(e164: str) -> list[str]:
    """A number as it may be written: +62…, 62…, 0…"""
    national = e164.removeprefix("+62")
    return [e164, e164.removeprefix("+"), "0" + national]


def _texts(value: Any) -> list[str]:
    """A stored value as the strings it may hold the needle in."""
    if value is None:
        return []
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        return [raw.decode("latin-1"), raw.decode("utf-8", "replace")]
    if isinstance(value, dict | list):
        return [json.dumps(value, ensure_ascii=False), json.dumps(value)]
    return [str(value)]


def _scan(connection: Connection, needles: list[str]) -> list[tuple[str, str, str]]:
    metadata = sa.MetaData()
    metadata.reflect(connection)
    assert len(metadata.tables) >= 33, sorted(metadata.tables)
    found = []
    for table in metadata.tables.values():
        for row in connection.execute(sa.select(table)).mappings():
            for column, value in row.items():
                for text in _texts(value):
                    for needle in needles:
                        if needle.casefold() in text.casefold():
                            found.append((table.name, column, needle))
    return sorted(set(found))


async def leftovers(engine: AsyncEngine, needles: Iterable[str]) -> list[tuple[str, str, str]]:
    """(table, column, needle) for every column of every table holding a needle."""
    async with engine.connect() as connection:
        return await connection.run_sync(_scan, list(needles))


def raw_leftovers(database: Path, needles: Iterable[str]) -> list[tuple[str, str]]:
    """(file, needle) for the SQLite database file, its -wal and -shm holding a needle
    (as UTF-8 bytes)."""
    found = []
    for suffix in ("", "-wal", "-shm"):
        path = Path(f"{database}{suffix}")
        if not path.exists():
            continue
        content = path.read_bytes()
        for needle in needles:
            if needle.encode() in content:
                found.append((path.name, needle))
    return found
