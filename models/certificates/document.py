"""The certificate as a PDF: A4 landscape, drawn with reportlab by the writer process
(models/writer.py) within a time limit, so that the event loop never waits on one.

Everything on the paper arrives as finished text (``Paper``): the words, in the
certificate's language, are chosen by the caller; this module only lays them out.

Fonts: DejaVu Serif and Sans from the system (Debian's ``fonts-dejavu-core``, at
/usr/share/fonts/truetype/dejavu/), which cover Latin, its extensions (ā, ṭ, é...) and
more. Without them the paper uses Bitstream Vera, which reportlab itself ships: it covers
Western European letters only, and any other letter in a name prints as a blank box.

The QR code is drawn as an embedded picture (PNG by segno), so that it can be read back
from the file as well as off the paper.
"""

import io
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path

import segno
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from models.writer import write_off_loop

TIME_LIMIT = 10.0
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)

WIDTH, HEIGHT = landscape(A4)
MARGIN = 36
INK = (0.13, 0.13, 0.13)
ACCENT = (0.10, 0.30, 0.55)


@dataclass(frozen=True, slots=True)
class Paper:
    """A certificate's text, ready to print."""

    title: str  # "SERTIFIKAT"
    number_line: str  # "Nomor: 001/BIMTEK-KUKAR2024/2024"
    given_to: str  # "diberikan kepada"
    name: str
    body: str
    signing_line: str  # "Samarinda, 16 November 2024"
    signatory_title: str
    signatory_name: str
    qr_payload: str  # the verification URL, or the code alone
    verify_lines: tuple[str, ...]  # under the QR code
    logo: bytes | None = None


@dataclass(frozen=True, slots=True)
class _Fonts:
    regular: str
    bold: str
    sans: str


@cache
def _fonts() -> _Fonts:
    for folder in FONT_DIRS:
        files = {
            "CertSerif": folder / "DejaVuSerif.ttf",
            "CertSerif-Bold": folder / "DejaVuSerif-Bold.ttf",
            "CertSans": folder / "DejaVuSans.ttf",
        }
        if all(path.is_file() for path in files.values()):
            for name, path in files.items():
                pdfmetrics.registerFont(TTFont(name, str(path)))
            return _Fonts("CertSerif", "CertSerif-Bold", "CertSans")
    # reportlab's own copy of Bitstream Vera (found on its font path).
    for name, file in (("Vera", "Vera.ttf"), ("VeraBd", "VeraBd.ttf")):
        pdfmetrics.registerFont(TTFont(name, file))
    return _Fonts("Vera", "VeraBd", "Vera")


def _centred(canvas: Canvas, text: str, font: str, size: float, y: float) -> None:
    canvas.setFont(font, size)
    canvas.drawCentredString(WIDTH / 2, y, text)


def _fitting(text: str, font: str, largest: float, smallest: float, width: float) -> float:
    size = largest
    while size > smallest and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 1
    return size


def draw_pdf(paper: Paper) -> bytes:
    """The certificate's PDF, drawn here and now (``certificate_pdf`` draws it off the
    loop)."""
    fonts = _fonts()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(WIDTH, HEIGHT), pageCompression=1)
    canvas.setTitle(f"{paper.title} {paper.number_line}")
    canvas.setAuthor("Bimtek Bot")
    canvas.setStrokeColorRGB(*ACCENT)
    canvas.setLineWidth(3)
    canvas.rect(MARGIN / 2, MARGIN / 2, WIDTH - MARGIN, HEIGHT - MARGIN)
    canvas.setLineWidth(0.8)
    canvas.rect(MARGIN / 2 + 6, MARGIN / 2 + 6, WIDTH - MARGIN - 12, HEIGHT - MARGIN - 12)
    canvas.setFillColorRGB(*INK)

    top = HEIGHT - MARGIN - 10
    if paper.logo is not None:
        logo = ImageReader(io.BytesIO(paper.logo))
        width, height = logo.getSize()
        scale = min(70 / height, 160 / width)
        canvas.drawImage(
            logo, (WIDTH - width * scale) / 2, top - height * scale, width * scale,
            height * scale, mask="auto",
        )  # fmt: skip
        top -= height * scale + 14
    else:
        top -= 20
    canvas.setFillColorRGB(*ACCENT)
    title_size = _fitting(paper.title, fonts.bold, 34, 16, WIDTH - 4 * MARGIN)
    _centred(canvas, paper.title, fonts.bold, title_size, top - title_size)
    top -= title_size + 22
    canvas.setFillColorRGB(*INK)
    _centred(canvas, paper.number_line, fonts.regular, 12, top)
    top -= 34
    _centred(canvas, paper.given_to, fonts.regular, 14, top)
    name_size = _fitting(paper.name, fonts.bold, 28, 12, WIDTH - 4 * MARGIN)
    top -= name_size + 14
    _centred(canvas, paper.name, fonts.bold, name_size, top)
    canvas.setLineWidth(0.6)
    canvas.line(WIDTH / 2 - 220, top - 8, WIDTH / 2 + 220, top - 8)
    top -= 34
    body_width = WIDTH - 6 * MARGIN
    lines = simpleSplit(paper.body, fonts.regular, 13, body_width)[:8]
    for line in lines:
        _centred(canvas, line, fonts.regular, 13, top)
        top -= 18

    # Signature block, bottom right; room above the name for a signature and a stamp.
    right = WIDTH - 3 * MARGIN - 120
    canvas.setFont(fonts.regular, 12)
    canvas.drawCentredString(right, 150, paper.signing_line)
    for index, line in enumerate(simpleSplit(paper.signatory_title, fonts.regular, 12, 260)[:3]):
        canvas.drawCentredString(right, 134 - index * 15, line)
    if paper.signatory_name:
        canvas.setFont(fonts.bold, 12)
        canvas.drawCentredString(right, 58, paper.signatory_name)

    # Verification, bottom left.
    qr = segno.make(paper.qr_payload, error="m")
    png = io.BytesIO()
    qr.save(png, kind="png", scale=4, border=4)
    side = 96
    canvas.drawImage(ImageReader(io.BytesIO(png.getvalue())), 3 * MARGIN - 20, 60, side, side)
    canvas.setFont(fonts.sans, 8)
    for index, line in enumerate(paper.verify_lines):
        canvas.drawString(3 * MARGIN - 20 + side + 8, 130 - index * 11, line)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


async def certificate_pdf(paper: Paper) -> bytes:
    """The certificate's PDF, drawn by the writer process within TIME_LIMIT. Raises
    NotWrittenError (models/writer.py) when it could not be drawn: a logo that will not
    draw, a damaged font, too slow."""
    return await write_off_loop(partial(draw_pdf, paper), time_limit=TIME_LIMIT)
