"""WhatsApp's 24 hours, end to end with a controlled clock: inside them a reminder goes as
a plain message; after them as the template configured for its kind, or held (never
dropped) and counted for the organiser until the person writes again; a window Meta says
is closed sooner than the bot knew is noted, and what follows goes as templates."""

import contextlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlmodel import col

from bot.channels.whatsapp_send import TemplateRef
from bot.db import SessionMaker
from handlers.outgoing import body_of
from handlers.types import Reply
from models import ChannelIdentity, Event, OutboxMessage, outbox
from models.outbox import Outgoing, Priority, Status
from tests.fakes.whatsapp_api import FakeWhatsAppServer
from tests.whatsapp_driver import WhatsAppBot, WhatsAppDriver

REMINDER = "⏰ Pengingat: sesi berikut mulai pukul 08.00 WITA\nStrategi Transformasi\n📍 Ballroom"
START = datetime.fromisoformat("2024-11-13T23:00:00+00:00")


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@contextlib.asynccontextmanager
async def bot_with(
    database_url: str, server: FakeWhatsAppServer, clock: Clock, **templates: TemplateRef
) -> AsyncIterator[WhatsAppBot]:
    """The bot's WhatsApp side on the test's clock, with these templates per kind."""
    bot = await WhatsAppBot(server, database_url, clock, templates=templates).start()
    try:
        yield bot
    finally:
        await bot.stop()


async def remind(bot: WhatsAppBot, person: WhatsAppDriver, key: str, kind: str = "reminder") -> int:
    """A notification for ``person``, written as the planner writes one; its row id."""
    async with bot.engine.sessions.begin() as session:
        identity_id = (
            await session.execute(
                select(col(ChannelIdentity.id)).where(
                    col(ChannelIdentity.user_key) == person.user_key
                )
            )
        ).scalar_one()
        assert identity_id is not None
        message = Outgoing(
            key,
            identity_id,
            "whatsapp",
            kind,
            body_of(Reply(REMINDER)),
            bot.clock(),
            priority=Priority.NOTICE,
            expires_at=bot.clock() + timedelta(hours=2),
        )
        [row_id] = await session.run_sync(outbox.enqueue, [message])
    bot.dispatcher.wake()
    await bot.until_sent(person.user_key)
    return row_id


async def row(sessions: SessionMaker, row_id: int) -> OutboxMessage:
    async with sessions() as session:
        found = await session.get(OutboxMessage, row_id)
        assert found is not None
        return found


async def test_inside_the_window_a_reminder_is_a_plain_message(
    database_url: str, demo_event: Event, whatsapp_server: FakeWhatsAppServer, clock: Clock
) -> None:
    async with bot_with(
        database_url, whatsapp_server, clock, reminder=TemplateRef("r", "id")
    ) as bot:
        person = WhatsAppDriver(bot)
        await person.send("halo")
        clock.now += timedelta(hours=23, minutes=50)
        before = len(whatsapp_server.sent_to(person.user_key))
        row_id = await remind(bot, person, "in-window")
        [got] = whatsapp_server.sent_to(person.user_key)[before:]
        assert (got.type, got.text) == ("text", REMINDER)
        assert (await row(bot.engine.sessions, row_id)).status == Status.SENT


async def test_after_the_window_a_reminder_goes_as_its_template(
    database_url: str, demo_event: Event, whatsapp_server: FakeWhatsAppServer, clock: Clock
) -> None:
    template = TemplateRef("bimtek_pengingat", "id")
    async with bot_with(database_url, whatsapp_server, clock, reminder=template) as bot:
        person = WhatsAppDriver(bot)
        await person.send("halo")
        clock.now += timedelta(hours=24, minutes=1)
        whatsapp_server.window_closed.add(person.user_key)
        before = len(whatsapp_server.sent_to(person.user_key))
        await remind(bot, person, "after-window")
        [got] = whatsapp_server.sent_to(person.user_key)[before:]
        assert got.type == "template"
        assert got.template is not None
        assert (got.template.name, got.template.language) == ("bimtek_pengingat", "id")
        # The parameter holds the whole text, on one line as Meta requires.
        assert got.template.parameters == (REMINDER.replace("\n", " · "),)


async def test_without_a_template_it_is_held_counted_and_sent_when_they_write(
    database_url: str, demo_event: Event, whatsapp_server: FakeWhatsAppServer, clock: Clock
) -> None:
    async with bot_with(database_url, whatsapp_server, clock) as bot:
        person = WhatsAppDriver(bot)
        await person.send("halo")
        clock.now += timedelta(days=2)
        whatsapp_server.window_closed.add(person.user_key)
        before = len(whatsapp_server.sent_to(person.user_key))
        row_id = await remind(bot, person, "held")
        assert whatsapp_server.sent_to(person.user_key)[before:] == [], "nothing sent"
        held = await row(bot.engine.sessions, row_id)
        assert (held.status, held.error) == (Status.HELD, "needs template")
        async with bot.engine.sessions() as session:
            assert await outbox.counts(session, kind="reminder") == {Status.HELD: 1}

        whatsapp_server.window_closed.discard(person.user_key)  # they wrote: open again
        clock.now += timedelta(minutes=30)
        shown = await person.send("/jadwal")
        texts = [m.text for m in shown]
        assert REMINDER in texts, "the held reminder went once they wrote"
        assert (await row(bot.engine.sessions, row_id)).status == Status.SENT


async def test_a_held_reminder_whose_moment_passed_stays_unsent(
    database_url: str, demo_event: Event, whatsapp_server: FakeWhatsAppServer, clock: Clock
) -> None:
    async with bot_with(database_url, whatsapp_server, clock) as bot:
        person = WhatsAppDriver(bot)
        await person.send("halo")
        clock.now += timedelta(days=2)
        row_id = await remind(bot, person, "too-late")
        clock.now += timedelta(hours=3)  # past the reminder's expiry
        shown = await person.send("/jadwal")
        assert REMINDER not in [m.text for m in shown]
        assert (await row(bot.engine.sessions, row_id)).status == Status.HELD


async def test_a_window_meta_closed_sooner_is_noted_and_templates_follow(
    database_url: str, demo_event: Event, whatsapp_server: FakeWhatsAppServer, clock: Clock
) -> None:
    template = TemplateRef("bimtek_pengingat", "id")
    async with bot_with(database_url, whatsapp_server, clock, reminder=template) as bot:
        person = WhatsAppDriver(bot)
        await person.send("halo")
        clock.now += timedelta(hours=2)
        whatsapp_server.fail(person.user_key, 131047)  # re-engagement message
        before = len(whatsapp_server.sent_to(person.user_key))
        await remind(bot, person, "closed-sooner")
        [got] = whatsapp_server.sent_to(person.user_key)[before:]
        assert got.type == "template", "sent again as the template"
        async with bot.engine.sessions() as session:
            identity = (
                await session.execute(
                    select(ChannelIdentity).where(col(ChannelIdentity.user_key) == person.user_key)
                )
            ).scalar_one()
        assert identity.window_closed_at == clock.now
        await remind(bot, person, "next-one")
        assert whatsapp_server.sent_to(person.user_key)[-1].type == "template"


async def test_a_reply_never_goes_as_a_template(
    database_url: str, demo_event: Event, whatsapp_server: FakeWhatsAppServer, clock: Clock
) -> None:
    async with bot_with(database_url, whatsapp_server, clock, reply=TemplateRef("x", "id")) as bot:
        person = WhatsAppDriver(bot)
        shown = await person.send("/bantuan")
        assert shown
        assert all(m.type != "template" for m in whatsapp_server.sent_to(person.user_key))
