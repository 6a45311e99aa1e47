"""The language question, asked first when joining and again by /bahasa: both languages'
names are shown, as the person may not read the current one."""

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from pydantic import BaseModel

from handlers.flow import Prompt, Step, UnknownChoiceError
from handlers.i18n import LOCALES
from handlers.turn import Option, Turn

S = TypeVar("S", bound=BaseModel)

LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}


class LanguageStep(Step[S], Generic[S]):
    """Both languages' texts are shown: the person may not read the current one."""

    name = "language"

    def __init__(self, chosen: Callable[[Turn, bool], Awaitable[None]]) -> None:
        self._chosen = chosen  # what follows, told whether this was the first choice

    async def prompt(self, turn: Turn, state: S) -> Prompt:
        key = "ask.language" if turn.person.locale is None else "ask.language_change"
        return Prompt(turn.t(key), [Option(k, v) for k, v in LANGUAGE_NAMES.items()])

    async def on_choice(self, turn: Turn, state: S, value: str) -> None:
        if value not in LOCALES:
            raise UnknownChoiceError(value)
        first_choice = turn.person.locale is None
        turn.person.locale = value
        await self._chosen(turn, first_choice)
