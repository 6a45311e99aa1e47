"""The agenda import in words: problems, what an import changed, the stored agenda."""

from collections.abc import Sequence
from datetime import date, datetime, time

from handlers.i18n import Translator
from handlers.timefmt import format_date, format_time, zone_label
from models import AgendaSession, Event
from models.agenda_import import ImportReport, Problem


def _shown(t: Translator, value: object) -> str:
    if isinstance(value, datetime):
        return value.strftime("%H.%M")
    if isinstance(value, date):
        return format_date(value, t.locale)
    if isinstance(value, time):
        return value.strftime("%H.%M")
    return str(value)


def problem_text(t: Translator, problem: Problem) -> str:
    text = t(problem.key, **{k: _shown(t, v) for k, v in problem.values.items()})
    return t("agenda_import.problems.row", row=problem.row, text=text) if problem.row else text


def problems_text(
    t: Translator,
    problems: Sequence[Problem],
    *,
    limit: int | None = 25,
    heading: str = "agenda_import.problems.heading",
) -> str:
    """The problems, one a line, after a heading saying nothing was saved. ``limit`` keeps
    a chat message within what Telegram and WhatsApp take (the rest are counted); None
    lists every one."""
    shown = problems if limit is None else problems[:limit]
    lines = [t(heading, count=len(problems))]
    lines += [f"• {problem_text(t, p)}" for p in shown]
    if len(problems) > len(shown):
        lines.append(t("agenda_import.problems.more", count=len(problems) - len(shown)))
    return "\n".join(lines)


def session_line(t: Translator, event: Event, item: AgendaSession, *, with_day: bool = True) -> str:
    """ "Rabu, 13 November 2024 · 08.30–10.00 WITA · Strategi … · Kelas A · Ruang Mahakam"."""
    zone = event.timezone
    when = (
        f"{format_time(item.starts_at, zone)}–{format_time(item.ends_at, zone)} {zone_label(zone)}"
    )
    parts = [format_date(item.day, t.locale), when] if with_day else [when]
    parts.append(item.title)
    if item.speakers:
        parts.append(item.speakers)
    if item.class_name is not None:
        parts.append(t("agenda_import.class_label", name=item.class_name))
    if item.room:
        parts.append(item.room)
    return " · ".join(parts)


def report_text(t: Translator, event: Event, report: ImportReport, *, applied: bool = True) -> str:
    """What the import did (or, not ``applied``, would do), naming the changed and
    removed sessions."""
    total = len(report.added) + len(report.changed) + report.unchanged
    if not report.has_changes:
        return t("agenda_import.report.no_changes", event=event.name, count=total)
    lines = [
        t(
            "agenda_import.report.summary" if applied else "agenda_import.report.preview",
            event=event.name,
            added=len(report.added),
            changed=len(report.changed),
            removed=len(report.removed),
            unchanged=report.unchanged,
            count=total,
        )
    ]
    if report.changed:
        lines += ["", t("agenda_import.report.changed_heading")]
        for item, fields in report.changed:
            names = ", ".join(t(f"agenda_import.field.{f}") for f in fields)
            lines.append(
                t(
                    "agenda_import.report.changed_line",
                    session=session_line(t, event, item),
                    fields=names,
                )
            )
    if report.removed:
        lines += ["", t("agenda_import.report.removed_heading")]
        lines += [_removed_line(t, event, report, item) for item in report.removed]
    restored = [item for item in report.added if item.id in report.restored]
    if restored:
        lines += ["", t("agenda_import.report.restored_heading")]
        lines += [f"• {session_line(t, event, item)}" for item in restored]
    return "\n".join(lines)


def _removed_line(t: Translator, event: Event, report: ImportReport, item: AgendaSession) -> str:
    """A removed session; one kept archived says why ("it has feedback")."""
    line = session_line(t, event, item)
    reasons = report.archived.get(item.id) if item.id is not None else None
    if not reasons:
        return f"• {line}"
    why = ", ".join(t(f"agenda_import.in_use.{reason}") for reason in reasons)
    return t("agenda_import.report.archived_line", session=line, why=why)


def agenda_text(t: Translator, event: Event, sessions: Sequence[AgendaSession]) -> str:
    """The whole agenda, day by day, in the event's zone."""
    if not sessions:
        return t("agenda_import.show.empty", event=event.name)
    lines = [
        t(
            "agenda_import.show.heading",
            event=event.name,
            zone=zone_label(event.timezone),
            count=len(sessions),
        )
    ]
    day: date | None = None
    for item in sessions:
        if item.day != day:
            day = item.day
            lines += ["", format_date(day, t.locale)]
        lines.append(f"  {session_line(t, event, item, with_day=False)}")
    return "\n".join(lines)
