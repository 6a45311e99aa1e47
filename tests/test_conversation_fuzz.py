"""Random text at every registration step: always a clear answer, never a lost or bad value.

What counts as a good stored value is written out here, from the rules people were told
(a name is letters, a number is a mobile number in E.164...), not by calling the code
that checks it.
"""

import csv
import re
import unicodedata
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, update
from sqlmodel import col, select

from bot.db import SessionMaker
from handlers.i18n import Translator
from models import Consent, Conversation, Enrollment, Event, Person
from models.event import create_event
from tests.drivers import ConsoleDriver

ID = Translator("id")
ERRORS = {Translator(locale)("error.internal") for locale in ("id", "en")}
PROVINCES = {
    row["province"]
    for row in csv.DictReader(
        (Path(__file__).parents[1] / "models" / "data" / "provinces.csv")
        .read_text(encoding="utf-8")
        .splitlines()
    )
}
LIBRARY_TYPES = {"desa", "kelurahan", "tbm", "sekolah", "umum", "lainnya"}
# Invisible characters that must never reach a stored value: direction marks, zero-width
# characters and the C0 and C1 control characters.
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff\x00-\x1f\x7f-\x9f]")

# Valid answers that lead to each step, in order.
PATH: list[tuple[str, str]] = [
    ("language", "/start"),
    ("event_code", "Bahasa Indonesia"),
    ("consent", "KUKAR2024"),
    ("full_name", ID("consent.agree")),
    ("phone_e164", "Budi Santoso"),
    ("library_name", "0812-3456-7890"),
    ("library_type", "Perpustakaan Desa Sukamaju"),
    ("regency", ID("library_type.desa")),
    ("province", "Kutai Kartanegara"),
    ("library_role", "Kalimantan Timur"),
    ("summary", "Kepala Perpustakaan"),
]
STEP_NAMES = [step for step, _ in PATH]


def collapsed(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def as_kept(typed: str) -> str:
    """What a typed line becomes: whitespace of any kind one space, invisible and control
    characters gone, in NFC."""
    return collapsed(INVISIBLE.sub("", re.sub(r"\s", " ", typed)))


def letters(text: str) -> int:
    return sum(1 for ch in text if unicodedata.category(ch)[0] == "L")


def good_name(value: str, typed: str) -> bool:
    allowed = set(" .,'-’()")
    return (
        letters(value) >= 2
        and len(value) <= 100
        and all(unicodedata.category(ch)[0] in "LM" or ch in allowed for ch in value)
        and value == as_kept(typed)
    )


def good_text(value: str, typed: str, max_len: int) -> bool:
    return (
        letters(value) >= 2
        and len(value) <= max_len
        and not INVISIBLE.search(value)
        and value == as_kept(typed)
    )


def good_phone(value: str, typed: str) -> bool:
    """E.164, and every digit of it typed (a leading 0 stands for the country code)."""
    if not re.fullmatch(r"\+[1-9]\d{7,14}", value):
        return False
    typed_digits = re.sub(r"\D", "", typed)
    national = value[3:] if value.startswith("+62") else value[1:]
    return typed_digits.endswith(national)


GOOD: dict[str, Any] = {
    "full_name": good_name,
    "phone_e164": good_phone,
    "library_name": lambda v, t: good_text(v, t, 120),
    "library_type": lambda v, t: v in LIBRARY_TYPES,
    "regency": lambda v, t: good_text(v, t, 80),
    "province": lambda v, t: v in PROVINCES,
    "library_role": lambda v, t: good_text(v, t, 80),
}


@pytest.fixture
async def person(
    database_url: str, sessions: SessionMaker, demo_event: Event
) -> AsyncIterator[ConsoleDriver]:
    async with sessions.begin() as session:  # two open events: /start asks for the code
        await create_event(
            session,
            code="JBI2024",
            name="Bimtek SPP-TIK Provinsi Jambi",
            organizer="Dinas Perpustakaan",
            timezone="Asia/Jakarta",
            starts_on=demo_event.starts_on,
            ends_on=demo_event.ends_on,
        )
    driver = ConsoleDriver(database_url)
    yield driver
    await driver.close()


COLUMNS = ("flow", "step", "paused_flow", "paused_step", "state")


async def snapshot(sessions: SessionMaker) -> dict[str, Any]:
    async with sessions() as session:
        conversation = (await session.execute(select(Conversation))).scalar_one()
        person = (await session.execute(select(Person))).scalar_one()
        consents = list((await session.execute(select(Consent.id))).scalars())
    return {
        "conversation": {c: getattr(conversation, c) for c in COLUMNS},
        "locale": person.locale,
        "registered": person.registered_at is not None,
        "profile": {field: getattr(person, field) for field in GOOD},
        "consents": consents,
    }


async def restore(sessions: SessionMaker, saved: dict[str, Any]) -> None:
    async with sessions.begin() as session:
        await session.execute(update(Conversation).values(**saved["conversation"]))
        await session.execute(delete(Enrollment))
        await session.execute(delete(Consent).where(col(Consent.id).not_in(saved["consents"])))
        await session.execute(
            update(Consent).values(withdrawn_at=None)
        )  # an erasure in the last example withdrew it
        fields = {name: None for name in GOOD}
        await session.execute(
            update(Person).values(
                locale=saved["locale"], registered_at=None, viewing_event_id=None, **fields
            )
        )
        persons = (await session.execute(select(Person.id))).scalars().all()
        await session.execute(update(Consent).values(person_id=persons[0]))


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


def answers_in(conversation: dict[str, Any]) -> dict[str, str]:
    found = conversation["state"].get("registration", {}).get("answers", {})
    return {k: v for k, v in found.items() if v is not None}


@pytest.mark.parametrize("step", STEP_NAMES)
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=st.text(max_size=300))
@example(text="²")  # a digit to str.isdigit(), not to int()
@example(text="/batal")
@example(text="\x00")
@example(text="Budi\u202e Santoso")  # a right-to-left override inside a name
@example(text="tidak")
@example(text="Kalimantan")
@example(text="1")  # at the summary: the first button, registering
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
        assert (state["flow"], state["state"]) == (None, {}), "cancelling keeps half answers"
        return
    new, earlier = answers_in(state), answers_in(before)
    if after["registered"]:  # a word or number confirming the summary
        assert step == "summary"
        assert {k: after["profile"][k] for k in earlier} == earlier, "an answer was lost"
        return
    assert {k: new.get(k) for k in earlier} == earlier, "an answer was lost"
    for field, value in new.items():
        if field not in earlier:
            assert field == step, f"{field} answered at {step}"
            assert GOOD[field](value, text), f"{text!r} stored as {value!r} at {step}"
