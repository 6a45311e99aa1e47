"""Which column is which: header names in Indonesian and English, in any spelling, as a
kind of spreadsheet lists them."""

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from models.spreadsheet.text import clean, fold, words

_HEADER_PARTS = re.compile(r"[/,&()+|\-–—]|\bdan\b|\band\b")
NUMBER = "number"  # a "No" column: understood, and read by nobody


class HeaderNames:
    """A kind's columns, each with the header names it goes by."""

    def __init__(
        self,
        names: Mapping[str, tuple[str, ...]],
        *,
        ignored: Collection[str] = (),
        combined: Mapping[frozenset[str], str] | None = None,
    ) -> None:
        self.names = names  # field → names as ``words`` writes them
        # Words a header may carry beside its name ("Waktu (WITA)"), ignored when matching.
        self.ignored = frozenset(ignored)
        # Several fields named in one header that mean another: "Mulai - Selesai" is a time.
        self.combined = dict(combined or {})
        self._by_alias = {alias: name for name, aliases in names.items() for alias in aliases}

    def field(self, text: str) -> str | None:
        """Which column a header names: "Hari, Tanggal" → date, "No. HP/WA" → phone."""
        key = " ".join(w for w in words(text).split() if w not in self.ignored)
        if key in self._by_alias:
            return self._by_alias[key]
        parts = [words(p) for p in _HEADER_PARTS.split(fold(text))]
        found = [self._by_alias.get(p) for p in parts if p and p not in self.ignored]
        fields = {name for name in found if name is not None}
        if None in found or not fields:
            return None
        if len(fields) == 1:
            return fields.pop()
        return self.combined.get(frozenset(fields))

    def known(self, cells: Sequence[object]) -> int:
        """How many cells name a column (a "No" column does not count: any table has one)."""
        return sum(1 for c in cells if isinstance(c, str) and self.field(c) not in (None, NUMBER))


@dataclass(frozen=True, slots=True)
class Columns:
    index: Mapping[str, int]  # field → column position
    names: Mapping[str, str]  # field → header as written
    unknown: tuple[str, ...]  # headers naming no column, as written
    repeated: tuple[tuple[str, str], ...]  # (header, the earlier one naming the same column)


def map_columns(headers: HeaderNames, cells: Sequence[object]) -> Columns:
    """Where each column of the header row ``cells`` is."""
    index: dict[str, int] = {}
    names: dict[str, str] = {}
    unknown: list[str] = []
    repeated: list[tuple[str, str]] = []
    for position, cell in enumerate(cells):
        text = clean(cell)
        if not text:
            continue
        name = headers.field(text)
        if name is None:
            unknown.append(text)
        elif name in index:
            repeated.append((text, names[name]))
        else:
            index[name], names[name] = position, text
    return Columns(index, names, tuple(unknown), tuple(repeated))
