"""A file as a table: its header row found among the first rows, its columns, and the
rows below, within its kind's budgets."""

from dataclasses import dataclass

from models.spreadsheet.files import Cells, rows_of
from models.spreadsheet.headers import Columns, map_columns
from models.spreadsheet.kind import SheetKind
from models.spreadsheet.limits import HEADER_SEARCH_ROWS


@dataclass(frozen=True, slots=True)
class Table:
    header_row: int  # as Excel numbers it
    columns: Columns
    rows: list[tuple[int, Cells]]  # the non-blank rows below the header, with their numbers

    def cell(self, cells: Cells, name: str) -> object:
        """The cell of column ``name`` in a row (None where the row has no such cell)."""
        position = self.columns.index.get(name)
        return cells[position] if position is not None and position < len(cells) else None


def read_table(kind: SheetKind, filename: str, content: bytes) -> Table:
    """The table in the file: the first of its first rows that names two columns or more
    is the header (a title row or two above it is fine). Raises the kind's error for a
    file with no such row, or with more rows than its kind may hold."""
    rows = rows_of(kind, filename, content)
    if not rows:
        raise kind.file_error("empty")
    head = rows[:HEADER_SEARCH_ROWS]
    at = next((i for i, (_, cells) in enumerate(head) if kind.headers.known(cells) >= 2), None)
    if at is None:
        other = kind.mistaken_for() if kind.mistaken_for is not None else None
        if other is not None and any(other.known(cells) >= 2 for _, cells in head):
            raise kind.file_error("another_kind")
        raise kind.file_error("no_header", rows=HEADER_SEARCH_ROWS)
    data = rows[at + 1 :]
    if len(data) > kind.max_rows:
        raise kind.file_error("too_many_rows", max_rows=kind.max_rows)
    return Table(rows[at][0], map_columns(kind.headers, rows[at][1]), data)
