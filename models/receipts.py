"""What a channel reports about messages after it took them (WhatsApp's status callbacks):
delivered, read, or failed after all. A late failure is acted on as a refused send would
be: the window closed (send again as a template), the number unreachable, or failed."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models.outbox import OutboxMessage, SentMessage, Status
from models.outbox_claims import mark_unreachable
from models.people import ChannelIdentity


class Reported(StrEnum):
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


class Failure(StrEnum):
    """What a late failure means for the row, whatever the channel's own codes."""

    WINDOW_CLOSED = "window_closed"  # free-form refused: again, as a template
    UNREACHABLE = "unreachable"  # the number cannot get messages
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Receipt:
    external_id: str
    status: Reported
    at: datetime
    failure: Failure | None = None
    error: str = ""  # the channel's code and title: no personal data


def apply_receipts(session: Session, channel: str, receipts: Sequence[Receipt]) -> int:
    """Record ``receipts`` on the rows whose messages they name; how many named a row
    (a message the bot no longer knows, or never sent, is passed over)."""
    if not receipts:
        return 0
    outbox = OutboxMessage.__table__  # type: ignore[attr-defined]
    sent = SentMessage.__table__  # type: ignore[attr-defined]
    found = session.execute(
        select(sent.c.external_id, outbox.c.id, outbox.c.identity_id, outbox.c.kind)
        .join(outbox, outbox.c.id == sent.c.outbox_id)
        .where(sent.c.channel == channel, sent.c.external_id.in_({r.external_id for r in receipts}))
    ).all()
    rows = {row[0]: (row[1], row[2], row[3]) for row in found}
    for receipt in sorted(receipts, key=lambda r: r.at):
        row = rows.get(receipt.external_id)
        if row is None:
            continue
        row_id, identity_id, kind = row
        match receipt.status:
            case Reported.DELIVERED:
                session.execute(
                    update(outbox)
                    .where(outbox.c.id == row_id)
                    .values(delivered_at=func.coalesce(outbox.c.delivered_at, receipt.at))
                )
            case Reported.READ:
                session.execute(
                    update(outbox)
                    .where(outbox.c.id == row_id)
                    .values(
                        delivered_at=func.coalesce(outbox.c.delivered_at, receipt.at),
                        read_at=func.coalesce(outbox.c.read_at, receipt.at),
                    )
                )
            case Reported.FAILED:
                _failed(session, row_id, identity_id, kind, receipt)
    return sum(1 for r in receipts if r.external_id in rows)


def _failed(session: Session, row_id: int, identity_id: int, kind: str, receipt: Receipt) -> None:
    outbox = OutboxMessage.__table__  # type: ignore[attr-defined]
    identity = ChannelIdentity.__table__  # type: ignore[attr-defined]
    error = receipt.error[:200]
    this_row = (outbox.c.id == row_id) & (outbox.c.status == Status.SENT)
    if receipt.failure is Failure.UNREACHABLE:
        session.execute(update(outbox).where(this_row).values(status=Status.BLOCKED, error=error))
        mark_unreachable(session, identity_id, receipt.at)
        return
    if receipt.failure is Failure.WINDOW_CLOSED:
        session.execute(
            update(identity).where(identity.c.id == identity_id).values(window_closed_at=receipt.at)
        )
        if kind != "reply":
            # Sent again from the start, as a template this time (see the dispatcher).
            session.execute(
                update(outbox)
                .where(this_row)
                .values(status=Status.PENDING, due_at=receipt.at, parts_sent=0, error=error)
            )
            return
    session.execute(
        update(outbox).where(this_row).values(status=Status.FAILED, error=error or "failed")
    )


def forget_tracking_before(session: Session, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` ids of messages sent before ``before``, oldest first: a
    channel reports within days, not weeks. How many were deleted."""
    outbox = OutboxMessage.__table__  # type: ignore[attr-defined]
    sent = SentMessage.__table__  # type: ignore[attr-defined]
    oldest = (
        select(sent.c.id)
        .join(outbox, outbox.c.id == sent.c.outbox_id)
        .where(outbox.c.sent_at < before)
        .order_by(sent.c.id)
        .limit(limit)
    )
    deleted = session.connection().execute(sa.delete(sent).where(sent.c.id.in_(oldest)))
    return deleted.rowcount
