"""Small files that cost a naive reader seconds, as organisers' uploads did on the running
bot: a 2 MB CSV on one line, a workbook holding 19 MB of cell styles, and workbooks of
19,000 blank rows. Built here rather than stored; shared with bench/agenda_files.py."""

import io
import random
import re
import zipfile
from collections.abc import Callable
from functools import cache, partial

import openpyxl
from openpyxl.utils import get_column_letter

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
    """The agenda template and then ``rows`` rows of cells that hold nothing but a style
    (bold, as Excel writes a formatted blank cell), or an empty string."""
    letters = [get_column_letter(c) for c in range(1, columns + 1)]
    cell = (
        '<c r="{}{}" t="inlineStr"><is><t></t></is></c>' if empty_strings else '<c r="{}{}" s="1"/>'
    )
    first, last = 6, 6 + rows - 1  # after the template's header and four sessions
    added = "".join(
        f'<row r="{r}">' + "".join(cell.format(letter, r) for letter in letters) + "</row>"
        for r in range(first, last + 1)
    )

    def extend(xml: str) -> str:
        xml = re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="A1:{letters[-1]}{last}"', xml)
        return xml.replace("</sheetData>", added + "</sheetData>", 1)

    return rewritten(template_xlsx(), "xl/worksheets/sheet1.xml", extend)


@cache
def one_wide_row(cells: int = 400_000) -> bytes:
    """The agenda template and one more row of ``cells`` empty styled cells. The cell
    budget is checked once a row is read, so only the time limit stops a wide enough one
    (800,000 cells take openpyxl over 3 s)."""
    rng = random.Random(3)
    row = "".join(f'<c s="{rng.randrange(1000)}"/>' for _ in range(cells))
    return rewritten(
        template_xlsx(),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace("</sheetData>", f'<row r="6">{row}</row></sheetData>', 1),
    )


HOSTILE: dict[str, tuple[Callable[[], bytes], str]] = {
    "one-line.csv": (cache(one_line_csv), "too_many_cells"),
    "styles.xlsx": (cache(styles_bomb), "unpacks_too_big"),
    "blank-rows.xlsx": (cache(blank_rows), "too_many_cells"),
    "empty-strings.xlsx": (cache(partial(blank_rows, empty_strings=True)), "too_many_cells"),
}


@cache
def fifty_thousand_rows() -> bytes:
    """A CSV under the size limit holding 50,000 sessions: refused for its rows."""
    header = "Tanggal;Mulai;Selesai;Materi;Narasumber;Ruang;Kelas;Keterangan"
    rows = [f";08.00;09.00;Sesi {i};;;;" for i in range(50_000)]
    return "\n".join([header, "13/11/2024;08.00;09.00;Sesi;;;;", *rows]).encode()


@cache
def five_thousand_rows_xlsx() -> bytes:
    """A workbook of 5,000 sessions: refused for its rows without reading them all."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["Tanggal", "Mulai", "Selesai", "Materi"])
    for i in range(5_000):
        sheet.append(["13/11/2024", "08.00", "09.00", f"Sesi {i}"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
