"""``/presensi``: a trainer, for a session they teach, or an organiser opens a check-in
code (``/presensi 20``: working for 20 minutes). The bot answers with the code to show
in the hall, a QR code of each link that sends it, and the count so far, with buttons to
count again and to stop the code early. An organiser may also open one for the whole day
(each person's own sessions of it), mark people by hand (``/tandai``) and download the
daftar hadir. Participants send the code: see handlers/features/attendance_codes.py."""

from datetime import date

import structlog

from handlers.agenda_view import session_label
from handlers.attendance_live import refresh_status, show_status
from handlers.attendance_sheet import printable
from handlers.attendance_texts import PRESENSI, clock, code_replies, payload, spaced, status_reply
from handlers.event_choice import local_today
from handlers.menu import MENU_LIMIT, main_menu
from handlers.registry import Command, Feature
from handlers.roles import may, my_role
from handlers.staff import refuse, staff_event
from handlers.timefmt import format_date
from handlers.turn import MENU, PAYLOAD_SEPARATOR, Option, Turn
from handlers.validation import row_id
from handlers.written_files import send_written_file
from models import AgendaSession, Event, RoleName
from models.agenda import AgendaItem, agenda
from models.attendance.files import xlsx_off_loop
from models.attendance.openings import close, open_code
from models.attendance.queries import attendable
from models.attendance.register import register_of
from models.attendance.settings import MAX_CODE_MINUTES, rules_of
from models.attendance.store import AttendanceOpening, Direction
from models.audit import Actor, ExportKind, record_export
from models.roles import teaches

log = structlog.get_logger(__name__)

_ORGANISER_BUTTONS = 3  # the whole day, marking by hand, the download


def minutes_typed(text: str) -> int | None:
    if not (text.isascii() and text.isdigit()) or len(text) > 3:
        return None
    minutes = int(text)
    return minutes if 1 <= minutes <= MAX_CODE_MINUTES else None


async def _choosable(turn: Turn, event: Event, organiser: bool) -> list[AgendaItem]:
    """Today's sessions this person may open a code for: those on now first, then those
    to come, then those over (the latest first)."""
    day, now = local_today(event, turn.now), turn.now
    today = [i for i in attendable((await agenda(turn.session, event)).items) if i.day == day]
    if not organiser:
        role = await my_role(turn, event, RoleName.TRAINER)
        today = [i for i in today if role is not None and teaches(role.speaker, i.speakers)]
    running = [i for i in today if i.starts_at <= now < i.ends_at]
    coming = [i for i in today if i.starts_at > now]
    over = sorted((i for i in today if i.ends_at <= now), key=lambda i: i.starts_at, reverse=True)
    return running + coming + over


async def open_command(turn: Turn) -> None:
    event = await staff_event(turn, RoleName.TRAINER)
    if event is None or event.id is None:
        return
    t = turn.t
    minutes = (await rules_of(turn.session, event.id)).code_minutes
    if turn.argument:
        chosen = minutes_typed(turn.argument)
        if chosen is None:
            turn.say("attendance.bad_minutes", most=MAX_CODE_MINUTES)
            return
        minutes = chosen
    organiser = await may(turn, event, RoleName.ORGANIZER)
    sessions = await _choosable(turn, event, organiser)
    if not sessions and not organiser:
        await main_menu(turn, "attendance.no_session", event=event.name)
        return
    room = MENU_LIMIT - (_ORGANISER_BUTTONS if organiser else 0)
    options = [
        Option(payload(f"open:s{s.id}:{minutes}"), session_label(s, event, True))
        for s in sessions[:room]
    ]
    day = local_today(event, turn.now)
    if organiser:
        if sessions:
            whole_day = f"open:d{event.id}@{day.isoformat()}:{minutes}"
            options.append(Option(payload(whole_day), t("attendance.whole_day")))
        options.append(Option(f"{MENU}{PAYLOAD_SEPARATOR}mark", t("attendance.mark_button")))
        options.append(Option(payload(f"xlsx:{event.id}"), t("attendance.download")))
    key = "attendance.choose" if sessions else "attendance.no_session_today"
    turn.offer(t(key, event=event.name, minutes=minutes, date=format_date(day, turn.locale)),
               options)  # fmt: skip


Target = tuple[Event, AgendaItem | None, date, list[AgendaItem]]


class NoSuchTargetError(LookupError):
    """A button naming a session or an event there is not (forged, or deleted since)."""


async def _session_target(turn: Turn, session_id: int | None) -> Target | None:
    """The session, once this person may open a code for it; None after saying why not."""
    found = await turn.session.get(AgendaSession, session_id) if session_id else None
    event = await turn.session.get(Event, found.event_id) if found is not None else None
    if found is None or found.id is None or event is None:
        raise NoSuchTargetError(session_id)
    if not await may(turn, event, RoleName.TRAINER):
        await refuse(turn, RoleName.TRAINER, event)
        return None
    item = (await agenda(turn.session, event)).item(found.id)
    if item is None or not attendable([item]):
        turn.say("attendance.gone", event=event.name)
        return None
    if not await may(turn, event, RoleName.ORGANIZER):
        role = await my_role(turn, event, RoleName.TRAINER)
        if role is None or not teaches(role.speaker, item.speakers):
            turn.say("attendance.not_yours", title=item.title)
            return None
    return event, item, item.day, [item]


async def _day_target(turn: Turn, value: str) -> Target | None:
    """ "3@2024-11-14": the event's day, once this person may open a code for it."""
    event_part, _, day_part = value.partition("@")
    number = row_id(event_part)
    event = await turn.session.get(Event, number) if number is not None else None
    try:
        day = date.fromisoformat(day_part)
    except ValueError:
        raise NoSuchTargetError(value) from None
    if event is None:
        raise NoSuchTargetError(value)
    if not await may(turn, event, RoleName.ORGANIZER):
        await refuse(turn, RoleName.ORGANIZER, event)
        return None
    items = [i for i in attendable((await agenda(turn.session, event)).items) if i.day == day]
    if not items:
        turn.say("attendance.no_session_on", date=format_date(day, turn.locale))
        return None
    return event, None, day, items


async def _open(turn: Turn, value: str) -> bool:
    """ "s12:<minutes>[:<in|out>]" or "d3@2024-11-14:<minutes>[:<in|out>]"."""
    parts = value.split(":")
    minutes = minutes_typed(parts[1]) if len(parts) in (2, 3) else None
    if minutes is None or (len(parts) == 3 and parts[2] not in tuple(Direction)):
        return False
    try:
        if parts[0].startswith("s"):
            target = await _session_target(turn, row_id(parts[0][1:]))
        elif parts[0].startswith("d"):
            target = await _day_target(turn, parts[0][1:])
        else:
            return False
    except NoSuchTargetError:
        return False
    if target is None:
        return True
    event, item, day, items = target
    assert event.id is not None
    rules = await rules_of(turn.session, event.id)
    if len(parts) == 2 and rules.check_out:
        base = payload(f"open:{parts[0]}:{parts[1]}")
        turn.offer(turn.t("attendance.which_direction"), [
            Option(f"{base}:{Direction.IN}", turn.t("attendance.direction_in")),
            Option(f"{base}:{Direction.OUT}", turn.t("attendance.direction_out")),
        ])  # fmt: skip
        return True
    direction = Direction(parts[2]) if len(parts) == 3 else Direction.IN
    opening, new = await open_code(
        turn.session, event=event, day=day, items=items,
        session_id=item.id if item is not None else None, direction=direction,
        minutes=minutes, opened_by=turn.person_id, now=turn.now,
    )  # fmt: skip
    log.info("attendance_opened", opening=opening.id, new=new, direction=direction)
    turn.replies += code_replies(turn, event, opening, item, rules.late_after)
    await show_status(turn, opening, live=new)
    return True


async def _may_see(turn: Turn, opening: AttendanceOpening) -> bool:
    """Whether this person may see or stop the code: its opener, an organiser of its
    event, or a trainer of its session. Says why not."""
    event = await turn.session.get(Event, opening.event_id)
    if await may(turn, event, RoleName.ORGANIZER) or opening.opened_by == turn.person_id:
        return True
    if event is not None and opening.session_id is not None:
        role = await my_role(turn, event, RoleName.TRAINER)
        item = (await agenda(turn.session, event)).item(opening.session_id)
        if role is not None and item is not None and teaches(role.speaker, item.speakers):
            return True
    await refuse(turn, RoleName.TRAINER, event)
    return False


async def _download(turn: Turn, value: str) -> bool:
    number = row_id(value)
    event = await turn.session.get(Event, number) if number is not None else None
    if event is None or event.id is None:
        return False
    if not await may(turn, event, RoleName.ORGANIZER):
        await refuse(turn, RoleName.ORGANIZER, event)
        return True
    rules = await rules_of(turn.session, event.id)
    register = await register_of(turn.session, event, rules.export_by)
    record_export(
        turn.session,
        Actor.person(turn.person_id),
        event_id=event.id,
        what=ExportKind.ATTENDANCE,
        rows=len(register.lines),
        formats=["xlsx"],
        at=turn.now,
    )
    t = turn.t
    send_written_file(
        turn,
        lambda: xlsx_off_loop(printable(register, t)),
        filename=f"daftar-hadir-{event.code}.xlsx",
        caption=t("attendance.workbook", event=event.name, people=len(register.lines)),
        too_large=t("attendance.too_large", code=event.code),
        failed=t("attendance.not_written"),
    )
    return True


async def attendance_button(turn: Turn, value: str) -> bool:
    action, _, rest = value.partition(":")
    if action == "open":
        return await _open(turn, rest)
    if action == "xlsx":
        return await _download(turn, rest)
    if action not in ("count", "close"):
        return False
    number = row_id(rest)
    opening = await turn.session.get(AttendanceOpening, number) if number is not None else None
    if opening is None:
        return False
    if not await _may_see(turn, opening):
        return True
    if action == "close":
        event = await turn.session.get(Event, opening.event_id)
        assert event is not None
        if close(turn.session, opening, turn.now, actor=Actor.person(turn.person_id)):
            turn.say("attendance.closed_now", code=spaced(opening.code), at=clock(turn.now, event))
            await refresh_status(turn, opening)
    turn.replies.append(await status_reply(turn.session, opening, turn.t, turn.now))
    return True


FEATURE = Feature(
    commands=(
        Command(
            "checkin",
            {"id": "presensi", "en": "checkin"},
            open_command,
            order=71,
            button=True,
            needs=RoleName.TRAINER,
        ),
    ),
    buttons={PRESENSI: attendance_button},
)
