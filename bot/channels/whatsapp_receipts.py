"""WhatsApp's status callbacks, recorded on the outbox rows of the messages they name."""

from collections.abc import Sequence

from bot.channels.whatsapp import OnReceipts
from bot.channels.whatsapp_parse import CHANNEL, Receipt
from bot.db import SessionMaker
from models import receipts
from models.receipts import Failure, Reported

# Late failures that mean something for what follows; any other fails the row.
WINDOW_CLOSED = 131047  # more than 24 hours since the person's last message
UNDELIVERABLE = 131026  # not on WhatsApp, an old app, or the terms not accepted
_FAILURES = {WINDOW_CLOSED: Failure.WINDOW_CLOSED, UNDELIVERABLE: Failure.UNREACHABLE}


def recorder(sessions: SessionMaker) -> OnReceipts:
    async def record(found: Sequence[Receipt]) -> None:
        known = [neutral for receipt in found if (neutral := _neutral(receipt)) is not None]
        async with sessions.begin() as session:
            await session.run_sync(receipts.apply_receipts, CHANNEL, known)

    return record


def _neutral(receipt: Receipt) -> receipts.Receipt | None:
    """The status in the outbox's terms; None for one it does not track (``deleted``)."""
    try:
        status = Reported(receipt.status)
    except ValueError:
        return None
    failure = None
    error = ""
    if status is Reported.FAILED:
        failure = _FAILURES.get(receipt.error_code or 0, Failure.OTHER)
        error = f"{receipt.error_code or ''} {receipt.error_title or ''}".strip()
    return receipts.Receipt(receipt.external_id, status, receipt.at, failure, error)
