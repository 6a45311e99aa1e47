"""An event's agenda from an organiser's spreadsheet (CSV or XLSX), one row per session:
reading the file, checking it against the event and its classes, and making the stored
agenda match it. Needs no conversation: the words for what it finds are in
handlers/agenda_texts.py."""

from models.agenda_import.apply import ImportReport, import_agenda, import_sheet
from models.agenda_import.changes import ScheduleChange, changes_on
from models.agenda_import.classes import set_classes
from models.agenda_import.limits import LIMITS, MAX_ROWS
from models.agenda_import.problems import AgendaFileError, ClassNamesError
from models.agenda_import.rows import AgendaRow, Sheet, read_agenda, read_file
from models.agenda_import.template import template_csv, template_xlsx
from models.agenda_import.worker import read_file_off_loop
from models.spreadsheet.limits import MAX_FILE_BYTES
from models.spreadsheet.problems import Problem, ProblemsError

__all__ = [
    "LIMITS",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "AgendaFileError",
    "AgendaRow",
    "ClassNamesError",
    "ImportReport",
    "Problem",
    "ProblemsError",
    "ScheduleChange",
    "Sheet",
    "changes_on",
    "import_agenda",
    "import_sheet",
    "read_agenda",
    "read_file",
    "read_file_off_loop",
    "set_classes",
    "template_csv",
    "template_xlsx",
]
