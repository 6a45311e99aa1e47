"""The periodic jobs. A job reads what is due from the database each time it runs, so it
is safe to run late or twice; nothing about a single reminder or message is scheduled."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.db import SessionMaker
from handlers.turn import Deployment
from scheduler import certificates, housekeeping, notifications, retention, survey_rounds

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Job:
    """``run(sessions, now)`` does one round and returns how many rows it acted on (for
    the logs). ``name`` identifies the job in logs and to APScheduler: keep it unique."""

    name: str
    interval: timedelta
    run: Callable[[SessionMaker, datetime], Awaitable[int]]


# A feature with periodic work adds its job here, one line each.
DEFAULT_JOBS: tuple[Job, ...] = (
    Job("forget_old_deliveries", timedelta(hours=1), housekeeping.forget_old_deliveries),
    Job("plan_notifications", timedelta(minutes=1), notifications.plan_notifications),
    Job("plan_survey_prompts", timedelta(minutes=1), survey_rounds.plan_survey_prompts),
)


def jobs_for(deployment: Deployment) -> tuple[Job, ...]:
    """DEFAULT_JOBS, and the jobs that need to know the deployment: how the bot is
    reached from outside (a certificate's paper links to its verification page), who
    its admins are (a retention purge never erases one)."""
    certificate_round = certificates.certificate_round(deployment)
    privacy = Job("privacy", timedelta(minutes=1), retention.privacy_job(deployment))
    return (*DEFAULT_JOBS, Job("certificates", timedelta(minutes=1), certificate_round), privacy)
