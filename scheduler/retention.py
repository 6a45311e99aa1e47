"""The privacy job: erasures finished and events' personal data removed once kept long
enough (models/privacy). Each minute:

- the people who erased their data and whose last reply has gone are deleted with the
  identity it went to (``finish_erasures``);
- each event whose retention has passed is purged (``purge_event``), one transaction
  per event;

and after either, the freed space is wiped (models/privacy/wipe.py). Safe to run late or
twice: it reads what is due each time.
"""

from collections.abc import Awaitable, Callable, Collection
from datetime import datetime

import structlog

from bot.db import SessionMaker
from handlers.turn import Deployment
from models.privacy.erasure import TOUCHED, finish_erasures
from models.privacy.retention import due_events, purge_event
from models.privacy.wipe import wipe

log = structlog.get_logger(__name__)


async def privacy_round(
    sessions: SessionMaker, now: datetime, admins: Collection[tuple[str, str]] = frozenset()
) -> int:
    """One round; how many people and events it acted on."""
    async with sessions.begin() as session:
        finished = await finish_erasures(session, now)
    purged = 0
    async with sessions() as session:
        due = [event.id for event in await due_events(session, now)]
    for event_id in due:
        assert event_id is not None
        async with sessions.begin() as session:
            done = await purge_event(session, event_id, now, admins)
        log.info("event_purged", event_id=event_id, people=done.people, erased=done.erased)
        purged += 1
    if finished or purged:
        await wipe(sessions.kw["bind"], TOUCHED)
    return finished + purged


def privacy_job(deployment: Deployment) -> Callable[[SessionMaker, datetime], Awaitable[int]]:
    """The round for this deployment: its admins are never erased by a purge."""

    async def run(sessions: SessionMaker, now: datetime) -> int:
        return await privacy_round(sessions, now, deployment.admins)

    return run
