"""The generic question step, through a questionnaire written as data the way a new flow
is written (see "Adding a flow" in the README): every kind of question, typed or
pressed, bad answers refused in the person's language, and nothing stored until done."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, Field
from sqlmodel import select

from bot.db import SessionMaker
from bot.engine import Engine
from handlers.flow import Flow, end_flow, goto
from handlers.i18n import Translator
from handlers.menu import main_menu
from handlers.questions import (
    Answer,
    AnswerOption,
    Kind,
    Question,
    QuestionStep,
    Words,
    read_number,
)
from handlers.registry import Command, Feature, build, discover
from handlers.turn import Turn
from handlers.types import Inbound, InboundKind, Reply
from models import Conversation, Event

ID, EN = Translator("id"), Translator("en")


# --- the example flow: one module's worth ------------------------------------------------


class TasteState(BaseModel):
    answers: dict[str, Answer] = Field(default_factory=dict)


QUESTIONS = [
    Question(
        "useful",
        Kind.SCALE,
        Words({"id": "Seberapa berguna sesi ini?", "en": "How useful was this session?"}),
        low=1,
        high=5,
        low_label=Words({"id": "tidak berguna", "en": "useless"}),
        high_label=Words({"id": "sangat berguna", "en": "very useful"}),
    ),
    Question(
        "pace",
        Kind.SINGLE,
        Words({"id": "Bagaimana temponya?", "en": "How was the pace?"}),
        options=(
            AnswerOption("slow", Words({"id": "Terlalu lambat", "en": "Too slow"})),
            AnswerOption("right", Words({"id": "Pas", "en": "Just right"})),
            AnswerOption("fast", Words({"id": "Terlalu cepat", "en": "Too fast"})),
        ),
    ),
    Question(
        "topics",
        Kind.MULTIPLE,
        Words({"id": "Topik mana yang ingin didalami?", "en": "Which topics, deeper?"}),
        options=(
            AnswerOption("slims", Words({"id": "SLiMS", "en": "SLiMS"})),
            AnswerOption("advokasi", Words({"id": "Advokasi", "en": "Advocacy"})),
            AnswerOption("tik", Words({"id": "TIK", "en": "ICT"})),
        ),
    ),
    Question(
        "visitors",
        Kind.NUMBER,
        Words({"id": "Berapa pengunjung per minggu?", "en": "Visitors a week?"}),
        low=0,
        high=10_000,
    ),
    Question(
        "comment",
        Kind.TEXT,
        Words({"id": "Ada saran?", "en": "Any suggestion?"}),
        required=False,
        max_length=200,
    ),
    Question(
        "again",
        Kind.YES_NO,
        Words({"id": "Ikut lagi tahun depan?", "en": "Join again next year?"}),
    ),
]


async def answered(turn: Turn, state: TasteState, value: Answer) -> None:
    step = turn.conversation.step
    assert step is not None
    state.answers[step] = value
    order = [q.key for q in QUESTIONS]
    following = order.index(step) + 1
    if following < len(order):
        await goto(turn, TASTE.steps[order[following]])
        return
    SAVED.append(dict(state.answers))
    end_flow(turn)
    await main_menu(turn)


async def start(turn: Turn) -> None:
    TASTE.fresh_state(turn)
    await goto(turn, TASTE.steps[QUESTIONS[0].key])


SAVED: list[dict[str, Answer]] = []  # what the flow's "save" did, for the test to read
TASTE: Flow[TasteState] = Flow(
    "taste", TasteState, [QuestionStep[TasteState](q, answered) for q in QUESTIONS]
)
FEATURE = Feature(
    commands=(Command("taste", {"id": "cicip", "en": "taste"}, start, order=200),),
    flows=(TASTE,),
)


# --- the tests ----------------------------------------------------------------------------


class Person:
    def __init__(self, engine: Engine, locale: str) -> None:
        self.engine = engine
        self.locale = locale
        self.count = 0
        self.replies: list[Reply] = []

    async def _send(self, **content: object) -> list[Reply]:
        self.count += 1
        inbound = Inbound(
            channel="test",
            user_key=f"peserta-{self.locale}",
            message_key=str(self.count),
            language_hint=self.locale,
            **content,  # type: ignore[arg-type]
        )
        replies = await self.engine.handle(inbound)
        self.replies += replies
        return replies

    async def send(self, text: str) -> list[Reply]:
        return await self._send(text=text)

    async def press(self, label: str, replies: list[Reply] | None = None) -> list[Reply]:
        for reply in reversed(replies if replies is not None else self.replies):
            for choice in reply.choices:
                if choice.label == label:
                    return await self._send(kind=InboundKind.CHOICE, choice=choice.payload)
        raise AssertionError(f"no {label!r}")


@pytest.fixture
async def engine(sessions: SessionMaker, demo_event: Event) -> AsyncIterator[Engine]:
    SAVED.clear()
    yield Engine(sessions, features=build([*discover("handlers.features"), FEATURE]))
    SAVED.clear()


def labels(replies: list[Reply]) -> list[str]:
    return [c.label for c in replies[-1].choices]


async def test_every_kind_of_question_pressed_in_english(engine: Engine) -> None:
    person = Person(engine, "en")
    replies = await person.send("/taste")
    assert replies[-1].text.startswith("How useful was this session?")
    assert "1 = useless, 5 = very useful" in replies[-1].text
    assert labels(replies) == ["1", "2", "3", "4", "5"]
    replies = await person.press("4")
    assert replies[-1].text == "How was the pace?"
    replies = await person.press("Just right")
    assert labels(replies) == ["SLiMS", "Advocacy", "ICT", EN("question.done")]
    replies = await person.press("ICT")
    assert labels(replies) == ["SLiMS", "Advocacy", "☑️ ICT", EN("question.done")]
    replies = await person.press("SLiMS")
    replies = await person.press(EN("question.done"))
    assert replies[-1].text == "Visitors a week?"
    replies = await person.send("120")
    assert replies[-1].text == "Any suggestion?"
    assert labels(replies) == [EN("question.skip")]
    replies = await person.press(EN("question.skip"))
    assert labels(replies) == [EN("question.yes"), EN("question.no")]
    await person.press(EN("question.yes"))
    assert SAVED == [
        {
            "useful": 4,
            "pace": "right",
            "topics": ["slims", "tik"],
            "visitors": 120,
            "comment": None,
            "again": True,
        }
    ]


async def test_every_kind_of_question_typed_in_indonesian(engine: Engine) -> None:
    person = Person(engine, "id")
    await person.send("/cicip")
    assert (await person.send("5"))[-1].text == "Bagaimana temponya?"
    assert (await person.send("pas"))[-1].text == "Topik mana yang ingin didalami?"
    assert (await person.send("1 dan 2"))[-1].text == "Berapa pengunjung per minggu?"
    too_many = ID("invalid.number", low=0, high=10_000)
    assert (await person.send("12.500"))[0].text == too_many  # twelve thousand five hundred
    assert (await person.send("35,5"))[-1].text == "Ada saran?"
    assert (await person.send("  Tambah   praktik SLiMS  "))[-1].text == "Ikut lagi tahun depan?"
    await person.send("iya")
    assert SAVED == [
        {
            "useful": 5,
            "pace": "right",
            "topics": ["slims", "advokasi"],
            "visitors": 35.5,
            "comment": "Tambah praktik SLiMS",
            "again": True,
        }
    ]


async def test_bad_answers_are_refused_in_the_persons_language(engine: Engine) -> None:
    person = Person(engine, "id")
    await person.send("/cicip")
    replies = await person.send("7")  # off the scale
    assert replies[0].text == ID("invalid.number", low=1, high=5)
    assert replies[-1].text.startswith("Seberapa berguna")
    await person.send("3")
    replies = await person.send("lumayan")  # fits no choice
    assert replies[0].text == ID("invalid.use_buttons")
    await person.send("terlalu cepat")
    replies = await person.press(ID("question.done"))  # none picked
    assert replies[0].text == ID("question.pick_one")
    replies = await person.send("1, 9")  # no option 9
    assert replies[0].text == ID("invalid.pick_numbers", count=3)
    replies = await person.send("3")  # one number: as pressing the third button
    assert labels(replies)[2] == "☑️ TIK"
    await person.send(ID("question.done"))
    replies = await person.send("banyak")
    assert replies[0].text == ID("invalid.number", low=0, high=10_000)
    await person.send("10")
    replies = await person.send("x" * 201)
    assert replies[0].text == ID("invalid.answer_long", max_len=200, length=201)
    await person.send("Bagus")
    replies = await person.send("mungkin")
    assert replies[0].text == ID("invalid.use_buttons")
    assert SAVED == []
    await person.send("tidak")
    assert SAVED[0]["again"] is False


async def test_a_button_of_an_earlier_question_of_the_same_kind_is_stale(engine: Engine) -> None:
    person = Person(engine, "en")
    first = await person.send("/taste")
    await person.press("2", first)
    await person.press("Too fast")
    await person.press(EN("question.done"))  # nothing picked: asked again
    await person.press("ICT")
    await person.press(EN("question.done"))
    numbers = await person.send("5")
    assert numbers[-1].text == "Any suggestion?"
    # The scale's "4" from the first question, pressed now, answers nothing.
    replies = await person.press("4", first)
    assert replies[0].text == EN("invalid.stale_button")
    assert replies[-1].text == "Any suggestion?"
    # The multiple-choice buttons, pressed again after that question was answered.
    replies = await person.press("SLiMS")
    assert replies[0].text == EN("invalid.stale_button")
    assert SAVED == []


async def test_the_flow_state_goes_when_cancelled(engine: Engine, sessions: SessionMaker) -> None:
    person = Person(engine, "id")
    await person.send("/cicip")
    await person.send("4")
    replies = await person.send("/batal")
    assert replies[-1].text == ID("cancel.done")
    async with sessions() as session:
        conversation = (await session.execute(select(Conversation))).scalar_one()
    assert (conversation.flow, conversation.state) == (None, {})


@pytest.mark.parametrize(
    ("typed", "locale", "number"),
    [
        ("120", "id", 120.0),
        ("12,5", "id", 12.5),
        ("12.500", "id", 12500.0),
        ("1.250,5", "id", 1250.5),
        ("1.250.000", "id", 1250000.0),
        ("12.5", "id", 12.5),  # two decimals after a dot: no thousands group
        ("12.5", "en", 12.5),
        ("1,250", "en", 1250.0),
        ("1,250.5", "en", 1250.5),
        ("-3", "en", -3.0),
        (" 7 ", "id", 7.0),
        ("1 250", "id", 1250.0),
    ],
)
def test_numbers_as_people_write_them(typed: str, locale: str, number: float) -> None:
    assert read_number(typed, locale) == number


@pytest.mark.parametrize("typed", ["", "lima", "1,2,3,4,5x", "..", "1.2.3,4,5", "٣", "1e5", "-"])
def test_what_is_no_number(typed: str) -> None:
    assert read_number(typed, "id") is None


def test_the_readmes_example_flow_is_a_feature_the_registry_takes() -> None:
    """The README's "Adding a flow" example, as written there, declares a working flow."""
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Adding a flow", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {"__name__": "handlers.features.kesan"}
    exec(compile(code, "README.md", "exec"), namespace)
    feature = namespace["FEATURE"]
    built = build([*discover("handlers.features"), feature])
    assert built.by_name["kesan"] is built.by_name["feedback"]
    assert list(built.flows["kesan"].steps) == ["jelas", "tempo", "topik", "saran", "lagi"]
