"""Broadcasts in the domain: who each audience reaches, confirming once, cancelling, the
report, and everything refused before anything is stored. Real databases."""

import asyncio
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event as sa_event
from sqlalchemy import func, update
from sqlmodel import col, select

from bot.db import SessionMaker
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.rates import RateGate
from bot.delivery.sending import Outcome, Pace, SendResult
from handlers.types import Reply
from models import (
    Broadcast,
    ChannelIdentity,
    Conversation,
    Enrollment,
    Event,
    OutboxFile,
    OutboxMessage,
    Person,
    Role,
    RoleName,
)
from models.audience import (
    Audience,
    Everyone,
    InClass,
    InRegion,
    Unregistered,
    audience_of,
    audience_size,
    regions_of,
)
from models.broadcasts import (
    TEXT_LIMIT,
    BroadcastError,
    BroadcastStatus,
    Cancelled,
    Report,
    announcement,
    cancel_broadcast,
    confirm_broadcast,
    create_broadcast,
    discard_draft,
    report,
)
from models.outbox import FileToSend, Status
from tests.factories import id_of, make_event

NOW = datetime(2024, 11, 13, 1, 0, tzinfo=UTC)  # 09.00 WITA on the first day
_codes = itertools.count(1)


# --- a crowd of people, stored directly ---------------------------------------------------


@dataclass
class Way:
    """One identity of a person: its channel, when they last wrote, whether they blocked
    the bot, and whether its conversation is registering for the event."""

    channel: str
    last_wrote: int | None  # minutes after NOW - 1 day, None: never
    blocked: bool = False
    registering: bool = False


@dataclass
class Someone:
    enrolled: bool
    class_name: str | None
    province: str | None
    regency: str | None
    role: str | None  # "organizer", "trainer", "revoked" or None
    ways: list[Way]
    locale: str = "id"
    person_id: int = 0
    identity_ids: list[int] = field(default_factory=list)


CLASSES = ("A", "B")
PROVINCES = ("Kalimantan Timur", "Kalimantan Barat", "Jambi")
# Spelled as people type them: the same regency with other spaces or case.
REGENCIES = ("Kutai Kartanegara", "kutai kartanegara ", "Kota Samarinda", "Muaro Jambi")

ways = st.builds(
    Way,
    channel=st.sampled_from(["telegram", "console", "whatsapp"]),
    last_wrote=st.none() | st.integers(0, 1000),
    blocked=st.booleans(),
    registering=st.booleans(),
)
people = st.builds(
    Someone,
    enrolled=st.booleans(),
    class_name=st.none() | st.sampled_from(CLASSES),
    province=st.none() | st.sampled_from(PROVINCES),
    regency=st.none() | st.sampled_from(REGENCIES),
    role=st.none() | st.sampled_from(["organizer", "trainer", "revoked"]),
    ways=st.lists(ways, min_size=1, max_size=3, unique_by=lambda w: w.channel),
    locale=st.sampled_from(["id", "en"]),
)


async def store(sessions: SessionMaker, event: Event, crowd: list[Someone]) -> None:
    """The crowd, as registering, registered people and staff of ``event`` would be
    stored (another event's people alongside, so that nothing leaks between events)."""
    other = await make_event(sessions, f"LAIN{next(_codes)}")
    async with sessions.begin() as session:
        for one in crowd:
            person = Person(
                locale=one.locale,
                full_name="Siti Rahayu",
                province=one.province,
                regency=one.regency,
                registered_at=NOW if one.enrolled else None,
            )
            session.add(person)
            await session.flush()
            one.person_id = id_of(person)
            if one.enrolled:
                session.add(
                    Enrollment(
                        person_id=one.person_id, event_id=id_of(event), class_name=one.class_name
                    )
                )
            else:  # registered elsewhere: never part of this event's audience
                session.add(Enrollment(person_id=one.person_id, event_id=id_of(other)))
            if one.role is not None:
                revoked = NOW if one.role == "revoked" else None
                role = RoleName.TRAINER if one.role == "trainer" else RoleName.ORGANIZER
                session.add(
                    Role(
                        event_id=id_of(event),
                        person_id=one.person_id,
                        role=role,
                        revoked_at=revoked,
                    )
                )
            for way in one.ways:
                identity = ChannelIdentity(
                    person_id=one.person_id,
                    channel=way.channel,
                    user_key=f"u{one.person_id}-{way.channel}",
                    address=f"u{one.person_id}",
                    last_inbound_at=None
                    if way.last_wrote is None
                    else NOW - timedelta(days=1) + timedelta(minutes=way.last_wrote),
                    unreachable_at=NOW if way.blocked else None,
                )
                session.add(identity)
                await session.flush()
                one.identity_ids.append(id_of(identity))
                joining = id_of(event) if way.registering else id_of(other)
                state = {"registration": {"event_id": joining, "answers": {}}}
                conversation = Conversation(
                    identity_id=id_of(identity), flow="registration", state=state
                )
                session.add(conversation)


def folded(text: str | None) -> str:
    return (text or "").strip().lower()


def expected(crowd: list[Someone], spec: Audience) -> dict[int, int]:
    """Person → identity, written apart from the queries under test."""
    chosen: dict[int, int] = {}
    for one in crowd:
        match spec:
            case Everyone():
                included = one.enrolled or one.role in ("organizer", "trainer")
            case InClass(name=name):
                included = one.enrolled and folded(one.class_name) == folded(name)
            case InRegion(province=province, regency=regency):
                included = (
                    one.enrolled
                    and (not province or folded(one.province) == folded(province))
                    and (not regency or folded(one.regency) == folded(regency))
                )
            case Unregistered():
                included = not one.enrolled and any(w.registering for w in one.ways)
        if not included:
            continue
        candidates = list(zip(one.ways, one.identity_ids, strict=True))
        if isinstance(spec, Unregistered):
            candidates = [(w, i) for w, i in candidates if w.registering]
        # Not blocked first; then the latest to be written from; then the newest identity.
        best = max(
            candidates,
            key=lambda c: (
                not c[0].blocked,
                c[0].last_wrote is not None,
                c[0].last_wrote or 0,
                c[1],
            ),
        )
        chosen[one.person_id] = best[1]
    return chosen


SPECS: list[Audience] = [
    Everyone(),
    InClass(name="A"),
    InClass(name="b"),
    InRegion(province="Kalimantan Timur"),
    InRegion(regency="Kutai Kartanegara"),
    InRegion(province="kalimantan timur", regency="KUTAI KARTANEGARA"),
    InRegion(regency="Kota Samarinda", province="Jambi"),
    Unregistered(),
]


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(crowd=st.lists(people, max_size=12))
async def test_each_audience_reaches_the_right_people_once(
    sessions: SessionMaker, crowd: list[Someone]
) -> None:
    event = await make_event(sessions, f"AUD{next(_codes)}", classes=CLASSES)
    await store(sessions, event, crowd)
    async with sessions() as session:
        for spec in SPECS:
            found = await audience_of(session, id_of(event), spec)
            assert {r.person_id: r.identity_id for r in found} == expected(crowd, spec), spec
            assert len({r.person_id for r in found}) == len(found), "one identity a person"
            size = await audience_size(session, id_of(event), spec)
            assert size.people == len(found)
            assert size.blocked == sum(not r.reachable for r in found)


async def test_the_regions_participants_come_from(sessions: SessionMaker) -> None:
    event = await make_event(sessions, "REG24")
    crowd = [
        Someone(True, None, "Kalimantan Timur", "Kutai Kartanegara", None, [Way("telegram", 1)]),
        Someone(True, None, "Kalimantan Timur", "kutai kartanegara ", None, [Way("telegram", 1)]),
        Someone(True, None, "Kalimantan Timur", "Kota Samarinda", None, [Way("telegram", 1)]),
        Someone(False, None, "Jambi", "Muaro Jambi", "organizer", [Way("telegram", 1)]),
    ]
    await store(sessions, event, crowd)
    async with sessions() as session:
        found = await regions_of(session, id_of(event))
    assert [(r.province, r.regency, r.people) for r in found] == [
        ("Kalimantan Timur", None, 3),
        (None, "Kutai Kartanegara", 2),  # however it was typed
        (None, "Kota Samarinda", 1),
    ]


# --- confirming, cancelling, reporting ----------------------------------------------------


async def event_with(sessions: SessionMaker, count: int, **fields: object) -> Event:
    event = await make_event(sessions, f"EV{next(_codes)}", classes=CLASSES)
    crowd = [
        Someone(True, "A", "Kalimantan Timur", "Kutai Kartanegara", None, [Way("telegram", i)])
        for i in range(count)
    ]
    for key, value in fields.items():
        for one in crowd:
            setattr(one, key, value)
    await store(sessions, event, crowd)
    return event


async def draft(
    sessions: SessionMaker,
    event: Event,
    *,
    text: str = "Sesi pindah ke Ruang Mahakam.",
    audience: Audience | None = None,
    file: FileToSend | None = None,
    send_at: datetime | None = None,
) -> int:
    async with sessions.begin() as session:
        made = await create_broadcast(
            session, event_id=id_of(event), author_id=None, text=text,
            audience=audience or Everyone(), now=NOW, file=file, send_at=send_at,
        )  # fmt: skip
        assert made.id is not None
        return made.id


async def confirm(sessions: SessionMaker, broadcast_id: int, now: datetime = NOW) -> int:
    async with sessions.begin() as session:
        return await confirm_broadcast(session, broadcast_id, now)


async def rows(sessions: SessionMaker, broadcast_id: int) -> list[OutboxMessage]:
    async with sessions() as session:
        found = await session.execute(
            select(OutboxMessage).where(col(OutboxMessage.broadcast_id) == broadcast_id)
        )
        return list(found.scalars())


async def stored(sessions: SessionMaker, broadcast_id: int) -> Broadcast:
    async with sessions() as session:
        found = await session.get(Broadcast, broadcast_id)
        assert found is not None
        return found


async def test_confirming_writes_every_row_once(sessions: SessionMaker) -> None:
    event = await event_with(sessions, 5)
    broadcast_id = await draft(sessions, event)
    assert await confirm(sessions, broadcast_id) == 5
    written = await rows(sessions, broadcast_id)
    assert len(written) == 5
    assert {r.kind for r in written} == {"broadcast"}
    assert {r.status for r in written} == {Status.PENDING}
    assert {r.priority for r in written} == {2}  # after everyone's replies
    assert {r.due_at for r in written} == {NOW}
    assert {r.body["text"] for r in written} == {
        f"📢 {event.name}\n\nSesi pindah ke Ruang Mahakam."
    }
    assert len({r.key for r in written}) == 5
    found = await stored(sessions, broadcast_id)
    assert (found.status, found.send_at, found.confirmed_at) == (BroadcastStatus.SENT, NOW, NOW)
    # A second confirm, and two at once, write nothing more.
    assert await confirm(sessions, broadcast_id) == 0
    again = await asyncio.gather(*(confirm(sessions, broadcast_id) for _ in range(2)))
    assert again == [0, 0]
    assert len(await rows(sessions, broadcast_id)) == 5


async def test_two_confirms_at_once_write_the_rows_once(sessions: SessionMaker) -> None:
    event = await event_with(sessions, 4)
    broadcast_id = await draft(sessions, event)
    written = await asyncio.gather(*(confirm(sessions, broadcast_id) for _ in range(3)))
    assert sorted(written) == [0, 0, 4]
    assert len(await rows(sessions, broadcast_id)) == 4


async def test_confirming_is_a_few_statements_however_many_recipients(
    sessions: SessionMaker,
) -> None:
    """Every row is written by the database in one statement: 2,000 recipients cost what
    20 do (10,000 took about 0.1 s on SQLite and 0.2 s on PostgreSQL; see the report)."""
    counts = []
    for size in (20, 2000):
        event = await event_with(sessions, size)
        broadcast_id = await draft(sessions, event)
        statements: list[str] = []

        def count(*args: object, seen: list[str] = statements) -> None:
            seen.append(str(args[2]))

        async with sessions.begin() as session:
            engine = session.bind.sync_engine  # type: ignore[union-attr]

            sa_event.listen(engine, "before_cursor_execute", count)
            try:
                assert await confirm_broadcast(session, broadcast_id, NOW) == size
            finally:
                sa_event.remove(engine, "before_cursor_execute", count)
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 6


async def test_a_scheduled_broadcast_is_due_at_its_moment_and_cancels_whole(
    sessions: SessionMaker,
) -> None:
    event = await event_with(sessions, 3)
    tomorrow = NOW + timedelta(days=1)
    broadcast_id = await draft(sessions, event, send_at=tomorrow)
    assert await confirm(sessions, broadcast_id) == 3
    assert {r.due_at for r in await rows(sessions, broadcast_id)} == {tomorrow}
    assert (await stored(sessions, broadcast_id)).status == BroadcastStatus.SCHEDULED
    async with sessions.begin() as session:
        done = await cancel_broadcast(session, broadcast_id, NOW)
    assert done is not None
    assert (done.outcome, done.rows) == (Cancelled.CANCELLED, 3)
    assert {r.status for r in await rows(sessions, broadcast_id)} == {Status.CANCELLED}
    async with sessions.begin() as session:
        assert await report(session, broadcast_id) == Report(cancelled=3)
        again = await cancel_broadcast(session, broadcast_id, NOW)
    assert again is not None
    assert (again.outcome, again.rows) == (Cancelled.ALREADY, 0)
    found = await stored(sessions, broadcast_id)
    assert (found.status, found.cancelled_at) == (BroadcastStatus.CANCELLED, NOW)


async def test_a_cancel_after_everything_went_says_so_and_changes_nothing(
    sessions: SessionMaker,
) -> None:
    event = await event_with(sessions, 3)
    broadcast_id = await draft(sessions, event)
    await confirm(sessions, broadcast_id)
    async with sessions.begin() as session:
        await session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.broadcast_id) == broadcast_id)
            .values(status=Status.SENT)
        )
    async with sessions.begin() as session:
        done = await cancel_broadcast(session, broadcast_id, NOW)
        assert done is not None
        assert (done.outcome, done.rows) == (Cancelled.FINISHED, 0)
        assert await report(session, broadcast_id) == Report(sent=3)
    assert (await stored(sessions, broadcast_id)).status == BroadcastStatus.SENT
    async with sessions.begin() as session:
        assert await cancel_broadcast(session, 999_999, NOW) is None


async def test_a_cancel_midway_stops_only_what_waits(sessions: SessionMaker) -> None:
    event = await event_with(sessions, 4)
    broadcast_id = await draft(sessions, event)
    await confirm(sessions, broadcast_id)
    first, second, *_ = sorted(r.id for r in await rows(sessions, broadcast_id) if r.id)
    async with sessions.begin() as session:
        await session.execute(
            update(OutboxMessage).where(col(OutboxMessage.id) == first).values(status=Status.SENT)
        )
        await session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == second)
            .values(status=Status.SENDING)
        )
    async with sessions.begin() as session:
        done = await cancel_broadcast(session, broadcast_id, NOW)
        assert done is not None
        assert (done.outcome, done.rows) == (Cancelled.CANCELLED, 2)
        assert await report(session, broadcast_id) == Report(sent=1, waiting=1, cancelled=2)


class Recording:
    """A channel that sends everything, except to the addresses that blocked the bot."""

    channel = "telegram"

    def __init__(self, blocking: set[str]) -> None:
        self.blocking = blocking
        self.sent: list[tuple[str, str]] = []

    async def send(
        self, address: str, reply: Reply, *, skip: int, pace: Pace, bulk: bool = False
    ) -> SendResult:
        if address in self.blocking:
            return SendResult(Outcome.BLOCKED, 0, error="forbidden")
        self.sent.append((address, reply.text))
        return SendResult(Outcome.SENT, 1, ("1",))


async def test_people_who_blocked_the_bot_show_as_blocked(sessions: SessionMaker) -> None:
    event = await make_event(sessions, "BLK24")
    crowd = [
        Someone(True, None, None, None, None, [Way("telegram", 1)]),
        Someone(True, None, None, None, None, [Way("telegram", 2)]),
        Someone(True, None, None, None, None, [Way("telegram", 3, blocked=True)]),  # known
        Someone(True, None, None, None, None, [Way("telegram", 4)]),  # blocks while sending
    ]
    await store(sessions, event, crowd)
    async with sessions() as session:
        assert (await audience_size(session, id_of(event), Everyone())).blocked == 1
    broadcast_id = await draft(sessions, event)
    assert await confirm(sessions, broadcast_id) == 4
    channel = Recording({f"u{crowd[3].person_id}"})
    dispatcher = Dispatcher(sessions, [channel], RateGate({}), lambda: NOW, poll_every=0.01)
    running = asyncio.create_task(dispatcher.run())
    try:
        for _ in range(200):
            async with sessions() as session:
                if not (await report(session, broadcast_id)).waiting:
                    break
            await asyncio.sleep(0.02)
    finally:
        await dispatcher.stop()
        running.cancel()
    async with sessions() as session:
        assert await report(session, broadcast_id) == Report(sent=2, blocked=2)
    assert sorted(address for address, _ in channel.sent) == sorted(
        f"u{one.person_id}" for one in crowd[:2]
    )
    assert {text for _, text in channel.sent} == {
        announcement(event.name, "Sesi pindah ke Ruang Mahakam.")
    }


# --- refused before anything is stored ----------------------------------------------------


async def nothing_stored(sessions: SessionMaker) -> None:
    async with sessions() as session:
        assert (await session.execute(select(func.count()).select_from(Broadcast))).scalar() == 0
        outbox = select(func.count()).select_from(OutboxMessage)
        assert (await session.execute(outbox)).scalar() == 0


@pytest.mark.parametrize(
    ("given", "key"),
    [
        ({"text": "  \n \u200b "}, "empty"),
        ({"text": "x" * (TEXT_LIMIT + 1)}, "too_long"),
        (
            {
                "text": "Lihat poster.",
                "file": FileToSend("p.jpg", "image/jpeg", b"x" * (5 * 2**20 + 1)),
            },
            "file_too_big",
        ),
        ({"text": "", "file": FileToSend("kosong.pdf", "application/pdf", b"")}, "file_empty"),
        ({"send_at": NOW}, "past"),
        ({"send_at": NOW - timedelta(minutes=1)}, "past"),
    ],
)
async def test_bad_drafts_are_refused(
    sessions: SessionMaker, given: dict[str, Any], key: str
) -> None:
    event = await event_with(sessions, 2)
    with pytest.raises(BroadcastError) as refused:
        await draft(sessions, event, **given)
    assert refused.value.key == key
    await nothing_stored(sessions)


async def test_the_limit_counts_the_heading_and_emoji_as_telegram_does(
    sessions: SessionMaker,
) -> None:
    event = await event_with(sessions, 1)
    room = TEXT_LIMIT - len(f"📢 {event.name}\n\n") - 1  # the megaphone counts twice
    assert await draft(sessions, event, text="📚" * (room // 2))
    with pytest.raises(BroadcastError) as refused:
        await draft(sessions, event, text="📚" * (room // 2 + 1))
    assert refused.value.values == {"length": (room // 2 + 1) * 2, "limit": room}


async def test_nobody_to_send_to_and_a_moment_passed_write_nothing(sessions: SessionMaker) -> None:
    event = await event_with(sessions, 2)
    nobody = await draft(sessions, event, audience=InClass(name="B"))
    later = await draft(sessions, event, send_at=NOW + timedelta(minutes=5))
    for broadcast_id, when, key in (
        (nobody, NOW, "nobody"),
        (later, NOW + timedelta(minutes=5), "past"),
    ):
        with pytest.raises(BroadcastError) as refused:
            await confirm(sessions, broadcast_id, when)
        assert refused.value.key == key
        assert await rows(sessions, broadcast_id) == []
        assert (await stored(sessions, broadcast_id)).status == BroadcastStatus.DRAFT


async def test_a_discarded_draft_takes_its_file_unless_it_is_sent_elsewhere(
    sessions: SessionMaker,
) -> None:
    event = await event_with(sessions, 1)
    poster = FileToSend("poster.jpg", "image/jpeg", b"\xff\xd8poster")
    kept = await draft(sessions, event, file=poster)
    dropped = await draft(sessions, event, file=poster)
    async with sessions.begin() as session:
        await discard_draft(session, dropped)
    async with sessions() as session:
        assert len((await session.execute(select(OutboxFile))).scalars().all()) == 1
    async with sessions.begin() as session:
        await discard_draft(session, kept)
        await discard_draft(session, None)
    await nothing_stored(sessions)
    async with sessions() as session:
        assert (await session.execute(select(OutboxFile))).scalars().all() == []
