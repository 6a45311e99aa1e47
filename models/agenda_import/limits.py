"""How much an agenda file may hold. An agenda is small: these bound the work any file
can cause, whatever it holds."""

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 1_000
MAX_COLUMNS = 40
HEADER_SEARCH_ROWS = 10
# Cells read, blank ones included (an empty row counts as one): three times a full
# agenda of ten columns, room for blank formatted rows below a table. openpyxl takes 4 to
# 20 microseconds a cell (empty inline strings cost most): under a second for any sheet.
MAX_CELLS = 30_000
# A workbook's parts as its zip declares them unpacked (Python's zipfile unpacks no more
# than declared). Styles and the rest are read whole before any row, so a real agenda's
# are small; 19 MB of cell styles took openpyxl 15 s. A sheet is read row by row within
# MAX_CELLS, so only the total bounds it.
MAX_UNPACKED_BYTES = 20 * 1024 * 1024
MAX_PART_BYTES = 512 * 1024
MAX_SHARED_STRINGS_BYTES = 4 * 1024 * 1024  # every text of the workbook, read first
# Unpacked over packed: real XML packs 5 to 15 times. A big part packed far tighter is
# one thing repeated (a zip bomb); a part under a megabyte costs little either way.
MAX_PACKING_RATIO = 100
RATIO_CHECKED_FROM_BYTES = 1024 * 1024
# As in models/agenda.py (a test keeps them equal).
LIMITS = {"title": 200, "speakers": 300, "room": 100, "class": 40, "description": 1000}
