"""What a channel reports after a send (WhatsApp's status callbacks), recorded on the rows
they name, on SQLite and PostgreSQL: delivered and read times, a late failure acted on."""

from datetime import timedelta

from sqlalchemy import select
from sqlmodel import col

from bot.db import SessionMaker
from handlers.outgoing import body_of
from handlers.types import Reply
from models import ChannelIdentity, OutboxMessage, outbox, outbox_claims
from models.outbox import Outgoing, Priority, Status
from models.outbox_claims import Settled
from models.receipts import Failure, Receipt, Reported, apply_receipts, forget_tracking_before
from models.types import utcnow
from scheduler.housekeeping import forget_old_deliveries
from tests.factories import someone

WA = "6281200000201"


async def sent_row(
    sessions: SessionMaker, kind: str, ids: tuple[str, ...], key: str = "n"
) -> tuple[int, int]:
    """A row written and sent as the dispatcher would, the channel's ids kept; its id and
    its identity's."""
    await someone(sessions, WA, channel="whatsapp")
    now = utcnow()
    async with sessions.begin() as session:
        identity_id = (
            await session.execute(
                select(col(ChannelIdentity.id)).where(col(ChannelIdentity.user_key) == WA)
            )
        ).scalar_one()
        assert identity_id is not None
        priority = Priority.REPLY if kind == "reply" else Priority.NOTICE
        body = body_of(Reply("Sesi dimulai 08.00"))
        message = Outgoing(key, identity_id, "whatsapp", kind, body, now, priority=priority)
        [row_id] = await session.run_sync(
            outbox.enqueue, [message], claim_until=now + timedelta(seconds=30)
        )
        settled = Settled(
            row_id, Status.SENT, now, len(ids), ",".join(ids), tracked=ids, channel="whatsapp"
        )
        await session.run_sync(outbox_claims.settle, [settled])
    return row_id, identity_id


async def row(sessions: SessionMaker, row_id: int) -> OutboxMessage:
    async with sessions() as session:
        found = await session.get(OutboxMessage, row_id)
        assert found is not None
        return found


async def report(sessions: SessionMaker, *receipts: Receipt) -> int:
    async with sessions.begin() as session:
        return await session.run_sync(apply_receipts, "whatsapp", list(receipts))


async def test_delivered_then_read_are_recorded_once(sessions: SessionMaker) -> None:
    row_id, _ = await sent_row(sessions, "reminder", ("wamid.A1",))
    at = utcnow()
    named = await report(
        sessions,
        Receipt("wamid.A1", Reported.SENT, at),
        Receipt("wamid.A1", Reported.DELIVERED, at + timedelta(seconds=2)),
        Receipt("wamid.A1", Reported.READ, at + timedelta(seconds=9)),
        Receipt("wamid.unknown", Reported.READ, at),
    )
    assert named == 3
    stored = await row(sessions, row_id)
    assert stored.status == Status.SENT
    assert stored.delivered_at == at + timedelta(seconds=2)
    assert stored.read_at == at + timedelta(seconds=9)
    # A repeated report (WhatsApp retries its webhooks) changes nothing.
    await report(sessions, Receipt("wamid.A1", Reported.DELIVERED, at + timedelta(minutes=5)))
    assert (await row(sessions, row_id)).delivered_at == at + timedelta(seconds=2)


async def test_read_without_delivered_counts_as_delivered(sessions: SessionMaker) -> None:
    row_id, _ = await sent_row(sessions, "broadcast", ("wamid.B1",))
    at = utcnow()
    await report(sessions, Receipt("wamid.B1", Reported.READ, at))
    stored = await row(sessions, row_id)
    assert stored.delivered_at == stored.read_at == at


async def test_window_closed_late_sends_a_notice_again_as_a_template(
    sessions: SessionMaker,
) -> None:
    row_id, identity_id = await sent_row(sessions, "reminder", ("wamid.C1",))
    at = utcnow()
    failed = Receipt("wamid.C1", Reported.FAILED, at, Failure.WINDOW_CLOSED, "131047")
    await report(sessions, failed)
    stored = await row(sessions, row_id)
    assert (stored.status, stored.parts_sent, stored.error) == (Status.PENDING, 0, "131047")
    async with sessions() as session:
        identity = await session.get(ChannelIdentity, identity_id)
        assert identity is not None
        assert identity.window_closed_at == at


async def test_window_closed_on_a_reply_fails_it(sessions: SessionMaker) -> None:
    row_id, _ = await sent_row(sessions, "reply", ("wamid.D1",))
    failed = Receipt("wamid.D1", Reported.FAILED, utcnow(), Failure.WINDOW_CLOSED, "131047")
    await report(sessions, failed)
    assert (await row(sessions, row_id)).status == Status.FAILED


async def test_undeliverable_marks_the_number_unreachable(sessions: SessionMaker) -> None:
    row_id, identity_id = await sent_row(sessions, "broadcast", ("wamid.E1",))
    failed = Receipt("wamid.E1", Reported.FAILED, utcnow(), Failure.UNREACHABLE, "131026")
    await report(sessions, failed)
    assert (await row(sessions, row_id)).status == Status.BLOCKED
    async with sessions() as session:
        identity = await session.get(ChannelIdentity, identity_id)
        assert identity is not None
        assert identity.unreachable_at is not None


async def test_other_failures_fail_the_row_with_the_channels_code(sessions: SessionMaker) -> None:
    row_id, _ = await sent_row(sessions, "broadcast", ("wamid.F1", "wamid.F2"))
    failed = Receipt("wamid.F2", Reported.FAILED, utcnow(), Failure.OTHER, "131000 Something")
    await report(sessions, failed)
    stored = await row(sessions, row_id)
    assert (stored.status, stored.error) == (Status.FAILED, "131000 Something")


async def test_tracking_is_forgotten_after_a_week(sessions: SessionMaker) -> None:
    row_id, _ = await sent_row(sessions, "reminder", ("wamid.G1",))
    async with sessions.begin() as session:
        assert await session.run_sync(forget_tracking_before, utcnow() - timedelta(days=1), 10) == 0
    await forget_old_deliveries(sessions, utcnow() + timedelta(days=8))
    await report(sessions, Receipt("wamid.G1", Reported.READ, utcnow()))
    assert (await row(sessions, row_id)).read_at is None, "no longer known: passed over"
