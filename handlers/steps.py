"""A step is one question of a flow: how to ask it and what to do with the answer."""

from collections.abc import Sequence
from typing import ClassVar, TypeVar

from handlers.menu import main_menu
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
    turn.asked = True
    text, options = await step.prompt(turn)
    if options:
        turn.ask(text, step.name, options)
    else:
        turn.replies.append(Reply(text, share_phone=step.share_phone(turn)))


async def goto(turn: Turn, flow: str, step_name: str) -> None:
    if interrupted_flow(turn) == flow:
        abandon_side_flow(turn)  # back in the paused flow: the side question is over
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


# Where a flow interrupted by a side question (language, erasure, an invite, an upload to
# confirm) picks up again. A side flow keeps its own answers under its flow's name.
RESUME = "resume"


async def interrupt(turn: Turn, flow: str, step_name: str) -> None:
    """Ask a side question; the flow under way resumes once it is answered or cancelled.
    One side question at a time: a new one replaces one still unanswered."""
    conversation = turn.conversation
    paused = interrupted_flow(turn)
    if paused is not None and conversation.flow not in (flow, paused):
        turn.say("side.abandoned")
        turn.conversation.data = {
            k: v for k, v in conversation.data.items() if k != conversation.flow
        }
    if conversation.flow not in (None, flow) and RESUME not in conversation.data:
        turn.data_set(RESUME, [conversation.flow, conversation.step])
    await goto(turn, flow, step_name)


def interrupted_flow(turn: Turn) -> str | None:
    saved = turn.conversation.data.get(RESUME)
    return str(saved[0]) if saved else None


def abandon_side_flow(turn: Turn) -> list[str] | None:
    """Forget the side question under way (its answers, kept under its flow's name, and
    where to go back to); returns that place, [flow, step], or None."""
    conversation = turn.conversation
    saved = conversation.data.get(RESUME)
    if not saved:
        return None
    side = conversation.flow if conversation.flow != saved[0] else None
    conversation.data = {k: v for k, v in conversation.data.items() if k not in (RESUME, side)}
    return [str(saved[0]), str(saved[1])]


async def resume(turn: Turn) -> bool:
    """Go back to the interrupted flow's question, dropping the side flow's answers;
    False when nothing was interrupted."""
    saved = abandon_side_flow(turn)
    if saved is None:
        return False
    flow, step_name = saved
    await goto(turn, flow, step_name)
    return True


async def leave_side_flow(turn: Turn, *, show_menu: bool = True) -> None:
    """The side question is done: back to the question it interrupted, or to the menu."""
    if not await resume(turn):
        turn.end_flow()
        if show_menu:
            await main_menu(turn)


async def repeat_question(turn: Turn) -> None:
    """Ask the current question again, or show the menu when there is none."""
    step = STEPS.get(turn.conversation.step or "")
    if step is not None:
        await show(turn, step)
    elif not turn.replies or not turn.replies[-1].choices:
        await main_menu(turn)
