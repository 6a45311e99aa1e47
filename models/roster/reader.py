"""Roster files read away from the event loop, within a hard time limit (see
models/spreadsheet/offloaded.py)."""

from models.roster.columns import ROSTER
from models.roster.sheet import RosterSheet, read_roster
from models.spreadsheet.offloaded import SheetReader

ROSTER_READER = SheetReader(ROSTER, read_roster, RosterSheet)


async def read_roster_off_loop(filename: str, content: bytes) -> RosterSheet:
    """``read_roster`` in the reader process, while the event loop goes on answering
    everyone else. Raises RosterFileError with the file's problems, or with one saying
    the file took too long or could not be read."""
    return await ROSTER_READER.read(filename, content)
