"""The periodic jobs: housekeeping, one scheduler at a time per database, ``python -m
scheduler``. Intervals are fractions of a second; the jobs' time comes from a clock."""

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
import structlog
from sqlalchemy import make_url
from sqlmodel import col, select

from bot.db import SessionMaker, create_engine, session_maker
from models import InboundMessage
from scheduler.housekeeping import forget_old_deliveries
from scheduler.jobs import DEFAULT_JOBS, Job
from scheduler.runner import Scheduler
from tests.postgres import ADMIN_DSN

NOW = datetime(2024, 11, 14, 1, 30, tzinfo=UTC)
FAST = timedelta(milliseconds=50)
ROOT = Path(__file__).resolve().parents[1]

# Ages at NOW: more than seven days is deleted, seven days exactly and less is kept.
OLD = {"30d": timedelta(days=30), "7d+1s": timedelta(days=7, seconds=1)}
YOUNG = {"7d": timedelta(days=7), "7d-1s": timedelta(days=7, seconds=-1), "1h": timedelta(hours=1)}


async def add_deliveries(sessions: SessionMaker, ages: dict[str, timedelta], now: datetime) -> None:
    async with sessions.begin() as session:
        session.add_all(
            InboundMessage(channel="telegram", external_id=key, received_at=now - age)
            for key, age in ages.items()
        )


async def kept_deliveries(sessions: SessionMaker) -> set[str]:
    async with sessions() as session:
        found = await session.execute(select(col(InboundMessage.external_id)))
        return set(found.scalars())


async def eventually(condition: Callable[[], bool], within: float = 10) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "not within the time allowed"
        await asyncio.sleep(0.02)


def recorder(calls: list[str], label: str, name: str = "tick") -> Job:
    """A job that notes which scheduler ran it."""

    async def run(sessions: SessionMaker, now: datetime) -> int:
        calls.append(label)
        return 1

    return Job(name, FAST, run)


@asynccontextmanager
async def unused_sessions(url: str) -> AsyncIterator[SessionMaker]:
    """Sessions for schedulers whose jobs do not touch the database."""
    engine = create_engine(url)
    try:
        yield session_maker(engine)
    finally:
        await engine.dispose()


async def test_housekeeping_forgets_the_deliveries_older_than_a_week_by_the_clock(
    sessions: SessionMaker, database_url: str
) -> None:
    # Inserted young and old mixed: what goes is decided by age, not by id.
    await add_deliveries(sessions, {**YOUNG, **OLD, "2d": timedelta(days=2)}, NOW)

    # By the real clock (two years on) every row would be old: NOW is the jobs' time.
    async with Scheduler(sessions, database_url, clock=lambda: NOW, jobs=DEFAULT_JOBS):
        expected = {*YOUNG, "2d"}
        for _ in range(500):
            if await kept_deliveries(sessions) == expected:
                break
            await asyncio.sleep(0.02)
    assert await kept_deliveries(sessions) == expected


async def test_housekeeping_deletes_in_batches(sessions: SessionMaker) -> None:
    many_old = {f"old{i}": timedelta(days=8, minutes=i) for i in range(5)}
    await add_deliveries(sessions, {**many_old, **YOUNG}, NOW)

    assert await forget_old_deliveries(sessions, NOW, batch=2) == 5
    assert await kept_deliveries(sessions) == set(YOUNG)
    assert await forget_old_deliveries(sessions, NOW, batch=2) == 0


async def test_a_failing_job_does_not_stop_the_scheduler_or_the_other_jobs(
    tmp_path: Path,
) -> None:
    failures: list[datetime] = []
    calls: list[str] = []

    async def fail(sessions: SessionMaker, now: datetime) -> int:
        failures.append(now)
        raise RuntimeError("broken job")

    jobs = (Job("broken", FAST, fail), recorder(calls, "ok"))
    url = f"sqlite+aiosqlite:///{tmp_path / 'bimtek.sqlite3'}"
    with structlog.testing.capture_logs() as logs:
        async with (
            unused_sessions(url) as sessions,
            Scheduler(sessions, url, clock=lambda: NOW, jobs=jobs) as scheduler,
        ):
            await eventually(lambda: len(failures) >= 3 and len(calls) >= 3)
            assert scheduler.leading
    assert set(failures) == {NOW}
    failed = [entry for entry in logs if entry["event"] == "scheduler_job_failed"]
    assert len(failed) >= 3
    assert {entry["job"] for entry in failed} == {"broken"}


async def test_stopping_waits_for_a_job_under_way_then_cancels_what_does_not_end(
    tmp_path: Path,
) -> None:
    ended: list[str] = []
    started = asyncio.Event()

    async def slow(sessions: SessionMaker, now: datetime) -> int:
        await asyncio.sleep(0.2)
        ended.append("slow")
        return 0

    async def stuck(sessions: SessionMaker, now: datetime) -> int:
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            ended.append("stuck")
        return 0

    jobs = (Job("slow", timedelta(hours=1), slow), Job("stuck", timedelta(hours=1), stuck))
    url = f"sqlite+aiosqlite:///{tmp_path / 'bimtek.sqlite3'}"
    async with unused_sessions(url) as sessions:
        scheduler = Scheduler(sessions, url, jobs=jobs, stop_timeout=timedelta(seconds=0.5))
        await scheduler.start()
        await asyncio.wait_for(started.wait(), 5)
        began = time.monotonic()
        await asyncio.wait_for(scheduler.stop(), 5)
    assert time.monotonic() - began < 2
    assert sorted(ended) == ["slow", "stuck"]
    assert not scheduler.leading


async def test_one_scheduler_of_two_runs_the_jobs_and_the_other_takes_over(
    sessions: SessionMaker, database_url: str
) -> None:
    calls: list[str] = []
    first = Scheduler(sessions, database_url, jobs=(recorder(calls, "first"),), retry=FAST)
    second = Scheduler(sessions, database_url, jobs=(recorder(calls, "second"),), retry=FAST)
    await first.start()
    try:
        await second.start()
        try:
            assert first.leading
            assert not second.leading
            await eventually(lambda: len(calls) >= 5)
            await asyncio.sleep(0.3)  # several of the follower's tries
            assert set(calls) == {"first"}
            assert not second.leading

            await first.stop()
            ran_first = len(calls)
            await eventually(lambda: "second" in calls)
            assert second.leading
            await asyncio.sleep(0.2)
            assert calls[:ran_first] == ["first"] * ran_first
            assert set(calls[ran_first:]) == {"second"}
        finally:
            await second.stop()
    finally:
        await first.stop()


async def test_a_follower_takes_over_when_the_leaders_connection_is_cut(postgres_url: str) -> None:
    calls: list[str] = []
    async with unused_sessions(postgres_url) as sessions:
        # The old leader notices later than the follower tries: the follower wins the race.
        first = Scheduler(
            sessions, postgres_url, jobs=(recorder(calls, "first"),), retry=timedelta(seconds=0.3)
        )
        second = Scheduler(sessions, postgres_url, jobs=(recorder(calls, "second"),), retry=FAST)
        async with first, second:
            assert first.leading
            assert not second.leading
            await eventually(lambda: "first" in calls)

            # As when the leader's machine goes away: the server ends its session.
            admin = await asyncpg.connect(ADMIN_DSN)
            try:
                cut = await admin.fetchval(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_locks"
                    " WHERE locktype = 'advisory' AND granted AND database ="
                    " (SELECT oid FROM pg_database WHERE datname = $1)",
                    make_url(postgres_url).database,
                )
            finally:
                await admin.close()
            assert cut == 1

            await eventually(lambda: second.leading and not first.leading)
            ran = len(calls)
            await asyncio.sleep(0.7)  # two more of the old leader's tries
            assert set(calls[ran:]) == {"second"}, "the old leader runs nothing any more"
            assert not first.leading, "nor takes the lead back"


@pytest.mark.subprocess
async def test_python_m_scheduler_runs_the_jobs_and_stops_on_sigterm(
    tmp_path: Path, sqlite_template: Path
) -> None:
    path = tmp_path / "bimtek.sqlite3"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    async with unused_sessions(url) as sessions:
        # By the real clock here: the process has no other.
        young = {"6d": timedelta(days=6), "1h": timedelta(hours=1)}
        await add_deliveries(sessions, {"old": timedelta(days=8), **young}, datetime.now(UTC))

        env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "SCHEDULER_IN_BOT": "false"}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "scheduler", env=env, cwd=ROOT, stderr=asyncio.subprocess.PIPE
        )
        assert process.stderr is not None
        calls: list[str] = []
        here = Scheduler(sessions, url, jobs=(recorder(calls, "here"),), retry=FAST)
        try:
            seen = b""
            while b"scheduler_leading" not in seen:
                line = await asyncio.wait_for(process.stderr.readline(), 30)
                assert line, seen.decode()
                seen += line
            await here.start()
            assert not here.leading, "the other process holds the file lock"
            for _ in range(500):
                if await kept_deliveries(sessions) == set(young):
                    break
                await asyncio.sleep(0.02)
            assert await kept_deliveries(sessions) == set(young)
            assert calls == []
        finally:
            process.send_signal(signal.SIGTERM)
            _, rest = await asyncio.wait_for(process.communicate(), 20)
        assert process.returncode == 0, (seen + rest).decode()
        assert b"stopped" in rest
        try:
            await eventually(lambda: here.leading and "here" in calls)
        finally:
            await here.stop()


@pytest.mark.subprocess
@pytest.mark.parametrize("in_bot", [True, False])
def test_the_bot_runs_the_jobs_unless_told_otherwise(tmp_path: Path, in_bot: bool) -> None:
    path = tmp_path / "bimtek.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{path}",
        "TELEGRAM_BOT_TOKEN": "",
        "SCHEDULER_IN_BOT": str(in_bot).lower(),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot"],
        input="/bantuan\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert ("scheduler_leading" in done.stderr) is in_bot
    assert Path(f"{path}.scheduler.lock").exists() is in_bot
