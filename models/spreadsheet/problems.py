"""What is wrong with a file, as catalog keys with their values: the words are the
conversation's business."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason in plain words. ``row`` is the spreadsheet row as Excel numbers it
    (header counted), 0 for the whole file; ``key`` names the catalog message."""

    row: int
    key: str
    values: Mapping[str, object] = field(default_factory=dict)


class ProblemsError(ValueError):
    """Every problem found; nothing was stored."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: p.row)
        super().__init__(", ".join(f"{p.row}:{p.key}" for p in self.problems))


class CellError(Exception):
    """One cell's reason; the row reader turns it into a Problem with the row's number."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values
