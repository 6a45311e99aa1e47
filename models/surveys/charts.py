"""A bar chart of how a question was answered, as a PNG drawn with Pillow.

The geometry is fixed so that a chart can be measured: on a white WIDTH × HEIGHT canvas,
bar i of n is BAR_COLOUR, centred in the i-th of n equal slots between PLOT_LEFT and
PLOT_RIGHT, and stands on BASELINE (its lowest pixel row is BASELINE − 1; the axis line
on row BASELINE is AXIS_COLOUR). Its height in pixels is round(count / highest count ×
BAR_MAX) (a zero count draws no bar). The count is written above each bar, the label
below the axis, the title at the top; no text is drawn in BAR_COLOUR.

Charts are drawn in a worker process (models/offload.py) within a time limit, after
the input is checked against size budgets, so that the event loop never waits on one.
"""

import io
from functools import partial
from textwrap import wrap

from PIL import Image, ImageDraw, ImageFont

from models.offload import Failed, Host

WIDTH, HEIGHT = 640, 400
BACKGROUND = (255, 255, 255)
BAR_COLOUR = (46, 110, 181)
AXIS_COLOUR = (150, 150, 150)
TEXT_COLOUR = (33, 33, 33)
TITLE_SIZE, TEXT_SIZE = 20, 14
PLOT_LEFT, PLOT_RIGHT = 30, 610
BASELINE = 320  # the axis row; bars end just above it
BAR_MAX = 220  # the highest bar's height
BAR_SHARE = 0.6  # of its slot's width

# Budgets on the input: a chart of a question's answers needs no more.
MAX_BARS = 20
MAX_TITLE = 200
MAX_LABEL = 60
MAX_COUNT = 10**9
TIME_LIMIT = 2.0
_INPUT_LIMIT = 64 * 1024  # bytes of the pickled job, far above the budgets above


class ChartError(ValueError):
    """The chart cannot be drawn: its input is over a budget, or drawing failed."""


def bar_height(count: int, highest: int) -> int:
    return round(count / highest * BAR_MAX) if highest else 0


def slot(index: int, bars: int) -> tuple[float, float]:
    """The left and right edges of bar ``index``'s slot."""
    width = (PLOT_RIGHT - PLOT_LEFT) / bars
    return PLOT_LEFT + index * width, PLOT_LEFT + (index + 1) * width


def check(title: str, labels: list[str], counts: list[int]) -> None:
    if not counts or len(counts) > MAX_BARS:
        raise ChartError(f"a chart has 1 to {MAX_BARS} bars, not {len(counts)}")
    if len(labels) != len(counts):
        raise ChartError("one label for each bar")
    if len(title) > MAX_TITLE or any(len(label) > MAX_LABEL for label in labels):
        raise ChartError(f"titles up to {MAX_TITLE} characters, labels up to {MAX_LABEL}")
    if any(type(c) is not int or not 0 <= c <= MAX_COUNT for c in counts):
        raise ChartError("counts are whole numbers from 0")


def draw_chart(title: str, labels: list[str], counts: list[int]) -> bytes:
    """The chart as PNG bytes, drawn here and now (``chart_png`` draws it off the loop)."""
    check(title, labels, counts)
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    title_font = ImageFont.load_default(size=TITLE_SIZE)
    font = ImageFont.load_default(size=TEXT_SIZE)
    title_lines = wrap(title, 55)[:2] or [""]
    for line_number, line in enumerate(title_lines):
        draw.text((WIDTH / 2, 12 + line_number * 26), line, TEXT_COLOUR, title_font, "ma")
    draw.line([(PLOT_LEFT, BASELINE), (PLOT_RIGHT, BASELINE)], AXIS_COLOUR, 1)
    highest = max(counts)
    for index, (label, count) in enumerate(zip(labels, counts, strict=True)):
        left, right = slot(index, len(counts))
        middle = (left + right) / 2
        half = (right - left) * BAR_SHARE / 2
        height = bar_height(count, highest)
        if height:
            # Pillow fills both corners: rows BASELINE − height to BASELINE − 1.
            box = (round(middle - half), BASELINE - height, round(middle + half) - 1, BASELINE - 1)
            draw.rectangle(box, fill=BAR_COLOUR)
        draw.text((middle, BASELINE - height - 4), str(count), TEXT_COLOUR, font, "md")
        characters = max(4, int((right - left) / (TEXT_SIZE * 0.6)))
        for line_number, line in enumerate(wrap(label, characters)[:3]):
            draw.text((middle, BASELINE + 8 + line_number * 18), line, TEXT_COLOUR, font, "ma")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False)
    return out.getvalue()


def _draw(title: str, labels: list[str], counts: list[int]) -> bytes | ChartError:
    try:
        return draw_chart(title, labels, counts)
    except ChartError as exc:
        return exc


_DRAWER = Host("chart-drawer", preload=("models.surveys.charts",), input_limit=_INPUT_LIMIT)


async def chart_png(title: str, labels: list[str], counts: list[int]) -> bytes:
    """The bar chart of ``counts`` (one bar per label), drawn in a worker process within
    TIME_LIMIT. Raises ChartError when the input is over a budget or drawing failed."""
    check(title, labels, counts)
    result = await _DRAWER.run_off_loop(partial(_draw, title, labels, counts), TIME_LIMIT)
    if isinstance(result, bytes):
        return result
    if isinstance(result, ChartError):
        raise result
    reason = result.reason if isinstance(result, Failed) else type(result).__name__
    raise ChartError(f"the chart was not drawn: {reason}")
