"""Small files that cost a naive reader seconds, as organisers' uploads did on the running
bot: a 2 MB CSV on one line, a workbook holding 19 MB of cell styles, and workbooks of
19,000 blank rows. Built here rather than stored; shared with bench/agenda_files.py."""

import io
import re
import zipfile
from collections.abc import Callable

import openpyxl
from openpyxl.styles import Font

from models.agenda_import import MAX_FILE_BYTES, template_xlsx

HEADER = b"Tanggal;Mulai;Selesai;Materi;"


def one_line_csv(size: int = MAX_FILE_BYTES - 1) -> bytes:
    """A header and then a million cells, all on the first line."""
    return HEADER + b"x;" * ((size - len(HEADER)) // 2)


def rewritten(workbook: bytes, part: str, edit: Callable[[str], str]) -> bytes:
    """``workbook`` with one part's XML edited, packed as tightly as zip goes."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(workbook)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target,
    ):
        for info in source.infolist():
            data = source.read(info)
            if info.filename == part:
                data = edit(data.decode()).encode()
            target.writestr(info.filename, data)
    return out.getvalue()


def styles_bomb(styles_bytes: int = 19 * 1024 * 1024) -> bytes:
    """The agenda template, its styles part padded with fonts nobody uses."""
    font = '<font><sz val="{}"/><name val="Calibri"/><family val="2"/></font>'
    fonts = [font.format(8 + i % 40) for i in range(styles_bytes // len(font.format(10)))]

    def pad(styles: str) -> str:
        found = re.search(r'<fonts count="(\d+)">', styles)
        assert found is not None
        count = int(found.group(1)) + len(fonts)
        return styles.replace(found.group(0), f'<fonts count="{count}">' + "".join(fonts), 1)

    return rewritten(template_xlsx(), "xl/styles.xml", pad)


def blank_rows(rows: int = 19_000, columns: int = 8, *, empty_strings: bool = False) -> bytes:
    """A header and one session, then ``rows`` rows of cells that hold nothing but a
    style (bold), or an empty string."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Tanggal", "Mulai", "Selesai", "Materi"])
    sheet.append(["13/11/2024", "08.00", "09.00", "Pembukaan"])
    bold = Font(bold=True)
    for row in range(3, rows + 3):
        for column in range(1, columns + 1):
            cell = sheet.cell(row, column)
            if empty_strings:
                cell.value = ""
            else:
                cell.font = bold
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


HOSTILE: dict[str, tuple[Callable[[], bytes], str]] = {
    "one-line.csv": (one_line_csv, "too_many_cells"),
    "styles.xlsx": (styles_bomb, "unpacks_too_big"),
    "blank-rows.xlsx": (blank_rows, "too_many_cells"),
    "empty-strings.xlsx": (lambda: blank_rows(empty_strings=True), "too_many_cells"),
}
