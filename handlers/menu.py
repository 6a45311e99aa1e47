"""The main menu and the help text: what this person can do right now."""

from handlers.event_choice import current_event, enrollment, my_events
from handlers.profile import profile_text
from handlers.roles import active_roles
from handlers.turn import Option, Turn
from models import Event, Participant, RoleName
from models.agenda import classes_of

MENU_LIMIT = 10  # rows of a WhatsApp list


async def is_registered(turn: Turn) -> bool:
    participant = await turn.participant()
    return participant is not None and participant.registered_at is not None


async def capabilities(turn: Turn) -> list[str]:
    """What this person can do now, as menu action names, most used first."""
    registered = await is_registered(turn)
    event = await current_event(turn)
    actions: list[str] = []
    if event is not None:
        # The calendar file is offered under the full agenda, where it belongs.
        actions += ["today", "now", "tomorrow", "agenda"]
        roles = await active_roles(turn, event)
        if turn.is_admin or RoleName.ORGANIZER in roles:
            actions += ["invite", "team"]
        if RoleName.TRAINER in roles:  # an admin teaches nothing unless invited to
            actions.append("mysessions")
        if not roles and not turn.is_admin and await chooses_class(turn, event):
            actions.append("class")
        if len(await my_events(turn)) > 1:
            actions.append("switch")
    actions += ["profile", "edit"] if registered else ["start"]
    actions.append("help")
    if len(actions) > MENU_LIMIT and "edit" in actions:
        actions.remove("edit")  # still one tap away, under the profile
    return [*actions[: MENU_LIMIT - 1], "help"] if len(actions) > MENU_LIMIT else actions


async def chooses_class(turn: Turn, event: Event) -> bool:
    """A participant of an event with classes may pick theirs."""
    return await enrollment(turn, event) is not None and bool(
        await classes_of(turn.session, event.id)
    )


async def menu_options(turn: Turn) -> list[Option]:
    return [Option(action, turn.t(f"menu.{action}")) for action in await capabilities(turn)]


async def main_menu(turn: Turn, text_key: str = "menu.title", **values: object) -> None:
    turn.menu(turn.t(text_key, **values), await menu_options(turn))


# The command for each menu action, as /bantuan lists it.
ACTION_COMMANDS = {
    "today": "jadwal",
    "now": "sekarang",
    "tomorrow": "besok",
    "agenda": "agenda",
    "calendar": "kalender",
    "invite": "undang",
    "team": "tim",
    "mysessions": "sesisaya",
    "class": "kelas",
    "switch": "acara",
    "profile": "profil",
    "edit": "ubah",
    "start": "start",
    "help": "bantuan",
}


async def help_text(turn: Turn) -> str:
    t = turn.t
    actions = await capabilities(turn)
    commands = [ACTION_COMMANDS[a] for a in actions if a != "help"]
    if "agenda" in actions:
        commands.insert(commands.index("agenda") + 1, "kalender")
    if "invite" in actions:
        commands.insert(commands.index("tim") + 1, "impor")
    if turn.conversation.participant_id is not None:
        if "profil" not in commands:
            commands.append("profil")
        commands.append("hapus")
    commands += ["bahasa", "bantuan"]
    if turn.conversation.flow is not None:
        commands.insert(0, "batal")
    lines = [f"/{c} — {t(f'command.{c}')}" for c in commands]
    return t("help.title") + "\n\n" + "\n".join(lines)


async def profile_menu(turn: Turn, participant: Participant) -> None:
    turn.menu(profile_text(turn.t, participant), await menu_options(turn))
