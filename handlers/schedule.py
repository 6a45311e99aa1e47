"""Schedule look-ups: today, tomorrow, a day, the whole agenda, now and next, one
session, the class a participant is in. Times are shown in the event's zone."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import groupby

from sqlmodel import col, select

from handlers.event_choice import current_event, enrollment, local_today, my_events
from handlers.i18n import Translator
from handlers.menu import MENU_LIMIT, main_menu, menu_options
from handlers.roles import may
from handlers.timefmt import format_date, format_time, zone_label
from handlers.turn import MENU, Option, Turn, short_label
from handlers.types import Reply
from handlers.validation import row_id
from models import AgendaSession, Event, EventClass, RoleName
from models.agenda import classes_of

SESSION = "sesi"  # button namespaces: "sesi|<id>", "hari|<date>", "acara|<id>", "kelas|<name>"
DAY = "hari"
EVENT = "acara"
CLASS = "kelas"
SESSION_BUTTONS = 8  # with two day buttons, within a WhatsApp list's 10 rows
MENU_EVENTS = 10  # the latest ten events of a person, in a WhatsApp list


@dataclass(frozen=True, slots=True)
class View:
    """What one person sees of an event's agenda."""

    event: Event
    sessions: list[AgendaSession]
    class_name: str | None  # their class; None: all sessions are shown
    classes: list[str]  # the event's classes


async def view_of(turn: Turn, event: Event) -> View:
    classes = [c.name for c in await classes_of(turn.session, event.id)]
    joined = await enrollment(turn, event)
    # Whoever has not picked a class (organisers and trainers usually) sees every class.
    class_name = joined.class_name if joined is not None else None
    query = select(AgendaSession).where(col(AgendaSession.event_id) == event.id)
    if class_name is not None:
        query = query.where(
            (col(AgendaSession.class_name) == class_name) | col(AgendaSession.class_name).is_(None)
        )
    query = query.order_by(col(AgendaSession.starts_at), col(AgendaSession.class_name))
    sessions = list((await turn.session.execute(query)).scalars())
    return View(event, sessions, class_name, classes)


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


def span(session: AgendaSession, event: Event) -> str:
    return (
        f"{format_time(session.starts_at, event.timezone)}"
        f"–{format_time(session.ends_at, event.timezone)}"
    )


def where(t: Translator, session: AgendaSession, view: View) -> str:
    parts = []
    if session.speakers:
        parts.append(t("schedule.speakers", speakers=session.speakers))
    if session.room:
        parts.append(t("schedule.room", room=session.room))
    if session.class_name is not None and view.class_name is None:
        parts.append(t("schedule.class", name=session.class_name))
    return " · ".join(parts)


def session_lines(t: Translator, view: View, sessions: Sequence[AgendaSession]) -> list[str]:
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


def day_text(turn: Turn, view: View, day: date) -> tuple[str, list[AgendaSession]]:
    t = turn.t
    sessions = [s for s in view.sessions if s.day == day]
    title = t("schedule.day_title", date=format_date(day, turn.locale))
    if not sessions:
        return f"{title}\n{t('schedule.day_empty')}", sessions
    lines = [title, header(t, view), "", *session_lines(t, view, sessions)]
    if view.classes and view.class_name is None and turn.conversation.participant_id is not None:
        lines += ["", t("schedule.pick_class_hint", classes=", ".join(view.classes))]
    return "\n".join(lines), sessions


def session_label(session: AgendaSession, event: Event, with_class: bool = False) -> str:
    """A session's button: its start and title, and its class where classes run side
    by side ("10.15 A · Praktik: sistem…")."""
    start = format_time(session.starts_at, event.timezone)
    group = f"{session.class_name} · " if with_class and session.class_name else ""
    return short_label(f"{start} {group}{session.title}")


def day_options(turn: Turn, view: View, day: date, sessions: list[AgendaSession]) -> list[Option]:
    if len(sessions) > SESSION_BUTTONS:
        # Not every session gets a button: those still to come matter most.
        sessions = [s for s in sessions if s.ends_at > turn.now] or sessions
    every_class = view.class_name is None
    options = [
        Option(f"{SESSION}|{s.id}", session_label(s, view.event, every_class))
        for s in sessions[:SESSION_BUTTONS]
    ]
    days = sorted({s.day for s in view.sessions})
    earlier = [d for d in days if d < day]
    later = [d for d in days if d > day]
    if earlier:
        options.append(
            Option(day_payload(view.event, earlier[-1]), turn.t("schedule.previous_day"))
        )
    if later:
        options.append(Option(day_payload(view.event, later[0]), turn.t("schedule.next_day")))
    return options


def show_day(turn: Turn, view: View, day: date, prefix: str = "") -> None:
    text, sessions = day_text(turn, view, day)
    options = day_options(turn, view, day, sessions)
    turn.offer(prefix + text, options)


async def today(turn: Turn) -> None:
    await _relative_day(turn, 0)


async def tomorrow(turn: Turn) -> None:
    await _relative_day(turn, 1)


async def _relative_day(turn: Turn, offset: int) -> None:
    view = await looking_at(turn)
    if view is None:
        return
    event = view.event
    day = local_today(event, turn) + timedelta(days=offset)
    if not view.sessions:
        await main_menu(turn, "schedule.not_loaded", event=event.name)
        return
    if event.starts_on <= day <= event.ends_on:
        show_day(turn, view, day)
        return
    first, last = view.sessions[0].day, view.sessions[-1].day
    t = turn.t
    if day < first:
        note = t(
            "schedule.before_event",
            event=event.name,
            date=format_date(first, turn.locale),
            days=(first - local_today(event, turn)).days,
        )
        show_day(turn, view, first, prefix=note + "\n\n")
    elif local_today(event, turn) <= last:
        # Tomorrow, asked on the last day: today still has sessions.
        show_day(turn, view, last, prefix=t("schedule.last_day", event=event.name) + "\n\n")
    else:
        date_text = format_date(last, turn.locale)
        await main_menu(turn, "schedule.after_event", event=event.name, date=date_text)


def day_payload(event: Event, day: date) -> str:
    """A button for one day of one event: pressed later, it still means that event."""
    return f"{DAY}|{event.id}:{day.isoformat()}"


async def day_button(turn: Turn, value: str) -> bool:
    event_part, _, day_part = value.partition(":")
    ident = row_id(event_part)
    event = next((e for e in await my_events(turn) if e.id == ident), None)
    try:
        day = date.fromisoformat(day_part)
    except ValueError:
        return False
    if event is None:
        return False
    view = await view_of(turn, event)
    if not any(s.day == day for s in view.sessions):
        return False
    show_day(turn, view, day)
    return True


async def whole_agenda(turn: Turn) -> None:
    view = await looking_at(turn)
    if view is None:
        return
    t = turn.t
    event = view.event
    if not view.sessions:
        await main_menu(turn, "schedule.not_loaded", event=event.name)
        return
    intro = t(
        "schedule.agenda_intro",
        event=event.name,
        venue=event.venue or "-",
        first=format_date(event.starts_on, turn.locale),
        last=format_date(event.ends_on, turn.locale),
        zone=zone_label(event.timezone),
    )
    # One message a day: each fits a channel's limit, and the channel splits further.
    turn.replies.append(Reply(intro))
    for day, sessions in groupby(view.sessions, key=lambda s: s.day):
        title = t("schedule.day_title", date=format_date(day, turn.locale))
        turn.replies.append(Reply("\n".join([title, *session_lines(t, view, list(sessions))])))
    options = [Option("calendar", t("menu.calendar")), *await menu_options(turn)]
    turn.menu(t("schedule.agenda_done"), options[:MENU_LIMIT])


async def now_and_next(turn: Turn) -> None:
    view = await looking_at(turn)
    if view is None:
        return
    t, event, now = turn.t, view.event, turn.now
    if not view.sessions:
        await main_menu(turn, "schedule.not_loaded", event=event.name)
        return
    zone = zone_label(event.timezone)
    today_local = local_today(event, turn)
    lines = [
        t(
            "now.title",
            time=format_time(now, event.timezone),
            zone=zone,
            date=format_date(today_local, turn.locale),
        )
    ]
    running = [s for s in view.sessions if s.starts_at <= now < s.ends_at]
    upcoming = [s for s in view.sessions if s.starts_at > now]
    for session in running:
        lines.append(
            t(
                "now.current",
                title=session.title,
                span=span(session, event),
                zone=zone,
                where=where(t, session, view) or "-",
                left=duration(t, minutes_between(now, session.ends_at)),
            )
        )
    if not running:
        lines.append(t("now.nothing"))
    if upcoming:
        soon = upcoming[0]
        values = {
            "title": soon.title,
            "start": format_time(soon.starts_at, event.timezone),
            "zone": zone,
            "where": where(t, soon, view) or "-",
        }
        if soon.day == today_local:
            lines.append(
                t("now.next", **values, within=duration(t, minutes_between(now, soon.starts_at)))
            )
        else:
            lines.append(t("now.next_day", **values, date=format_date(soon.day, turn.locale)))
        options = [Option(f"{SESSION}|{soon.id}", t("now.next_detail"))]
    else:
        lines.append(t("now.finished", event=event.name))
        options = []
    if any(s.day == today_local for s in view.sessions):
        options.append(Option(day_payload(event, today_local), t("menu.today")))
    else:
        options.append(Option(f"{MENU}|agenda", t("menu.agenda")))
    turn.offer("\n\n".join(lines), options)


async def session_detail(turn: Turn, value: str) -> bool:
    """One session's detail; False when the button is not one of this person's."""
    ident = row_id(value)
    session = await turn.session.get(AgendaSession, ident) if ident is not None else None
    if session is None:
        return False
    events = {e.id: e for e in await my_events(turn)}
    event = events.get(session.event_id)
    if event is None:
        return False
    view = await view_of(turn, event)
    # Another class's session is not for a participant; its trainer may still open it.
    if session not in view.sessions and not await may(turn, event, RoleName.TRAINER):
        return False
    t = turn.t
    lines = [
        f"📌 {session.title}",
        t(
            "detail.when",
            date=format_date(session.day, turn.locale),
            span=span(session, event),
            zone=zone_label(event.timezone),
        ),
    ]
    if session.speakers:
        lines.append(t("detail.speakers", speakers=session.speakers))
    if session.room:
        lines.append(t("detail.room", room=session.room))
    if session.class_name is None:
        if view.classes:
            lines.append(t("detail.plenary"))
    else:
        lines.append(t("detail.class", name=session.class_name))
    if session.description:
        lines += ["", session.description]
    options = [Option(day_payload(event, session.day), t("detail.back_to_day"))]
    turn.offer("\n".join(lines), options)
    return True


async def choose_class(turn: Turn) -> None:
    """/kelas: a participant picks the class (kelas) whose sessions they attend."""
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
    options = [Option(f"{CLASS}|{c.id}", class_label(t, c.name)) for c in classes]
    options.append(Option(f"{CLASS}|all:{event.id}", t("class.all")))
    turn.offer(t("class.ask", event=event.name, current=current), options)


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


async def switch_event(turn: Turn) -> None:
    """/acara: pick which of one's events the look-ups are about (/acara CODE names it;
    the buttons offer the latest ones)."""
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
        first, last = (
            format_date(event.starts_on, turn.locale),
            format_date(event.ends_on, turn.locale),
        )
        lines.append(t("switch.line", code=event.code, event=event.name, first=first, last=last))
        options.append(Option(f"{EVENT}|{event.id}", short_label(event.code)))
    turn.offer("\n".join(lines), options)


async def event_button(turn: Turn, value: str) -> bool:
    ident = row_id(value)
    chosen = next((e for e in await my_events(turn) if e.id == ident), None)
    if chosen is None:
        return False
    turn.conversation.viewing_event_id = chosen.id
    turn.conversation.event_chosen_at = turn.now
    await main_menu(turn, "switch.done", event=chosen.name)
    return True
