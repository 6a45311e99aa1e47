"""Factories shared by the tests: events, agendas, people and roles stored directly, and a
person talking to the engine at a chosen moment."""

import asyncio
import itertools
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.db import SessionMaker, create_engine, session_maker
from bot.engine import Engine
from handlers.i18n import Translator
from handlers.turn import Deployment
from handlers.types import Attachment, Inbound, InboundKind, Reply
from models import (
    AgendaSession,
    ChannelIdentity,
    Conversation,
    Enrollment,
    Event,
    EventClass,
    Person,
    Role,
    RoleName,
)
from models.event import create_event

ID = Translator("id")
EN = Translator("en")
T = TypeVar("T")


def on_database(url: str, work: Callable[[SessionMaker], Awaitable[T]]) -> T:
    """``work`` done on the database at ``url`` from outside any event loop, as a command
    line test does around the command (which runs its own loop); the engine closed after."""

    async def run() -> T:
        engine = create_engine(url)
        try:
            return await work(session_maker(engine))
        finally:
            await engine.dispose()

    return asyncio.run(run())


async def make_event(
    sessions: SessionMaker,
    code: str,
    timezone: str = "Asia/Makassar",
    starts_on: date = date(2024, 11, 13),
    ends_on: date = date(2024, 11, 16),
    classes: tuple[str, ...] = (),
) -> Event:
    async with sessions.begin() as session:
        event = await create_event(
            session,
            code=code,
            name=f"Bimtek {code}",
            organizer="Dinas Perpustakaan",
            venue="Hotel Contoh",
            timezone=timezone,
            starts_on=starts_on,
            ends_on=ends_on,
        )
        assert event.id is not None
        for name in classes:
            session.add(EventClass(event_id=event.id, name=name))
        return event


def local(event: Event, day: date, hhmm: str) -> datetime:
    hours, minutes = (int(part) for part in hhmm.split("."))
    return datetime.combine(day, time(hours, minutes), ZoneInfo(event.timezone)).astimezone(UTC)


async def add_session(
    sessions: SessionMaker,
    event: Event,
    day: date,
    start: str,
    end: str,
    title: str,
    *,
    room: str = "Ruang Mahakam",
    speakers: str = "",
    class_name: str | None = None,
    description: str = "",
) -> AgendaSession:
    assert event.id is not None
    async with sessions.begin() as session:
        row = AgendaSession(
            event_id=event.id,
            day=day,
            starts_at=local(event, day, start),
            ends_at=local(event, day, end),
            title=title,
            speakers=speakers,
            room=room,
            class_name=class_name,
            description=description,
        )
        session.add(row)
    return row


def id_of(row: Event | AgendaSession | Person | ChannelIdentity) -> int:
    """A stored row's id (typed: stored rows have one)."""
    assert row.id is not None
    return row.id


_people = itertools.count(1)


async def enrol(
    sessions: SessionMaker,
    event: Event,
    *,
    channel: str = "console",
    class_name: str | None = None,
    locale: str = "id",
) -> str:
    """A registered participant of ``event``; returns their user key on ``channel``."""
    user_key = f"peserta-{next(_people)}"
    async with sessions.begin() as session:
        person = Person(
            locale=locale,
            full_name="Siti Rahayu",
            phone_e164="+6281234567890",
            library_name="Perpustakaan Desa Contoh",
            library_type="desa",
            regency="Kutai Kartanegara",
            province="Kalimantan Timur",
            library_role="Pengelola",
            registered_at=datetime(2024, 11, 1, tzinfo=UTC),
            viewing_event_id=event.id,
        )
        session.add(person)
        await session.flush()
        assert person.id is not None
        assert event.id is not None
        session.add(Enrollment(person_id=person.id, event_id=event.id, class_name=class_name))
        identity = ChannelIdentity(
            person_id=person.id, channel=channel, user_key=user_key, address=user_key
        )
        session.add(identity)
        await session.flush()
        assert identity.id is not None
        session.add(Conversation(identity_id=identity.id))
    return user_key


async def someone(sessions: SessionMaker, user_key: str, channel: str = "console") -> int:
    """A person known on ``channel`` as ``user_key`` (created without personal data, as
    at their first message, when new); their person id."""
    async with sessions.begin() as session:
        found = await session.execute(
            select(ChannelIdentity.person_id).where(
                col(ChannelIdentity.channel) == channel, col(ChannelIdentity.user_key) == user_key
            )
        )
        person_id = found.scalars().first()
        if person_id is not None:
            return person_id
        person = Person(locale="id")
        session.add(person)
        await session.flush()
        assert person.id is not None
        identity = ChannelIdentity(
            person_id=person.id, channel=channel, user_key=user_key, address=user_key
        )
        session.add(identity)
        await session.flush()
        assert identity.id is not None
        session.add(Conversation(identity_id=identity.id))
        return person.id


async def give_role(
    sessions: SessionMaker,
    event: Event,
    role: RoleName,
    user_key: str,
    *,
    speaker: str = "",
    now: datetime = datetime(2024, 11, 1, tzinfo=UTC),
) -> Role:
    """``user_key`` (on the console) holds ``role`` in ``event``, as if invited."""
    person_id = await someone(sessions, user_key)
    async with sessions.begin() as session:
        held = Role(
            event_id=id_of(event), person_id=person_id, role=role, speaker=speaker, granted_at=now
        )
        session.add(held)
    return held


async def person_id_of(sessions: SessionMaker, user_key: str) -> int:
    async with sessions() as session:
        found = await session.execute(
            select(ChannelIdentity.person_id).where(col(ChannelIdentity.user_key) == user_key)
        )
        return found.scalars().one()


async def enrolled_codes(sessions: SessionMaker) -> list[str]:
    """The codes of the events of every enrolment stored, sorted."""
    async with sessions() as session:
        rows = await session.execute(
            select(Event.code).join(Enrollment, col(Enrollment.event_id) == col(Event.id))
        )
        return sorted(rows.scalars())


async def join_too(sessions: SessionMaker, user_key: str, event: Event) -> None:
    """Enrol an existing participant in another event as well."""
    person_id = await person_id_of(sessions, user_key)
    async with sessions.begin() as session:
        assert event.id is not None
        session.add(Enrollment(person_id=person_id, event_id=event.id))


@dataclass
class Talker:
    """Someone talking to the engine directly, at a moment the test chooses."""

    sessions: SessionMaker
    user_key: str
    now: datetime
    channel: str = "console"
    deployment: Deployment = field(default_factory=Deployment)
    _count: Iterator[int] = field(default_factory=itertools.count)

    def engine(self) -> Engine:
        return Engine(self.sessions, clock=lambda: self.now, deployment=self.deployment)

    async def _send(self, **content: object) -> list[Reply]:
        inbound = Inbound(
            channel=self.channel,
            user_key=self.user_key,
            message_key=f"{self.user_key}:{next(self._count)}",
            **content,  # type: ignore[arg-type]
        )
        return await self.engine().handle(inbound)

    async def send(self, text: str) -> list[Reply]:
        return await self._send(text=text)

    async def press(self, payload: str) -> list[Reply]:
        return await self._send(kind=InboundKind.CHOICE, choice=payload)

    async def press_label(self, replies: list[Reply], label: str) -> list[Reply]:
        for reply in reversed(replies):
            for choice in reply.choices:
                if choice.label == label:
                    return await self.press(choice.payload)
        raise AssertionError(f"no button {label!r} in {[r.choices for r in replies]}")

    async def send_file(self, filename: str, content: bytes | None) -> list[Reply]:
        size = len(content) if content is not None else 50_000_000
        attachment = Attachment(filename, "text/csv", content, size)
        return await self._send(kind=InboundKind.FILE, attachment=attachment)


def text_of(replies: list[Reply]) -> str:
    return "\n---\n".join(reply.text for reply in replies)


def labels(replies: list[Reply]) -> list[str]:
    return [choice.label for reply in replies for choice in reply.choices]
