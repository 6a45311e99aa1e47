"""Files written for organisers (exports for the report): text that no spreadsheet runs
as a formula, what a workbook's XML or a CSV can hold, and a table written as either,
by the writer process (models/writer.py) when it is for the chat."""

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import partial

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from models.writer import write_off_loop

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


async def table_xlsx_off_loop(
    title: str, headers: Sequence[str], rows: Sequence[Sequence[Cell]]
) -> bytes:
    """``table_xlsx`` by the writer process (``write_off_loop``, whose errors it raises),
    within MAX_CELLS and TIME_LIMIT."""
    return await write_off_loop(
        partial(table_xlsx, title, headers, rows),
        time_limit=TIME_LIMIT,
        cells=(len(rows) + 1) * max(1, len(headers)),
        max_cells=MAX_CELLS,
    )
