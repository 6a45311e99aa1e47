"""Times and ranges as agendas write them: "08.30", "8.30 WITA", "08.30 s.d. 10.00"."""

import re
from datetime import datetime, time, timedelta

from models.agenda_import.text import zones_in
from models.spreadsheet.problems import CellError
from models.spreadsheet.text import clean, fold

_CLOCK = re.compile(
    r"(?P<h>\d{1,2})(?:(?P<sep>[.:h])(?P<m>\d{1,2})(?:[.:]\d{2})?)?\s*(?P<ampm>[ap]\.?\s?m\.?)?"
)
_HHMM = re.compile(r"(?P<h>\d{1,2})(?P<m>\d{2})")
_RANGE_SEPARATOR = re.compile(
    r"\s*(?:-|~|s\s*[./]?\s*d\b\.?|sampai(?:\s+dengan)?|hingga|until|to)\s*"
)
_TIME_NOISE = re.compile(r"\b(?:pukul|pkl|jam|at)\b\.?|\b(?:wib|wita|wit)\b")


def _clock(text: str) -> time:
    found = _CLOCK.fullmatch(text)
    if found is None:
        found = _HHMM.fullmatch(text)
        if found is None:
            raise ValueError(text)
        return time(int(found.group("h")), int(found.group("m")))
    hour, minutes_text = int(found.group("h")), found.group("m") or "0"
    minute = int(minutes_text)
    if len(minutes_text) == 1 and found.group("m"):
        if found.group("sep") != ".":
            raise ValueError(text)
        minute *= 10  # "8.3": Excel dropped the trailing zero of 8.30
    ampm = found.group("ampm")
    if ampm:
        if not 1 <= hour <= 12:
            raise ValueError(text)
        hour = hour % 12 + (12 if ampm.startswith("p") else 0)
    return time(hour, minute)  # raises ValueError past 23.59


def _number_time(value: int | float) -> time:
    if isinstance(value, int):
        if 0 <= value <= 23:
            return time(value)
        return time(*divmod(value, 100))  # 830 or 0830 typed into a number cell
    if 0 <= value < 1:  # a fraction of a day: a time cell formatted as General
        minutes = round(value * 24 * 60)
        return time(*divmod(minutes, 60))
    hour = int(value)  # 8.3: Excel read "08.30" as a number
    return time(hour, round((value - hour) * 100))


def _time_value(value: object) -> time | None:
    """Excel's own time cells and numbers; None for text."""
    if isinstance(value, datetime):
        return value.time().replace(second=0, microsecond=0)
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    if isinstance(value, timedelta):
        minutes = round(value.total_seconds() / 60)
        return time(*divmod(minutes, 60))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _number_time(value)
    return None


def _time_text(value: object) -> tuple[str, tuple[str, ...]]:
    text = fold(clean(value)).replace("–", "-").replace("—", "-").replace("−", "-")
    return " ".join(_TIME_NOISE.sub(" ", text).split()), zones_in(text)


def parse_time(value: object) -> tuple[time, tuple[str, ...]]:
    """One time: an Excel time, "08.30", "08:30", "8.30 WITA"; and any zone written."""
    try:
        found = _time_value(value)
        if found is not None:
            return found, ()
        text, zones = _time_text(value)
        return _clock(text), zones
    except (ValueError, TypeError, OverflowError):
        raise CellError("agenda_import.bad_time", value=clean(value)) from None


def parse_range(value: object) -> tuple[time, time, tuple[str, ...]]:
    """A range in one cell: "08.30–10.00", "08.30 s.d. 10.00 WITA", "08.30 sampai 10.00"."""
    text, zones = _time_text(value)
    parts = _RANGE_SEPARATOR.split(text)
    if len(parts) != 2 or not all(parts):
        raise CellError("agenda_import.bad_range", value=clean(value))
    try:
        return _clock(parts[0]), _clock(parts[1]), zones
    except ValueError:
        raise CellError("agenda_import.bad_range", value=clean(value)) from None


def is_range(value: object) -> bool:
    if not isinstance(value, str):
        return False
    return len(_RANGE_SEPARATOR.split(_time_text(value)[0])) == 2
