"""Someone who writes from several channels chooses in /pengingat the one reminders and
announcements go to; reminders, survey prompts and broadcasts honour it, and fall back
to the channel written from last while the chosen one is unreachable."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import col, select

from bot.db import SessionMaker
from models import ChannelIdentity, Conversation, Event, Person
from models.audience import Everyone, audience_of
from models.notifications import audience
from tests.factories import ID, Talker, enrol, id_of, labels, make_event, person_id_of, text_of

NOW = datetime(2024, 11, 13, 0, 30, tzinfo=UTC)


async def add_whatsapp(sessions: SessionMaker, user_key: str, wa_key: str, when: datetime) -> None:
    """The person known as ``user_key`` also writes from WhatsApp, last at ``when``."""
    person_id = await person_id_of(sessions, user_key)
    async with sessions.begin() as session:
        identity = ChannelIdentity(
            person_id=person_id,
            channel="whatsapp",
            user_key=wa_key,
            address=wa_key,
            last_inbound_at=when,
        )
        session.add(identity)
        await session.flush()
        session.add(Conversation(identity_id=id_of(identity)))


async def set_person(sessions: SessionMaker, person_id: int, **values: object) -> None:
    async with sessions.begin() as session:
        await session.execute(update(Person).where(col(Person.id) == person_id).values(**values))


async def set_identity(sessions: SessionMaker, channel: str, **values: object) -> None:
    async with sessions.begin() as session:
        await session.execute(
            update(ChannelIdentity).where(col(ChannelIdentity.channel) == channel).values(**values)
        )


async def channels_reached(sessions: SessionMaker, event: Event) -> tuple[list[str], list[str]]:
    """Where a reminder (or survey prompt) and a broadcast to everyone would go."""
    async with sessions() as session:
        reminded = await audience(session, id_of(event))
        announced = await audience_of(session, id_of(event), Everyone())
    return [r.channel for r in reminded], [r.channel for r in announced]


async def test_reminders_and_broadcasts_go_where_the_person_chose(
    sessions: SessionMaker,
) -> None:
    event = await make_event(sessions, "SMD24")
    key = await enrol(sessions, event, channel="telegram")
    person_id = await person_id_of(sessions, key)
    await set_identity(sessions, "telegram", last_inbound_at=NOW - timedelta(hours=2))
    await add_whatsapp(sessions, key, "6281200000123", NOW - timedelta(hours=1))
    await enrol(sessions, event, channel="console")  # one channel: always that one

    assert await channels_reached(sessions, event) == (
        ["whatsapp", "console"],
        ["whatsapp", "console"],
    ), "no choice: the channel written from last"
    await set_person(sessions, person_id, notify_channel="telegram")
    assert await channels_reached(sessions, event) == (
        ["telegram", "console"],
        ["telegram", "console"],
    )
    await set_identity(sessions, "telegram", unreachable_at=NOW)
    assert await channels_reached(sessions, event) == (
        ["whatsapp", "console"],
        ["whatsapp", "console"],
    ), "the chosen channel blocked: the others still reach them"
    await set_identity(sessions, "telegram", unreachable_at=None)
    await set_person(sessions, person_id, notify_channel="sms")  # none of theirs
    assert await channels_reached(sessions, event) == (
        ["whatsapp", "console"],
        ["whatsapp", "console"],
    )


async def test_pengingat_shows_the_channel_and_switches_it(sessions: SessionMaker) -> None:
    event = await make_event(sessions, "SMD24")
    key = await enrol(sessions, event, channel="telegram")
    await add_whatsapp(sessions, key, "6281200000123", NOW - timedelta(hours=1))
    person = Talker(sessions, key, NOW, channel="telegram")

    replies = await person.send("/pengingat")
    # Writing from Telegram just now made it the channel written from last.
    assert ID("reminders.channel", channel="Telegram") in text_of(replies)
    assert labels(replies)[-1] == ID("reminders.send_via", channel="WhatsApp")
    replies = await person.press_label(replies, ID("reminders.send_via", channel="WhatsApp"))
    assert replies[0].text == ID("reminders.channel_saved", channel="WhatsApp")
    assert ID("reminders.channel", channel="WhatsApp") in text_of(replies)
    assert ID("reminders.send_via", channel="Telegram") in labels(replies)
    async with sessions() as session:
        stored = await session.get(Person, await person_id_of(sessions, key))
        assert stored is not None
        assert stored.notify_channel == "whatsapp"
    assert await channels_reached(sessions, event) == (["whatsapp"], ["whatsapp"])

    # Unreachable there: said, and the reminders go to Telegram meanwhile.
    await set_identity(sessions, "whatsapp", unreachable_at=NOW)
    replies = await person.send("/pengingat")
    assert ID("reminders.channel", channel="Telegram") in text_of(replies)
    assert ID("reminders.channel_unreachable", chosen="WhatsApp") in text_of(replies)
    assert await channels_reached(sessions, event) == (["telegram"], ["telegram"])

    # A button for a channel that is not theirs is refused, and changes nothing.
    replies = await person.press("ingat|via:sms")
    assert ID("invalid.stale_button") in text_of(replies)
    async with sessions() as session:
        found = await session.execute(select(Person.notify_channel))
        assert found.scalars().all() == ["whatsapp"]


async def test_one_channel_only_offers_no_choice(sessions: SessionMaker) -> None:
    event = await make_event(sessions, "SMD24")
    person = Talker(sessions, await enrol(sessions, event, channel="telegram"), NOW, "telegram")
    replies = await person.send("/pengingat")
    assert "📨" not in text_of(replies)
    assert not [label for label in labels(replies) if label.startswith("📨")]
