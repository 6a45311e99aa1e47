"""Indonesia's time zones by the names people use: WIB, WITA, WIT."""

from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

# Indonesia's three zones have no daylight saving, so the offset names the zone.
ZONE_LABELS = {timedelta(hours=7): "WIB", timedelta(hours=8): "WITA", timedelta(hours=9): "WIT"}


def zone_label(tz: str | tzinfo, at: datetime | None = None) -> str:
    """WIB, WITA or WIT for Indonesian zones; "UTC+5.30"-style for any other zone."""
    moment = datetime.now(UTC) if at is None else at
    offset = moment.astimezone(ZoneInfo(tz) if isinstance(tz, str) else tz).utcoffset()
    offset = offset or timedelta(0)
    if offset in ZONE_LABELS:
        return ZONE_LABELS[offset]
    sign = "-" if offset < timedelta(0) else "+"
    hours, rest = divmod(abs(int(offset.total_seconds())), 3600)
    return f"UTC{sign}{hours}" + (f".{rest // 60:02d}" if rest else "")
