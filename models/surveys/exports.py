"""An event's survey results as files for the report (laporan, LPJ): a workbook with a
summary sheet and one sheet per round, or the responses as CSV. For the chat the workbook
is written by the writer process (models/writer.py), within a cell budget and a time
limit; the command line writes any size.

Everything typed by people is written as text that no spreadsheet runs (``safe_text``).
People's names and
details are in the files only when the report has them (``names``).
"""

import csv
import io
import re
from collections.abc import Iterator, Sequence
from fractions import Fraction
from functools import partial
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from models.spreadsheet.writing import Cell, csv_cell, safe_text, xlsx_cell
from models.surveys.definition import AnswerValue
from models.surveys.report import ASKED_MEANS, EventReport
from models.surveys.results import GainGroup, Response, RoundResult, round_half_up
from models.writer import write_off_loop
from models.zones import zone_label

# What a workbook written for the chat may hold: a Bimtek of 300 people answering 20
# surveys of 40 columns is 240,000 cells, written by openpyxl in seconds.
MAX_CELLS = 250_000
TIME_LIMIT = 30.0
SHEET_TITLE_LENGTH = 31
_NOT_IN_SHEET_TITLES = re.compile(r"[\[\]:*?/\\]")
# Excel keeps this name for itself.
_RESERVED_SHEET_TITLES = frozenset({"history"})


def answer_cell(value: AnswerValue | None) -> Cell:
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    if isinstance(value, list):
        return safe_text("; ".join(value))
    return safe_text(value)


def _number(value: Fraction | None, places: int = 2) -> float | None:
    return float(round_half_up(value, places)) if value is not None else None


def sheet_title(wanted: str, taken: set[str]) -> str:
    """A sheet title Excel accepts: at most 31 characters, none of []:*?/\\, not
    starting or ending with an apostrophe, and unlike every title in ``taken`` (in any
    case), which it joins."""
    cleaned = " ".join(_NOT_IN_SHEET_TITLES.sub(" ", wanted).split()).strip("'").strip()
    cleaned = cleaned or "Sheet"
    title = cleaned[:SHEET_TITLE_LENGTH].rstrip()
    number = 2
    while title.casefold() in taken or title.casefold() in _RESERVED_SHEET_TITLES:
        suffix = f" ({number})"
        title = cleaned[: SHEET_TITLE_LENGTH - len(suffix)].rstrip() + suffix
        number += 1
    taken.add(title.casefold())
    return title


# --- one round's responses --------------------------------------------------------------


def round_title(number: int, result: RoundResult) -> str:
    round_ = result.round
    return f"{number} {round_.session_title or result.definition.title.id}"


def _answer_columns(result: RoundResult) -> list[tuple[str, str]]:
    """A column per question and subject, in order. Found once a round: finding a
    question's subjects reads every response."""
    return [
        (question.id, subject)
        for question in result.definition.questions
        for subject in result.round.subjects(question)
    ]


def _headers(report: EventReport, result: RoundResult) -> list[str]:
    zone = zone_label(report.event.timezone, result.round.opens_at)
    headers = [f"submitted at ({zone})"]
    if report.names:
        headers += ["name", "phone", "library", "regency", "class"]
    for question_id, subject in _answer_columns(result):
        headers.append(f"{question_id} @ {subject}" if subject else question_id)
    if result.scores:
        headers += ["score", "max score", "score (0-100)"]
    return headers


def _rows(report: EventReport, result: RoundResult) -> Iterator[list[Cell]]:
    zone = ZoneInfo(report.event.timezone)
    submitted: Sequence[Response] = result.round.submitted
    scores = result.scores or (None,) * len(submitted)
    columns = _answer_columns(result)
    for response, score in zip(submitted, scores, strict=True):
        assert response.submitted_at is not None
        # Spreadsheets know no zones: the wall-clock time of the event's zone, named in
        # the header.
        row: list[Cell] = [response.submitted_at.astimezone(zone).replace(tzinfo=None)]
        if report.names:
            who = response.respondent
            details = (who.name, who.phone, who.library, who.regency, who.class_name)
            row += [safe_text(detail) if detail else None for detail in details]
        row += [answer_cell(response.answers.get(column)) for column in columns]
        if score is not None:
            row += [_number(score.points), _number(score.max_points), _number(score.percent)]
        yield row


# --- the summary ------------------------------------------------------------------------


def _summary(report: EventReport) -> Iterator[list[Cell]]:
    event = report.event
    yield [safe_text(event.name), event.code]
    yield [ASKED_MEANS]
    yield []
    yield ["Response rates"]
    yield ["round", "survey", "session", "asked", "submitted", "response rate (%)"]
    for number, result in enumerate(report.rounds, start=1):
        yield [
            number,
            safe_text(result.definition.title.id),
            safe_text(result.round.session_title or ""),
            result.round.asked,
            result.submitted,
            _number(result.rate * 100 if result.rate is not None else None, 1),
        ]
    yield from _skm_rows(report)
    if report.tests is not None:
        tests = report.tests
        yield []
        yield ["Pre-test and post-test: N-gain = (post - pre) / (max - pre)"]
        yield [
            "group",
            "name",
            "people",
            "mean pre-test (0-100)",
            "mean post-test (0-100)",
            "mean N-gain",
            "category (Hake)",
            "no N-gain (full marks in the pre-test)",
        ]
        yield _gain_row("overall", tests.overall)
        for group in tests.by_class:
            yield _gain_row("class", group)
        for group in tests.by_regency:
            yield _gain_row("regency", group)
        yield ["only the pre-test", None, tests.only_pre]
        yield ["only the post-test", None, tests.only_post]


def _skm_rows(report: EventReport) -> Iterator[list[Cell]]:
    rated = [(n, r) for n, r in enumerate(report.rounds, start=1) if r.skm or r.speakers]
    if not rated:
        return
    yield []
    yield ["SKM (PermenPANRB 14/2017): index = mean of the element means (NRR) x 25"]
    yield ["round", "element", "answers", "NRR (1-4)", "weighted NRR", "index", "band"]
    for number, result in rated:
        skm = result.skm
        if skm is not None:
            for element in skm.elements:
                weight, mean = skm.weight, element.mean
                weighted = mean * weight if mean is not None and weight is not None else None
                yield [
                    number,
                    safe_text(element.name.id),
                    element.answered,
                    _number(element.mean),
                    _number(weighted, 4),
                ]
            if skm.index is not None:
                index = skm.index
                yield [number, "overall", None, None, None, float(index.value), index.band.value]
        for speaker in result.speakers:
            index = speaker.index
            who = safe_text(f"speaker: {speaker.speaker}")
            yield [number, who, None, None, None, float(index.value), index.band.value]


def _gain_row(kind: str, group: GainGroup) -> list[Cell]:
    name = group.name if kind == "overall" or group.name is not None else "(not given)"
    return [
        kind,
        safe_text(name) if name else None,
        group.n,
        _number(group.mean_pre),
        _number(group.mean_post),
        _number(group.mean_g),
        group.category.value if group.category else None,
        group.no_g,
    ]


# --- files ------------------------------------------------------------------------------


def event_xlsx(report: EventReport) -> bytes:
    """A workbook: the summary, then a sheet per round with a row per submitted
    response."""
    workbook = Workbook(write_only=True)
    taken: set[str] = set()
    summary = workbook.create_sheet(sheet_title("Summary", taken))
    for row in _summary(report):
        summary.append([xlsx_cell(cell) for cell in row])
    for number, result in enumerate(report.rounds, start=1):
        sheet = workbook.create_sheet(sheet_title(round_title(number, result), taken))
        sheet.append([xlsx_cell(safe_text(header)) for header in _headers(report, result)])
        for row in _rows(report, result):
            sheet.append([xlsx_cell(cell) for cell in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def workbook_cells(report: EventReport) -> int:
    """How many cells ``event_xlsx`` writes for ``report``, counted without writing it."""
    cells = sum(len(row) for row in _summary(report))
    for result in report.rounds:
        cells += (len(result.round.submitted) + 1) * len(_headers(report, result))
    return cells


async def event_xlsx_off_loop(report: EventReport) -> bytes:
    """``event_xlsx`` by the writer process (``write_off_loop``, whose errors it raises),
    within MAX_CELLS and TIME_LIMIT."""
    return await write_off_loop(
        partial(event_xlsx, report),
        time_limit=TIME_LIMIT,
        cells=workbook_cells(report),
        max_cells=MAX_CELLS,
    )


def round_csv(report: EventReport, round_id: int | None = None) -> bytes:
    """The responses of one round (``round_id``), or of every round with a round column
    first; UTF-8 with a byte-order mark, which spreadsheets need to read it as such."""
    chosen = [
        (number, result)
        for number, result in enumerate(report.rounds, start=1)
        if round_id is None or result.round.round_id == round_id
    ]
    if round_id is not None and not chosen:
        raise LookupError(f"no round {round_id} in this report")
    every = round_id is None
    headers: dict[str, None] = {"round": None, "survey": None} if every else {}
    tables = []
    for number, result in chosen:
        names = _headers(report, result)
        headers.update(dict.fromkeys(safe_text(name) for name in names))
        for row in _rows(report, result):
            cells = {safe_text(name): csv_cell(cell) for name, cell in zip(names, row, strict=True)}
            if every:
                cells |= {"round": str(number), "survey": safe_text(result.definition.id)}
            tables.append(cells)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(headers), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(tables)
    return out.getvalue().encode("utf-8-sig")
