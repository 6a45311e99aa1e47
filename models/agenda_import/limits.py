"""How much an agenda file may hold. An agenda is small: these bound the work any file
can cause, whatever it holds."""

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 1_000
MAX_COLUMNS = 40
HEADER_SEARCH_ROWS = 10
# A 2 MB .xlsx can unpack to far more; an agenda never needs this much.
MAX_UNPACKED_BYTES = 20 * 1024 * 1024
# Rows walked, blank ones included, before a sheet counts as too long to be an agenda.
MAX_SCANNED_ROWS = 20 * MAX_ROWS
# As in models/agenda.py (a test keeps them equal).
LIMITS = {"title": 200, "speakers": 300, "room": 100, "class": 40, "description": 1000}
