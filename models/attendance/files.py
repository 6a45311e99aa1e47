"""The daftar hadir as files: a workbook laid out to print (landscape, one page wide,
the header row on every page, grid lines, a blank signature column) with a second sheet
of the changes made by hand, or the grid alone as CSV.

A workbook of thousands of rows takes seconds of pure Python: in the chat it is written
by the writer process (models/writer.py) within a time limit, and a register over the
cell budget is not written there at all (the command line writes any size).
"""

import csv
import io
from dataclasses import dataclass
from functools import partial
from typing import cast

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.cell.cell import Cell as SheetCell
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from models.spreadsheet.writing import safe_text
from models.writer import write_off_loop

Cell = str | int | None

MAX_CELLS = 250_000  # 2,000 people by 100 sessions, far beyond a Bimtek
TIME_LIMIT = 30.0
_WIDE = 30
_MARK_WIDTH = 11
_SIGNATURE_WIDTH = 28


@dataclass(frozen=True, slots=True)
class Printable:
    """The register in words: what each cell says. ``marks_from`` and ``marks`` say
    which columns hold marks (centred, narrow)."""

    sheet: str
    title: tuple[str, ...]
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    marks_from: int  # the first mark column, counted from 0
    marks: int
    legend: str
    changes_sheet: str
    changes_header: tuple[str, ...]
    changes: tuple[tuple[Cell, ...], ...]

    @property
    def cells(self) -> int:
        return len(self.rows) * len(self.header) + len(self.changes) * len(self.changes_header)


def _text(cell: Cell) -> Cell:
    if isinstance(cell, str):
        return ILLEGAL_CHARACTERS_RE.sub("", safe_text(cell))
    return cell


def _styled(sheet: WriteOnlyWorksheet, value: Cell, font: Font | None = None,
            alignment: Alignment | None = None) -> SheetCell:  # fmt: skip
    cell = WriteOnlyCell(sheet, value=_text(value))
    if font is not None:
        cell.font = font
    if alignment is not None:
        cell.alignment = alignment
    return cell


def _widths(printable: Printable) -> list[int]:
    widths = []
    for index in range(len(printable.header)):
        if index == 0:
            widths.append(5)
        elif printable.marks_from <= index < printable.marks_from + printable.marks:
            widths.append(_MARK_WIDTH)
        elif index == len(printable.header) - 1:
            widths.append(_SIGNATURE_WIDTH)
        else:
            widths.append(_WIDE if index < 3 else 18)
    return widths


def _letter(index: int) -> str:
    """The spreadsheet's name of column ``index`` (from 0): A, B, … Z, AA…"""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("A") + rest) + name
    return name


def _print_setup(written: WriteOnlyWorksheet, header_row: int) -> None:
    """Landscape A4, one page wide, the header row on every page, grid lines. A
    write-only sheet writes its properties and view with its first row: this comes
    before any."""
    # A write-only sheet takes these from Worksheet when it is made; the stubs know
    # only Worksheet's.
    sheet = cast(Worksheet, written)
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as it takes
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_options.gridLines = True
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.freeze_panes = f"C{header_row + 1}"


def xlsx_bytes(printable: Printable) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(printable.sheet)
    for index, width in enumerate(_widths(printable)):
        sheet.column_dimensions[_letter(index)].width = width
    header_row = len(printable.title) + 2
    _print_setup(sheet, header_row)
    bold = Font(bold=True)
    for number, line in enumerate(printable.title):
        sheet.append([_styled(sheet, line, Font(bold=True, size=14 if number == 0 else 12))])
    sheet.append([])
    centred = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.append([_styled(sheet, h, bold, centred) for h in printable.header])
    marks = range(printable.marks_from, printable.marks_from + printable.marks)
    middle = Alignment(horizontal="center")
    for row in printable.rows:
        sheet.append(
            [_styled(sheet, v, alignment=middle if i in marks else None) for i, v in enumerate(row)]
        )
    sheet.append([])
    sheet.append([_text(printable.legend)])
    changes = workbook.create_sheet(printable.changes_sheet)
    changes.append([_styled(changes, h, bold) for h in printable.changes_header])
    for change in printable.changes:
        changes.append([_text(v) for v in change])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(printable: Printable) -> bytes:
    """The grid: the header and a row per participant; UTF-8 with a byte-order mark,
    which spreadsheets need to read it as such."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_text(h) for h in printable.header])
    for row in printable.rows:
        writer.writerow(["" if v is None else _text(v) for v in row])
    return out.getvalue().encode("utf-8-sig")


async def xlsx_off_loop(printable: Printable) -> bytes:
    """``xlsx_bytes`` by the writer process (``write_off_loop``, whose errors it raises),
    within MAX_CELLS and TIME_LIMIT."""
    return await write_off_loop(
        partial(xlsx_bytes, printable),
        time_limit=TIME_LIMIT,
        cells=printable.cells,
        max_cells=MAX_CELLS,
    )
