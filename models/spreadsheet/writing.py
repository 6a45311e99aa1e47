"""Cells of the files written for organisers (exports for the report): text that no
spreadsheet runs as a formula, and what a workbook's XML or a CSV can hold."""

from datetime import datetime

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

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
