"""Dates and times as Indonesians write them: "Rabu, 13 November 2024", "08.30 WITA".

Stored times are UTC; everything shown is in the event's zone, never the server's.
"""

from datetime import date, datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date

from models.zones import zone_label as zone_label  # shown beside the times formatted here


def _zone(tz: str | tzinfo) -> tzinfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def format_time(moment: datetime, tz: str | tzinfo) -> str:
    """An aware datetime as the event's wall-clock time, "08.30" (24-hour, dot)."""
    if moment.tzinfo is None:
        raise ValueError("format_time needs an aware datetime")
    return moment.astimezone(_zone(tz)).strftime("%H.%M")


@lru_cache(maxsize=4096)  # an event's few days, asked for in nearly every look-up
def format_date(day: date, locale: str) -> str:
    """ "Rabu, 13 November 2024" (id) or "Wednesday, 13 November 2024" (en)."""
    return babel_format_date(day, "EEEE, d MMMM y", locale=locale)


def format_moment(moment: datetime, tz: str, locale: str) -> str:
    """ "Rabu, 20 November 2024 14.05 WITA": a moment as the event's people read it."""
    local_day = moment.astimezone(ZoneInfo(tz)).date()
    return f"{format_date(local_day, locale)} {format_time(moment, tz)} {zone_label(tz, moment)}"


def format_date_range(first: date, last: date, locale: str) -> str:
    """ "13–16 November 2024", "30 Oktober – 2 November 2024", "30 Desember 2024 – 2
    Januari 2025", or one day: "13 November 2024" (the same in English)."""
    whole = "d MMMM y"
    if first == last:
        return babel_format_date(first, whole, locale=locale)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{babel_format_date(last, whole, locale=locale)}"
    start = babel_format_date(first, "d MMMM" if first.year == last.year else whole, locale=locale)
    return f"{start} – {babel_format_date(last, whole, locale=locale)}"
