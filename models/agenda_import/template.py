"""The agenda template organisers start from, as CSV and as an Excel workbook."""

import csv
import io
from importlib import resources

import openpyxl
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from models.agenda_import.headers import AGENDA_HEADERS
from models.spreadsheet.files import delimiter


def template_csv() -> bytes:
    """The organiser's starting point: Indonesian headers, ';' as Excel set to Indonesian
    expects, a few example rows."""
    return resources.files("models").joinpath("data/agenda-template.csv").read_bytes()


def template_xlsx() -> bytes:
    """The same template as an Excel workbook, times and dates kept as text."""
    text = template_csv().decode("utf-8-sig")
    separator = delimiter(text, AGENDA_HEADERS)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = "Agenda"
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
                cell.number_format = "@"  # Excel must not turn 08.30 into 8.3
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
