"""Agenda files read away from the event loop, within a hard time limit (see
models/spreadsheet/offloaded.py)."""

from models.agenda_import.rows import AGENDA, Sheet, read_file
from models.spreadsheet.offloaded import SheetReader

AGENDA_READER = SheetReader(AGENDA, read_file, Sheet)


async def read_file_off_loop(filename: str, content: bytes) -> Sheet:
    """``read_file`` in the reader process, while the event loop goes on answering
    everyone else. Raises AgendaFileError with the file's problems, or with one saying
    the file took too long or could not be read."""
    return await AGENDA_READER.read(filename, content)
