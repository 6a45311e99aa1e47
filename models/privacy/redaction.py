"""Taking a person's name and number out of text other people own: an organiser's reason
for a hand-made attendance change, an announcement that names them, a message already
sent to an organiser ("Kehadiran Budi Santoso dihapus"), a trainer's name on the agenda.

The rows stay (they are the organiser's), the words that identify the erased person go:
each match is replaced by ``REDACTED``. Names match as whole words, without regard to
case; a phone number matches with or without its country code or leading 0 and with
spaces, dots or dashes between the digits ("0812-3456-7890", "+62 812 3456 7890").
"""

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

REDACTED = "[dihapus]"
_SEPARATOR = r"[\s.\-]?"


def national_digits(phone: str) -> str:
    """The digits of an Indonesian number after +62 or 0 ("81234567890")."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    for prefix in ("62", "0"):
        if digits.startswith(prefix):
            return digits[len(prefix) :]
    return digits


@dataclass
class Needles:
    """What identifies one person in free text."""

    names: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)  # national digits

    def add_name(self, name: str | None) -> None:
        if name and name.strip():
            self.names.add(" ".join(name.split()))

    def add_phone(self, phone: str | None) -> None:
        digits = national_digits(phone or "")
        if len(digits) >= 6:
            self.phones.add(digits)

    def __bool__(self) -> bool:
        return bool(self.names or self.phones)

    def patterns(self) -> list[str]:
        """LIKE patterns that find every row a match may be in (a superset): the name as
        written and as JSON escapes it; the number's digits without separators."""
        found = set()
        for name in self.names:
            found.add(name)
            found.add(json.dumps(name)[1:-1])
        found |= self.phones
        return [f"%{_like_escaped(text)}%" for text in sorted(found)]

    def regex(self) -> re.Pattern[str] | None:
        parts = [
            r"(?<!\w)" + r"\s+".join(re.escape(word) for word in name.split()) + r"(?!\w)"
            for name in sorted(self.names, key=len, reverse=True)
        ]
        parts += [
            r"(?<!\d)(?:\+?62|0)?" + _SEPARATOR + _SEPARATOR.join(phone) + r"(?!\d)"
            for phone in sorted(self.phones)
        ]
        return re.compile("|".join(parts), re.IGNORECASE) if parts else None


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def redact_text(value: Any, pattern: re.Pattern[str]) -> Any:
    """``value`` (text, or JSON: lists, objects, strings) with every match replaced."""
    if isinstance(value, str):
        return pattern.sub(REDACTED, value)
    if isinstance(value, list):
        return [redact_text(item, pattern) for item in value]
    if isinstance(value, dict):
        return {key: redact_text(item, pattern) for key, item in value.items()}
    return value


async def redact_columns(
    session: AsyncSession, columns: Iterable[sa.Column[Any]], needles: Needles
) -> int:
    """Replace the person's name and numbers in each column (text or JSON) of the rows
    that mention them; how many rows changed. The LIKE finds the candidates, the regex
    decides (and leaves "Budi Santosa" alone when "Budi Santoso" is erased)."""
    pattern = needles.regex()
    if pattern is None:
        return 0
    changed = 0
    for column in columns:
        table = column.table
        [key] = table.primary_key.columns
        text = sa.cast(column, sa.Text)
        mentions = sa.or_(*(text.like(p, escape="\\") for p in needles.patterns()))
        for row_id, value in (await session.execute(sa.select(key, column).where(mentions))).all():
            redacted = redact_text(value, pattern)
            if redacted != value:
                await session.execute(
                    sa.update(table).where(key == row_id).values({column.name: redacted})
                )
                changed += 1
    return changed
