"""An event's agenda as one person sees it (their class and the plenary sessions), and
how sessions are written: times in the event's zone, "08.30–10.00"."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from handlers.event_choice import current_event, enrollment
from handlers.i18n import Translator
from handlers.menu import main_menu
from handlers.timefmt import format_time, zone_label
from handlers.turn import Turn, short_label
from models import Event
from models.agenda import Agenda, AgendaItem, agenda


@dataclass(frozen=True, slots=True)
class View:
    """What one person sees of an event's agenda."""

    event: Event
    sessions: list[AgendaItem]
    class_name: str | None  # their class; None: all sessions are shown
    classes: tuple[str, ...]  # the event's classes
    agenda: Agenda  # the whole agenda, every class


async def view_of(turn: Turn, event: Event) -> View:
    whole = await agenda(turn.session, event)
    joined = await enrollment(turn, event)
    return view_for(whole, event, joined.class_name if joined is not None else None)


def view_for(whole: Agenda, event: Event, class_name: str | None) -> View:
    """What someone of ``class_name`` sees. Whoever has not picked a class (organisers
    and trainers usually) sees every class."""
    return View(event, whole.for_class(class_name), class_name, whole.classes, whole)


async def looking_at(turn: Turn) -> View | None:
    """The view of the person's current event, or None after telling them why not."""
    event = await current_event(turn)
    if event is None:
        await main_menu(turn, "schedule.no_event")
        return None
    return await view_of(turn, event)


def duration(t: Translator, minutes: int) -> str:
    hours, minutes = divmod(max(minutes, 0), 60)
    if hours and minutes:
        return t("duration.hours_minutes", hours=hours, minutes=minutes)
    if hours:
        return t("duration.hours", hours=hours)
    return t("duration.minutes", minutes=minutes)


def minutes_between(start: datetime, end: datetime) -> int:
    # Round up: "in 1 minute" at 08.29:10 for an 08.30 start, never "in 0 minutes".
    return int(-(-(end - start).total_seconds() // 60))


def span(session: AgendaItem, event: Event) -> str:
    return (
        f"{format_time(session.starts_at, event.timezone)}"
        f"–{format_time(session.ends_at, event.timezone)}"
    )


def where(t: Translator, session: AgendaItem, view: View) -> str:
    parts = []
    if session.speakers:
        parts.append(t("schedule.speakers", speakers=session.speakers))
    if session.room:
        parts.append(t("schedule.room", room=session.room))
    if session.class_name is not None and view.class_name is None:
        parts.append(t("schedule.class", name=session.class_name))
    return " · ".join(parts)


def session_lines(t: Translator, view: View, sessions: Sequence[AgendaItem]) -> list[str]:
    lines = []
    for session in sessions:
        lines.append(f"▪️ {span(session, view.event)} {session.title}")
        details = where(t, session, view)
        if details:
            lines.append(f"    {details}")
    return lines


def header(t: Translator, view: View) -> str:
    zone = zone_label(view.event.timezone)
    if view.class_name is not None:
        return t("schedule.header_class", event=view.event.name, name=view.class_name, zone=zone)
    return t("schedule.header", event=view.event.name, zone=zone)


def session_label(session: AgendaItem, event: Event, with_class: bool = False) -> str:
    """A session's button: its start and title, and its class where classes run side
    by side ("10.15 A · Praktik: sistem…")."""
    start = format_time(session.starts_at, event.timezone)
    group = f"{session.class_name} · " if with_class and session.class_name else ""
    return short_label(f"{start} {group}{session.title}")
