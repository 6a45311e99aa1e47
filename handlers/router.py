"""The entry point of the conversation core: one inbound message in, replies out."""

from collections.abc import Awaitable, Callable

from handlers import account, registration
from handlers.menu import help_text, is_registered, main_menu, menu_options
from handlers.steps import (
    STEPS,
    UnknownChoiceError,
    interrupted_flow,
    match_option,
    repeat_question,
    resume,
)
from handlers.turn import MENU, PAYLOAD_SEPARATOR, Turn
from handlers.types import InboundKind, Reply

Action = Callable[[Turn], Awaitable[None]]


async def show_help(turn: Turn) -> None:
    turn.replies.append(Reply(await help_text(turn)))
    await repeat_question(turn)


async def cancel(turn: Turn) -> None:
    flow = turn.conversation.flow
    if flow is None:
        await main_menu(turn, "cancel.nothing")
        return
    if interrupted_flow(turn) is not None:  # leave the side question only
        turn.say("cancel.done")
        await resume(turn)
        return
    turn.end_flow()
    key = "cancel.registration" if flow == registration.REGISTRATION else "cancel.done"
    await main_menu(turn, key)


async def start_without_code(turn: Turn) -> None:
    await registration.start(turn, "")


START = {"start", "mulai"}  # take an event code: /start KUKAR2024
# Indonesian names first (they are what /bantuan shows); English ones work too.
COMMANDS: dict[str, Action] = {
    "profil": account.show_profile,
    "profile": account.show_profile,
    "ubah": account.start_edit,
    "edit": account.start_edit,
    "batal": cancel,
    "cancel": cancel,
    "bantuan": show_help,
    "help": show_help,
    "bahasa": account.choose_language,
    "language": account.choose_language,
    "hapus": account.start_erase,
    "delete": account.start_erase,
}

MENU_ACTIONS: dict[str, Action] = {
    "start": start_without_code,
    "profile": account.show_profile,
    "edit": account.start_edit,
    "help": show_help,
}


async def handle(turn: Turn) -> None:
    inbound = turn.inbound
    if inbound.kind is InboundKind.UNSUPPORTED:
        turn.say("invalid.unsupported")
        await repeat_question(turn)
    elif inbound.kind is InboundKind.CHOICE:
        await on_button(turn, inbound.choice)
    elif inbound.text.lstrip().startswith("/"):
        await on_command(turn, inbound.text.strip())
    else:
        await on_text(turn, inbound.text)


async def on_command(turn: Turn, text: str) -> None:
    word, _, argument = text[1:].partition(" ")
    name = word.split("@", 1)[0].casefold()
    if name in START:
        await registration.start(turn, argument.strip())
        return
    action = COMMANDS.get(name)
    if action is None:
        turn.say("invalid.command")
        await repeat_question(turn)
        return
    await action(turn)


async def on_button(turn: Turn, payload: str) -> None:
    step_name, _, value = payload.partition(PAYLOAD_SEPARATOR)
    if step_name == MENU and value in MENU_ACTIONS:
        await MENU_ACTIONS[value](turn)
        return
    step = STEPS.get(turn.conversation.step or "")
    if step is not None and step_name == step.name:
        try:
            await step.on_choice(turn, value)
        except UnknownChoiceError:
            pass
        else:
            return
    turn.say("invalid.stale_button")
    await repeat_question(turn)


async def on_text(turn: Turn, text: str) -> None:
    step = STEPS.get(turn.conversation.step or "")
    if step is None:
        action = match_option(text, await menu_options(turn))
        if action is not None:
            await MENU_ACTIONS[action.value](turn)
            return
        key = "idle.registered" if await is_registered(turn) else "idle.unregistered"
        await main_menu(turn, key)
        return
    _, options = await step.prompt(turn)
    chosen = match_option(text, options)
    if chosen is not None:
        await step.on_choice(turn, chosen.value)
    else:
        await step.on_text(turn, text)
