"""What notifications say, in the person's language and the event's zone: a reminder
before a session, the morning digest (the day as ``/jadwal`` shows it), a schedule-change
notice; and an event's reminder settings as organisers read them. Notifications are
written for the moment they are sent, which may come a little after the moment planned:
times of day, never "in 15 minutes"."""

from collections.abc import Sequence
from datetime import date, datetime

from handlers.agenda_view import View, header, session_lines
from handlers.i18n import Translator
from handlers.timefmt import format_date, format_time, zone_label
from models import Event
from models.agenda import AgendaItem
from models.agenda_import import ScheduleChange
from models.outbox import Status
from models.reminders import Reminders


def reminder_text(t: Translator, event: Event, item: AgendaItem) -> str:
    zone = event.timezone
    lines = [
        t(
            "reminder.title",
            start=format_time(item.starts_at, zone),
            zone=zone_label(zone, item.starts_at),
        ),
        f"▪️ {item.title}",
    ]
    if item.room:
        lines.append(t("schedule.room", room=item.room))
    lines.append(t("reminder.footer", event=event.name))
    return "\n".join(lines)


def digest_text(t: Translator, view: View, day: date) -> str:
    sessions = [s for s in view.sessions if s.day == day]
    lines = [
        t("digest.title", date=format_date(day, t.locale)),
        header(t, view),
        "",
        *session_lines(t, view, sessions),
        "",
        t("digest.footer"),
    ]
    return "\n".join(lines)


def _slot(
    t: Translator,
    event: Event,
    start: datetime,
    end: datetime,
    room: str,
    day: date | None = None,
) -> str:
    """ "10.15–12.00 WITA, 📍 Ruang Kartanegara", with the date when ``day`` is given."""
    zone = event.timezone
    parts = [format_date(day, t.locale)] if day is not None else []
    parts.append(f"{format_time(start, zone)}–{format_time(end, zone)} {zone_label(zone, start)}")
    if room:
        parts.append(t("schedule.room", room=room))
    return ", ".join(parts)


def change_text(t: Translator, event: Event, changes: Sequence[ScheduleChange], today: date) -> str:
    """Today's changes for one person: each moved or removed session, as it is now and
    as it was."""
    lines = [t("change.title", event=event.name)]
    for change in changes:
        before = _slot(t, event, change.was_start, change.was_end, change.was_room)
        if change.start is None or change.end is None:
            lines.append(t("change.removed", title=change.title, before=before))
            continue
        moved_to = change.day if change.day != today else None
        now = _slot(t, event, change.start, change.end, change.room, moved_to)
        lines.append(t("change.moved", title=change.title, now=now, before=before))
    lines.append(t("change.footer"))
    return "\n".join(lines)


def settings_lines(t: Translator, event: Event, settings: Reminders) -> list[str]:
    """An event's reminder settings, one line each (the command line prints them too)."""
    lines = [t("reminders.event_title", event=event.name)]
    if settings.before_sessions:
        minutes = ", ".join(str(m) for m in settings.offsets)
        lines.append(t("reminders.sessions_on", minutes=minutes))
    else:
        lines.append(t("reminders.sessions_off"))
    if settings.digest:
        at = settings.digest_at.strftime("%H.%M")
        lines.append(t("reminders.digest_on", time=at, zone=zone_label(event.timezone)))
    else:
        lines.append(t("reminders.digest_off"))
    return lines


def counts_line(t: Translator, counts: dict[str, dict[str, int]]) -> str:
    """How the event's notifications fared: sent, waiting, too late to send..."""
    total: dict[str, int] = {}
    for by_status in counts.values():
        for status, number in by_status.items():
            total[status] = total.get(status, 0) + number
    return t(
        "reminders.counts",
        sent=total.get(Status.SENT, 0),
        waiting=total.get(Status.PENDING, 0) + total.get(Status.SENDING, 0),
        expired=total.get(Status.EXPIRED, 0),
        cancelled=total.get(Status.CANCELLED, 0),
        failed=total.get(Status.FAILED, 0) + total.get(Status.BLOCKED, 0),
    ) + (" " + t("reminders.held_count", held=total[Status.HELD]) if total.get(Status.HELD) else "")
