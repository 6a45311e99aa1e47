"""The main menu and the help text: what this person can do right now."""

from handlers.profile import profile_text
from handlers.turn import Option, Turn
from models import Participant


async def is_registered(turn: Turn) -> bool:
    participant = await turn.participant()
    return participant is not None and participant.registered_at is not None


async def menu_options(turn: Turn) -> list[Option]:
    t = turn.t
    if await is_registered(turn):
        return [
            Option("profile", t("menu.profile")),
            Option("edit", t("menu.edit")),
            Option("help", t("menu.help")),
        ]
    return [Option("start", t("menu.start")), Option("help", t("menu.help"))]


async def main_menu(turn: Turn, text_key: str = "menu.title", **values: object) -> None:
    turn.menu(turn.t(text_key, **values), await menu_options(turn))


async def help_text(turn: Turn) -> str:
    t = turn.t
    if await is_registered(turn):
        commands = ["profil", "ubah", "bahasa", "hapus", "bantuan"]
    elif turn.conversation.participant_id is not None:  # consented, still registering
        commands = ["start", "profil", "bahasa", "hapus", "bantuan"]
    else:
        commands = ["start", "bahasa", "bantuan"]
    if turn.conversation.flow is not None:
        commands.insert(0, "batal")
    lines = [f"/{c} — {t(f'command.{c}')}" for c in commands]
    return t("help.title") + "\n\n" + "\n".join(lines)


async def profile_menu(turn: Turn, participant: Participant) -> None:
    turn.menu(profile_text(turn.t, participant), await menu_options(turn))
