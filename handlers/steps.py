"""A step is one question of a flow: how to ask it and what to do with the answer."""

from collections.abc import Sequence
from typing import ClassVar, TypeVar

from handlers.turn import Option, Turn
from handlers.types import Reply


class UnknownChoiceError(ValueError):
    """A button payload this step does not offer (forged, or from an older message)."""


class Step:
    name: ClassVar[str]

    async def prompt(self, turn: Turn) -> tuple[str, Sequence[Option]]:
        raise NotImplementedError

    async def on_choice(self, turn: Turn, value: str) -> None:
        """A button (or its label or number, typed) was chosen."""
        raise NotImplementedError

    def share_phone(self, turn: Turn) -> str | None:
        """The label of a "send my number" button, for the question that asks for it."""
        return None

    async def on_text(self, turn: Turn, text: str) -> None:
        """Free text where buttons were offered: say so and ask again."""
        turn.say("invalid.use_buttons")
        await show(turn, self)


STEPS: dict[str, Step] = {}
S = TypeVar("S", bound=Step)


def register(cls: type[S]) -> type[S]:
    STEPS[cls.name] = cls()
    return cls


async def show(turn: Turn, step: Step) -> None:
    text, options = await step.prompt(turn)
    if options:
        turn.ask(text, step.name, options)
    else:
        turn.replies.append(Reply(text, share_phone=step.share_phone(turn)))


async def goto(turn: Turn, flow: str, step_name: str) -> None:
    turn.set_step(flow, step_name)
    await show(turn, STEPS[step_name])


def match_option(text: str, options: Sequence[Option]) -> Option | None:
    """The option a person typed: its number in the list or its label."""
    typed = " ".join(text.split()).casefold()
    if typed.isascii() and typed.isdigit() and 1 <= int(typed) <= len(options):
        return options[int(typed) - 1]
    for option in options:
        if option.label.casefold() == typed:
            return option
    return None
