"""Classes (kelas): a participant picks theirs (``/kelas``, ``/kelas B``) and then sees
that class's sessions and the plenary ones; an organiser declares an event's classes
(``/kelas A B``)."""

from handlers.agenda_texts import problems_text
from handlers.event_choice import current_event, enrollment
from handlers.flow import repeat_question
from handlers.i18n import Translator
from handlers.menu import main_menu
from handlers.registry import Command, Feature, Situation
from handlers.roles import may
from handlers.staff import staff_event
from handlers.turn import PAYLOAD_SEPARATOR, Option, Turn, short_label
from handlers.types import Reply
from handlers.validation import row_id
from models import Event, EventClass, RoleName
from models.agenda import classes_of
from models.agenda_import import ClassNamesError, set_classes
from models.audit import Actor

CLASS = "kelas"  # button namespace: "kelas|<class id>", "kelas|all:<event id>"


async def class_command(turn: Turn) -> None:
    """/kelas picks one's class (/kelas B names it); /kelas A B, from an organiser,
    declares the event's classes."""
    words = turn.argument.replace(",", " ").split()
    names = [word for word in words if word.casefold() not in {"kelas", "class"}]
    if not names:
        await choose_class(turn)
    elif len(names) == 1:  # one class is no split: a name picks one's own class
        await pick_class_named(turn, names[0])
    else:
        await declare_classes(turn, names)


async def choose_class(turn: Turn) -> None:
    event = await current_event(turn)
    joined = await enrollment(turn, event) if event is not None else None
    classes = await classes_of(turn.session, event.id) if event is not None else []
    if event is not None and await may(turn, event, RoleName.ORGANIZER) and joined is None:
        names = ", ".join(c.name for c in classes) or "-"
        await main_menu(turn, "class.for_organizers", event=event.name, classes=names)
        return
    if event is None or joined is None or not classes:
        await main_menu(turn, "class.none")
        return
    t = turn.t
    current = joined.class_name or t("class.unset")
    options = [Option(class_payload(str(c.id)), class_label(t, c.name)) for c in classes]
    options.append(Option(class_payload(f"all:{event.id}"), t("class.all")))
    turn.offer(t("class.ask", event=event.name, current=current), options)


def class_payload(value: str) -> str:
    return f"{CLASS}{PAYLOAD_SEPARATOR}{value}"


async def pick_class_named(turn: Turn, typed: str) -> None:
    """/kelas B: one's class, if the event has one of that name ("semua": every class)."""
    event = await current_event(turn)
    joined = await enrollment(turn, event) if event is not None else None
    if event is None or joined is None:
        await choose_class(turn)  # says why there is nothing to pick
        return
    classes = await classes_of(turn.session, event.id)
    wanted = typed.casefold()
    if wanted in {"semua", "all"}:
        await class_button(turn, f"all:{event.id}")
        return
    for found in classes:
        if found.name.casefold().removeprefix("kelas").strip() == wanted:
            await class_button(turn, str(found.id))
            return
    names = ", ".join(c.name for c in classes) or "-"
    await main_menu(turn, "class.unknown", event=event.name, name=typed, classes=names)


def class_label(t: Translator, name: str) -> str:
    """ "Kelas A" for a class named "A"; a name that says "Kelas" already stays as it is."""
    named = name.casefold().startswith(("kelas", "class"))
    return short_label(name if named else t("class.option", name=name))


async def class_button(turn: Turn, value: str) -> bool:
    """``kelas|<class id>`` or ``kelas|all:<event id>``: the event is in the button."""
    chosen: EventClass | None = None
    if value.startswith("all:"):
        event_id = row_id(value.removeprefix("all:"))
    else:
        class_id = row_id(value)
        chosen = await turn.session.get(EventClass, class_id) if class_id is not None else None
        event_id = chosen.event_id if chosen is not None else None
    event = await turn.session.get(Event, event_id) if event_id is not None else None
    joined = await enrollment(turn, event) if event is not None else None
    if event is None or joined is None:
        return False
    joined.class_name = chosen.name if chosen is not None else None
    if chosen is not None:
        await main_menu(turn, "class.chosen", name=chosen.name, event=event.name)
    else:
        await main_menu(turn, "class.cleared", event=event.name)
    return True


async def declare_classes(turn: Turn, names: list[str]) -> None:
    """``/kelas A B`` from an organiser: the event's classes become A and B."""
    event = await staff_event(turn, RoleName.ORGANIZER)
    if event is None:
        return
    t = turn.t
    try:
        declared = await set_classes(
            turn.session, event, names, actor=Actor.person(turn.person_id), now=turn.now
        )
    except ClassNamesError as exc:
        heading = "agenda_import.classes.heading"
        turn.replies.append(Reply(problems_text(t, exc.problems, limit=None, heading=heading)))
        await repeat_question(turn)
        return
    turn.say("class.declared", event=event.name, classes=", ".join(declared))
    await repeat_question(turn)


def chooses_class(situation: Situation) -> bool:
    return situation.chooses_class


FEATURE = Feature(
    commands=(
        Command(
            "class",
            {"id": "kelas", "en": "class"},
            class_command,
            order=80,
            button=True,
            shown=chooses_class,
        ),
    ),
    buttons={CLASS: class_button},
)
