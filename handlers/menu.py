"""The main menu and the help: what this person can do right now, from the registry."""

from handlers.event_choice import current_event, enrollment, my_events
from handlers.registry import Command, Situation
from handlers.roles import held_roles
from handlers.turn import Option, Turn
from models.agenda import agenda
from models.people import has_consented

MENU_LIMIT = 10  # rows of a WhatsApp list
# Dropped first when the menu is too long: still one tap away, under the profile.
LEAST_NEEDED = "edit"


async def situation(turn: Turn) -> Situation:
    return await turn.cached(("situation",), lambda: _situation(turn))


async def _situation(turn: Turn) -> Situation:
    event = await current_event(turn)
    roles = frozenset(await held_roles(turn, event)) if event is not None else frozenset()
    registered = turn.person.is_registered
    chooses_class = False
    if event is not None and not roles and not turn.is_admin:
        joined = await enrollment(turn, event)
        chooses_class = joined is not None and bool((await agenda(turn.session, event)).classes)
    return Situation(
        event=event,
        roles=roles,
        is_admin=turn.is_admin,
        registered=registered,
        has_data=registered or await has_consented(turn.session, turn.person_id),
        in_flow=turn.conversation.flow is not None,
        chooses_class=chooses_class,
        several_events=len(await my_events(turn)) > 1,
    )


async def offered_commands(turn: Turn) -> list[Command]:
    now = await situation(turn)
    return [c for c in turn.registry.commands if c.offered(now)]


async def menu_options(turn: Turn) -> list[Option]:
    buttons = [c for c in await offered_commands(turn) if c.button]
    if len(buttons) > MENU_LIMIT:
        buttons = [c for c in buttons if c.key != LEAST_NEEDED]
    if len(buttons) > MENU_LIMIT:  # the last button, help, always stays
        buttons = [*buttons[: MENU_LIMIT - 1], buttons[-1]]
    return [Option(c.key, turn.t(f"menu.{c.key}")) for c in buttons]


async def main_menu(turn: Turn, text_key: str = "menu.title", **values: object) -> None:
    turn.menu(turn.t(text_key, **values), await menu_options(turn))


async def help_text(turn: Turn) -> str:
    t, locale = turn.t, turn.locale
    lines = [
        f"/{c.name(locale)} — {t(f'command.{c.key}')}"
        for c in await offered_commands(turn)
        if c.in_help
    ]
    return t("help.title") + "\n\n" + "\n".join(lines)
