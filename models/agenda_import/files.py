"""The bytes of a file as rows of cells, whatever the kind: CSV in any usual encoding and
delimiter, or the first sheet of an Excel workbook."""

import codecs
import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from itertools import islice

import openpyxl
from openpyxl.worksheet._read_only import ReadOnlyWorksheet  # what read_only=True yields

from models.agenda_import.headers import known_headers
from models.agenda_import.limits import (
    HEADER_SEARCH_ROWS,
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    MAX_SCANNED_ROWS,
    MAX_UNPACKED_BYTES,
)
from models.agenda_import.problems import AgendaFileError, file_error
from models.agenda_import.text import blank

Cells = list[object]


def _collect(rows: Iterable[Sequence[object]]) -> list[tuple[int, Cells]]:
    """Non-blank rows with their spreadsheet numbers, stopping once there are more than
    an agenda may hold, so that a huge file is refused without reading all of it."""
    kept: list[tuple[int, Cells]] = []
    for number, cells in enumerate(rows, 1):
        if number > MAX_SCANNED_ROWS:
            raise file_error("agenda_import.too_many_rows", max_rows=MAX_ROWS)
        if not all(blank(c) for c in cells):
            kept.append((number, list(cells[:MAX_COLUMNS])))
            if len(kept) > HEADER_SEARCH_ROWS + MAX_ROWS:
                break
    return kept


def _decode(content: bytes) -> str:
    if content.startswith(codecs.BOM_UTF8):
        return content.decode("utf-8-sig")
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return content.decode("utf-16")  # Excel's "Unicode Text"
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return content.decode("cp1252")  # older Excel on Windows


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    controls = sum(1 for ch in text[:20_000] if unicodedata.category(ch) == "Cc")
    newlines = sum(text[:20_000].count(ch) for ch in "\r\n\t")
    return controls - newlines > max(2, len(text[:20_000]) // 100)


def delimiter(text: str) -> str:
    """Comma, semicolon (Excel set to Indonesian) or tab: the one that makes a header."""
    sample = "".join(islice(io.StringIO(text), HEADER_SEARCH_ROWS))

    def score(delimiter: str) -> tuple[int, int]:
        try:
            rows = list(csv.reader(io.StringIO(sample), delimiter=delimiter))
        except csv.Error:
            return (-1, 0)
        return (max((known_headers(r) for r in rows), default=0), max(map(len, rows), default=0))

    return max((";", ",", "\t"), key=score)


def _csv_rows(filename: str, content: bytes) -> list[tuple[int, Cells]]:
    try:
        text = _decode(content)
    except UnicodeDecodeError:
        raise file_error("agenda_import.not_spreadsheet", name=filename) from None
    if _looks_binary(text):
        raise file_error("agenda_import.not_spreadsheet", name=filename)
    if text.lstrip()[:15].lower().startswith(("<!doctype", "<html", "<?xml", "%pdf")):
        raise file_error("agenda_import.not_spreadsheet", name=filename)
    try:
        return _collect(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter(text)))
    except csv.Error:
        raise file_error("agenda_import.unreadable", name=filename) from None


def _xlsx_rows(filename: str, content: bytes) -> list[tuple[int, Cells]]:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        raise file_error("agenda_import.unreadable", name=filename) from None
    if b"opendocument.spreadsheet" in mimetype:
        raise file_error("agenda_import.save_as", kind="OpenDocument (.ods)")
    if "xl/workbook.xml" not in names:
        raise file_error("agenda_import.not_spreadsheet", name=filename)
    if unpacked > MAX_UNPACKED_BYTES:
        raise file_error("agenda_import.too_big", max_mb=MAX_FILE_BYTES // (1024 * 1024))
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # a damaged workbook fails inside openpyxl in many different ways
        raise file_error("agenda_import.unreadable", name=filename) from None
    try:
        sheets = workbook.worksheets
        if not sheets or not isinstance(sheets[0], ReadOnlyWorksheet):
            raise file_error("agenda_import.empty")
        return _collect(sheets[0].iter_rows(max_col=MAX_COLUMNS, values_only=True))
    except AgendaFileError:
        raise
    except Exception:  # openpyxl reads lazily: damage can surface row by row
        raise file_error("agenda_import.unreadable", name=filename) from None
    finally:
        workbook.close()


def rows_of(filename: str, content: bytes) -> list[tuple[int, Cells]]:
    """The file's non-blank rows, whatever the kind; the content decides, not the name."""
    if not content.strip():
        raise file_error("agenda_import.empty")
    if len(content) > MAX_FILE_BYTES:
        raise file_error("agenda_import.too_big", max_mb=MAX_FILE_BYTES // (1024 * 1024))
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise file_error("agenda_import.save_as", kind="Excel 97-2003 (.xls)")
    if content.startswith(b"PK"):
        return _xlsx_rows(filename, content)
    return _csv_rows(filename, content)
