"""``/acara``: which of one's events the look-ups are about (``/acara CODE`` names it;
the buttons offer the latest ones)."""

from handlers.event_choice import current_event, my_events
from handlers.menu import main_menu
from handlers.registry import Command, Feature, Situation
from handlers.timefmt import format_date
from handlers.turn import PAYLOAD_SEPARATOR, Option, Turn, short_label
from handlers.validation import row_id

EVENT = "acara"  # button namespace: "acara|<event id>"
MENU_EVENTS = 10  # the latest ten events of a person, in a WhatsApp list


async def switch_event(turn: Turn) -> None:
    events = await my_events(turn)
    named = turn.argument.casefold()
    chosen = next((e for e in events if e.code.casefold() == named), None) if named else None
    if chosen is not None:
        await event_button(turn, str(chosen.id))
        return
    current = await current_event(turn)
    if len(events) < 2:
        key = "switch.only_one" if current is not None else "schedule.no_event"
        await main_menu(turn, key, event=current.name if current is not None else "-")
        return
    t = turn.t
    lines = [t("switch.ask", event=current.name if current is not None else "-")]
    options = []
    for event in events[-MENU_EVENTS:]:
        first = format_date(event.starts_on, turn.locale)
        last = format_date(event.ends_on, turn.locale)
        lines.append(t("switch.line", code=event.code, event=event.name, first=first, last=last))
        options.append(Option(f"{EVENT}{PAYLOAD_SEPARATOR}{event.id}", short_label(event.code)))
    turn.offer("\n".join(lines), options)


async def event_button(turn: Turn, value: str) -> bool:
    ident = row_id(value)
    chosen = next((e for e in await my_events(turn) if e.id == ident), None)
    if chosen is None:
        return False
    turn.person.viewing_event_id = chosen.id
    turn.person.event_chosen_at = turn.now
    turn.forget_cached()
    await main_menu(turn, "switch.done", event=chosen.name)
    return True


def several_events(situation: Situation) -> bool:
    return situation.several_events


FEATURE = Feature(
    commands=(
        Command(
            "switch",
            {"id": "acara", "en": "event"},
            switch_event,
            order=90,
            button=True,
            shown=several_events,
        ),
    ),
    buttons={EVENT: event_button},
)
