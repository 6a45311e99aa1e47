"""A template organisers start from, as an Excel workbook: their file's headers in bold,
a few example rows, every cell kept as text."""

import csv
import io
from importlib import resources

import openpyxl
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from models.spreadsheet.files import delimiter
from models.spreadsheet.headers import HeaderNames


def template_text(name: str) -> bytes:
    """A template shipped in models/data/, as CSV: Indonesian headers, ';' as Excel set
    to Indonesian expects."""
    return resources.files("models").joinpath(f"data/{name}").read_bytes()


def template_workbook(csv_bytes: bytes, headers: HeaderNames, title: str) -> bytes:
    """The CSV template as an Excel workbook of one sheet called ``title``."""
    text = csv_bytes.decode("utf-8-sig")
    separator = delimiter(text, headers)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for position, header in enumerate(rows[0], 1):
        width = max(len(r[position - 1]) for r in rows if len(r) >= position)
        letter = get_column_letter(position)
        sheet.column_dimensions[letter].width = min(max(width, len(header)) + 2, 60)
        for cells in sheet.iter_cols(min_col=position, max_col=position, min_row=2):
            for cell in cells:
                # Excel must not turn 08.30 into 8.3, nor 0812... into 812...
                cell.number_format = "@"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
