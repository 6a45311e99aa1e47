"""What is wrong with an agenda file or a list of class names (models/spreadsheet/problems.py
has the reasons themselves)."""

from models.spreadsheet.problems import ProblemsError


class AgendaFileError(ProblemsError):
    """The agenda file cannot be imported as it is."""


class ClassNamesError(ProblemsError):
    """The class names cannot be declared as given."""
