"""Dates and times as Indonesians write them: "Rabu, 13 November 2024", "08.30 WITA".

Stored times are UTC; everything shown is in the event's zone, never the server's.
"""

from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date

# Indonesia's three zones have no daylight saving, so the offset names the zone.
ZONE_LABELS = {timedelta(hours=7): "WIB", timedelta(hours=8): "WITA", timedelta(hours=9): "WIT"}


def _zone(tz: str | tzinfo) -> tzinfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def zone_label(tz: str | tzinfo, at: datetime | None = None) -> str:
    """WIB, WITA or WIT for Indonesian zones; "UTC+5.30"-style for any other zone."""
    moment = datetime.now(UTC) if at is None else at
    offset = moment.astimezone(_zone(tz)).utcoffset() or timedelta(0)
    if offset in ZONE_LABELS:
        return ZONE_LABELS[offset]
    sign = "-" if offset < timedelta(0) else "+"
    hours, rest = divmod(abs(int(offset.total_seconds())), 3600)
    return f"UTC{sign}{hours}" + (f".{rest // 60:02d}" if rest else "")


def format_time(moment: datetime, tz: str | tzinfo) -> str:
    """An aware datetime as the event's wall-clock time, "08.30" (24-hour, dot)."""
    if moment.tzinfo is None:
        raise ValueError("format_time needs an aware datetime")
    return moment.astimezone(_zone(tz)).strftime("%H.%M")


def format_date(day: date, locale: str) -> str:
    """ "Rabu, 13 November 2024" (id) or "Wednesday, 13 November 2024" (en)."""
    return babel_format_date(day, "EEEE, d MMMM y", locale=locale)
