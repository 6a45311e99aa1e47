"""Anything typed or any forged button, from a participant or an organiser of another
event: always a clear answer, and the agenda, roles and invites stay as they were."""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from bot.db import SessionMaker
from handlers.i18n import Translator
from models import AgendaSession, Enrollment, Event, Invite, Role, RoleName
from models.roles import create_invite
from tests.factories import Talker, add_session, enrol, id_of, make_event

ERRORS = {Translator(locale)("error.internal") for locale in ("id", "en")}
NOW = datetime(2024, 11, 13, 2, 0, tzinfo=UTC)
WED = date(2024, 11, 13)


@dataclass
class World:
    mine: Event
    participant: Talker
    outsider: Talker  # organiser of another event, also taking part in this one


@pytest.fixture
async def world(sessions: SessionMaker) -> World:
    mine = await make_event(sessions, "SMD24", classes=("A", "B"))
    other = await make_event(sessions, "BPN24")
    for event in (mine, other):
        await add_session(sessions, event, WED, "08.30", "10.00", "Pembukaan", speakers="Taufik")
        await add_session(sessions, event, WED, "10.15", "12.00", "Praktik", class_name=None)
    async with sessions.begin() as session:
        await create_invite(session, id_of(mine), RoleName.TRAINER, created_by="cli", now=NOW)
        code = await create_invite(
            session, id_of(other), RoleName.ORGANIZER, created_by="cli", now=NOW
        )
    outsider = Talker(sessions, await enrol(sessions, mine), NOW)
    await outsider.send(f"/start {code}")
    await outsider.press(f"acara|{mine.id}")
    return World(mine, Talker(sessions, await enrol(sessions, mine, class_name="A"), NOW), outsider)


async def guarded(sessions: SessionMaker) -> dict[str, Any]:
    async with sessions() as session:
        agenda = await session.execute(
            select(AgendaSession.id, AgendaSession.title, AgendaSession.starts_at)
        )
        roles = await session.execute(select(Role.id, Role.revoked_at))
        invites = await session.execute(select(Invite.id, Invite.used_at, Invite.revoked_at))
        classes = await session.execute(
            select(Enrollment.id, Enrollment.class_name).order_by(col(Enrollment.id))
        )
        return {
            "agenda": sorted(agenda.all()),
            "roles": sorted(roles.all()),
            "invites": sorted(invites.all()),
            "classes": classes.all(),
        }


# The world is built once per test and shared by its examples, which change nothing.
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Question tokens too ("?0"...): any of an earlier question, or forged, answers nothing.
NAMESPACES = ["menu", "sesi", "hari", "acara", "kelas", "tim", "?0", "?1", "?zz", "", "x"]
payloads = st.builds(
    lambda namespace, value: f"{namespace}|{value}",
    st.sampled_from(NAMESPACES),
    st.one_of(
        st.text(max_size=40),
        st.integers(-5, 10**12).map(str),
        st.sampled_from(["role:1", "confirm-role:1", "invite:1", "confirm-invite:1", "list:0"]),
        st.dates().map(date.isoformat),
    ),
)


@FUZZ
@given(payload=payloads, who=st.sampled_from(["participant", "outsider"]))
@example(payload="tim|confirm-role:1", who="outsider")
@example(payload="tim|confirm-invite:1", who="participant")
@example(payload="sesi|²", who="participant")
@example(payload="hari|9999-99-99", who="participant")
async def test_forged_buttons_change_nothing(
    world: World, sessions: SessionMaker, payload: str, who: str
) -> None:
    person = world.participant if who == "participant" else world.outsider
    before = await guarded(sessions)
    replies = await person.press(payload)
    assert replies, "every press gets an answer"
    assert not ERRORS & {reply.text for reply in replies}
    after = await guarded(sessions)
    if payload.startswith("kelas|"):  # a participant may change their own class
        after["classes"], before["classes"] = [], []
    assert after == before


@FUZZ
@given(text=st.text(max_size=200), who=st.sampled_from(["participant", "outsider"]))
@example(text="/start ABCD-EFGH-JKMN", who="participant")
@example(text="/undang", who="outsider")
@example(text="/tim", who="participant")
@example(text="/sesisaya", who="participant")
@example(text="/jadwal@BimtekBot", who="participant")
async def test_typed_text_after_lookups_changes_nothing(
    world: World, sessions: SessionMaker, text: str, who: str
) -> None:
    person = world.participant if who == "participant" else world.outsider
    await person.send("/jadwal")
    before = await guarded(sessions)
    replies = await person.send(text)
    await person.send("/batal")  # leave whatever the text may have started
    assert not ERRORS & {reply.text for reply in replies}
    after = await guarded(sessions)
    if text.strip().isdigit() or text.strip().startswith("/kelas"):
        after["classes"], before["classes"] = [], []
    assert after == before
