"""A moment to come, as an organiser types it in the event's own zone: "14.30" (today),
"besok 07.00", "tomorrow 7:00", "2024-11-14 07:00", "Kamis, 14 November 2024 pukul 07.00".
Read against the event's wall clock, whatever the server's zone; stored in UTC."""

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from models.agenda_import.dates import parse_date
from models.agenda_import.times import parse_time
from models.spreadsheet.problems import CellError
from models.spreadsheet.text import fold
from models.text import clean_text
from models.zones import zone_label

# Days said in words, from today.
_RELATIVE_DAYS = {
    "": 0,
    "hari ini": 0,
    "today": 0,
    "besok": 1,
    "tomorrow": 1,
    "lusa": 2,
    "day after tomorrow": 2,
}
_MOMENT = re.compile(
    r"(?P<day>.*?)[\s,]*(?:\b(?:pukul|pkl|jam|at)\b\.?\s*)?"
    r"(?P<clock>\d{1,2}(?:[.:]\d{2})?)\s*(?P<zone>wib|wita|wit)?"
)


class MomentError(ValueError):
    """The text names no moment to come; ``key`` says why: ``unreadable``, ``past``,
    or ``zone`` (written in another zone than the event's, in ``values["zone"]``)."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


def _day(words: str, today: date) -> date:
    if words in _RELATIVE_DAYS:
        return today + timedelta(days=_RELATIVE_DAYS[words])
    try:
        return parse_date(words)
    except CellError:
        raise MomentError("unreadable") from None


def _clock(text: str) -> time:
    try:
        found, _ = parse_time(text)
    except CellError:
        raise MomentError("unreadable") from None
    return found


def parse_moment(text: str, timezone: str, now: datetime) -> datetime:
    """The moment ``text`` names in ``timezone``, in UTC; it must be after ``now``."""
    folded = " ".join(fold(clean_text(text)).split())
    found = _MOMENT.fullmatch(folded)
    if found is None:
        raise MomentError("unreadable")
    zone = ZoneInfo(timezone)
    written = found.group("zone")
    if written is not None and written.upper() != zone_label(zone, now):
        raise MomentError("zone", zone=zone_label(zone, now))
    today = now.astimezone(zone).date()
    local = datetime.combine(_day(found.group("day"), today), _clock(found.group("clock")), zone)
    moment = local.astimezone(UTC)
    if moment <= now:
        raise MomentError("past")
    return moment
