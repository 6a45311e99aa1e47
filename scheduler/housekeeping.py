"""Housekeeping: rows kept only for a while.

``inbound_message`` remembers each delivery so that a channel's redelivery is dropped;
after a week no channel redelivers, so older rows are deleted. ``sent_message`` maps a
channel's message ids to outbox rows for its status reports, which come within days: after
a week those go too. A settled outbox row keeps its text and file for a month
(models/outbox_retention.py).
"""

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.db import SessionMaker
from models import InboundMessage
from models.outbox_retention import CONTENT_KEPT, forget_contents_before
from models.receipts import forget_tracking_before

RETENTION = timedelta(days=7)
# Rows deleted per transaction. SQLite runs each statement on the event loop and takes one
# writer at a time, PostgreSQL locks the rows until the commit: small batches let the
# bot's messages go between them however many rows are due.
BATCH = 1000


async def delete_inbound_messages_before(
    session: AsyncSession, cutoff: datetime, limit: int
) -> int:
    """Delete up to ``limit`` de-duplication rows received before ``cutoff``, oldest first;
    how many were deleted."""
    # Oldest first by id: ids grow with time, so a batch is found at the head of the primary
    # key (the table has no index on received_at).
    oldest = (
        select(col(InboundMessage.id))
        .where(col(InboundMessage.received_at) < cutoff)
        .order_by(col(InboundMessage.id))
        .limit(limit)
    )
    # On the session's connection, as plain SQL: no ORM object is loaded or kept in step.
    connection = await session.connection()
    deleted = await connection.execute(
        delete(InboundMessage).where(col(InboundMessage.id).in_(oldest))
    )
    return deleted.rowcount


async def forget_old_deliveries(sessions: SessionMaker, now: datetime, batch: int = BATCH) -> int:
    """The job: delete every de-duplication and tracking row older than ``RETENTION``, and
    empty the settled messages older than ``CONTENT_KEPT``, a batch per transaction; how
    many rows were deleted or emptied."""
    total = 0
    for forget, kept in (
        (delete_inbound_messages_before, RETENTION),
        (forget_tracking, RETENTION),
        (forget_contents, CONTENT_KEPT),
    ):
        while True:
            async with sessions.begin() as session:
                done = await forget(session, now - kept, batch)
            total += done
            if done < batch:
                break
    return total


async def forget_tracking(session: AsyncSession, cutoff: datetime, limit: int) -> int:
    return await session.run_sync(forget_tracking_before, cutoff, limit)


async def forget_contents(session: AsyncSession, cutoff: datetime, limit: int) -> int:
    return await session.run_sync(forget_contents_before, cutoff, limit)
