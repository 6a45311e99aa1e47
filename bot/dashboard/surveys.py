"""An event's surveys: its rounds (open, waiting or closed; answered against asked, the
figures of /hasil and /statistik), the pre-/post-test N-gain by class and regency, and a
round's results: each question's answers with a chart, the SKM index and its band, the
speakers' indexes, the test scores and the comments.

Every figure comes from ``models.surveys.report.event_report`` (which adds up the answers
in ``models.surveys.results``); nothing here counts. The pages show what /hasil shows an
organiser: no one's name, comments unattributed. The files are the chat's and the
command line's: the /hasil workbook (``models.surveys.exports``, names included, as the
chat sends it to organisers) and the CSV of ``bimtek survey results --csv``, both written
by the writer process. Charts are drawn by ``models.surveys.charts`` in its worker
process, each served from an address of ids only. Quick feedback (/umpanbalik) for a
session on today is started by ``handlers.quick_rounds``, as the chat starts it."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from functools import partial

import structlog
from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.dashboard.core import PREFIX, CheckedForm, EventPage, OfEvent, PageError
from bot.dashboard.files import CSV_MEDIA, XLSX_MEDIA, download, export_refusals
from handlers.i18n import Translator
from handlers.quick_rounds import NotStarted, feedback_sessions, start_quick_feedback
from handlers.results_texts import number
from handlers.validation import row_id
from models.audit import Actor, ExportKind, record_export
from models.surveys import charts
from models.surveys.definition import QuestionType
from models.surveys.exports import (
    MAX_CELLS,
    TIME_LIMIT,
    event_xlsx_off_loop,
    round_csv,
    workbook_cells,
)
from models.surveys.report import EventReport, event_report
from models.surveys.results import GainGroup, RoundResult, Tally, round_half_up
from models.surveys.store import SurveyRound, rounds_of_event
from models.writer import write_off_loop

log = structlog.get_logger(__name__)
router = APIRouter()

LIST = PREFIX + "/acara/{event_id}/survei"
ROUND = LIST + "/{round_id}"
CHART = ROUND + "/grafik/{chart}"
QUICK = LIST + "/umpan-balik"
CHART_TITLE = 120  # characters of a chart's title, as /hasil draws it
EVERY_ROUND = 0  # a CSV of every round (round ids start at 1)


@dataclass(frozen=True)
class RoundRow:
    """A round as the list shows it: its results and whether it is open now."""

    result: RoundResult
    status: str  # "open", "waiting" (not yet open) or "closed"
    opens_at: datetime
    closes_at: datetime | None


def status_of(round_: SurveyRound, now: datetime) -> str:
    if round_.is_open(now):
        return "open"
    return "waiting" if now < round_.opens_at else "closed"


def title_of(result: RoundResult, locale: str) -> str:
    """What /hasil calls a round: its session, else its survey."""
    return result.round.session_title or result.definition.title_in(locale)


def charted(tally: Tally) -> bool:
    """Whether a question's answers make a chart: a point or option counted, answered,
    within the chart's bars."""
    return bool(tally.counts) and tally.answered > 0 and len(tally.counts) <= charts.MAX_BARS


def chart_labels(tally: Tally, t: Translator) -> list[str]:
    """A bar's label: the scale point (as /hasil draws it), yes or no, the option's text."""
    texts = {o.value: o.text.get(t.locale) for o in tally.question.options or ()}
    labels = []
    for count in tally.counts:
        value = count.value
        if isinstance(value, bool):
            label = t("question.yes" if value else "question.no")
        else:
            label = texts.get(str(value), str(value))
        labels.append(label[: charts.MAX_LABEL])
    return labels


def tally_title(tally: Tally, locale: str) -> str:
    title = tally.question.text.get(locale)
    return f"{title} — {tally.subject}" if tally.subject else title


class Formats:
    """Numbers as the reader's language writes them ("88,31" in Indonesian)."""

    def __init__(self, locale: str) -> None:
        self.locale = locale

    def decimal(self, value: Fraction | Decimal | None, places: int = 2) -> str:
        """Rounded half up first, as the workbook and the command line round (0.425 is
        0.43, which formatting the nearest float would make 0.42)."""
        if value is None:
            return "–"
        exact = Fraction(value) if isinstance(value, Decimal) else value
        return number(round_half_up(exact, places), self.locale, places)

    def percent(self, value: Fraction | None) -> str:
        return "–" if value is None else self.decimal(value * 100, 0) + "%"


async def _report(page: EventPage, *, round_id: int | None = None, names: bool) -> EventReport:
    return await event_report(page.session, page.event_id, round_id=round_id, names=names)


async def _round(page: EventPage, round_id: int) -> RoundResult:
    """The round's results as /hasil shows them to an organiser (nobody named); a round
    of another event, or none, is not found."""
    report = await _report(page, round_id=round_id, names=False)
    if not report.rounds:
        raise PageError(404, "no_round")
    return report.rounds[0]


@router.get(LIST, response_class=HTMLResponse)
async def survey_list(page: OfEvent) -> HTMLResponse:
    now = page.viewer.dashboard.config.clock()
    report = await _report(page, names=False)
    stored = {r.id: r for r in await rounds_of_event(page.session, page.event_id)}
    rows = []
    for result in report.rounds:
        round_ = stored[result.round.round_id]
        rows.append(RoundRow(result, status_of(round_, now), round_.opens_at, round_.closes_at))
    tests = report.tests
    groups: Sequence[tuple[str, GainGroup]] = ()
    if tests is not None:
        groups = [
            ("overall", tests.overall),
            *(("class", g) for g in tests.by_class),
            *(("regency", g) for g in tests.by_regency),
        ]
    return page.render(
        "surveys.html",
        quick=await feedback_sessions(page.session, page.event, now),
        rows=rows,
        tests=tests,
        groups=groups,
        title_of=title_of,
        f=Formats(page.t.locale),
        now=now,
    )


@router.get(ROUND, response_class=HTMLResponse)
async def survey_round(page: OfEvent, round_id: int, dikirim: int | None = None) -> HTMLResponse:
    """A round's results; ``dikirim``: how many were just asked (quick feedback)."""
    result = await _round(page, round_id)
    scores = result.scores
    mean_score = sum((s.percent for s in scores), Fraction(0)) / len(scores) if scores else None
    return page.render(
        "survey_round.html",
        result=result,
        title=title_of(result, page.t.locale),
        tally_title=tally_title,
        charted=charted,
        text_kind=QuestionType.TEXT,
        labels=lambda tally: chart_labels(tally, page.t),
        mean_score=mean_score,
        f=Formats(page.t.locale),
        sent=dikirim,
    )


@router.post(QUICK)
async def quick_feedback(page: OfEvent, form: CheckedForm) -> Response:
    """/umpanbalik from the dashboard: the feedback of one of today's sessions that have
    begun, opened now and asked of its participants (each prompt an outbox row)."""
    now = page.viewer.dashboard.config.clock()
    event_id = page.event_id  # read before the commit expires the event
    wanted = form.get("sesi")
    number = row_id(wanted) if isinstance(wanted, str) else None  # as the chat's button
    sessions = await feedback_sessions(page.session, page.event, now)
    item = next((s for s in sessions if number is not None and s.id == number), None)
    if item is None:
        raise PageError(404, "no_session_now")
    started = await start_quick_feedback(page.session, page.event, item, now, page.viewer.person_id)
    if isinstance(started, NotStarted):
        raise PageError(409, f"quick_{started.value}")
    round_id, sent = started.round.id, started.sent
    await page.session.commit()
    log.info("dashboard_quick_feedback", event_id=event_id, round_id=round_id, sent=sent)
    target = f"{PREFIX}/acara/{event_id}/survei/{round_id}?dikirim={sent}"
    return RedirectResponse(target, status_code=303)


@router.get(CHART)
async def survey_chart(page: OfEvent, round_id: int, chart: int) -> Response:
    """The bar chart of the round's ``chart``-th question (in the page's order), drawn by
    the chart worker as /hasil draws it."""
    result = await _round(page, round_id)
    await page.session.rollback()  # read only: no transaction waits on the drawing
    tally = result.tallies[chart] if 0 <= chart < len(result.tallies) else None
    if tally is None or not tally.counts or len(tally.counts) > charts.MAX_BARS:
        raise PageError(404, "no_chart")  # a free answer, or more bars than a chart has
    title = tally_title(tally, page.t.locale)[:CHART_TITLE]
    try:
        png = await charts.chart_png(
            title, chart_labels(tally, page.t), [c.count for c in tally.counts]
        )
    except charts.ChartError:
        raise PageError(503, "chart_failed") from None
    return Response(png, media_type="image/png")


async def _written(page: EventPage, report: EventReport, csv_round: int | None = None) -> bytes:
    """The report's workbook, or with ``csv_round`` its CSV (EVERY_ROUND, or one round's),
    by the writer process within the chat's budget, after the request's transaction ends
    (on SQLite it would hold the write lock while the file is written). The export is in
    the audit log, as the chat's and the command line's are."""
    record_export(
        page.session,
        Actor.person(page.viewer.person_id),
        event_id=page.event_id,
        what=ExportKind.SURVEY_RESULTS,
        rows=sum(r.submitted for r in report.rounds),
        formats=["xlsx" if csv_round is None else "csv"],
    )
    await page.session.commit()
    with export_refusals(too_large="results_too_large"):
        if csv_round is None:
            return await event_xlsx_off_loop(report)
        return await write_off_loop(
            partial(round_csv, report, csv_round or None),
            time_limit=TIME_LIMIT,
            cells=workbook_cells(report),  # a CSV holds the workbook's cells, no more
            max_cells=MAX_CELLS,
        )


@router.get(LIST + ".xlsx")
async def export_xlsx(page: OfEvent) -> Response:
    """The /hasil workbook: a summary, then a sheet per round with everyone's answers."""
    filename = f"hasil-survei-{page.event.code}.xlsx"
    report = await _report(page, names=True)
    return download(await _written(page, report), XLSX_MEDIA, filename)


@router.get(LIST + ".csv")
async def export_csv(page: OfEvent) -> Response:
    """Every round's responses with a round column, as ``bimtek survey results --csv``."""
    filename = f"hasil-survei-{page.event.code}.csv"
    report = await _report(page, names=True)
    return download(await _written(page, report, EVERY_ROUND), CSV_MEDIA, filename)


@router.get(ROUND + "/jawaban.csv")
async def export_round_csv(page: OfEvent, round_id: int) -> Response:
    """One round's responses, as the command line writes a survey of one round."""
    filename = f"hasil-survei-{page.event.code}-{round_id}.csv"
    report = await _report(page, round_id=round_id, names=True)
    if not report.rounds:
        raise PageError(404, "no_round")
    return download(await _written(page, report, round_id), CSV_MEDIA, filename)
