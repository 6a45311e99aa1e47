"""The agenda as an iCalendar file a phone's calendar imports ("add to my calendar")."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar
from icalendar import Event as CalendarEvent

from handlers.agenda_view import View, view_of
from handlers.event_choice import current_event
from handlers.i18n import Translator
from handlers.menu import main_menu
from handlers.registry import Command, Feature, Situation
from handlers.turn import Turn
from handlers.types import Attachment, Reply

MEDIA_TYPE = "text/calendar"
UID_DOMAIN = "bimtek-bot"
SEQUENCE_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def calendar_file(view: View, t: Translator) -> bytes:
    """Each session at its local time with the event's zone (and that zone's VTIMEZONE),
    so calendars show it right wherever the phone is. UIDs follow the stored session,
    so importing a newer file updates the entries instead of doubling them."""
    event = view.event
    zone = ZoneInfo(event.timezone)
    calendar = Calendar()
    calendar.add("prodid", "-//Bimtek Bot//agenda//ID")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", event.name)
    calendar.add("x-wr-timezone", event.timezone)
    for session in view.sessions:
        entry = CalendarEvent()
        # The event's creation moment keeps UIDs apart across databases and deployments.
        created = event.created_at.strftime("%Y%m%dT%H%M%S")
        entry.add("uid", f"session-{session.id}-{event.code}-{created}@{UID_DOMAIN}")
        entry.add("dtstamp", session.updated_at)
        entry.add("last-modified", session.updated_at)
        # Calendars take a newer copy of an entry when its sequence number is higher.
        entry.add("sequence", int((session.updated_at - SEQUENCE_EPOCH).total_seconds()) // 60)
        entry.add("dtstart", session.starts_at.astimezone(zone))
        entry.add("dtend", session.ends_at.astimezone(zone))
        entry.add("summary", session.title)
        location = ", ".join(part for part in (session.room, event.venue) if part)
        if location:
            entry.add("location", location)
        details = [part for part in (session.speakers, session.description) if part]
        if session.class_name is not None:
            details.insert(0, t("detail.class", name=session.class_name))
        if details:
            entry.add("description", "\n".join(details))
        calendar.add_component(entry)
    first = min((s.day for s in view.sessions), default=event.starts_on)
    last = max((s.day for s in view.sessions), default=event.ends_on)
    calendar.add_missing_timezones(first - timedelta(days=1), last + timedelta(days=2))
    content: bytes = calendar.to_ical()
    return content


async def send_calendar(turn: Turn) -> None:
    event = await current_event(turn)
    if event is None:
        await main_menu(turn, "schedule.no_event")
        return
    view = await view_of(turn, event)
    if not view.sessions:
        await main_menu(turn, "schedule.not_loaded", event=event.name)
        return
    content = calendar_file(view, turn.t)
    attachment = Attachment(
        filename=f"jadwal-{event.code}.ics",
        media_type=MEDIA_TYPE,
        content=content,
        size=len(content),
    )
    text = turn.t("calendar.sent", count=len(view.sessions), event=event.name)
    turn.replies.append(Reply(text, attachment=attachment))


def has_event(situation: Situation) -> bool:
    return situation.event is not None


FEATURE = Feature(
    commands=(
        # Not a main-menu button of its own: the full agenda offers it.
        Command(
            "calendar",
            {"id": "kalender", "en": "calendar"},
            send_calendar,
            order=45,
            channel_menu=True,
            shown=has_event,
        ),
    ),
)
