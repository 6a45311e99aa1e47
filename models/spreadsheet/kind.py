"""One kind of spreadsheet organisers send (an agenda, a roster): how many rows and cells
it may hold, how its headers read, and what its problems are called."""

from collections.abc import Callable
from dataclasses import dataclass

from models.spreadsheet.headers import HeaderNames
from models.spreadsheet.problems import Problem, ProblemsError

# The problems of a whole file, whatever its kind: each kind's catalog words each one
# as "<prefix>.<problem>" for files of that kind.
FILE_PROBLEMS = (
    "empty", "too_big", "save_as", "not_spreadsheet", "unreadable", "unknown_encoding",
    "too_many_cells", "unpacks_too_big", "no_header", "no_rows", "too_many_rows", "too_slow",
    "reader_failed", "another_kind",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class SheetKind:
    prefix: str  # its catalog's prefix for FILE_PROBLEMS
    error: type[ProblemsError]  # what a file that cannot be imported raises
    headers: HeaderNames
    max_rows: int  # rows below the header
    # Cells read, blank ones included (an empty row counts as one): what bounds the time
    # openpyxl takes (4 to 20 microseconds a cell).
    max_cells: int
    # The headers of the kind its files are mistaken for (a roster sent as an agenda),
    # asked for when needed: a file with no header of its own but one of those is told
    # where it belongs.
    mistaken_for: Callable[[], HeaderNames] | None = None

    def file_error(self, key: str, **values: object) -> ProblemsError:
        """The whole file refused, for ``key`` (one of FILE_PROBLEMS)."""
        assert key in FILE_PROBLEMS, key
        return self.error([Problem(0, f"{self.prefix}.{key}", values)])
