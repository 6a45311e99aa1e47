"""Files written for organisers (exports for the report): text that no spreadsheet runs
as a formula, what a workbook's XML or a CSV can hold, and a table written as either,
on the event loop's behalf in a worker process when it is for the chat."""

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import partial

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from models.offload import Failed, Host

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | datetime | None


def safe_text(text: str) -> str:
    """``text`` as a spreadsheet shows it and never runs it as a formula: a cell starting
    with = + - @ (or a tab or carriage return) gets a leading apostrophe."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def xlsx_cell(cell: Cell) -> Cell:
    """``cell`` as a workbook can hold it: control characters cannot be written in its XML."""
    return ILLEGAL_CHARACTERS_RE.sub("", cell) if isinstance(cell, str) else cell


def csv_cell(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.strftime("%Y-%m-%d %H:%M:%S")
    return str(cell)


def table_xlsx(title: str, headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """A workbook of one sheet: bold headers, one row per item, the header row frozen.
    Cells are written as given: text people typed should come through ``safe_text``
    (a text cell of a workbook is never run, but one edited and entered again is)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    heading = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=xlsx_cell(safe_text(header)))
        cell.font = bold
        heading.append(cell)
    sheet.append(heading)
    for row in rows:
        sheet.append([xlsx_cell(cell) for cell in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def table_csv(headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """The same as CSV: UTF-8 with a byte-order mark, which spreadsheets need to read it
    as such; every text safe (a CSV has no cell types to say it is text)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_text(header) for header in headers])
    for row in rows:
        writer.writerow(
            [safe_text(csv_cell(cell)) if isinstance(cell, str) else csv_cell(cell) for cell in row]
        )
    return out.getvalue().encode("utf-8-sig")


# --- a workbook written away from the event loop ----------------------------------------

# What a workbook written for the chat may hold: 20,000 rows of a dozen columns, written
# by openpyxl in a few seconds, a file of a megabyte or two, which every channel takes.
MAX_CELLS = 240_000
TIME_LIMIT = 15.0
_INPUT_LIMIT = 64 * 1024 * 1024  # bytes of the pickled job: far above MAX_CELLS of text

_WRITER = Host("xlsx-writer", preload=("models.spreadsheet.writing",), input_limit=_INPUT_LIMIT)


class TableTooLargeError(ValueError):
    """Over the budget of a workbook written for the chat."""


class WritingFailedError(RuntimeError):
    """The worker wrote no workbook (too slow, or it ended): why, for the logs."""


async def table_xlsx_off_loop(
    title: str, headers: Sequence[str], rows: Sequence[Sequence[Cell]]
) -> bytes:
    """``table_xlsx`` in a worker process within TIME_LIMIT, while the event loop goes on
    answering everyone else. Raises TableTooLargeError over MAX_CELLS (checked first),
    WritingFailedError when no workbook came back."""
    if (len(rows) + 1) * max(1, len(headers)) > MAX_CELLS:
        raise TableTooLargeError(f"{len(rows)} rows")
    job = partial(table_xlsx, title, list(headers), [list(row) for row in rows])
    result = await _WRITER.run_off_loop(job, TIME_LIMIT)
    if isinstance(result, bytes):
        return result
    reason = result.reason if isinstance(result, Failed) else type(result).__name__
    if reason == "too_large":
        raise TableTooLargeError(reason)
    raise WritingFailedError(reason)
