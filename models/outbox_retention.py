"""What the outbox forgets. A message is kept whole until it is settled (sent, failed,
refused, expired or cancelled), so that nothing said is lost; a month later its text and
file go and the row keeps only what reports count: who, what kind, when, how it went.
(UU PDP: no longer than needed. A reply may hold a name, a certificate, /dataku's file.)

WhatsApp reports a message's fate within days and a late "not delivered" is sent again as
its template from the row's text: a month is well past both."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.broadcasts import Broadcast
from models.outbox import OutboxFile, OutboxMessage, Status

CONTENT_KEPT = timedelta(days=30)
SETTLED = (Status.SENT, Status.FAILED, Status.BLOCKED, Status.EXPIRED, Status.CANCELLED)
FORGOTTEN: dict[str, str] = {}  # the body a forgotten row keeps


def forget_contents_before(session: Session, before: datetime, limit: int) -> int:
    """Empty up to ``limit`` settled rows created before ``before``, oldest first, and
    delete the files no row or announcement uses any more; how many rows were emptied."""
    outbox = OutboxMessage.__table__  # type: ignore[attr-defined]
    oldest = (
        sa.select(outbox.c.id)
        .where(
            outbox.c.created_at < before,
            outbox.c.status.in_([str(s) for s in SETTLED]),
            # JSON has no equality on PostgreSQL; its text has, on both databases.
            sa.cast(outbox.c.body, sa.Text) != "{}",
        )
        .order_by(outbox.c.id)
        .limit(limit)
    )
    connection = session.connection()
    emptied = connection.execute(
        sa.update(outbox).where(outbox.c.id.in_(oldest)).values(body=FORGOTTEN, file_id=None)
    ).rowcount
    if emptied:
        forget_unused_files(session)
    return int(emptied)


def forget_unused_files(session: Session) -> int:
    """Delete the files no outbox row and no announcement points at; how many."""
    outbox = OutboxMessage.__table__  # type: ignore[attr-defined]
    files = OutboxFile.__table__  # type: ignore[attr-defined]
    broadcasts = Broadcast.__table__  # type: ignore[attr-defined]
    used = sa.union(
        sa.select(outbox.c.file_id).where(outbox.c.file_id.is_not(None)),
        sa.select(broadcasts.c.file_id).where(broadcasts.c.file_id.is_not(None)),
    ).subquery()
    deleted = session.connection().execute(
        sa.delete(files).where(files.c.id.not_in(sa.select(used.c.file_id)))
    )
    return int(deleted.rowcount)
