"""``/hasil``: survey results in the chat. Trainers see their own sessions only, without
names; organisers see every round of the event and may download the whole as XLSX (the
only place participants' details appear), written by the writer process within a cell
budget and a time limit. A round shows its figures as text and a bar chart (PNG) for each
scale question answered."""

from handlers.live_results import result_for
from handlers.menu import MENU_LIMIT
from handlers.registry import Command, Feature
from handlers.results_texts import round_text
from handlers.roles import may
from handlers.staff import refuse, staff_event
from handlers.turn import PAYLOAD_SEPARATOR, Option, Turn
from handlers.types import Attachment, Reply
from handlers.validation import row_id
from handlers.written_files import send_written_file
from models import Event, RoleName
from models.audit import Actor, ExportKind, record_export
from models.surveys.charts import ChartError, chart_png
from models.surveys.definition import QuestionType
from models.surveys.exports import event_xlsx_off_loop
from models.surveys.report import event_report, trainer_report
from models.surveys.results import RoundResult
from models.surveys.store import SurveyRound

RESULTS = "hasil"  # "hasil|r12": round 12; "hasil|xlsx:3": event 3 as a workbook
MAX_CHARTS = 6


def payload(value: str) -> str:
    return f"{RESULTS}{PAYLOAD_SEPARATOR}{value}"


async def show_results(turn: Turn) -> None:
    event = await staff_event(turn, RoleName.TRAINER)
    if event is None or event.id is None:
        return
    organiser = await may(turn, event, RoleName.ORGANIZER)
    if organiser:
        report = await event_report(turn.session, event.id, names=False)
    else:
        report = await trainer_report(turn.session, turn.person_id, event.id)
    t = turn.t
    rounds = [r for r in report.rounds if r.submitted]
    if not rounds:
        turn.say("results.none", event=event.name)
        return
    lines = [t("results.list_title", event=event.name)]
    options = []
    for result in rounds[-MENU_LIMIT:]:
        name = label(result, turn.locale)
        lines.append(t("results.list_line", title=name, done=result.submitted))
        options.append(Option(payload(f"r{result.round.round_id}"), name))
    if organiser:
        options.append(Option(payload(f"xlsx:{event.id}"), t("results.download")))
    turn.offer("\n".join(lines), options)


def label(result: RoundResult, locale: str) -> str:
    round_ = result.round
    return round_.session_title or round_.definition.title_in(locale)


async def results_button(turn: Turn, value: str) -> bool:
    if value.startswith("xlsx:"):
        return await _download(turn, row_id(value[5:]))
    number = row_id(value[1:]) if value.startswith("r") else None
    round_ = await turn.session.get(SurveyRound, number) if number is not None else None
    if round_ is None or round_.id is None:
        return False
    event = await turn.session.get(Event, round_.event_id)
    if not await may(turn, event, RoleName.TRAINER):
        await refuse(turn, RoleName.TRAINER, event)
        return True
    organiser = await may(turn, event, RoleName.ORGANIZER)
    result = await result_for(turn.session, turn.person_id, round_, organiser=organiser)
    if result is None:  # a trainer asking about a session that is not theirs
        await refuse(turn, RoleName.ORGANIZER, event)
        return True
    turn.replies.append(Reply(round_text(result, turn.t)))
    for tally in result.tallies:
        if len(turn.replies) > MAX_CHARTS:
            break
        if tally.question.type is not QuestionType.SCALE or not tally.answered:
            continue
        title = tally.question.text.get(turn.locale)
        if tally.subject:
            title += f" — {tally.subject}"
        try:
            png = await chart_png(
                title[:120], [str(c.value) for c in tally.counts], [c.count for c in tally.counts]
            )
        except ChartError:
            continue  # the figures above say it all the same
        chart = Attachment("hasil.png", "image/png", png, len(png))
        turn.replies.append(Reply(title, attachment=chart))
    return True


async def _download(turn: Turn, event_id: int | None) -> bool:
    event = await turn.session.get(Event, event_id) if event_id is not None else None
    if event is None or event.id is None:
        return False
    if not await may(turn, event, RoleName.ORGANIZER):
        await refuse(turn, RoleName.ORGANIZER, event)
        return True
    report = await event_report(turn.session, event.id, names=True)
    record_export(
        turn.session,
        Actor.person(turn.person_id),
        event_id=event.id,
        what=ExportKind.SURVEY_RESULTS,
        rows=sum(r.submitted for r in report.rounds),
        formats=["xlsx"],
        at=turn.now,
    )
    t = turn.t
    send_written_file(
        turn,
        lambda: event_xlsx_off_loop(report),
        filename=f"hasil-survei-{event.code}.xlsx",
        caption=t("results.workbook", event=event.name),
        too_large=t("results.too_large", code=event.code),
        failed=t("results.not_written"),
    )
    return True


FEATURE = Feature(
    commands=(
        Command(
            "results",
            {"id": "hasil", "en": "results"},
            show_results,
            order=73,
            button=True,
            needs=RoleName.TRAINER,
        ),
    ),
    buttons={RESULTS: results_button},
)
