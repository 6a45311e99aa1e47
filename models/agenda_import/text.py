"""The time zones an agenda may write beside its times ("08.30 WITA", "Waktu (WIB)")."""

from models.spreadsheet.text import words

ZONE_WORDS = {"wib": "WIB", "wita": "WITA", "wit": "WIT"}


def zones_in(text: str) -> tuple[str, ...]:
    return tuple(sorted({ZONE_WORDS[w] for w in words(text).split() if w in ZONE_WORDS}))
