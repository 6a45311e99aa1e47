"""The roster in words, for the chat and the command line alike: what an import would do,
where the roster stands, who has not registered, and the participants export's table."""

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from handlers.agenda_texts import problems_text
from handlers.i18n import Translator
from handlers.timefmt import zone_label
from models import Event
from models.roster.apply import RosterReport
from models.roster.export import Participant
from models.roster.status import Reach, RosterLine
from models.spreadsheet.problems import Problem
from models.spreadsheet.writing import Cell, safe_text

# People listed in one chat message; the rest are counted (the export has everyone).
LISTED = 40


def roster_problems_text(t: Translator, problems: Sequence[Problem], *, limit: int | None) -> str:
    return problems_text(t, problems, limit=limit, heading="roster_import.problems.heading")


def _classes_text(t: Translator, report: RosterReport) -> str:
    named = sorted((name, n) for name, n in report.classes.items() if name is not None)
    parts = [f"{name}: {count}" for name, count in named]
    if report.classes.get(None):
        parts.append(f"{t('roster.preview.no_class')}: {report.classes[None]}")
    return ", ".join(parts)


def report_text(t: Translator, event: Event, filename: str, report: RosterReport) -> str:
    """What the file holds and what importing it does, for the organiser to confirm."""
    lines = [
        t("roster.preview.title", event=event.name, file=filename),
        t("roster.preview.count", count=report.count),
    ]
    if any(name is not None for name in report.classes):
        lines.append(t("roster.preview.classes", classes=_classes_text(t, report)))
    if report.new_classes:
        lines.append(t("roster.preview.new_classes", classes=", ".join(report.new_classes)))
    lines.append(t("roster.preview.registered", count=report.registered))
    if report.moved:
        lines.append(t("roster.preview.moved", count=report.moved))
    if report.had_roster:
        lines.append(
            t(
                "roster.preview.changes",
                added=report.added,
                changed=report.changed,
                removed=report.removed,
            )
        )
    if report.ignored:
        named = ", ".join(f"“{header}”" for header in report.ignored)
        lines.append(t("roster.preview.ignored", columns=named))
    if report.same_names:
        lines += ["", t("roster.preview.same_names")]
        for name, rows in report.same_names:
            joined = ", ".join(str(row) for row in rows)
            lines.append(t("roster.preview.same_name_line", name=name, rows=joined))
    return "\n".join(lines)


def reach_text(t: Translator, event: Event, reach: Reach, enrolled: int) -> str:
    """Where the roster stands, and how many registered without being on it."""
    if not reach.total:
        return t("roster.overview_empty", event=event.name, registered=enrolled)
    return t(
        "roster.overview",
        event=event.name,
        total=reach.total,
        registered=reach.registered,
        missing=reach.known + reach.unknown,
        known=reach.known,
        unknown=reach.unknown,
        outside=enrolled - reach.registered,
    )


def missing_line(t: Translator, line: RosterLine) -> str:
    entry = line.entry
    parts = [entry.full_name, entry.phone_e164]
    parts += [part for part in (entry.library_name, entry.regency) if part]
    if entry.class_name:
        parts.append(t("agenda_import.class_label", name=entry.class_name))
    parts.append(t("roster.known" if line.known else "roster.unknown"))
    return "• " + " · ".join(parts)


def missing_text(
    t: Translator, event: Event, lines: Sequence[RosterLine], *, limit: int | None = LISTED
) -> str:
    """The roster's people who have not registered (``limit`` of them, the rest counted),
    each saying whether the bot can remind them."""
    missing = [line for line in lines if not line.registered]
    if not lines:
        return t("roster.none", event=event.name)
    if not missing:
        return t("roster.missing_none", event=event.name, total=len(lines))
    shown = missing if limit is None else missing[:limit]
    text = [t("roster.missing_title", event=event.name, count=len(missing), total=len(lines))]
    text += [missing_line(t, line) for line in shown]
    if len(missing) > len(shown):
        text.append(t("roster.missing_more", count=len(missing) - len(shown)))
    return "\n".join(text)


COLUMNS = (
    "number", "name", "phone", "library", "library_type", "regency", "province", "role",
    "class", "registered_at", "on_roster", "status",
)  # fmt: skip


def export_table(
    t: Translator, event: Event, people: Sequence[Participant]
) -> tuple[list[str], list[list[Cell]]]:
    """The participants export as headers and rows, in ``t``'s language; times in the
    event's zone (named in the header), as the organisers read them."""
    zone = ZoneInfo(event.timezone)
    headers = [
        t(f"roster.col.{name}", zone=zone_label(event.timezone)) if name == "registered_at"
        else t(f"roster.col.{name}")
        for name in COLUMNS
    ]  # fmt: skip

    def text(value: str | None) -> str | None:
        return safe_text(value) if value else None

    rows: list[list[Cell]] = []
    for number, person in enumerate(people, start=1):
        kind = person.library_type
        moment = person.registered_at
        rows.append(
            [
                number,
                text(person.full_name),
                person.phone_e164,  # ours, in E.164: never a formula in a workbook
                text(person.library_name),
                t(f"library_type.{kind}") if kind else None,
                text(person.regency),
                text(person.province),
                text(person.library_role),
                text(person.class_name),
                moment.astimezone(zone).replace(tzinfo=None) if moment is not None else None,
                t("roster.yes") if person.on_roster else t("roster.no"),
                t("roster.status.registered" if moment else "roster.status.not_registered"),
            ]
        )
    return headers, rows


def unknown_note(t: Translator, reach: Reach) -> str | None:
    """For an announcement to those not registered: how many on the roster it cannot
    reach, the bot not knowing them yet."""
    return t("roster.audience_unknown", count=reach.unknown) if reach.unknown else None
