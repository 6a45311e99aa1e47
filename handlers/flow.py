"""Flows: a conversation that asks questions one at a time, declared in one place.

A flow has a name, its steps, a typed model of its answers (pydantic) and what cancel
says. Its state lives in the conversation under the flow's name, is validated when read,
and goes once the flow is over. A side flow (change language, erase, confirm an upload)
pauses the flow under way and hands back to it when done.

Every question asked gets the next number of the conversation; its buttons carry it
("?1a|agree"), so a button of any question but the one now asked is stale, even one of
the same step asked a moment ago for another item.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel

from handlers.menu import main_menu
from handlers.turn import PAYLOAD_SEPARATOR, Option, Turn
from handlers.types import Attachment, Reply

S = TypeVar("S", bound=BaseModel)

QUESTION_MARK = "?"


class UnknownChoiceError(ValueError):
    """A button value this step does not offer (forged, or from an older message)."""


@dataclass(frozen=True, slots=True)
class Prompt:
    text: str
    options: Sequence[Option] = ()
    # The label of a one-tap "send my own number" button, where the channel has one.
    share_phone: str | None = None


class Step(Generic[S]):
    """One question of a flow: how to ask it and what to do with the answer."""

    name: str
    flow: "Flow[S]"  # set by the flow that lists the step
    # Whether typed text is an answer in its own right (a name, a number, a search);
    # if not, typed words only pick one of the buttons.
    takes_text: bool = False
    # Whether a file or a photo sent now answers the question (an announcement's picture);
    # if not, files go to the features' file handlers and photos are not read.
    takes_files: bool = False

    def typed_answers(self, state: S) -> bool:
        """Whether typed text answers the question as asked now (``takes_text``, unless
        the step asks questions of several kinds)."""
        return self.takes_text

    async def prompt(self, turn: Turn, state: S) -> Prompt:
        raise NotImplementedError

    async def on_choice(self, turn: Turn, state: S, value: str) -> None:
        raise UnknownChoiceError(value)

    async def on_text(self, turn: Turn, state: S, text: str) -> None:
        """Text that picked no button: say so and ask again."""
        turn.say("invalid.use_buttons")
        await show(turn, self)

    async def on_file(self, turn: Turn, state: S, attachment: Attachment, caption: str) -> None:
        """A file or photo sent to a step that ``takes_files``, with its caption."""
        raise NotImplementedError

    async def read_ahead(self, attachment: Attachment) -> None:
        """The slow part of taking a file sent to a step that ``takes_files`` (parsing a
        spreadsheet), done before the message's transaction with no database held, so
        that nobody waits on it meanwhile; ``on_file`` then finds the result kept.
        Nothing, for a step whose files take no reading."""


class Flow(Generic[S]):
    def __init__(
        self,
        name: str,
        state: type[S],
        steps: Sequence[Step[S]],
        *,
        side: bool = False,
        cancelled: str = "cancel.done",
        on_end: "Callable[[Turn, S], Awaitable[None]] | None" = None,
    ) -> None:
        self.name = name
        self.state_model = state
        self.side = side  # pauses the flow under way instead of ending it
        self.cancelled = cancelled  # what /batal says
        # Clean-up once the flow is over, however it ended (done, cancelled, replaced).
        self.on_end = on_end
        self.steps: dict[str, Step[S]] = {}
        for step in steps:
            if step.name in self.steps:
                raise ValueError(f"{name}: two steps named {step.name!r}")
            step.flow = self
            self.steps[step.name] = step

    def state(self, turn: Turn) -> S:
        return turn.state(self.name, self.state_model)

    def fresh_state(self, turn: Turn) -> S:
        """Start the flow's answers afresh."""
        state = self.state_model()
        turn.states[self.name] = state
        return state

    def __repr__(self) -> str:
        return f"Flow({self.name!r})"


# --- where the conversation is ----------------------------------------------------------


def question_token(turn: Turn) -> str:
    return QUESTION_MARK + _base36(turn.conversation.question)


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if not number:
            return text


def is_question_payload(namespace: str) -> bool:
    return namespace.startswith(QUESTION_MARK)


def answers_a_question(payload: str) -> bool:
    """Whether a button's payload answers a question (rather than asks for a look-up):
    channels take such buttons off the message once pressed."""
    return payload.startswith(QUESTION_MARK)


async def show(turn: Turn, step: Step[S]) -> None:
    """Ask ``step``'s question (again)."""
    ask(turn, await step.prompt(turn, step.flow.state(turn)))


def ask(turn: Turn, prompt: Prompt) -> None:
    """Say ``prompt`` as the current question: its buttons carry the question's token."""
    turn.asked = True
    token = question_token(turn)
    choices = tuple(o.choice(f"{token}{PAYLOAD_SEPARATOR}{o.value}") for o in prompt.options)
    turn.replies.append(Reply(prompt.text, choices, share_phone=prompt.share_phone))


async def goto(turn: Turn, step: Step[S]) -> None:
    """Ask a new question: ``step`` of its flow. Buttons of earlier questions go stale."""
    conversation = turn.conversation
    if conversation.paused_flow == step.flow.name:
        conversation.paused_flow = conversation.paused_step = None  # back where we were
    conversation.flow, conversation.step = step.flow.name, step.name
    conversation.question += 1
    await show(turn, step)


async def interrupt(turn: Turn, step: Step[S]) -> None:
    """Ask a side question; the flow under way resumes once it is answered or cancelled.
    One side question at a time: a new one replaces one still unanswered."""
    conversation = turn.conversation
    current = conversation.flow
    if conversation.paused_flow is not None and current not in (step.flow.name, None):
        turn.say("side.abandoned")
    elif current is not None and current != step.flow.name:
        conversation.paused_flow, conversation.paused_step = current, conversation.step
    await goto(turn, step)


def end_flow(turn: Turn) -> None:
    """The flow under way is over (its answers go when the turn is saved)."""
    conversation = turn.conversation
    conversation.flow = conversation.step = None


async def resume(turn: Turn) -> bool:
    """Back to the question a side flow interrupted; False when nothing was paused."""
    conversation = turn.conversation
    flow, step = conversation.paused_flow, conversation.paused_step
    if flow is None or step is None:
        return False
    found = turn.registry.flows.get(flow)
    paused = found.steps.get(step) if found is not None else None
    conversation.paused_flow = conversation.paused_step = None
    if paused is None:
        end_flow(turn)
        return False
    await goto(turn, paused)
    return True


async def leave_side_flow(turn: Turn, *, show_menu: bool = True) -> None:
    """The side question is done: back to the question it interrupted, or to the menu."""
    if not await resume(turn):
        end_flow(turn)
        if show_menu:
            await main_menu(turn)


def current_step(turn: Turn) -> Step[BaseModel] | None:
    conversation = turn.conversation
    flow = turn.registry.flows.get(conversation.flow or "")
    return flow.steps.get(conversation.step or "") if flow is not None else None


def file_step(turn: Turn) -> Step[BaseModel] | None:
    """The question now asked, if it takes a file sent as its answer."""
    step = current_step(turn)
    return step if step is not None and step.takes_files else None


async def repeat_question(turn: Turn) -> None:
    """Ask the current question again, or show the menu when there is none."""
    step = current_step(turn)
    if step is not None:
        await show(turn, step)
    elif not turn.replies or not turn.replies[-1].choices:
        await main_menu(turn)


async def close_ended_flows(turn: Turn) -> None:
    """Run the clean-up of every flow this turn left behind, before its answers go."""
    conversation = turn.conversation
    live = {conversation.flow, conversation.paused_flow}
    for name in set(conversation.state) | set(turn.states):
        flow = turn.registry.flows.get(name)
        if name not in live and flow is not None and flow.on_end is not None:
            await flow.on_end(turn, flow.state(turn))
