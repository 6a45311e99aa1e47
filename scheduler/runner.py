"""Runs the periodic jobs in this process while it leads (see leadership.py).

APScheduler 3's ``AsyncIOScheduler`` runs each job as a task on the running event loop,
from an in-memory job store: nothing is pickled, and every start declares the jobs anew.
"""

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self

import structlog
from apscheduler.executors.asyncio import AsyncIOExecutor  # type: ignore[import-untyped]
from apscheduler.jobstores.memory import MemoryJobStore  # type: ignore[import-untyped]
from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]

from bot.db import SessionMaker
from models.types import utcnow
from scheduler.jobs import DEFAULT_JOBS, Clock, Job
from scheduler.leadership import leadership_for

log = structlog.get_logger(__name__)

# How often a follower tries to take the lead, and a leader checks that it still has it.
RETRY = timedelta(seconds=5)
# How long jobs under way may take to finish when the scheduler stops.
STOP_TIMEOUT = timedelta(seconds=10)
# A database that does not answer a leadership question within this is taken for a "no".
ASK_TIMEOUT = timedelta(seconds=10)


class Scheduler:
    """Leads or follows. While this process leads, each job runs at once and then every
    ``job.interval``; ``clock`` gives the ``now`` a job is handed (the intervals run on
    real time). Use as ``async with Scheduler(...)``, or ``start()`` and ``stop()``.
    """

    def __init__(
        self,
        sessions: SessionMaker,
        database_url: str,
        clock: Clock = utcnow,
        jobs: Sequence[Job] = DEFAULT_JOBS,
        *,
        retry: timedelta = RETRY,
        stop_timeout: timedelta = STOP_TIMEOUT,
    ) -> None:
        names = [job.name for job in jobs]
        if len(set(names)) != len(names):
            raise ValueError(f"two periodic jobs share a name: {names}")
        # APScheduler tells of every round at INFO, and the console shows the logs in the
        # chat's terminal: its warnings are enough beside scheduler_job_done.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
        self._sessions = sessions
        self._clock = clock
        self._jobs = tuple(jobs)
        self._retry = retry.total_seconds()
        self._stop_timeout = stop_timeout.total_seconds()
        self._leadership = leadership_for(database_url)
        self._apscheduler: AsyncIOScheduler | None = None
        self._running: set[asyncio.Task[Any]] = set()
        self._stopping = asyncio.Event()
        self._watcher: asyncio.Task[None] | None = None

    @property
    def leading(self) -> bool:
        """Whether this process runs the jobs now."""
        return self._apscheduler is not None

    async def start(self) -> None:
        """Try to take the lead once, then go on trying (or checking it) in the background."""
        await self._step()
        if not self.leading:
            log.info("scheduler_following")
        self._watcher = asyncio.create_task(self._keep_stepping(), name="scheduler-leadership")

    async def stop(self) -> None:
        """Stop running jobs and give up the lead. Jobs under way get ``stop_timeout`` to
        finish and are then cancelled (their transactions roll back)."""
        self._stopping.set()
        if self._watcher is not None:
            await self._watcher
        leading = self.leading
        await self._stand_down()
        try:
            await asyncio.wait_for(self._leadership.release(), ASK_TIMEOUT.total_seconds())
        except Exception as exc:
            # The lead ends anyway, with the connection's end or the process's.
            log.warning("scheduler_release_failed", error=type(exc).__name__)
        log.info("scheduler_stopped", was_leading=leading)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _keep_stepping(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._retry)
            if not self._stopping.is_set():
                await self._step()

    async def _step(self) -> None:
        """A follower tries to take the lead; a leader checks that it still has it."""
        if not self.leading:
            if await self._ask(self._leadership.acquire):
                self._start_jobs()
                log.info("scheduler_leading", jobs=[job.name for job in self._jobs])
        elif not await self._ask(self._leadership.held):
            log.warning("scheduler_lead_lost")
            await self._stand_down()

    async def _ask(self, question: Callable[[], Awaitable[bool]]) -> bool:
        try:
            return await asyncio.wait_for(question(), ASK_TIMEOUT.total_seconds())
        except Exception as exc:
            # The database is away or slow: not leading now, asked again after ``retry``.
            log.warning("scheduler_leadership_unknown", error=type(exc).__name__)
            return False

    def _start_jobs(self) -> None:
        apscheduler = AsyncIOScheduler(
            jobstores={"default": MemoryJobStore()},
            executors={"default": AsyncIOExecutor()},
            timezone=UTC,
        )
        now = datetime.now(UTC)
        for job in self._jobs:
            apscheduler.add_job(
                self._run,
                IntervalTrigger(seconds=job.interval.total_seconds(), timezone=UTC),
                args=(job,),
                id=job.name,
                name=job.name,
                replace_existing=True,
                # A late round is one round, not one per interval missed: each reads all
                # that is due anyway.
                coalesce=True,
                max_instances=1,
                misfire_grace_time=_grace(job.interval),
                next_run_time=now,
            )
        apscheduler.start()
        self._apscheduler = apscheduler

    async def _stand_down(self) -> None:
        """No round starts any more; rounds under way get ``stop_timeout``, then are
        cancelled."""
        apscheduler, self._apscheduler = self._apscheduler, None
        if apscheduler is None:
            return
        apscheduler.pause()
        if self._running:
            _, late = await asyncio.wait(set(self._running), timeout=self._stop_timeout)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)
        # Nothing is left running to wait for (and AsyncIOScheduler could not wait anyway).
        apscheduler.shutdown(wait=False)

    async def _run(self, job: Job) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._running.add(task)
        started = time.perf_counter()
        try:
            rows = await job.run(self._sessions, self._clock())
        except Exception:
            # Logged here, as structured logs; the job's next round tries again.
            log.exception("scheduler_job_failed", job=job.name)
        except asyncio.CancelledError:
            # The scheduler is stopping and ends the task APScheduler made for this round;
            # passed on, the cancellation would be logged by APScheduler as the job's error.
            log.warning("scheduler_job_cancelled", job=job.name)
        else:
            (log.info if rows else log.debug)(
                "scheduler_job_done",
                job=job.name,
                rows=rows,
                ms=round((time.perf_counter() - started) * 1000, 1),
            )
        finally:
            self._running.discard(task)


def _grace(interval: timedelta) -> int:
    """Seconds a round may start late and still run: up to one interval (APScheduler takes
    whole seconds). Later than that, the next round is due and reads the same rows."""
    return max(1, math.ceil(interval.total_seconds()))
