"""A file the bot writes for someone (the participants workbook here; the daftar hadir
and /hasil's workbook go the same way) is written after their message's transaction has
committed: on SQLite, where a transaction holds the database's one write lock, nobody
else's message waits for the file."""

import asyncio
from collections.abc import Sequence

import pytest

from bot.db import SessionMaker
from handlers.features import roster
from handlers.i18n import Translator
from handlers.types import InboundKind
from models import Event, RoleName
from models.spreadsheet.writing import Cell, table_xlsx_off_loop
from tests.drivers import EngineDriver
from tests.factories import enrol, give_role, id_of

ID = Translator("id")
XLSX_SIGNATURE = b"PK\x03\x04"


class Console(EngineDriver):
    channel = "console"


async def test_others_are_answered_while_a_workbook_is_written(
    database_url: str,
    sessions: SessionMaker,
    demo_event: Event,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    writing, written = asyncio.Event(), asyncio.Event()

    async def slow_writer(
        title: str, headers: Sequence[str], rows: Sequence[Sequence[Cell]]
    ) -> bytes:
        writing.set()
        await written.wait()  # as long as the test says: a big event's workbook
        return await table_xlsx_off_loop(title, headers, rows)

    monkeypatch.setattr(roster, "table_xlsx_off_loop", slow_writer)
    await give_role(sessions, demo_event, RoleName.ORGANIZER, "panitia")
    organiser = Console(database_url, user_key="panitia")
    participant = Console(database_url, user_key=await enrol(sessions, demo_event))
    try:
        export = asyncio.create_task(
            organiser._deliver(kind=InboundKind.CHOICE, choice=f"peserta|xlsx:{id_of(demo_event)}")
        )
        await asyncio.wait_for(writing.wait(), 10)
        # The organiser's transaction is over: the participant's message is stored and
        # answered while the workbook is still being written.
        shown = await asyncio.wait_for(participant.send("/bantuan"), 10)
        assert shown
        assert not export.done()
        written.set()
        replies = await asyncio.wait_for(export, 10)
    finally:
        written.set()
        await organiser.close()
        await participant.close()
    [document] = [reply.document for reply in replies if reply.document is not None]
    name, content = document
    assert name == f"peserta-{demo_event.code}.xlsx"
    assert content.startswith(XLSX_SIGNATURE)
