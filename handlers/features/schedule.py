"""Schedule look-ups: today, tomorrow, a day, the whole agenda, now and next, one
session. Times are shown in the event's zone."""

from datetime import date, timedelta
from itertools import groupby

from sqlalchemy import bindparam
from sqlmodel import col, select

from handlers.agenda_view import (
    View,
    duration,
    header,
    looking_at,
    minutes_between,
    session_label,
    session_lines,
    span,
    view_of,
    where,
)
from handlers.event_choice import local_today, my_events
from handlers.menu import MENU_LIMIT, main_menu, menu_options
from handlers.registry import Command, Feature, Situation
from handlers.roles import may
from handlers.timefmt import format_date, format_time, zone_label
from handlers.turn import MENU, PAYLOAD_SEPARATOR, Option, Turn
from handlers.types import Reply
from handlers.validation import row_id
from models import AgendaSession, Event, RoleName
from models.agenda import AgendaItem

SESSION = "sesi"  # button namespaces: "sesi|<id>", "hari|<event id>:<date>"
DAY = "hari"
SESSION_BUTTONS = 8  # with two day buttons, within a WhatsApp list's 10 rows
_EVENT_OF = select(AgendaSession.event_id).where(col(AgendaSession.id) == bindparam("session_id"))


def day_text(turn: Turn, view: View, day: date) -> tuple[str, list[AgendaItem]]:
    t = turn.t
    sessions = [s for s in view.sessions if s.day == day]
    title = t("schedule.day_title", date=format_date(day, turn.locale))
    if not sessions:
        return f"{title}\n{t('schedule.day_empty')}", sessions
    lines = [title, header(t, view), "", *session_lines(t, view, sessions)]
    if view.classes and view.class_name is None and turn.person.is_registered:
        lines += ["", t("schedule.pick_class_hint", classes=", ".join(view.classes))]
    return "\n".join(lines), sessions


def session_payload(session: AgendaItem) -> str:
    return f"{SESSION}{PAYLOAD_SEPARATOR}{session.id}"


def day_payload(event: Event, day: date) -> str:
    """A button for one day of one event: pressed later, it still means that event."""
    return f"{DAY}{PAYLOAD_SEPARATOR}{event.id}:{day.isoformat()}"


def day_options(turn: Turn, view: View, day: date, sessions: list[AgendaItem]) -> list[Option]:
    if len(sessions) > SESSION_BUTTONS:
        # Not every session gets a button: those still to come matter most.
        sessions = [s for s in sessions if s.ends_at > turn.now] or sessions
    every_class = view.class_name is None
    options = [
        Option(session_payload(s), session_label(s, view.event, every_class))
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
    turn.offer(prefix + text, day_options(turn, view, day, sessions))


async def today(turn: Turn) -> None:
    await _relative_day(turn, 0)


async def tomorrow(turn: Turn) -> None:
    await _relative_day(turn, 1)


async def _relative_day(turn: Turn, offset: int) -> None:
    view = await looking_at(turn)
    if view is None:
        return
    event = view.event
    local = local_today(event, turn.now)
    day = local + timedelta(days=offset)
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
            days=(first - local).days,
        )
        show_day(turn, view, first, prefix=note + "\n\n")
    elif local <= last:
        # Tomorrow, asked on the last day: today still has sessions.
        show_day(turn, view, last, prefix=t("schedule.last_day", event=event.name) + "\n\n")
    else:
        date_text = format_date(last, turn.locale)
        await main_menu(turn, "schedule.after_event", event=event.name, date=date_text)


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
    days = [
        "\n".join(
            [
                t("schedule.day_title", date=format_date(day, turn.locale)),
                *session_lines(t, view, list(sessions)),
            ]
        )
        for day, sessions in groupby(view.sessions, key=lambda s: s.day)
    ]
    # The calendar file belongs here, under the full agenda.
    options = [Option("calendar", t("menu.calendar")), *await menu_options(turn)]
    done = t("schedule.agenda_done")
    messages = packed([intro, *days, done])
    for text in messages[:-1]:
        turn.replies.append(Reply(text))
    turn.menu(messages[-1], options[:MENU_LIMIT])


MESSAGE_BUDGET = 3500  # within every channel's limit for one message, with room to spare


def packed(blocks: list[str]) -> list[str]:
    """The blocks (a day each) in as few messages as fit the budget, a block never cut;
    one longer than the budget goes alone, for the channel to split."""

    def size(text: str) -> int:
        return len(text.encode("utf-16-le")) // 2  # as the strictest channel counts

    messages: list[str] = []
    for block in blocks:
        if messages and size(messages[-1]) + 2 + size(block) <= MESSAGE_BUDGET:
            messages[-1] += "\n\n" + block
        else:
            messages.append(block)
    return messages


async def now_and_next(turn: Turn) -> None:
    view = await looking_at(turn)
    if view is None:
        return
    t, event, now = turn.t, view.event, turn.now
    if not view.sessions:
        await main_menu(turn, "schedule.not_loaded", event=event.name)
        return
    zone = zone_label(event.timezone)
    today_local = local_today(event, now)
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
        options = [Option(session_payload(soon), t("now.next_detail"))]
    else:
        lines.append(t("now.finished", event=event.name))
        options = []
    if any(s.day == today_local for s in view.sessions):
        options.append(Option(day_payload(event, today_local), t("menu.today")))
    else:
        options.append(Option(f"{MENU}{PAYLOAD_SEPARATOR}agenda", t("menu.agenda")))
    turn.offer("\n\n".join(lines), options)


async def session_detail(turn: Turn, value: str) -> bool:
    """One session's detail; False when the button is not one of this person's."""
    ident = row_id(value)
    found = await turn.session.execute(_EVENT_OF, {"session_id": ident}) if ident else None
    event_id = found.scalar() if found is not None else None
    event = next((e for e in await my_events(turn) if e.id == event_id), None)
    if ident is None or event is None:
        return False
    view = await view_of(turn, event)
    session = view.agenda.item(ident)
    if session is None:
        return False
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


def has_event(situation: Situation) -> bool:
    return situation.event is not None


FEATURE = Feature(
    commands=(
        Command(
            "today",
            {"id": "jadwal", "en": "today"},
            today,
            order=10,
            button=True,
            channel_menu=True,
            shown=has_event,
        ),
        Command(
            "now",
            {"id": "sekarang", "en": "now"},
            now_and_next,
            order=20,
            button=True,
            channel_menu=True,
            shown=has_event,
        ),
        Command(
            "tomorrow",
            {"id": "besok", "en": "tomorrow"},
            tomorrow,
            order=30,
            button=True,
            channel_menu=True,
            shown=has_event,
        ),
        Command(
            "agenda",
            {"id": "agenda", "en": "agenda"},
            whole_agenda,
            order=40,
            button=True,
            channel_menu=True,
            shown=has_event,
        ),
    ),
    buttons={SESSION: session_detail, DAY: day_button},
)
