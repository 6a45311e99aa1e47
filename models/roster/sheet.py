"""A roster file's rows as expected participants (RosterRow), each bad row with its
reasons; no event needed. Columns other than the roster's are left out, and said."""

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from models.profile_checks import InvalidInputError, free_text, full_name, phone_e164
from models.roster.columns import (
    CLASS_MAX,
    LIBRARY_MAX,
    REGENCY_MAX,
    ROSTER,
    RosterFileError,
    library_type_of,
)
from models.spreadsheet.files import Cells
from models.spreadsheet.headers import NUMBER
from models.spreadsheet.problems import Problem
from models.spreadsheet.table import Table, read_table
from models.spreadsheet.text import blank, clean, words


@dataclass(frozen=True, slots=True)
class RosterRow:
    """One expected participant as read from the file, before any event is looked at."""

    row: int
    full_name: str
    phone_e164: str
    library_name: str | None = None
    library_type: str | None = None  # one of LIBRARY_TYPES
    regency: str | None = None
    class_name: str | None = None  # as written


@dataclass(frozen=True, slots=True)
class RosterSheet:
    """A roster file as read."""

    rows: list[RosterRow]  # the rows that read cleanly
    problems: list[Problem]  # and the problems of the others
    header_row: int
    ignored: tuple[str, ...]  # the headers of columns the roster does not read
    # Names found on more than one row (each with its rows): two people may share a name,
    # so it is said, not refused.
    same_names: tuple[tuple[str, tuple[int, ...]], ...]


def _phone_text(value: object) -> str:
    """A phone cell as text: Excel keeps 81234567890 typed without its 0 as a number."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class _RowReader:
    def __init__(self, table: Table) -> None:
        self.table = table
        self.phones: dict[str, int] = {}  # number → the first row that has it

    def read(self, number: int, cells: Cells) -> tuple[RosterRow | None, list[Problem]]:
        columns = self.table.columns
        values = {n: self.table.cell(cells, n) for n in columns.index if n != NUMBER}
        if all(blank(v) for v in values.values()):
            return None, []
        problems: list[Problem] = []

        def bad(key: str, **found: object) -> None:
            problems.append(Problem(number, f"roster_import.{key}", found))

        name = self.name(values.get("name"), bad)
        phone = self.phone(number, values.get("phone"), bad)
        texts: dict[str, str | None] = {}
        for field, limit in (("library_name", LIBRARY_MAX), ("regency", REGENCY_MAX)):
            texts[field] = self.text(field, values.get(field), limit, bad)
        kind = None
        if not blank(values.get("library_type")):
            kind = library_type_of(clean(values.get("library_type")))
            if kind is None:
                bad("unknown_library_type", value=clean(values.get("library_type")))
        class_name = clean(values.get("class")) or None
        if class_name in ("-", "–"):
            class_name = None
        if class_name is not None and len(class_name) > CLASS_MAX:
            bad("text_long", column=columns.names["class"], max_len=CLASS_MAX)
        if problems or name is None or phone is None:
            return None, problems
        row = RosterRow(
            row=number,
            full_name=name,
            phone_e164=phone,
            library_name=texts["library_name"],
            library_type=kind,
            regency=texts["regency"],
            class_name=class_name,
        )
        return row, []

    def name(self, value: object, bad: Callable[..., None]) -> str | None:
        if blank(value):
            bad("name_missing", column=self.table.columns.names["name"])
            return None
        try:
            return full_name(clean(value))
        except InvalidInputError as error:
            bad(error.key.removeprefix("invalid."), value=clean(value))
            return None

    def phone(self, number: int, value: object, bad: Callable[..., None]) -> str | None:
        if blank(value):
            bad("phone_missing", column=self.table.columns.names["phone"])
            return None
        text = _phone_text(value)
        try:
            phone = phone_e164(text)
        except InvalidInputError as error:
            bad(error.key.removeprefix("invalid."), value=clean(text))
            return None
        first = self.phones.setdefault(phone, number)
        if first != number:
            bad("duplicate_phone", value=phone, other=first)
            return None
        return phone

    def text(self, field: str, value: object, limit: int, bad: Callable[..., None]) -> str | None:
        if blank(value):
            return None
        column = self.table.columns.names[field]
        try:
            return free_text(clean(value), max_len=limit)
        except InvalidInputError as error:
            bad(error.key.removeprefix("invalid."), column=column, **error.values)
            return None


def _same_names(rows: list[RosterRow]) -> tuple[tuple[str, tuple[int, ...]], ...]:
    found: Mapping[str, list[RosterRow]] = defaultdict(list)
    for row in rows:
        found[words(row.full_name)].append(row)
    return tuple(
        (same[0].full_name, tuple(r.row for r in same)) for same in found.values() if len(same) > 1
    )


def read_roster(filename: str, content: bytes) -> RosterSheet:
    """The file's expected participants and row problems; file-level problems raise
    RosterFileError."""
    table = read_table(ROSTER, filename, content)
    columns = table.columns
    problems = [
        Problem(table.header_row, "roster_import.duplicate_column", {"column": t, "first": f})
        for t, f in columns.repeated
    ]
    for needed in ("name", "phone"):
        if needed not in columns.index:
            problems.append(Problem(table.header_row, f"roster_import.missing_{needed}_column"))
    if problems:
        raise RosterFileError(problems)
    reader = _RowReader(table)
    read: list[RosterRow] = []
    for number, cells in table.rows:
        row, row_problems = reader.read(number, cells)
        problems += row_problems
        if row is not None:
            read.append(row)
    if not read and not problems:
        raise ROSTER.file_error("no_rows")
    return RosterSheet(read, problems, table.header_row, columns.unknown, _same_names(read))
