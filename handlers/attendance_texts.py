"""Attendance in words: what a participant is told about the code they sent, the code
as its opener sees it, and the count that keeps the opener up to date."""

import io
from datetime import datetime

import segno
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.agenda_view import minutes_between
from handlers.i18n import Translator, supported
from handlers.timefmt import format_date, format_time, zone_label
from handlers.turn import PAYLOAD_SEPARATOR, Deployment, Turn
from handlers.types import Attachment, Choice, Reply
from models import Event, Person
from models.agenda import AgendaItem, agenda
from models.attendance.checkin import Outcome, Result
from models.attendance.codes import WRONG_WINDOW
from models.attendance.openings import count_of, works
from models.attendance.store import AttendanceOpening, Direction

PRESENSI = "presensi"  # button namespace: "presensi|open:…", "presensi|count:<opening>"…
# A Telegram start link carries "hadir-<code>": /start with it checks in.
LINK_PREFIX = "hadir-"
_LONGEST_LINK = 200  # our own links are far shorter; a QR code of more is not drawn


def payload(value: str) -> str:
    return f"{PRESENSI}{PAYLOAD_SEPARATOR}{value}"


def spaced(code: str) -> str:
    """ "K7M 2QX": easier to read off a screen; typed either way."""
    return f"{code[:3]} {code[3:]}"


def clock(moment: datetime, event: Event) -> str:
    return f"{format_time(moment, event.timezone)} {zone_label(event.timezone, moment)}"


def what(t: Translator, opening: AttendanceOpening, item: AgendaItem | None, event: Event) -> str:
    """The session (its start and title) or the day an opening is for."""
    if item is not None:
        group = f" ({t('attendance.class', name=item.class_name)})" if item.class_name else ""
        return f"{format_time(item.starts_at, event.timezone)} {item.title}{group}"
    return t("attendance.whole_day_of", date=format_date(opening.day, t.locale))


def _titles(event: Event, items: tuple[AgendaItem, ...]) -> str:
    return "\n".join(f"▪️ {format_time(i.starts_at, event.timezone)} {i.title}" for i in items)


def describe(t: Translator, result: Result, code: str, now: datetime) -> str:
    """What the person who sent ``code`` is told."""
    outcome, event = result.outcome, result.event
    if outcome is Outcome.WAIT:
        assert result.at is not None
        return t("attendance.wait", minutes=minutes_between(now, result.at))
    if outcome is Outcome.UNKNOWN:
        if result.tries_left:
            return t("attendance.unknown", code=code, left=result.tries_left)
        return t("attendance.unknown_last", code=code, minutes=WRONG_WINDOW.seconds // 60)
    assert event is not None
    if outcome is Outcome.NOT_REGISTERED:
        return t("attendance.not_registered", event=event.name, code=event.code)
    if outcome is Outcome.GONE:
        return t("attendance.gone", event=event.name)
    if outcome is Outcome.NONE_LEFT:
        return t("attendance.none_left", event=event.name)
    at = clock(result.at, event) if result.at is not None else ""
    if outcome in (Outcome.CLOSED, Outcome.EXPIRED, Outcome.NOT_YET):
        return t(f"attendance.{outcome}", code=spaced(code), at=at)
    first = result.sessions[0] if result.sessions else None
    title = first.title if first is not None else ""
    if outcome in (Outcome.OTHER_CLASS, Outcome.NO_CLASS):
        assert first is not None
        return t(f"attendance.{outcome}", title=title, session_class=first.class_name,
                 own_class=result.own_class or "")  # fmt: skip
    if outcome is Outcome.RECORDED:
        if len(result.sessions) > 1:
            return t("attendance.recorded_day", count=len(result.sessions), at=at,
                     sessions=_titles(event, result.sessions))  # fmt: skip
        key = "attendance.recorded_late" if result.late else "attendance.recorded"
        return t(key, title=title, at=at)
    if outcome is Outcome.CHECKED_OUT:
        return t("attendance.checked_out", sessions=_titles(event, result.sessions), at=at)
    # ALREADY, ALREADY_OUT, UNMARKED, NOT_IN: about the session concerned
    return t(f"attendance.{outcome}", title=title or event.name, at=at)


# --- the code, as its opener gets it ------------------------------------------------------


def qr_png(link: str) -> bytes:
    """The link as a QR code picture. A link this short (version 3 or so) is drawn in a
    few milliseconds, on the event loop."""
    if len(link) > _LONGEST_LINK:
        raise ValueError("a join link is far shorter")
    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="png", scale=8, border=4)
    return out.getvalue()


def links(deployment: Deployment, code: str) -> list[tuple[str, str]]:
    """(channel, link) that check in with ``code`` where the bot can be reached."""
    found = []
    telegram = deployment.start_link(LINK_PREFIX + code)
    if telegram is not None:
        found.append(("telegram", telegram))
    whatsapp = deployment.whatsapp_link(code)
    if whatsapp is not None:
        found.append(("whatsapp", whatsapp))
    return found


def code_replies(
    turn: Turn, event: Event, opening: AttendanceOpening, item: AgendaItem | None,
    late_after: int,
) -> list[Reply]:  # fmt: skip
    """The code to show in the hall, and a QR code of each link that sends it."""
    t = turn.t
    code = spaced(opening.code)
    subject = what(t, opening, item, event)
    until = clock(opening.expires_at, event)
    if opening.direction == Direction.OUT:
        text = t("attendance.opened_out", what=subject, code=code, until=until)
    else:
        opens = clock(max(opening.opens_at, turn.now), event)
        late = (
            t("attendance.late_session", late=late_after, start=clock(item.starts_at, event))
            if item is not None
            else t("attendance.late_day", late=late_after)
        )
        text = t("attendance.opened", what=subject, code=code, opens=opens, until=until,
                 late=late)  # fmt: skip
    replies = [Reply(text)]
    for channel, link in links(turn.deployment, opening.code):
        picture = qr_png(link)
        caption = t(f"attendance.qr_{channel}", link=link, code=code)
        attachment = Attachment(f"presensi-{opening.code}-{channel}.png", "image/png", picture,
                                len(picture))  # fmt: skip
        replies.append(Reply(caption, attachment=attachment))
    return replies


async def status_reply(
    session: AsyncSession, opening: AttendanceOpening, t: Translator, now: datetime
) -> Reply:
    """How many came, with buttons to count again and to stop the code."""
    event = await session.get(Event, opening.event_id)
    assert event is not None
    assert opening.id is not None
    item = (await agenda(session, event)).item(opening.session_id) if opening.session_id else None
    count = await count_of(session, opening, item.class_name if item is not None else None)
    lines = [t("attendance.status_title", what=what(t, opening, item, event),
               code=spaced(opening.code))]  # fmt: skip
    if opening.direction == Direction.OUT:
        lines.append(t("attendance.status_out", out=count.checked_out, present=count.present))
    elif opening.session_id is not None:
        lines.append(t("attendance.status_session", present=count.present,
                       expected=count.expected, late=count.late))  # fmt: skip
    else:
        lines.append(t("attendance.status_day", present=count.present, expected=count.expected))
    if opening.closed_at is not None:
        lines.append(t("attendance.status_closed", at=clock(opening.closed_at, event)))
    elif now >= opening.expires_at:
        lines.append(t("attendance.status_expired", at=clock(opening.expires_at, event)))
    else:
        lines.append(t("attendance.status_until", at=clock(opening.expires_at, event)))
    choices = [Choice(payload(f"count:{opening.id}"), t("attendance.refresh"))]
    if works(opening, now):
        choices.append(Choice(payload(f"close:{opening.id}"), t("attendance.close")))
    return Reply("\n".join(lines), tuple(choices))


async def opener_translator(session: AsyncSession, opening: AttendanceOpening) -> Translator:
    opener = await session.get(Person, opening.opened_by) if opening.opened_by else None
    return Translator(supported(opener.locale if opener is not None else None))
