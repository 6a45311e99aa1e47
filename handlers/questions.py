"""A question defined as data, and the one step that asks any of them.

Kinds: a scale (1–4, 1–5, labelled at its ends), one choice, several choices, free
text (with a length limit and an optional check), a number (with bounds) and yes/no.
A questionnaire is a list of ``Question`` and a callback for each answer; the step does
the asking, the buttons, the typed answers and the complaints about bad ones.
"""

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Generic, Protocol, TypeVar

from pydantic import BaseModel

from handlers.flow import Prompt, Step, UnknownChoiceError, ask, show
from handlers.i18n import Translator
from handlers.turn import Option, Turn
from handlers.types import Meaning, Reply
from handlers.validation import InvalidInputError
from models.text import clean_text

S = TypeVar("S", bound=BaseModel)

Answer = str | int | float | bool | list[str] | None


class Text(Protocol):
    def __call__(self, t: Translator) -> str: ...


@dataclass(frozen=True, slots=True)
class Msg:
    """Text from the message catalogs."""

    key: str
    values: Mapping[str, object] = field(default_factory=dict)

    def __call__(self, t: Translator) -> str:
        return t(self.key, **self.values)


@dataclass(frozen=True, slots=True)
class Words:
    """Text given in each language, as a questionnaire file writes it."""

    by_locale: Mapping[str, str]

    def __call__(self, t: Translator) -> str:
        return self.by_locale.get(t.locale) or self.by_locale.get("id") or ""


class Kind(StrEnum):
    SCALE = "scale"
    SINGLE = "single"
    MULTIPLE = "multiple"
    TEXT = "text"
    NUMBER = "number"
    YES_NO = "yes_no"


@dataclass(frozen=True, slots=True)
class AnswerOption:
    value: str
    label: Text


@dataclass(frozen=True, slots=True)
class Question:
    key: str  # where the answer is kept
    kind: Kind
    text: Text
    label: Text | None = None  # a short name for it, for complaints ("Nomor HP")
    options: tuple[AnswerOption, ...] = ()  # SINGLE and MULTIPLE
    low: int = 1  # SCALE and NUMBER bounds
    high: int = 5
    low_label: Text | None = None  # SCALE: what its ends mean
    high_label: Text | None = None
    point_labels: tuple[Text, ...] = ()  # SCALE: what each point means, lowest first
    yes_label: Text = Msg("question.yes")
    no_label: Text = Msg("question.no")
    required: bool = True  # if not, a "skip" button answers None
    max_length: int = 1000  # TEXT
    # TEXT: a stricter check (a name, a phone number); raises InvalidInputError.
    check: Callable[[str], str] | None = None
    share_phone: bool = False  # TEXT: offer the channel's "send my number" button

    def __post_init__(self) -> None:
        if self.point_labels and len(self.point_labels) != self.high - self.low + 1:
            raise ValueError(f"{self.key}: one label for each point of the scale")
        if self.kind in (Kind.SINGLE, Kind.MULTIPLE) and not self.options:
            raise ValueError(f"{self.key}: a choice question needs options")
        if self.kind in (Kind.SCALE, Kind.NUMBER) and self.low > self.high:
            raise ValueError(f"{self.key}: low above high")


SKIP = "skip"
DONE = "done"  # MULTIPLE: "d:0.2" finishes with options 0 and 2 picked
TOGGLE = "t"  # MULTIPLE: "t:0.2" shows the question again with 0 and 2 picked
_NUMBER = re.compile(r"[+-]?[0-9][0-9.,]{0,20}")
_DIGITS = re.compile(r"[0-9]+")
_INDEXES = re.compile(r"\d{1,2}(?:\.\d{1,2})*")

OnAnswer = Callable[[Turn, S, Answer], Awaitable[None]]
# The question's text as asked now, from its catalog text: with the value stored now
# added, say, or naming the file and event it is about.
Wording = Callable[[Turn, S, str], Awaitable[str]]


class QuestionStep(Step[S], Generic[S]):
    """Asks ``question``; hands a valid answer to ``on_answer``, which says what next."""

    def __init__(
        self,
        question: Question,
        on_answer: OnAnswer[S],
        *,
        name: str | None = None,
        wording: Wording[S] | None = None,
    ) -> None:
        self.question = question
        self.name = name or question.key
        self._on_answer = on_answer
        self._wording = wording
        self.takes_text = question.kind in (Kind.TEXT, Kind.NUMBER, Kind.MULTIPLE)

    async def prompt(self, turn: Turn, state: S) -> Prompt:
        q, t = self.question, turn.t
        text = q.text(t)
        if self._wording is not None:
            text = await self._wording(turn, state, text)
        if q.kind is Kind.SCALE and (q.low_label or q.high_label):
            low = q.low_label(t) if q.low_label else ""
            high = q.high_label(t) if q.high_label else ""
            text += "\n" + t(
                "question.scale_ends", low=q.low, low_label=low, high=q.high, high_label=high
            )
        options = self._options(turn, [])
        share = t("phone.share") if q.share_phone else None
        return Prompt(text, options, share_phone=share)

    def _options(self, turn: Turn, picked: Sequence[int]) -> list[Option]:
        q, t = self.question, turn.t
        options: list[Option] = []
        if q.kind is Kind.SCALE:
            named = len(q.point_labels) == q.high - q.low + 1
            options = [
                Option(str(v), f"{v} {q.point_labels[v - q.low](t)}" if named else str(v))
                for v in range(q.low, q.high + 1)
            ]
        elif q.kind is Kind.SINGLE:
            options = [Option(o.value, o.label(t)) for o in q.options]
        elif q.kind is Kind.YES_NO:
            options = [
                Option("yes", q.yes_label(t), Meaning.YES),
                Option("no", q.no_label(t), Meaning.NO),
            ]
        elif q.kind is Kind.MULTIPLE:
            for index, o in enumerate(q.options):
                after = sorted(set(picked) ^ {index})
                mark = "☑️ " if index in picked else ""
                options.append(Option(f"{TOGGLE}:{_join(after)}", mark + o.label(t)))
            options.append(Option(f"{DONE}:{_join(picked)}", t("question.done")))
        if not q.required:
            options.append(Option(SKIP, t("question.skip")))
        return options

    async def on_choice(self, turn: Turn, state: S, value: str) -> None:
        q = self.question
        if value == SKIP and not q.required:
            await self._on_answer(turn, state, None)
            return
        if q.kind is Kind.SCALE:
            number = int(value) if value.isascii() and value.isdigit() else None
            if number is None or not q.low <= number <= q.high:
                raise UnknownChoiceError(value)
            await self._on_answer(turn, state, number)
        elif q.kind is Kind.SINGLE:
            if value not in {o.value for o in q.options}:
                raise UnknownChoiceError(value)
            await self._on_answer(turn, state, value)
        elif q.kind is Kind.YES_NO:
            if value not in ("yes", "no"):
                raise UnknownChoiceError(value)
            await self._on_answer(turn, state, value == "yes")
        elif q.kind is Kind.MULTIPLE:
            action, _, indexes = value.partition(":")
            picked = self._indexes(indexes)
            if action not in (TOGGLE, DONE) or picked is None:
                raise UnknownChoiceError(value)
            if action == TOGGLE:
                await self._show_picked(turn, picked)
            elif picked or not q.required:
                await self._on_answer(turn, state, [q.options[i].value for i in picked])
            else:
                turn.say("question.pick_one")
                await self._show_picked(turn, picked)
        else:
            raise UnknownChoiceError(value)

    async def on_text(self, turn: Turn, state: S, text: str) -> None:
        q, t = self.question, turn.t
        try:
            answer = self.parse(text, turn.locale)
        except InvalidInputError as exc:
            if q.kind is not Kind.TEXT and q.kind is not Kind.NUMBER:
                turn.say(exc.key, **exc.values)
                await show(turn, self)
                return
            # The complaint says what to type; the question itself stays in view above.
            field = q.label(t) if q.label is not None else ""
            share = t("phone.share") if q.share_phone else None
            turn.replies.append(Reply(t(exc.key, field=field, **exc.values), share_phone=share))
            return
        await self._on_answer(turn, state, answer)

    def parse(self, text: str, locale: str) -> Answer:
        """A typed answer, checked; raises InvalidInputError saying what is wrong."""
        q = self.question
        if q.kind is Kind.TEXT:
            if q.check is not None:
                return q.check(text)
            return free_answer(text, q.max_length)
        if q.kind in (Kind.NUMBER, Kind.SCALE):
            number = read_number(text, locale)
            if (
                number is None
                or not q.low <= number <= q.high
                or (q.kind is Kind.SCALE and not number.is_integer())
            ):
                raise InvalidInputError("invalid.number", low=q.low, high=q.high)
            return int(number) if number.is_integer() else number
        if q.kind is Kind.MULTIPLE:
            picked = self._typed_indexes(text)
            if not picked:
                raise InvalidInputError("invalid.pick_numbers", count=len(q.options))
            return [q.options[i].value for i in picked]
        raise InvalidInputError("invalid.use_buttons")

    def _typed_indexes(self, text: str) -> list[int]:
        """ "1, 3" or "1 dan 3", or labels' words: the options meant, in order."""
        options = self.question.options
        picked: set[int] = set()
        for part in re.split(r"[,;/]|\s+(?:dan|and|&)\s+|\s+", text.strip()):
            if part.isascii() and part.isdigit() and 1 <= int(part) <= len(options):
                picked.add(int(part) - 1)
            elif part:
                return []
        return sorted(picked)

    def _indexes(self, text: str) -> list[int] | None:
        if not text:
            return []
        if not _INDEXES.fullmatch(text):
            return None
        picked = sorted({int(i) for i in text.split(".")})
        return picked if all(i < len(self.question.options) for i in picked) else None

    async def _show_picked(self, turn: Turn, picked: list[int]) -> None:
        """The question again, with the choices made so far marked."""
        prompt = await self.prompt(turn, self.flow.state(turn))
        ask(turn, replace(prompt, options=self._options(turn, picked)))


def read_number(text: str, locale: str) -> float | None:
    """A number as people write it: "1.250,5" or "12,5" in Indonesian, "1,250.5" in
    English. A lone separator followed by three digits groups thousands in the writer's
    convention ("12.500" is twelve thousand five hundred in Indonesian)."""
    typed = text.strip().replace(" ", "")
    if not _NUMBER.fullmatch(typed):
        return None
    negative, digits = typed.startswith("-"), typed.lstrip("+-")
    separators = {ch for ch in digits if ch in ".,"}
    if len(separators) == 2:
        decimal = max(".,", key=digits.rfind)
    elif separators:
        (only,) = separators
        grouping = "." if locale == "id" else ","
        head, _, tail = digits.rpartition(only)
        decimal = only
        if digits.count(only) > 1 or (only == grouping and len(tail) == 3 and head):
            decimal = ""
    else:
        decimal = ""
    whole, _, fraction = digits.rpartition(decimal) if decimal else (digits, "", "")
    groups = whole.replace(",", ".").split(".")
    grouped = len(groups) == 1 or (
        1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])
    )
    number = "".join(groups)
    if not grouped or not _DIGITS.fullmatch(number) or not _DIGITS.fullmatch(fraction or "0"):
        return None
    if len(number) > 12:
        return None
    value = float(f"{number}.{fraction or 0}")
    return -value if negative else value


def free_answer(text: str, max_len: int) -> str:
    """A comment or short answer: anything readable, within the length limit."""
    value = clean_text(text, multiline=True)
    if not value:
        raise InvalidInputError("invalid.answer_empty")
    if len(value) > max_len:
        raise InvalidInputError("invalid.answer_long", max_len=max_len, length=len(value))
    return value


def _join(indexes: Sequence[int]) -> str:
    return ".".join(str(i) for i in indexes)
