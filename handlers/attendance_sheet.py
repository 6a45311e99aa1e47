"""The daftar hadir in words, in the reader's language: its title rows, headers, the
marks (✓ present, T late, – not their session) and the record of changes made by hand."""

from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date

from handlers.i18n import Translator
from handlers.timefmt import format_date, format_time, zone_label
from models.attendance.files import Cell, Printable
from models.attendance.register import Mark, Register
from models.attendance.store import ExportBy, MarkAction

MARKS = {Mark.PRESENT: "✓", Mark.LATE: "T", Mark.ABSENT: "", Mark.NOT_THEIRS: "–"}
_TITLE_IN_HEADER = 40


def _dates(register: Register, locale: str) -> str:
    first = format_date(register.starts_on, locale)
    if register.ends_on == register.starts_on:
        return first
    return f"{first} – {format_date(register.ends_on, locale)}"


def _columns(register: Register, t: Translator) -> list[str]:
    if register.by is ExportBy.DAY:
        return [babel_format_date(day, "EEE, d/M", locale=t.locale) for day in register.days]
    headings = []
    for slot in register.slots:
        when = babel_format_date(slot.day, "d/M", locale=t.locale)
        title = slot.title
        if len(title) > _TITLE_IN_HEADER:
            title = title[: _TITLE_IN_HEADER - 1].rstrip() + "…"
        group = f" ({slot.class_name})" if slot.class_name else ""
        headings.append(f"{when} {format_time(slot.starts_at, register.timezone)}\n{title}{group}")
    return headings


def printable(register: Register, t: Translator) -> Printable:
    title = [t("attendance.sheet_title"), register.event_name, _dates(register, t.locale)]
    if register.venue:
        title.append(register.venue)
    fixed = [t("attendance.col_number"), t("attendance.col_name"), t("attendance.col_library"),
             t("attendance.col_regency")]  # fmt: skip
    if register.has_classes:
        fixed.append(t("attendance.col_class"))
    header = [*fixed, *_columns(register, t), t("attendance.col_signature")]
    rows: list[tuple[Cell, ...]] = []
    for number, line in enumerate(register.lines, start=1):
        cells: list[Cell] = [number, line.name, line.library, line.regency]
        if register.has_classes:
            cells.append(line.class_name or "")
        cells += [MARKS[mark] for mark in line.marks]
        cells.append("")
        rows.append(tuple(cells))
    legend = "legend_day" if register.by is ExportBy.DAY else "legend_session"
    zone, local = zone_label(register.timezone), ZoneInfo(register.timezone)
    actions = {MarkAction.MARK: t("attendance.action_mark"),
               MarkAction.UNMARK: t("attendance.action_unmark")}  # fmt: skip
    changes = tuple(
        (
            f"{format_date(c.at.astimezone(local).date(), t.locale)} "
            f"{format_time(c.at, register.timezone)}",
            c.session, c.person, actions.get(MarkAction(c.action), c.action), c.reason,
            c.by or "–",
        )
        for c in register.changes
    )  # fmt: skip
    return Printable(
        sheet=t("attendance.sheet_name"),
        title=tuple(title),
        header=tuple(header),
        rows=tuple(rows),
        marks_from=len(fixed),
        marks=register.columns,
        legend=t(f"attendance.{legend}"),
        changes_sheet=t("attendance.changes_sheet"),
        changes_header=(
            t("attendance.col_when", zone=zone),
            t("attendance.col_session"),
            t("attendance.col_name"),
            t("attendance.col_action"),
            t("attendance.col_reason"),
            t("attendance.col_by"),
        ),
        changes=changes,
    )
