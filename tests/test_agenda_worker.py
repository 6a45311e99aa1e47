"""Agenda files are read in a worker process: the event loop goes on answering meanwhile,
a file slower than the time limit is stopped, and a worker that dies or is stopped
leaves a clear refusal and no process behind."""

import asyncio
import os
import signal
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest

from bot.db import SessionMaker
from handlers.agenda_texts import problems_text
from handlers.i18n import Translator
from models import Event
from models.agenda_import import (
    AgendaFileError,
    read_file,
    read_file_off_loop,
    template_csv,
    template_xlsx,
    worker,
)
from models.roles import RoleName, create_invite
from models.spreadsheet import offloaded
from tests.factories import Talker, enrol, text_of
from tests.hostile_files import HOSTILE, one_wide_row

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="watches processes through /proc"
)
ID, EN = Translator("id"), Translator("en")
T = TypeVar("T")


def processes() -> dict[int, tuple[int, str]]:
    """Every process: its parent and its state (R running, S sleeping, Z ended...)."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, parent = stat.read_text().rsplit(")", 1)[1].split()[:2]
        except OSError:  # ended meanwhile
            continue
        found[int(stat.parent.name)] = (int(parent), state)
    return found


def descendants() -> set[int]:
    """The processes below this one: the reader, its workers, multiprocessing's helper."""
    children: dict[int, set[int]] = defaultdict(set)
    for pid, (parent, _) in processes().items():
        children[parent].add(pid)
    found: set[int] = set()
    todo = [os.getpid()]
    while todo:
        for child in children[todo.pop()]:
            found.add(child)
            todo.append(child)
    return found


def running(pid: int) -> bool:
    found = processes().get(pid)
    return found is not None and found[1] != "Z"


async def longest_pause(work: Callable[[], Awaitable[T]]) -> tuple[T | AgendaFileError, float]:
    """The outcome of ``work``, and the longest a coroutine asking every 10 ms to run
    again waited meanwhile."""
    gaps: list[float] = []
    done = asyncio.Event()

    async def tick() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            gaps.append(now - last - 0.01)
            last = now

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0.05)
    try:
        outcome: T | AgendaFileError = await work()
    except AgendaFileError as exc:
        outcome = exc
    finally:
        done.set()
        await ticker
    return outcome, max(gaps)


def only_problem(outcome: object) -> str:
    assert isinstance(outcome, AgendaFileError), outcome
    ((row, key),) = [(p.row, p.key) for p in outcome.problems]
    assert row == 0
    return key.removeprefix("agenda_import.")


@pytest.fixture
def reader() -> Iterator[None]:
    """A reader already running (its start is tested apart)."""
    asyncio.run(read_file_off_loop("jadwal.csv", template_csv()))
    yield
    assert not {pid for pid in descendants() if not running(pid)}, "a process not reaped"


async def test_even_starting_the_reader_keeps_the_loop_answering() -> None:
    offloaded.READER.stop()
    sheet, pause = await longest_pause(lambda: read_file_off_loop("a.xlsx", template_xlsx()))
    assert not isinstance(sheet, AgendaFileError)
    assert len(sheet.rows) == 4
    assert pause < 0.1


@pytest.mark.parametrize("name", HOSTILE)
async def test_the_loop_keeps_answering_while_a_hostile_file_is_refused(
    reader: None, name: str
) -> None:
    make, expected = HOSTILE[name]
    content = make()
    started = time.perf_counter()
    outcome, pause = await longest_pause(lambda: read_file_off_loop(name, content))
    assert only_problem(outcome) == expected
    # Refused by its budget, not read to the end (bench.agenda_files has the figures).
    assert time.perf_counter() - started < 10
    assert pause < 0.1, f"the loop stood still for {pause * 1000:.0f} ms"


async def test_a_file_read_on_the_loop_would_stop_everyone(reader: None) -> None:
    """The measure the tests above rely on sees a pause when there is one: a wide row
    (caught by no budget before it is read) read on the loop itself."""
    content = one_wide_row(150_000)

    async def on_the_loop() -> None:
        read_file("wide.xlsx", content)

    outcome, pause = await longest_pause(on_the_loop)
    assert only_problem(outcome) == "too_many_cells"
    assert pause > 0.1


async def test_a_file_slower_than_the_time_limit_is_stopped_and_no_process_stays(
    reader: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker.AGENDA_READER, "time_limit", 0.5)
    content = one_wide_row()
    before = descendants()
    seen: set[int] = set()

    async def watched() -> object:
        reading = asyncio.create_task(read_file_off_loop("lambat.xlsx", content))
        while not reading.done():
            seen.update(descendants() - before)
            await asyncio.sleep(0.02)
        return await reading

    started = time.perf_counter()
    outcome, pause = await longest_pause(watched)
    elapsed = time.perf_counter() - started
    assert only_problem(outcome) == "too_slow"
    assert 0.5 <= elapsed < 10, "stopped by the time limit, not read to the end"
    assert pause < 0.1
    assert seen, "a worker read the file"
    assert descendants() == before
    assert not any(running(pid) for pid in seen)
    assert isinstance(outcome, AgendaFileError)
    assert "Membaca “lambat.xlsx” terlalu lama" in problems_text(ID, outcome.problems)
    assert "took too long" in problems_text(EN, outcome.problems)
    again = await read_file_off_loop("jadwal.xlsx", template_xlsx())
    assert len(again.rows) == 4


async def new_process(before: set[int]) -> int:
    for _ in range(200):
        found = descendants() - before
        if found:
            return found.pop()
        await asyncio.sleep(0.01)
    raise AssertionError("no worker started")


async def test_a_worker_that_dies_is_a_clear_refusal_and_the_next_file_reads(
    reader: None,
) -> None:
    before = descendants()
    reading = asyncio.create_task(read_file_off_loop("jadwal.xlsx", one_wide_row()))
    os.kill(await new_process(before), signal.SIGKILL)  # as the kernel does out of memory
    killed = time.perf_counter()
    with pytest.raises(AgendaFileError) as caught:
        await reading
    assert time.perf_counter() - killed < 1.0
    assert only_problem(caught.value) == "reader_failed"
    assert "“jadwal.xlsx” kali ini tidak bisa dibaca" in problems_text(ID, caught.value.problems)
    assert descendants() == before
    assert len((await read_file_off_loop("jadwal.csv", template_csv())).rows) == 4


async def test_a_reader_that_dies_is_replaced_and_its_worker_ends_too(reader: None) -> None:
    before = descendants()
    reading = asyncio.create_task(read_file_off_loop("jadwal.xlsx", one_wide_row()))
    orphan = await new_process(before)
    readers = [pid for pid in before if processes()[orphan][0] == pid]
    assert len(readers) == 1
    os.kill(readers[0], signal.SIGKILL)
    with pytest.raises(AgendaFileError) as caught:
        await reading
    assert only_problem(caught.value) == "reader_failed"
    for _ in range(50):  # its alarm ends the worker the reader can no longer stop
        if not running(orphan):
            break
        await asyncio.sleep(0.1)
    assert not running(orphan)
    assert len((await read_file_off_loop("jadwal.csv", template_csv())).rows) == 4
    assert not running(readers[0])


async def test_nobody_waits_on_the_database_while_an_upload_is_read(
    sessions: SessionMaker, demo_event: Event
) -> None:
    """A file that takes the reader its whole time limit, sent by an organiser, and a
    participant's question sent just after it: the question is answered first."""
    now = datetime(2024, 11, 14, 1, 0, tzinfo=UTC)
    async with sessions.begin() as session:
        assert demo_event.id is not None
        code = await create_invite(
            session, demo_event.id, RoleName.ORGANIZER, created_by="cli", now=now
        )
    organiser = Talker(sessions, "panitia", now)
    await organiser.send(f"/start {code}")
    participant = Talker(sessions, await enrol(sessions, demo_event), now)
    finished: list[str] = []

    async def upload() -> None:
        # No budget catches this one: it is stopped only by the reader's time limit.
        # A new name each time: a reading is kept by name and content.
        name = f"lebar-{time.monotonic_ns()}.xlsx"
        replies = await organiser.send_file(name, one_wide_row(800_000))
        finished.append("upload: " + text_of(replies)[:60])

    async def question() -> None:
        await asyncio.sleep(0.2)  # the upload is being read by now
        replies = await participant.send("/sekarang")
        finished.append("question: " + text_of(replies)[:60])

    await asyncio.gather(upload(), question())
    assert [line.split(":")[0] for line in finished] == ["question", "upload"], finished
    assert "09.00 WITA" in finished[0]
