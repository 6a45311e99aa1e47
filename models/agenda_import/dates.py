"""Dates as agendas write them: Excel dates, "Rabu, 13 November 2024", "13/11/2024"."""

import re
from datetime import date, datetime

from openpyxl.utils.datetime import from_excel

from models.spreadsheet.problems import CellError
from models.spreadsheet.text import clean, fold

MONTHS = {
    **dict.fromkeys(("januari", "january", "jan"), 1),
    **dict.fromkeys(("februari", "pebruari", "february", "feb", "peb"), 2),
    **dict.fromkeys(("maret", "march", "mar"), 3),
    **dict.fromkeys(("april", "apr"), 4),
    **dict.fromkeys(("mei", "may"), 5),
    **dict.fromkeys(("juni", "june", "jun"), 6),
    **dict.fromkeys(("juli", "july", "jul"), 7),
    **dict.fromkeys(("agustus", "august", "agu", "agt", "ags", "aug"), 8),
    **dict.fromkeys(("september", "sept", "sep"), 9),
    **dict.fromkeys(("oktober", "october", "okt", "oct"), 10),
    **dict.fromkeys(("november", "nopember", "nov", "nop"), 11),
    **dict.fromkeys(("desember", "december", "des", "dec"), 12),
}
WEEKDAYS = {
    **dict.fromkeys(("senin", "sen", "monday", "mon"), 0),
    **dict.fromkeys(("selasa", "sel", "tuesday", "tue", "tues"), 1),
    **dict.fromkeys(("rabu", "rab", "wednesday", "wed"), 2),
    **dict.fromkeys(("kamis", "kam", "thursday", "thu", "thur", "thurs"), 3),
    **dict.fromkeys(("jumat", "jum", "friday", "fri"), 4),
    **dict.fromkeys(("sabtu", "sab", "saturday", "sat"), 5),
    **dict.fromkeys(("minggu", "ahad", "min", "sunday", "sun"), 6),
}
_WEEKDAY = re.compile(r"(?P<weekday>[a-z]+)\b[\s,.]*")
_NAMED = re.compile(r"(?P<d>\d{1,2})[\s\-./]*(?P<m>[a-z]+)\.?[\s\-./,]*(?P<y>\d{4}|\d{2})")
_NAMED_MONTH_FIRST = re.compile(r"(?P<m>[a-z]+)\.?\s*(?P<d>\d{1,2}),?\s+(?P<y>\d{4})")
_ISO = re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?:[ t][\d:.]+)?")
_DAY_FIRST = re.compile(r"(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>\d{4}|\d{2})")
# "Hari I: ...", "Hari ke-2, ...", "Day 3 - ..." before the date itself.
_DAY_NUMBER = re.compile(
    r"(?:hari|day)\s*(?:ke\s*-?\s*)?(?:\d+|[ivx]+|pertama|kedua|ketiga|keempat|kelima"
    r"|keenam|ketujuh|one|two|three|four|five|six|seven)\s*[:,.\-]\s*|(?:hari|day)\s+"
)


def _date_from_match(found: re.Match[str]) -> date | None:
    month_text = found.group("m")
    month = int(month_text) if month_text.isdigit() else MONTHS.get(month_text)
    year = int(found.group("y"))
    year += 2000 if year < 100 else 0
    if month is None:
        return None
    try:
        return date(year, month, int(found.group("d")))
    except ValueError:
        return None


def _date_in_text(text: str) -> tuple[date, str | None] | None:
    """The date and the weekday word written before it, if any."""
    weekday = None
    leading = _WEEKDAY.match(text)
    if leading and leading.group("weekday") in WEEKDAYS:
        weekday = leading.group("weekday")
        text = text[leading.end() :]
    for pattern in (_NAMED, _NAMED_MONTH_FIRST, _ISO, _DAY_FIRST):
        found = pattern.fullmatch(text)
        if found is not None:
            parsed = _date_from_match(found)
            if parsed is not None:
                return parsed, weekday
    return None


def parse_date(value: object) -> date:
    """A date cell: an Excel date, "Rabu, 13 November 2024", "13/11/2024", "2024-11-13"."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 20_000 < value < 80_000:
        # An Excel serial number in a cell formatted as General.
        serial = from_excel(value)
        assert isinstance(serial, datetime)  # a whole-day serial is a datetime
        return serial.date()
    text = clean(value)
    folded = " ".join(fold(text).replace("'", "").replace("’", "").split())
    folded = folded.replace("jum at", "jumat")
    found = _date_in_text(folded)
    if found is None:
        stripped = _DAY_NUMBER.sub("", folded, count=1)
        found = _date_in_text(stripped) if stripped != folded else None
    if found is None:
        raise CellError("agenda_import.bad_date", value=text)
    day, weekday = found
    if weekday is not None and WEEKDAYS[weekday] != day.weekday():
        raise CellError("agenda_import.weekday_mismatch", written=weekday.capitalize(), date=day)
    return day
