"""The engine's guarantees: one person's messages apply one after another, even when two
bot processes receive them at the same moment."""

import asyncio
import sqlite3

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from bot.db import create_engine, session_maker
from bot.engine import Engine
from handlers.i18n import Translator
from handlers.types import Inbound
from models import Conversation, Event

ID = Translator("id")


def message(key: str, text: str) -> Inbound:
    return Inbound(channel="telegram", user_key="42", message_key=key, text=text)


async def test_two_processes_answering_at_once_never_lose_an_answer(
    engine: AsyncEngine, database_url: str, demo_event: Event
) -> None:
    first = Engine(session_maker(engine))
    other_db = create_engine(database_url)  # a second process: its own engine and pool
    second = Engine(session_maker(other_db))
    try:
        await first.handle(message("1", "/start"))
        await first.handle(message("2", "Bahasa Indonesia"))
        await first.handle(message("3", "setuju"))

        # Hold the conversation row so both messages arrive while it is busy.
        async with engine.connect() as holder:
            transaction = await holder.begin()
            await holder.execute(select(Conversation).with_for_update())
            both = asyncio.gather(
                first.handle(message("4", "Budi Santoso")),
                second.handle(message("5", "Siti Rahmawati")),
            )
            await asyncio.sleep(0.5)
            await transaction.commit()
        replies = await both
    finally:
        await other_db.dispose()

    said = sorted(reply.text for batch in replies for reply in batch)
    # One was taken as the name; the other then arrived at the phone question.
    assert said == sorted([ID("ask.phone_e164"), ID("invalid.phone")])
    async with session_maker(engine)() as session:
        conversation = (await session.execute(select(Conversation))).scalar_one()
    assert conversation.step == "phone_e164"
    name = conversation.state["registration"]["answers"]["full_name"]
    assert name in {"Budi Santoso", "Siti Rahmawati"}


async def test_a_failing_handler_rolls_back_and_says_sorry(
    engine: AsyncEngine, demo_event: Event
) -> None:
    broken = Engine(session_maker(engine), clock=lambda: None)  # type: ignore[arg-type,return-value]
    replies = await broken.handle(message("1", "/start"))
    assert [r.text for r in replies] == [ID("error.internal")]
    async with session_maker(engine)() as session:
        assert (await session.execute(select(Conversation))).first() is None


async def test_waiting_for_another_process_s_sqlite_lock_keeps_the_loop_free(
    engine: AsyncEngine, database_url: str, demo_event: Event
) -> None:
    """Another process (the command line, say) holds SQLite's write lock: the message
    waits for it without stopping the event loop, and is answered once it is free."""
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL locks rows, not the database")
    path = database_url.split("///", 1)[1]
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    ticking = asyncio.create_task(ticker())
    answer = asyncio.create_task(Engine(session_maker(engine)).handle(message("1", "/start")))
    await asyncio.sleep(0.3)
    assert not answer.done(), "answered while the lock was held"
    assert ticks >= 15, "the loop stood still while the message waited"
    other.execute("COMMIT")
    other.close()
    replies = await asyncio.wait_for(answer, 5)
    ticking.cancel()
    assert [r.text for r in replies][-1] == ID("ask.language")
