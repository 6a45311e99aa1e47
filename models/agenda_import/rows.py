"""A file's rows as sessions (AgendaRow), each bad row with its reasons; no event needed."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, time

from models.agenda_import.classes import is_plenary
from models.agenda_import.dates import parse_date
from models.agenda_import.headers import AGENDA_HEADERS, column_problems, header_zones
from models.agenda_import.limits import LIMITS, MAX_CELLS, MAX_ROWS
from models.agenda_import.problems import AgendaFileError
from models.agenda_import.times import is_range, parse_range, parse_time
from models.roster.columns import ROSTER_HEADERS
from models.spreadsheet.files import Cells
from models.spreadsheet.headers import NUMBER
from models.spreadsheet.kind import SheetKind
from models.spreadsheet.problems import CellError, Problem
from models.spreadsheet.table import Table, read_table
from models.spreadsheet.text import blank, clean

AGENDA = SheetKind(
    "agenda_import", AgendaFileError, AGENDA_HEADERS, MAX_ROWS, MAX_CELLS, lambda: ROSTER_HEADERS
)


@dataclass(frozen=True, slots=True)
class AgendaRow:
    """One session as read from the file, before it is checked against an event."""

    row: int
    day: date
    start: time
    end: time
    title: str
    speakers: str = ""
    room: str = ""
    class_name: str | None = None  # as written; None: plenary
    description: str = ""
    zones: tuple[str, ...] = ()  # WIB/WITA/WIT written beside the times


@dataclass
class _Days:
    """The date carried down from the row above (agendas often merge the day cell)."""

    current: date | None = None
    failed: bool = False  # the last date written was bad: already reported


class _RowReader:
    def __init__(self, table: Table) -> None:
        self.table = table
        self.columns = table.columns
        self.days = _Days()

    def read(self, number: int, cells: Cells) -> tuple[AgendaRow | None, list[Problem]]:
        values = {n: self.table.cell(cells, n) for n in self.columns.index if n != NUMBER}
        if all(blank(v) for v in values.values()):
            return None, []
        problems: list[Problem] = []

        def bad(error: CellError) -> None:
            problems.append(Problem(number, error.key, error.values))

        rest = [v for n, v in values.items() if n != "date"]
        if all(blank(v) for v in rest):  # a day heading: "Rabu, 13 November 2024" alone
            self.day(values["date"], bad)
            return None, problems
        day = self.day(values.get("date"), bad)
        times = self.times(values, bad)
        texts = self.texts(values, bad)
        if texts is not None and not texts["title"]:
            column = self.columns.names["title"]
            problems.append(Problem(number, "agenda_import.title_missing", {"column": column}))
        if times is not None and times[1] <= times[0]:
            problems.append(
                Problem(
                    number,
                    "agenda_import.end_not_after_start",
                    {"start": times[0], "end": times[1]},
                )
            )
        if problems or day is None or times is None or texts is None:
            return None, problems
        class_name = None if is_plenary(texts["class"]) else texts["class"]
        return AgendaRow(
            row=number,
            day=day,
            start=times[0],
            end=times[1],
            title=texts["title"],
            speakers=texts["speakers"],
            room=texts["room"],
            class_name=class_name,
            description=texts["description"],
            zones=times[2],
        ), []

    def day(self, value: object, bad: Callable[[CellError], None]) -> date | None:
        if blank(value):
            if self.days.current is None and not self.days.failed:
                bad(CellError("agenda_import.date_missing"))
                self.days.failed = True
            return self.days.current
        try:
            self.days.current, self.days.failed = parse_date(value), False
        except CellError as error:
            self.days.current, self.days.failed = None, True
            bad(error)
        return self.days.current

    def times(
        self, values: Mapping[str, object], bad: Callable[[CellError], None]
    ) -> tuple[time, time, tuple[str, ...]] | None:
        start_cell, end_cell = values.get("start"), values.get("end")
        range_cell = values.get("time")
        if blank(range_cell) and blank(end_cell) and is_range(start_cell):
            range_cell = start_cell  # "08.30-10.00" typed into the start column
        if not blank(range_cell):
            try:
                return parse_range(range_cell)
            except CellError as error:
                bad(error)
                return None
        if "start" not in self.columns.index:  # only a range column, and it is empty
            bad(CellError("agenda_import.time_missing"))
            return None
        if blank(start_cell) and blank(end_cell):
            bad(CellError("agenda_import.time_missing"))
            return None
        start = self.one_time(start_cell, "agenda_import.start_missing", bad)
        end = self.one_time(end_cell, "agenda_import.end_missing", bad)
        if start is None or end is None:
            return None
        return start[0], end[0], tuple(sorted(set(start[1]) | set(end[1])))

    @staticmethod
    def one_time(
        value: object, missing: str, bad: Callable[[CellError], None]
    ) -> tuple[time, tuple[str, ...]] | None:
        if blank(value):
            bad(CellError(missing))
            return None
        try:
            return parse_time(value)
        except CellError as error:
            bad(error)
            return None

    def texts(
        self, values: Mapping[str, object], bad: Callable[[CellError], None]
    ) -> dict[str, str] | None:
        texts = {name: clean(values.get(name), multiline=name == "description") for name in LIMITS}
        ok = True
        for name, limit in LIMITS.items():
            if len(texts[name]) > limit:
                column = self.columns.names.get(name, name)
                bad(
                    CellError(
                        "agenda_import.too_long",
                        column=column,
                        max_len=limit,
                        length=len(texts[name]),
                    )
                )
                ok = False
        return texts if ok else None


@dataclass(frozen=True, slots=True)
class Sheet:
    """A file as read, before any event is looked at."""

    rows: list[AgendaRow]  # the rows that read cleanly
    problems: list[Problem]  # and the problems of the others
    header_row: int
    header_zones: tuple[str, ...]  # e.g. "Waktu (WIB)": checked once, not on every row


def read_file(filename: str, content: bytes) -> Sheet:
    """The file's sessions and row problems; file-level problems raise."""
    table = read_table(AGENDA, filename, content)
    problems = column_problems(table.header_row, table.columns)
    missing = {"agenda_import.missing_date_column", "agenda_import.missing_time_columns"}
    missing.add("agenda_import.missing_title_column")
    if any(p.key in missing for p in problems):
        raise AgendaFileError(problems)
    reader = _RowReader(table)
    read: list[AgendaRow] = []
    for number, cells in table.rows:
        row, row_problems = reader.read(number, cells)
        problems += row_problems
        if row is not None:
            read.append(row)
    if not read and not problems:
        raise AGENDA.file_error("no_rows")
    return Sheet(read, problems, table.header_row, header_zones(table.columns))


def read_agenda(filename: str, content: bytes) -> list[AgendaRow]:
    """Parse only (no event needed); raises AgendaFileError with every problem found."""
    sheet = read_file(filename, content)
    if sheet.problems:
        raise AgendaFileError(sheet.problems)
    return sheet.rows
