"""The job that plans notifications: every minute, for each event with days around now,
the reminders and digests due within the next few minutes (see handlers/notices.py)."""

from datetime import datetime, timedelta

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import SessionMaker
from handlers.notices import plan_event
from models import Event
from models.notifications import events_between

log = structlog.get_logger(__name__)

# Indonesia's zones run 7 to 9 hours ahead of UTC, and a reminder may be due up to four
# hours before its session: a day either side of the UTC date covers every event's day.
MARGIN = timedelta(days=1)
# Below PostgreSQL's deadlock_timeout (1 s): the round is the one to give up.
LOCK_WAIT_MS = 500


async def plan_notifications(sessions: SessionMaker, now: datetime) -> int:
    """One round: each event in a transaction of its own, so that one event's trouble
    holds up no other's reminders. How many notifications were written."""
    today = now.date()
    async with sessions() as session:
        events = await events_between(session, today - MARGIN, today + MARGIN)
    ids = [event.id for event in events if event.id is not None]
    written = 0
    for event_id in ids:
        try:
            async with sessions.begin() as session:
                event = await locked(session, event_id)
                if event is not None:
                    written += await plan_event(session, event, now)
        except Exception:
            log.exception("notifications_planning_failed", event_id=event_id)
    return written


async def locked(session: AsyncSession, event_id: int) -> Event | None:
    """The event, held against an agenda import (which takes it for update) until the
    round commits: rows planned from an agenda being replaced would escape the import's
    cancelling. On PostgreSQL the round waits for locks briefly: an organiser importing
    holds their own rows and waits for the event, and the round, which may be writing
    to them, gives way (it is tried again a minute later) rather than deadlock."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT_MS}ms'"))
    return await session.get(Event, event_id, with_for_update={"read": True})
