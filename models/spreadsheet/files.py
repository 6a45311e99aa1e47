"""The bytes of a file as rows of cells, whatever the format: CSV in any usual encoding and
delimiter, or the first sheet of an Excel workbook. The size, unpacking and cell limits
(limits.py and the kind's own) are checked here, before or while reading, so that no file
costs much more than a large one of its kind does."""

import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from itertools import islice

import openpyxl
from openpyxl.worksheet._read_only import ReadOnlyWorksheet  # what read_only=True yields

from models.spreadsheet.encoding import decode
from models.spreadsheet.headers import HeaderNames
from models.spreadsheet.kind import SheetKind
from models.spreadsheet.limits import (
    HEADER_SEARCH_ROWS,
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_PACKING_RATIO,
    MAX_PART_BYTES,
    MAX_SHARED_STRINGS_BYTES,
    MAX_UNPACKED_BYTES,
    RATIO_CHECKED_FROM_BYTES,
)
from models.spreadsheet.problems import ProblemsError
from models.spreadsheet.text import blank

Cells = list[object]
# Enough of a CSV to find its header row by, however long its lines.
DELIMITER_SAMPLE_CHARS = 64 * 1024


def _collect(kind: SheetKind, rows: Iterable[Sequence[object]]) -> list[tuple[int, Cells]]:
    """Non-blank rows with their spreadsheet numbers, stopping once there are more than
    a file of its kind may hold, so that a huge file is refused without reading all of it."""
    kept: list[tuple[int, Cells]] = []
    cells_read = 0
    for number, cells in enumerate(rows, 1):
        cells_read += max(1, len(cells))
        if cells_read > kind.max_cells:
            raise kind.file_error("too_many_cells", max_cells=kind.max_cells)
        if not all(blank(c) for c in cells):
            kept.append((number, list(cells[:MAX_COLUMNS])))
            if len(kept) > HEADER_SEARCH_ROWS + kind.max_rows:
                break
    return kept


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    controls = sum(1 for ch in text[:20_000] if unicodedata.category(ch) == "Cc")
    newlines = sum(text[:20_000].count(ch) for ch in "\r\n\t")
    return controls - newlines > max(2, len(text[:20_000]) // 100)


def delimiter(text: str, headers: HeaderNames) -> str:
    """Comma, semicolon (Excel set to Indonesian) or tab: the one that makes a header."""
    lines = io.StringIO(text[:DELIMITER_SAMPLE_CHARS])
    sample = "".join(islice(lines, HEADER_SEARCH_ROWS))

    def score(delimiter: str) -> tuple[int, int]:
        try:
            rows = list(csv.reader(io.StringIO(sample), delimiter=delimiter))
        except csv.Error:
            return (-1, 0)
        named = max((headers.known(r[:MAX_COLUMNS]) for r in rows), default=0)
        return (named, max(map(len, rows), default=0))

    return max((";", ",", "\t"), key=score)


def _csv_rows(kind: SheetKind, filename: str, content: bytes) -> list[tuple[int, Cells]]:
    text, reads_right = decode(content)
    if _looks_binary(text):
        raise kind.file_error("not_spreadsheet", name=filename)
    if text.lstrip()[:15].lower().startswith(("<!doctype", "<html", "<?xml", "%pdf")):
        raise kind.file_error("not_spreadsheet", name=filename)
    if not reads_right:
        raise kind.file_error("unknown_encoding", name=filename)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter(text, kind.headers))
        return _collect(kind, reader)
    except csv.Error:
        raise kind.file_error("unreadable", name=filename) from None


def _part_limit(name: str) -> int | None:
    """How big a part may unpack to; None for parts openpyxl never reads (pictures...)."""
    if name.startswith("xl/worksheets/"):
        return MAX_UNPACKED_BYTES
    if name == "xl/sharedStrings.xml":
        return MAX_SHARED_STRINGS_BYTES
    if name.endswith((".xml", ".rels")):
        return MAX_PART_BYTES
    return None


def _unpacks_too_big(archive: zipfile.ZipFile) -> bool:
    """Whether any part, or all together, would unpack to more than a spreadsheet needs,
    judged by the sizes the zip declares before anything is unpacked."""
    total = 0
    for info in archive.infolist():
        total += info.file_size
        limit = _part_limit(info.filename)
        if limit is not None and info.file_size > limit:
            return True
        packed_tight = info.file_size > MAX_PACKING_RATIO * max(1, info.compress_size)
        if info.file_size > RATIO_CHECKED_FROM_BYTES and packed_tight:
            return True
    return total > MAX_UNPACKED_BYTES


def _xlsx_rows(kind: SheetKind, filename: str, content: bytes) -> list[tuple[int, Cells]]:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            too_big = _unpacks_too_big(archive)
            mimetype = b""
            if "mimetype" in names and archive.getinfo("mimetype").file_size < 1000:
                mimetype = archive.read("mimetype")
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        raise kind.file_error("unreadable", name=filename) from None
    if b"opendocument.spreadsheet" in mimetype:
        raise kind.file_error("save_as", kind="OpenDocument (.ods)")
    if "xl/workbook.xml" not in names:
        raise kind.file_error("not_spreadsheet", name=filename)
    if too_big:
        raise kind.file_error("unpacks_too_big", name=filename)
    try:
        workbook = openpyxl.load_workbook(
            io.BytesIO(content), read_only=True, data_only=True, keep_links=False
        )
    except Exception:  # a damaged workbook fails inside openpyxl in many different ways
        raise kind.file_error("unreadable", name=filename) from None
    try:
        sheets = workbook.worksheets
        if not sheets or not isinstance(sheets[0], ReadOnlyWorksheet):
            raise kind.file_error("empty")
        sheet = sheets[0]
        # The dimension the file declares may claim a million rows or columns: without
        # it, each row is as wide as its last cell and rows end where the file's do.
        sheet.reset_dimensions()
        return _collect(kind, sheet.iter_rows(values_only=True))
    except ProblemsError:
        raise
    except Exception:  # openpyxl reads lazily: damage can surface row by row
        raise kind.file_error("unreadable", name=filename) from None
    finally:
        workbook.close()


def rows_of(kind: SheetKind, filename: str, content: bytes) -> list[tuple[int, Cells]]:
    """The file's non-blank rows, whatever the kind; the content decides, not the name."""
    if not content.strip():
        raise kind.file_error("empty")
    if len(content) > MAX_FILE_BYTES:
        raise kind.file_error("too_big", max_mb=MAX_FILE_BYTES // (1024 * 1024))
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise kind.file_error("save_as", kind="Excel 97-2003 (.xls)")
    if content.startswith(b"PK"):
        return _xlsx_rows(kind, filename, content)
    return _csv_rows(kind, filename, content)
