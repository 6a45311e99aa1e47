"""Random text at every registration step: always a clear answer, never a lost or bad value."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, update
from sqlmodel import col, select

from bot.db import SessionMaker
from bot.events import create_event
from handlers.i18n import Translator
from handlers.profile import BY_NAME
from handlers.validation import InvalidInputError
from models import Consent, Conversation, Enrollment, Event, Participant
from tests.drivers import ConsoleDriver

ID = Translator("id")
ERRORS = {Translator(locale)("error.internal") for locale in ("id", "en")}

# Valid answers that lead to each step, in order.
PATH: list[tuple[str, str]] = [
    ("language", "/start"),
    ("event_code", "Bahasa Indonesia"),
    ("consent", "KUKAR2024"),
    ("field:full_name", ID("consent.agree")),
    ("field:phone_e164", "Budi Santoso"),
    ("field:library_name", "0812-3456-7890"),
    ("field:library_type", "Perpustakaan Desa Sukamaju"),
    ("field:regency", ID("library_type.desa")),
    ("field:province", "Kutai Kartanegara"),
    ("field:library_role", "Kalimantan Timur"),
    ("summary", "Kepala Perpustakaan"),
]
STEP_NAMES = [step for step, _ in PATH]


@pytest.fixture
async def person(
    database_url: str, sessions: SessionMaker, demo_event: Event
) -> AsyncIterator[ConsoleDriver]:
    async with sessions.begin() as session:  # two open events: /start asks for the code
        await create_event(
            session,
            code="JBI2024",
            name="Bimtek SPP-TIK Provinsi Jambi",
            timezone="Asia/Jakarta",
            starts_on=demo_event.starts_on,
            ends_on=demo_event.ends_on,
        )
    driver = ConsoleDriver(database_url)
    yield driver
    await driver.close()


async def snapshot(sessions: SessionMaker) -> dict[str, Any]:
    async with sessions() as session:
        conversation = (await session.execute(select(Conversation))).scalar_one()
        participants = list((await session.execute(select(Participant.id))).scalars())
    columns = ("locale", "event_id", "participant_id", "flow", "step", "data")
    return {
        "conversation": {c: getattr(conversation, c) for c in columns},
        "participants": participants,
    }


async def restore(sessions: SessionMaker, saved: dict[str, Any]) -> None:
    keep = saved["participants"]
    async with sessions.begin() as session:
        await session.execute(update(Conversation).values(**saved["conversation"]))
        await session.execute(delete(Enrollment))
        await session.execute(delete(Consent).where(col(Consent.participant_id).not_in(keep)))
        await session.execute(delete(Participant).where(col(Participant.id).not_in(keep)))
        fields = {name: None for name in BY_NAME}
        await session.execute(update(Participant).values(registered_at=None, **fields))


async def reach(step: str, person: ConsoleDriver, sessions: SessionMaker) -> dict[str, Any]:
    """Answer validly up to ``step`` once; later examples restore the state saved then."""
    saved: dict[str, Any] | None = getattr(person, "saved", None)
    if saved is None:
        for name, answer in PATH[: STEP_NAMES.index(step) + 1]:
            buttons = person.last[-1].buttons if person.last else ()
            shown = await (person.press(answer) if answer in buttons else person.send(answer))
            assert shown, f"no answer on the way to {name}"
        saved = await snapshot(sessions)
        assert saved["conversation"]["step"] == step
        person.saved = saved  # type: ignore[attr-defined]
    else:
        await restore(sessions, saved)
    return saved


@pytest.mark.parametrize("step", STEP_NAMES)
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=st.text(max_size=300))
@example(text="²")  # a digit to str.isdigit(), not to int()
@example(text="/batal")
@example(text="\x00")
async def test_random_text_at_every_step(
    step: str, person: ConsoleDriver, sessions: SessionMaker, text: str
) -> None:
    saved = await reach(step, person, sessions)
    shown = await person.send(text)
    assert shown, "every message gets an answer"
    assert not ERRORS & {s.text for s in shown}
    after = await snapshot(sessions)
    state, before = after["conversation"], saved["conversation"]
    if text.strip() in ("/batal", "/cancel"):
        assert (state["flow"], state["data"]) == (None, {}), "cancelling keeps half answers"
        return
    answers = state["data"].get("answers", {})
    earlier = before["data"].get("answers", {})
    assert {k: answers.get(k) for k in earlier} == earlier, "an answer was lost"
    if state["step"] == step and state["flow"] == before["flow"]:
        assert answers == earlier
        return
    field = BY_NAME.get(step.removeprefix("field:"))
    if field is not None and field.clean is not None:
        try:
            expected = field.clean(text)
        except InvalidInputError:
            raise AssertionError(f"{text!r} was accepted at {step}") from None
        assert answers[field.name] == expected
