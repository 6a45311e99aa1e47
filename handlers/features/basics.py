"""Help (``/bantuan``) and leaving what is under way (``/batal``)."""

from handlers.flow import end_flow, repeat_question, resume
from handlers.menu import help_text, main_menu
from handlers.registry import Command, Feature, Situation
from handlers.turn import Turn
from handlers.types import Reply


async def show_help(turn: Turn) -> None:
    turn.replies.append(Reply(await help_text(turn)))
    await repeat_question(turn)


async def cancel(turn: Turn) -> None:
    conversation = turn.conversation
    flow = turn.registry.flows.get(conversation.flow or "")
    if flow is None:
        await main_menu(turn, "cancel.nothing")
        return
    if conversation.paused_flow is not None:  # leave the side question only
        turn.say("cancel.done")
        await resume(turn)
        return
    end_flow(turn)
    await main_menu(turn, flow.cancelled)


def in_flow(situation: Situation) -> bool:
    return situation.in_flow


FEATURE = Feature(
    commands=(
        Command(
            "cancel",
            {"id": "batal", "en": "cancel"},
            cancel,
            order=0,
            channel_menu=True,
            shown=in_flow,
        ),
        Command(
            "help",
            {"id": "bantuan", "en": "help"},
            show_help,
            order=150,
            button=True,
            channel_menu=True,
        ),
    ),
)
