"""The entry point of the conversation core: one inbound message in, replies out."""

from handlers.event_choice import current_event
from handlers.flow import (
    UnknownChoiceError,
    current_step,
    is_question_payload,
    question_token,
    repeat_question,
)
from handlers.matching import Ambiguous, NoMatch, Picked, match
from handlers.menu import main_menu
from handlers.registry import Command
from handlers.roles import may
from handlers.staff import refuse
from handlers.turn import MENU, PAYLOAD_SEPARATOR, Option, Turn
from handlers.types import InboundKind, Meaning, Reply


async def handle(turn: Turn) -> None:
    await dispatch(turn)
    if turn.conversation.step is not None and not turn.asked:
        # A look-up or a side action in the middle of a flow: ask its question again,
        # so that the next message is not taken for an answer to a question not shown.
        await repeat_question(turn)


async def dispatch(turn: Turn) -> None:
    inbound = turn.inbound
    step = current_step(turn)
    if inbound.attachment is not None and step is not None and step.takes_files:
        turn.asked = True  # an answer to the question; the step says what comes next
        await step.on_file(turn, step.flow.state(turn), inbound.attachment, inbound.text)
    elif inbound.kind is InboundKind.FILE:
        for receive in turn.registry.files:
            if await receive(turn):
                return
        turn.say("invalid.unsupported")
        await repeat_question(turn)
    elif inbound.kind in (InboundKind.UNSUPPORTED, InboundKind.PHOTO):
        turn.say("invalid.unsupported")
        await repeat_question(turn)
    elif inbound.kind is InboundKind.CHOICE:
        await on_button(turn, inbound.choice)
    elif inbound.text.lstrip().startswith("/"):
        await on_command(turn, inbound.text.strip())
    else:
        await on_text(turn, inbound.text)


async def run(turn: Turn, command: Command) -> None:
    """The command's action, once the person may use it in the event they look at."""
    if command.needs is not None:
        event = await current_event(turn)
        if not await may(turn, event, command.needs):
            await refuse(turn, command.needs, event)
            return
    await command.action(turn)


async def on_command(turn: Turn, text: str) -> None:
    word = text[1:].partition(" ")[0]
    command = turn.registry.by_name.get(word.split("@", 1)[0].casefold())
    if command is None:
        turn.say("invalid.command")
        await repeat_question(turn)
        return
    await run(turn, command)


async def on_button(turn: Turn, payload: str) -> None:
    namespace, _, value = payload.partition(PAYLOAD_SEPARATOR)
    if namespace == MENU:
        command = turn.registry.by_key.get(value)
        if command is not None:
            await run(turn, command)
            return
    elif is_question_payload(namespace):
        step = current_step(turn)
        if step is not None and namespace == question_token(turn):
            turn.asked = True  # an answer to the question; the step says what comes next
            try:
                await step.on_choice(turn, step.flow.state(turn), value)
            except UnknownChoiceError:
                pass
            else:
                return
    else:
        button = turn.registry.buttons.get(namespace)
        if button is not None and await button(turn, value):
            return
    turn.say("invalid.stale_button")
    await repeat_question(turn)


async def on_text(turn: Turn, text: str) -> None:
    """Typed words that pick a button act as a press: a button of the question under
    way, or else of the last message that had any. Anything else answers the question."""
    step = current_step(turn)
    shown = [
        Option(payload, label, Meaning(meaning), int(number) if number else None)
        for payload, label, meaning, number in turn.conversation.offered
    ]
    options = shown
    if step is not None:
        token = question_token(turn) + PAYLOAD_SEPARATOR
        # The question's buttons as last shown (they carry choices made so far), else as
        # it would show them now (after a restart, or a look-up in between).
        options = [o for o in shown if o.value.startswith(token)]
        if not options:
            prompt = await step.prompt(turn, step.flow.state(turn))
            options = [o.with_value(token + o.value) for o in prompt.options] or shown
    typed = step is not None and step.typed_answers(step.flow.state(turn))
    found = match(text, options, loose=not typed)
    if isinstance(found, Picked):
        await on_button(turn, found.option.value)
    elif isinstance(found, Ambiguous):
        choices = tuple(o.choice() for o in found.options)
        turn.replies.append(Reply(turn.t("invalid.ambiguous"), choices))
        turn.asked = True
    elif step is not None:
        assert isinstance(found, NoMatch)
        turn.asked = True  # an answer to the question; the step says what comes next
        await step.on_text(turn, step.flow.state(turn), text)
    else:
        for understood in turn.registry.typed:
            if await understood(turn, text):
                return
        key = "idle.registered" if turn.person.is_registered else "idle.unregistered"
        await main_menu(turn, key)
