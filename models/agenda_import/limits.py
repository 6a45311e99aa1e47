"""How much an agenda file may hold. An agenda is small: these bound the work any file
can cause, whatever it holds (with those of models/spreadsheet/limits.py)."""

MAX_ROWS = 1_000
# Cells read, blank ones included (an empty row counts as one): three times a full
# agenda of ten columns, room for blank formatted rows below a table. openpyxl takes 4 to
# 20 microseconds a cell (empty inline strings cost most): under a second for any sheet.
MAX_CELLS = 30_000
# As in models/agenda.py (a test keeps them equal).
LIMITS = {"title": 200, "speakers": 300, "room": 100, "class": 40, "description": 1000}
