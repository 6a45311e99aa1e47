"""The main menu and the help text: what this person can do right now."""

from models import Participant

from handlers.profile import participant_values, profile_lines
from handlers.turn import Option, Turn


async def is_registered(turn: Turn) -> bool:
    participant = await turn.participant()
    return participant is not None and participant.registered_at is not None


async def main_menu(turn: Turn, text_key: str = "menu.title", **values: object) -> None:
    t = turn.t
    if await is_registered(turn):
        actions = [
            Option("profile", t("menu.profile")),
            Option("edit", t("menu.edit")),
            Option("help", t("menu.help")),
        ]
    else:
        actions = [Option("start", t("menu.start")), Option("help", t("menu.help"))]
    turn.menu(t(text_key, **values), actions)


async def help_text(turn: Turn) -> str:
    t = turn.t
    if await is_registered(turn):
        commands = ["profil", "ubah", "bahasa", "hapus", "bantuan"]
    else:
        commands = ["start", "bahasa", "bantuan"]
    if turn.conversation.flow is not None:
        commands.insert(0, "batal")
    lines = [f"/{c} — {t(f'command.{c}')}" for c in commands]
    return t("help.title") + "\n\n" + "\n".join(lines)


async def profile_menu(turn: Turn, participant: Participant) -> None:
    profile = profile_lines(turn.t, participant_values(participant))
    await main_menu(turn, "profile.show", profile=profile)
