"""``bimtek survey results``: what an event's surveys add up to, for organisers: each
round's response rate and answers, the SKM index, the pre-/post-test N-gain; and the
files for the report (a workbook, a CSV)."""

import asyncio
from fractions import Fraction
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli_common import event_or_exit, in_session, write_file
from models.audit import CLI, ExportKind, record_export
from models.surveys.definition import QuestionDef, QuestionType
from models.surveys.exports import event_xlsx, round_csv
from models.surveys.report import ASKED_MEANS, EventReport, event_report
from models.surveys.results import (
    Band,
    Count,
    GainGroup,
    Index,
    RoundResult,
    Skm,
    Tally,
    TestComparison,
    round_half_up,
)

BAND_MEANS = {Band.A: "very good", Band.B: "good", Band.C: "fairly poor", Band.D: "poor"}


def _decimal(value: Fraction | None, places: int = 2) -> str:
    return "n/a" if value is None else str(round_half_up(value, places))


def _percent(value: Fraction | None) -> str:
    return "n/a" if value is None else f"{round_half_up(value * 100, 1)}%"


def _index(index: Index) -> str:
    return f"{index.value}, band {index.band.value} ({BAND_MEANS[index.band]})"


def _kind(question: QuestionDef) -> str:
    if question.type is QuestionType.SCALE:
        return f"scale 1-{question.scale}"
    return question.type.value.replace("_", "/")


def _point(count: Count) -> str:
    value = count.value
    shown = ("yes" if value else "no") if isinstance(value, bool) else str(value)
    return f"{shown}: {count.count}"


def _tally_lines(found: Tally) -> list[str]:
    question = found.question
    about = f" @ {found.subject}" if found.subject else ""
    lines = [f"  {question.id}{about} ({_kind(question)}): {question.text.get('en')}"]
    figures = [f"{found.answered} answered", *(_point(c) for c in found.counts)]
    if found.mean is not None:
        figures.append(f"mean {_decimal(found.mean)}")
    lines.append("     " + " · ".join(figures))
    for comment in found.comments:
        by = f" ({comment.by})" if comment.by else ""
        lines.append(f"     - “{comment.text}”{by}")
    return lines


def _skm_lines(skm: Skm) -> list[str]:
    lines = ["  SKM (PermenPANRB 14/2017):"]
    for element in skm.elements:
        asked_by = ", ".join(element.question_ids)
        lines.append(
            f"     {element.name.get('en')} ({asked_by}): NRR {_decimal(element.mean)}"
            f" from {element.answered} answer{'s' * (element.answered != 1)}"
        )
    if skm.index is None:
        lines.append("     index: n/a (no answers yet)")
    else:
        weight = skm.weight
        assert weight is not None
        lines.append(f"     index {_index(skm.index)}; each element weighs {weight}")
    return lines


def round_lines(number: int, result: RoundResult) -> list[str]:
    round_ = result.round
    definition = result.definition
    heading = f"Round {number}: {definition.title.get('en')} ({definition.purpose.value})"
    if round_.session_title:
        heading += f", session “{round_.session_title}”"
    lines = [
        heading,
        f"  Responses: {result.submitted} of {round_.asked} asked ({_percent(result.rate)})",
    ]
    for found in result.tallies:
        lines += _tally_lines(found)
    if result.skm is not None:
        lines += _skm_lines(result.skm)
    for speaker in result.speakers:
        lines.append(f"  Speaker {speaker.speaker}: index {_index(speaker.index)}")
    if result.scores:
        mean = sum((s.percent for s in result.scores), Fraction(0)) / len(result.scores)
        lines.append(f"  Scores: mean {_decimal(mean)} of 100 from {len(result.scores)} people")
    return lines


def _gain_line(label: str, group: GainGroup) -> str:
    category = group.category.value if group.category else "n/a"
    return (
        f"  {label[:30]:<30} {group.n:>6} {_decimal(group.mean_pre):>7} "
        f"{_decimal(group.mean_post):>7} {_decimal(group.mean_g):>7} {category:>9} {group.no_g:>9}"
    )


def test_lines(tests: TestComparison) -> list[str]:
    lines = [
        "Pre-test and post-test: scores 0-100, N-gain = (post - pre) / (100 - pre), mean of the"
        " people's gains; none for full marks in the pre-test",
        f"  {'group':<30} {'people':>6} {'pre':>7} {'post':>7} {'N-gain':>7} {'category':>9}"
        f" {'no N-gain':>9}",
        _gain_line("overall", tests.overall),
    ]
    for group in tests.by_class:
        lines.append(_gain_line(f"class {group.name or '(not given)'}", group))
    for group in tests.by_regency:
        lines.append(_gain_line(f"regency {group.name or '(not given)'}", group))
    lines.append(f"  Only the pre-test: {tests.only_pre} · only the post-test: {tests.only_post}")
    if tests.items:
        lines.append("  Right answers, pre-test → post-test:")
        lines += [
            f"     {item.question_id}: {item.right_before} → {item.right_after} of {item.n}"
            for item in tests.items
        ]
    return lines


def report_lines(report: EventReport) -> list[str]:
    event = report.event
    count = len(report.rounds)
    lines = [f"{event.name} ({event.code}): {count} survey round{'s' * (count != 1)}"]
    if count:
        lines.append(f"Note: {ASKED_MEANS}.")
    for number, result in enumerate(report.rounds, start=1):
        lines += ["", *round_lines(number, result)]
    if report.tests is not None:
        lines += ["", *test_lines(report.tests)]
    return lines


def results(
    code: Annotated[str, typer.Argument(help="the event's code")],
    survey: Annotated[
        str | None, typer.Option("--survey", help="only the rounds of the survey with this key")
    ] = None,
    xlsx: Annotated[
        Path | None, typer.Option("--xlsx", help="write a workbook here", dir_okay=False)
    ] = None,
    csv: Annotated[
        Path | None,
        typer.Option("--csv", help="write the responses here as CSV", dir_okay=False),
    ] = None,
    anonymous: Annotated[
        bool, typer.Option("--anonymous", help="no names or details of people, in files too")
    ] = False,
) -> None:
    """Print the survey results of the event with CODE: for each round its response rate,
    the answers to each question (counts, mean), the SKM index and band; then the
    pre-/post-test N-gain by class and regency. --xlsx and --csv write them as files too
    (the CSV has a round column when there is more than one round)."""

    async def go(session: AsyncSession) -> EventReport:
        event = await event_or_exit(session, code)
        assert event.id is not None
        report = await event_report(session, event.id, survey_key=survey, names=not anonymous)
        formats = [name for name, file in (("xlsx", xlsx), ("csv", csv)) if file is not None]
        record_export(
            session,
            CLI,
            event_id=event.id,
            what=ExportKind.SURVEY_RESULTS,
            rows=sum(r.submitted for r in report.rounds),
            named=not anonymous,
            formats=formats,
        )
        return report

    report = asyncio.run(in_session(go))
    if survey is not None and not report.rounds:
        typer.echo(f"no rounds of the survey {survey} in {report.event.code}", err=True)
        raise typer.Exit(2)
    typer.echo("\n".join(report_lines(report)))
    if xlsx is not None:
        write_file(xlsx, event_xlsx(report))
    if csv is not None:
        only = report.rounds[0].round.round_id if len(report.rounds) == 1 else None
        write_file(csv, round_csv(report, only))
