"""A settled message keeps its text and file for a month, then only what reports count;
a message not yet sent keeps everything, however old."""

from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from bot.db import SessionMaker
from models import Broadcast, ChannelIdentity, Event
from models.outbox import FileToSend, OutboxFile, OutboxMessage, Outgoing, Status, enqueue
from scheduler.housekeeping import forget_old_deliveries
from tests.factories import id_of, someone

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
PAPER = FileToSend("sertifikat.pdf", "application/pdf", b"%PDF-1.4 Ni Luh Ayu")
POSTER = FileToSend("poster.jpg", "image/jpeg", b"\xff\xd8 poster")

# key: (status, age, file) — what each row is, as a participant's history might hold it.
ROWS = {
    "certificate-old": (Status.SENT, timedelta(days=31), PAPER),
    "reply-old": (Status.SENT, timedelta(days=45), None),
    "failed-old": (Status.FAILED, timedelta(days=31), None),
    "cancelled-old": (Status.CANCELLED, timedelta(days=60), None),
    "announcement-old": (Status.SENT, timedelta(days=40), POSTER),
    "reply-young": (Status.SENT, timedelta(days=29), None),
    "pending-old": (Status.PENDING, timedelta(days=40), None),
    "held-old": (Status.HELD, timedelta(days=35), None),
}
FORGOTTEN = {"certificate-old", "reply-old", "failed-old", "cancelled-old", "announcement-old"}


async def test_settled_messages_forget_their_text_and_files_after_a_month(
    sessions: SessionMaker, demo_event: Event
) -> None:
    person = await someone(sessions, "600100", channel="telegram")
    async with sessions.begin() as session:
        identity = (
            await session.execute(
                select(ChannelIdentity).where(col(ChannelIdentity.person_id) == person)
            )
        ).scalar_one()
        assert identity.id is not None
        await session.run_sync(
            enqueue,
            [
                Outgoing(
                    key=key, identity_id=identity.id, channel="telegram", kind="reply",
                    body={"text": f"Halo Ni Luh Ayu ({key})"}, due_at=NOW - age, file=file,
                )
                for key, (_, age, file) in ROWS.items()
            ],
        )  # fmt: skip
        for row in (await session.execute(select(OutboxMessage))).scalars():
            status, age, _ = ROWS[row.key]
            row.status, row.created_at = status, NOW - age
        poster = (
            await session.execute(
                select(OutboxFile).where(col(OutboxFile.filename) == "poster.jpg")
            )
        ).scalar_one()
        # The announcement itself still shows its poster to the organisers.
        session.add(
            Broadcast(event_id=id_of(demo_event), text="Poster", audience={}, file_id=poster.id)
        )

    assert await forget_old_deliveries(sessions, NOW) == len(FORGOTTEN)

    async with sessions() as session:
        rows = {r.key: r for r in (await session.execute(select(OutboxMessage))).scalars()}
        files = {f.filename for f in (await session.execute(select(OutboxFile))).scalars()}
    assert {k for k, r in rows.items() if r.body == {}} == FORGOTTEN
    for key in set(ROWS) - FORGOTTEN:
        assert rows[key].body == {"text": f"Halo Ni Luh Ayu ({key})"}
    assert {k: r.status for k, r in rows.items()} == {k: v[0] for k, v in ROWS.items()}
    assert rows["certificate-old"].file_id is None
    assert files == {"poster.jpg"}  # the paper went; the announcement keeps its poster
    assert await forget_old_deliveries(sessions, NOW) == 0  # done once
