"""How much any spreadsheet an organiser sends may hold, whatever its kind: these bound
the work a file can cause before its rows are read. Each kind bounds its rows and cells
itself (SheetKind)."""

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_COLUMNS = 40
HEADER_SEARCH_ROWS = 10
# A workbook's parts as its zip declares them unpacked (Python's zipfile unpacks no more
# than declared). Styles and the rest are read whole before any row, so a real agenda's
# are small; 19 MB of cell styles took openpyxl 15 s. A sheet is read row by row within
# the kind's cell budget, so only the total bounds it.
MAX_UNPACKED_BYTES = 20 * 1024 * 1024
MAX_PART_BYTES = 512 * 1024
MAX_SHARED_STRINGS_BYTES = 4 * 1024 * 1024  # every text of the workbook, read first
# Unpacked over packed: real XML packs 5 to 15 times. A big part packed far tighter is
# one thing repeated (a zip bomb); a part under a megabyte costs little either way.
MAX_PACKING_RATIO = 100
RATIO_CHECKED_FROM_BYTES = 1024 * 1024
