"""``/statistik``: an event's figures for its organisers, as text and a bar chart: who
registered (against the roster), by regency and library type, who is present today and at
each of today's sessions, how many answered each survey, and who the bot cannot reach."""

from collections.abc import Callable

from handlers.registry import Command, Feature
from handlers.staff import staff_event
from handlers.timefmt import format_date, format_time
from handlers.turn import Turn
from handlers.types import Attachment, Reply
from models import RoleName
from models.statistics import EventStatistics, SessionPresence, event_statistics, share
from models.surveys.charts import MAX_BARS, MAX_LABEL, ChartError, chart_png

# Lines of a breakdown shown before the rest is added up as one.
SHOWN = 8


async def show_statistics(turn: Turn) -> None:
    event = await staff_event(turn, RoleName.ORGANIZER)
    if event is None:
        return
    figures = await event_statistics(turn.session, event, turn.now)
    turn.replies.append(Reply(statistics_text(turn, event.name, event.timezone, figures)))
    chart = await _chart(turn, event.timezone, figures)
    if chart is not None:
        turn.replies.append(chart)


def statistics_text(turn: Turn, name: str, timezone: str, figures: EventStatistics) -> str:
    t = turn.t
    lines = [t("statistics.title", event=name)]
    roster = figures.roster
    if roster is None:
        lines.append(t("statistics.registered", registered=figures.registered))
    else:
        lines.append(
            t(
                "statistics.registered_of_roster",
                registered=roster.registered,
                roster=roster.total,
                percent=share(roster.registered, roster.total),
                known=roster.known,
                unknown=roster.unknown,
                others=max(figures.registered - roster.registered, 0),
            )
        )
    lines.append("")
    lines.append(t("statistics.by_regency"))
    lines += _breakdown(turn, figures.by_regency, figures.registered, lambda v: v)
    lines.append(t("statistics.by_library_type"))
    lines += _breakdown(
        turn, figures.by_library_type, figures.registered, lambda v: t(f"library_type.{v}")
    )
    lines.append("")
    day = format_date(figures.day, turn.locale)
    if figures.sessions_today:
        lines.append(
            t(
                "statistics.present_today",
                date=day,
                present=figures.present_today,
                registered=figures.registered,
                percent=share(figures.present_today, figures.registered),
            )
        )
        for item in figures.sessions_today:
            lines.append(
                t(
                    "statistics.session_line",
                    time=format_time(item.starts_at, timezone),
                    title=_titled(item),
                    present=item.present,
                    expected=item.expected,
                    late=item.late,
                )
            )
    else:
        lines.append(t("statistics.no_sessions_today", date=day))
    lines.append("")
    if figures.surveys:
        lines.append(t("statistics.surveys"))
        for rate in figures.surveys:
            lines.append(
                t(
                    "statistics.survey_line",
                    title=rate.session_title or rate.survey.title_in(turn.locale),
                    submitted=rate.submitted,
                    asked=rate.asked,
                    percent=share(rate.submitted, rate.asked),
                )
            )
    else:
        lines.append(t("statistics.no_surveys"))
    lines.append(t("statistics.unreachable", unreachable=figures.unreachable))
    if figures.held:
        lines.append(t("statistics.held", held=figures.held))
    return "\n".join(lines)


def _breakdown(
    turn: Turn, pairs: tuple[tuple[str, int], ...], whole: int, name: Callable[[str], str]
) -> list[str]:
    t = turn.t
    if not pairs:
        return [t("statistics.nobody")]
    shown = pairs if len(pairs) <= SHOWN else pairs[: SHOWN - 1]
    lines = [
        t(
            "statistics.part_line",
            name=name(value) if value else t("statistics.not_given"),
            count=count,
            percent=share(count, whole),
        )
        for value, count in shown
    ]
    rest = pairs[len(shown) :]
    if rest:
        count = sum(number for _, number in rest)
        lines.append(
            t(
                "statistics.part_line",
                name=t("statistics.others", places=len(rest)),
                count=count,
                percent=share(count, whole),
            )
        )
    return lines


def _titled(item: SessionPresence) -> str:
    """A class's session names its class: parallel sessions often share a title."""
    return item.title if item.class_name is None else f"{item.class_name} · {item.title}"


async def _chart(turn: Turn, timezone: str, figures: EventStatistics) -> Reply | None:
    """Today's sessions by who was present, or, on a day without sessions, the
    registered by regency."""
    t = turn.t
    if figures.sessions_today:
        title = t("statistics.chart_today", date=format_date(figures.day, turn.locale))
        items = figures.sessions_today[:MAX_BARS]
        labels = [f"{format_time(i.starts_at, timezone)} {_titled(i)}" for i in items]
        counts = [i.present for i in items]
    elif figures.by_regency:
        title = t("statistics.chart_regency")
        items_r = figures.by_regency[:MAX_BARS]
        labels = [value or t("statistics.not_given") for value, _ in items_r]
        counts = [count for _, count in items_r]
    else:
        return None
    labels = [
        label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…" for label in labels
    ]
    try:
        png = await chart_png(title, labels, counts)
    except ChartError:
        return None  # the figures above say it all the same
    return Reply(title, attachment=Attachment("statistik.png", "image/png", png, len(png)))


FEATURE = Feature(
    commands=(
        Command(
            "statistics",
            {"id": "statistik", "en": "statistics"},
            show_statistics,
            order=74,
            needs=RoleName.ORGANIZER,
        ),
    ),
)
