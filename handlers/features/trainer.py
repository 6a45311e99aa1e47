"""A trainer's own sessions (``/sesisaya``): those whose speaker column names them."""

from handlers.agenda_view import session_label, span
from handlers.features.invites import taught_by
from handlers.features.schedule import session_payload
from handlers.menu import MENU_LIMIT, main_menu
from handlers.registry import Command, Feature, Situation
from handlers.roles import my_role
from handlers.staff import staff_event
from handlers.timefmt import format_date, zone_label
from handlers.turn import Option, Turn
from models import RoleName


async def my_sessions(turn: Turn) -> None:
    event = await staff_event(turn, RoleName.TRAINER)
    if event is None:
        return
    t = turn.t
    role = await my_role(turn, event, RoleName.TRAINER)
    sessions = [] if role is None else await taught_by(turn, event, role.speaker)
    if role is None or not sessions:
        await main_menu(turn, "trainer.no_sessions", event=event.name)
        return
    lines = [t("trainer.sessions", name=role.speaker, event=event.name)]
    for session in sessions:
        when = f"{format_date(session.day, turn.locale)}, {span(session, event)}"
        lines.append(f"▪️ {when} {zone_label(event.timezone)} — {session.title}")
    options = [Option(session_payload(s), session_label(s, event, True)) for s in sessions]
    turn.offer("\n".join(lines), options[:MENU_LIMIT])


def teaches_here(situation: Situation) -> bool:
    """Trainers, not admins: an admin teaches nothing unless invited to."""
    return RoleName.TRAINER in situation.roles


FEATURE = Feature(
    commands=(
        Command(
            "mysessions",
            {"id": "sesisaya", "en": "mysessions"},
            my_sessions,
            order=70,
            button=True,
            needs=RoleName.TRAINER,
            shown=teaches_here,
        ),
    ),
)
