"""The entry point of the conversation core: one inbound message in, replies out."""

from collections.abc import Awaitable, Callable

from handlers import account, ics, registration, schedule, staff
from handlers.menu import help_text, is_registered, main_menu
from handlers.steps import (
    STEPS,
    UnknownChoiceError,
    interrupted_flow,
    match_option,
    repeat_question,
    resume,
)
from handlers.turn import MENU, PAYLOAD_SEPARATOR, Option, Turn
from handlers.types import InboundKind, Reply

Action = Callable[[Turn], Awaitable[None]]
# A button valid whatever the question: returns False when the value is not one this
# person was offered (forged, or from an event they no longer belong to).
ButtonAction = Callable[[Turn, str], Awaitable[bool]]


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


async def class_command(turn: Turn) -> None:
    """/kelas picks one's class (/kelas B names it); /kelas A B, from an organiser,
    declares the event's classes."""
    words = turn.argument.replace(",", " ").split()
    names = [word for word in words if word.casefold() not in {"kelas", "class"}]
    if not names:
        await schedule.choose_class(turn)
    elif len(names) == 1:  # one class is no split: a name picks one's own class
        await schedule.pick_class_named(turn, names[0])
    else:
        await staff.declare_classes(turn, names)


START = {"start", "mulai"}  # take an event code (/start KUKAR2024) or an invite code
# Indonesian names first (they are what /bantuan shows); English ones work too.
COMMANDS: dict[str, Action] = {
    "jadwal": schedule.today,
    "today": schedule.today,
    "besok": schedule.tomorrow,
    "tomorrow": schedule.tomorrow,
    "agenda": schedule.whole_agenda,
    "sekarang": schedule.now_and_next,
    "now": schedule.now_and_next,
    "kalender": ics.send_calendar,
    "calendar": ics.send_calendar,
    "kelas": class_command,
    "class": class_command,
    "acara": schedule.switch_event,
    "event": schedule.switch_event,
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

# Commands only organisers or trainers of the event may use (admins may use all). Each
# checks the role in the event it acts on itself (staff.staff_event), where it finds it.
PRIVILEGED: dict[str, Action] = {
    "undang": staff.start_invite,
    "invite": staff.start_invite,
    "tim": staff.show_team,
    "team": staff.show_team,
    "impor": staff.explain_import,
    "import": staff.explain_import,
    "sesisaya": staff.my_sessions,
    "mysessions": staff.my_sessions,
}

MENU_ACTIONS: dict[str, Action] = {
    "start": start_without_code,
    "today": schedule.today,
    "now": schedule.now_and_next,
    "tomorrow": schedule.tomorrow,
    "agenda": schedule.whole_agenda,
    "calendar": ics.send_calendar,
    "class": schedule.choose_class,
    "switch": schedule.switch_event,
    "profile": account.show_profile,
    "edit": account.start_edit,
    "help": show_help,
}
# Menu buttons for privileged commands.
PRIVILEGED_MENU = {"invite": "undang", "team": "tim", "mysessions": "sesisaya"}

BUTTONS: dict[str, ButtonAction] = {
    schedule.SESSION: schedule.session_detail,
    schedule.DAY: schedule.day_button,
    schedule.EVENT: schedule.event_button,
    schedule.CLASS: schedule.class_button,
    staff.TEAM: staff.team_button,  # checks the organiser role of the row's own event
}


async def handle(turn: Turn) -> None:
    await dispatch(turn)
    if turn.conversation.step is not None and not turn.asked:
        # A look-up or a side action in the middle of a flow: ask its question again,
        # so that the next message is not taken for an answer to a question not shown.
        await repeat_question(turn)


async def dispatch(turn: Turn) -> None:
    inbound = turn.inbound
    if inbound.kind is InboundKind.FILE:
        await staff.receive_file(turn)
    elif inbound.kind is InboundKind.UNSUPPORTED:
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
        if not await staff.redeem(turn, argument.strip()):
            await registration.start(turn, argument.strip())
        return
    action = COMMANDS.get(name) or PRIVILEGED.get(name)
    if action is None:
        turn.say("invalid.command")
        await repeat_question(turn)
        return
    await action(turn)


async def on_button(turn: Turn, payload: str) -> None:
    step_name, _, value = payload.partition(PAYLOAD_SEPARATOR)
    if step_name == MENU and value in PRIVILEGED_MENU:
        await PRIVILEGED[PRIVILEGED_MENU[value]](turn)
        return
    if step_name == MENU and value in MENU_ACTIONS:
        await MENU_ACTIONS[value](turn)
        return
    button = BUTTONS.get(step_name)
    if button is not None and await button(turn, value):
        return
    step = STEPS.get(turn.conversation.step or "")
    if step is not None and step_name == step.name:
        turn.asked = True  # an answer to the question; the step says what comes next
        try:
            await step.on_choice(turn, value)
        except UnknownChoiceError:
            pass
        else:
            return
    turn.say("invalid.stale_button")
    await repeat_question(turn)


async def on_text(turn: Turn, text: str) -> None:
    """A typed number or label picks one of the buttons last shown; anything else is an
    answer to the question under way."""
    offered = [Option(payload, label) for payload, label in turn.conversation.offered]
    chosen = match_option(text, offered)
    if chosen is not None:
        await on_button(turn, chosen.value)
        return
    step = STEPS.get(turn.conversation.step or "")
    if step is not None:
        turn.asked = True  # an answer to the question; the step says what comes next
        await step.on_text(turn, text)
        return
    key = "idle.registered" if await is_registered(turn) else "idle.unregistered"
    await main_menu(turn, key)
