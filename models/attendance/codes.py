"""Check-in codes: six characters read off a screen and typed on a phone, and the limit
on wrong ones that keeps them from being guessed.

A code mixes letters and digits from an alphabet without look-alikes (no 0/O, 1/I/L).
Whatever people type around it (spaces, dashes, dots, lower case) is forgiven; a typed
code always has a letter and a digit, so an ordinary six-letter word ("agenda") is never
taken for a wrong one. Someone who sends WRONG_LIMIT unknown codes within WRONG_WINDOW
waits out the window, whatever they send: about 31⁶ codes against a few open at once
leaves nothing to guess in a handful of tries.
"""

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from models.attendance.store import AttendanceTries
from models.text import INVISIBLE

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
WRONG_LIMIT = 5
WRONG_WINDOW = timedelta(minutes=10)
# Forgiven between the characters of a typed code.
_SEPARATORS = frozenset("-._") | INVISIBLE
_LONGEST_TYPED = 40  # a code with generous spacing; anything longer is a sentence


def new_code() -> str:
    while True:
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        if any(ch.isdigit() for ch in code) and any(ch.isalpha() for ch in code):
            return code


def typed_code(text: str) -> str | None:
    """The code in ``text`` as stored (upper case, nothing between its characters), or
    None when ``text`` is no code: six ASCII letters and digits, at least one of each,
    with only spaces, dashes and dots around or between them."""
    if len(text) > _LONGEST_TYPED:
        return None
    kept = "".join(ch for ch in text if not ch.isspace() and ch not in _SEPARATORS)
    if len(kept) != CODE_LENGTH or not (kept.isascii() and kept.isalnum()):
        return None
    if not any(ch.isdigit() for ch in kept) or not any(ch.isalpha() for ch in kept):
        return None
    return kept.upper()


async def insert_new(
    session: AsyncSession, model: type[SQLModel], rows: list[dict[str, Any]]
) -> int:
    """Insert the rows that break no unique constraint; how many were inserted. Two
    messages of one person at once (from two apps) may both insert: one wins."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = model.__table__  # type: ignore[attr-defined]
    done = await session.execute(insert(table).on_conflict_do_nothing(), rows)
    return int(done.rowcount)  # type: ignore[attr-defined]


async def waiting_until(session: AsyncSession, person_id: int, now: datetime) -> datetime | None:
    """When this person may send a code again, if they sent too many wrong ones."""
    tries = await session.get(AttendanceTries, person_id)
    if tries is None or now - tries.since >= WRONG_WINDOW or tries.wrong < WRONG_LIMIT:
        return None
    return tries.since + WRONG_WINDOW


async def note_wrong(session: AsyncSession, person_id: int, now: datetime) -> int:
    """Count a wrong code; how many more may be sent before waiting."""
    await insert_new(session, AttendanceTries, [{"person_id": person_id, "since": now, "wrong": 0}])
    tries = await session.get(
        AttendanceTries, person_id, with_for_update=True, populate_existing=True
    )
    assert tries is not None
    if now - tries.since >= WRONG_WINDOW:
        tries.since, tries.wrong = now, 0
    tries.wrong += 1
    await session.flush()
    return max(WRONG_LIMIT - tries.wrong, 0)
