"""The agenda template organisers start from, as CSV and as an Excel workbook."""

from models.agenda_import.headers import AGENDA_HEADERS
from models.spreadsheet.template import template_text, template_workbook


def template_csv() -> bytes:
    """The organiser's starting point: Indonesian headers, ';' as Excel set to Indonesian
    expects, a few example rows."""
    return template_text("agenda-template.csv")


def template_xlsx() -> bytes:
    """The same template as an Excel workbook, times and dates kept as text."""
    return template_workbook(template_csv(), AGENDA_HEADERS, "Agenda")
