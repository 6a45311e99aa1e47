"""``python -m scheduler``: the periodic jobs in a process of their own, for deployments
with several bot workers (set SCHEDULER_IN_BOT=false for them). Runs until SIGINT or
SIGTERM; several may run, and one at a time leads."""

import argparse
import asyncio
import signal

import structlog

from bot.db import create_engine, session_maker, upgrade
from bot.logging import configure_logging
from bot.settings import Settings
from scheduler.jobs import jobs_for
from scheduler.runner import Scheduler

log = structlog.get_logger(__name__)


async def run(settings: Settings) -> None:
    db = create_engine(settings.database_url)
    try:
        await upgrade(db)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        jobs = jobs_for(settings.deployment())
        async with Scheduler(session_maker(db), settings.database_url, jobs=jobs):
            await stop.wait()
    finally:
        await db.dispose()
        log.info("stopped")


def main(argv: list[str] | None = None) -> None:
    argparse.ArgumentParser(
        prog="python -m scheduler",
        description="Run Bimtek Bot's periodic jobs (housekeeping; reminders and broadcasts "
        "when they come) until SIGINT or SIGTERM. Settings as for python -m bot.",
    ).parse_args(argv)
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
