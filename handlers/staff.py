"""What the organisers' and trainers' features share: finding the event they act on
(and refusing everyone else), and moments written as the event's people read them."""

from datetime import datetime

from handlers.event_choice import current_event
from handlers.menu import main_menu
from handlers.roles import may
from handlers.timefmt import format_moment
from handlers.turn import Turn
from models import Event, RoleName


async def staff_event(turn: Turn, needed: RoleName) -> Event | None:
    """The current event if this person may act as ``needed`` in it; else says why not."""
    event = await current_event(turn)
    if event is None or not await may(turn, event, needed):
        await refuse(turn, needed, event)
        return None
    return event


async def refuse(turn: Turn, needed: RoleName, event: Event | None) -> None:
    """Say that only ``needed`` (in ``event``) may do that, with the menu."""
    key = "staff.organizer_only" if needed is RoleName.ORGANIZER else "staff.trainer_only"
    if event is None:
        await main_menu(turn, f"{key}_anywhere")
    else:
        await main_menu(turn, key, event=event.name)


def moment_text(turn: Turn, event: Event, moment: datetime) -> str:
    """``moment`` as the event's people read it: "Rabu, 20 November 2024 14.05 WITA"."""
    return format_moment(moment, event.timezone, turn.locale)
