"""The domain layer answers with a session and ids, no conversation needed: what the chat,
the command line and the scheduler all ask."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.db import SessionMaker
from models import ChannelIdentity, Consent, Conversation, Enrollment, Person, RoleName
from models.agenda import AgendaSession, agenda
from models.event import Event, EventError, create_event
from models.people import enrolled_people, events_of
from models.privacy.erasure import erase_person
from models.roles import (
    Redeemed,
    create_invite,
    find_invite,
    grants,
    redeem_invite,
    roles_in,
)
from tests.factories import (
    add_session,
    enrol,
    give_role,
    id_of,
    join_too,
    make_event,
    person_id_of,
    someone,
)

NOW = datetime(2024, 11, 13, 1, 0, tzinfo=UTC)


async def test_who_is_in_a_class_of_an_event(sessions: SessionMaker) -> None:
    event = await make_event(sessions, "SMD24", classes=("A", "B"))
    first = await enrol(sessions, event, class_name="A")
    await enrol(sessions, event, class_name="B")
    third = await enrol(sessions, event, class_name="A")
    await enrol(sessions, event)  # no class picked yet
    async with sessions() as session:
        in_a = await enrolled_people(session, id_of(event), "A")
        everyone = await enrolled_people(session, id_of(event))
    ids_in_a = {await person_id_of(sessions, first), await person_id_of(sessions, third)}
    assert {p.id for p in in_a} == ids_in_a
    assert len(everyone) == 4


async def test_a_persons_events_by_enrolment_and_by_role(sessions: SessionMaker) -> None:
    smd = await make_event(sessions, "SMD24")
    bpn = await make_event(
        sessions, "BPN24", starts_on=date(2024, 12, 2), ends_on=date(2024, 12, 4)
    )
    await make_event(sessions, "JBI24")
    user = await enrol(sessions, smd, class_name=None)
    role = await give_role(sessions, bpn, RoleName.TRAINER, user, speaker="Rachmawati")
    person_id = await person_id_of(sessions, user)
    async with sessions() as session:
        found = await events_of(session, person_id)
        assert [(e.code, joined is not None) for e, joined in found] == [
            ("SMD24", True),
            ("BPN24", False),
        ]
        every = await events_of(session, person_id, every=True)
        assert [e.code for e, _ in every] == ["SMD24", "JBI24", "BPN24"]
        assert await roles_in(session, person_id, id_of(bpn)) == {RoleName.TRAINER}
    async with sessions.begin() as session:
        held = await session.get(type(role), role.id)
        assert held is not None
        held.revoked_at = NOW
    async with sessions() as session:
        assert [e.code for e, _ in await events_of(session, person_id)] == ["SMD24"]


def test_organisers_may_do_what_trainers_may() -> None:
    assert grants({RoleName.ORGANIZER}, RoleName.TRAINER)
    assert grants({RoleName.TRAINER}, RoleName.TRAINER)
    assert not grants({RoleName.TRAINER}, RoleName.ORGANIZER)
    assert not grants(set(), RoleName.TRAINER)


async def test_an_invite_is_taken_once_and_not_after_it_expires(sessions: SessionMaker) -> None:
    event = await make_event(sessions, "SMD24")
    first, second = await someone(sessions, "satu"), await someone(sessions, "dua")
    async with sessions.begin() as session:
        code = await create_invite(
            session, id_of(event), RoleName.ORGANIZER, created_by="cli", now=NOW
        )
        late = await create_invite(
            session, id_of(event), RoleName.TRAINER, created_by="cli", now=NOW
        )
    async with sessions.begin() as session:
        invite = await find_invite(session, code.lower().replace("-", " "))  # as typed
        assert invite is not None
        assert (await redeem_invite(session, invite, first, NOW)).outcome is Redeemed.GRANTED
        assert (await redeem_invite(session, invite, second, NOW)).outcome is Redeemed.USED
        expired = await find_invite(session, late)
        assert expired is not None
        after = NOW + timedelta(days=8)
        assert (await redeem_invite(session, expired, second, after)).outcome is Redeemed.EXPIRED
        assert await find_invite(session, "BUKAN-KODE-XX") is None
    async with sessions() as session:
        assert await roles_in(session, first, id_of(event)) == {RoleName.ORGANIZER}
        assert await roles_in(session, second, id_of(event)) == set()


async def test_erasing_forgets_the_profile_on_every_channel(sessions: SessionMaker) -> None:
    event = await make_event(sessions, "SMD24")
    other = await make_event(sessions, "BPN24")
    user = await enrol(sessions, event)
    await join_too(sessions, user, other)
    person_id = await person_id_of(sessions, user)
    async with sessions.begin() as session:
        session.add(
            Consent(
                person_id=person_id, channel="console", text_version="x", locale="id",
                text_sha256="0" * 64, agreed_at=NOW,
            )
        )  # fmt: skip
        # The same person on a second channel, in the middle of a question there.
        whatsapp = ChannelIdentity(
            person_id=person_id, channel="whatsapp", user_key="6281200000000", address="x"
        )
        session.add(whatsapp)
        await session.flush()
        assert whatsapp.id is not None
        session.add(
            Conversation(identity_id=whatsapp.id, flow="edit", step="pick", state={"edit": {}})
        )
    async with sessions.begin() as session:
        assert await erase_person(session, person_id, NOW) is not None
    async with sessions() as session:
        # Without a last reply to send, the person goes at once, with every channel.
        assert await session.get(Person, person_id) is None
        assert (await session.execute(Enrollment.__table__.select())).first() is None  # type: ignore[attr-defined]
        assert (await session.execute(ChannelIdentity.__table__.select())).first() is None  # type: ignore[attr-defined]
        assert (await session.execute(Conversation.__table__.select())).first() is None  # type: ignore[attr-defined]
        consent = (await session.execute(Consent.__table__.select())).one()  # type: ignore[attr-defined]
        assert (consent.person_id, consent.withdrawn_at is not None) == (None, True)
        assert consent.agreed_at.time() == consent.withdrawn_at.time() == time()  # the day only
        assert await erase_person(session, person_id, NOW) is None


async def test_an_event_needs_its_organiser_named(sessions: SessionMaker) -> None:
    async with sessions.begin() as session:
        with pytest.raises(EventError, match="organiser"):
            await create_event(
                session, code="TANPA", name="Bimtek", timezone="Asia/Jakarta",
                starts_on=date(2024, 1, 1), ends_on=date(2024, 1, 2), organizer=" ",
            )  # fmt: skip


async def test_the_agenda_is_read_again_once_it_changed(sessions: SessionMaker) -> None:
    event = await make_event(sessions, "SMD24")
    await add_session(sessions, event, date(2024, 11, 13), "08.30", "10.00", "Pembukaan")

    async def titles() -> list[str]:
        async with sessions() as session:
            fresh = await session.get(Event, event.id)
            assert fresh is not None
            return [item.title for item in (await agenda(session, fresh)).items]

    assert await titles() == ["Pembukaan"]
    await add_session(sessions, event, date(2024, 11, 13), "10.15", "12.00", "Advokasi")
    assert await titles() == ["Pembukaan", "Advokasi"]
    async with sessions.begin() as session:
        first = (await session.execute(AgendaSession.__table__.select())).first()  # type: ignore[attr-defined]
        assert first is not None
        row = await session.get(AgendaSession, first.id)
        assert row is not None
        row.title = "Pembukaan resmi"
    assert await titles() == ["Pembukaan resmi", "Advokasi"]
    async with sessions.begin() as session:
        row = await session.get(AgendaSession, first.id)
        await session.delete(row)
    assert await titles() == ["Advokasi"]
