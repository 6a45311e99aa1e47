"""``bimtek roster`` and ``bimtek participants``: an event's roster from the command line,
as organisers load it in the chat (``/peserta_impor``), who on it has not registered, and
the participants export for the report."""

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli_common import Lang, event_or_exit, in_session, translator, write_file, write_template
from handlers.i18n import Translator
from handlers.roster_texts import (
    export_table,
    missing_text,
    reach_text,
    report_text,
    roster_problems_text,
)
from models import Event
from models.audit import CLI, ExportKind, record_export
from models.roster.apply import RosterReport, import_roster_file
from models.roster.columns import RosterFileError, template_csv, template_xlsx
from models.roster.export import Participant, participants
from models.roster.status import Reach, RosterLine, roster_lines
from models.spreadsheet.limits import MAX_FILE_BYTES
from models.spreadsheet.writing import table_csv, table_xlsx

roster_app = typer.Typer(
    help="An event's roster (expected participants): import, list, template.",
    no_args_is_help=True,
)


@roster_app.command("import")
def roster_import(
    code: Annotated[str, typer.Argument(help="the event's code")],
    file: Annotated[
        Path, typer.Argument(help="the roster, .xlsx or .csv", exists=True, dir_okay=False)
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="only show what the file holds and would change")
    ] = False,
    lang: Lang = "id",
) -> None:
    """Load the event's roster from FILE, one row per expected participant: Name and
    Phone (required), Library, Library type, Regency, Class; other columns are left out.
    Importing again replaces the roster, keeping people who registered linked (by phone).
    Nothing is saved if any row has a problem (exit code 2)."""
    t = translator(lang)
    with file.open("rb") as f:
        content = f.read(MAX_FILE_BYTES + 1)  # enough to know it is too big

    async def go(session: AsyncSession) -> tuple[Event, RosterReport]:
        event = await event_or_exit(session, code)
        report = await import_roster_file(
            session, event, file.name, content, apply=not dry_run, actor=CLI
        )
        return event, report

    try:
        event, report = asyncio.run(in_session(go))
    except RosterFileError as exc:
        typer.echo(roster_problems_text(t, exc.problems, limit=None), err=True)
        raise typer.Exit(2) from None
    typer.echo(report_text(t, event, file.name, report))
    if dry_run:
        typer.echo(t("agenda_import.cli.dry_run"))
    else:
        typer.echo(t("roster.saved", event=event.name, count=report.count))


def _status(t: Translator, line: RosterLine) -> str:
    if line.registered:
        return t("roster.status.registered")
    return t("roster.known" if line.known else "roster.unknown")


@roster_app.command("list")
def roster_list(
    code: Annotated[str, typer.Argument(help="the event's code")],
    missing: Annotated[
        bool, typer.Option("--missing", help="only the people who have not registered")
    ] = False,
    lang: Lang = "id",
) -> None:
    """The event's roster, one row a line: file row, name, phone, library, regency,
    class, and where they stand: registered, known (not registered; the bot can remind
    them), unknown (not registered; the bot has never heard of their number). With
    --missing: who has not registered, as the chat lists them."""
    t = translator(lang)

    async def go(session: AsyncSession) -> tuple[Event, list[RosterLine], int]:
        event = await event_or_exit(session, code)
        assert event.id is not None
        people = await participants(session, event.id)
        enrolled = sum(1 for person in people if person.registered_at is not None)
        lines = await roster_lines(session, event.id)
        record_export(session, CLI, event_id=event.id, what=ExportKind.ROSTER, rows=len(lines))
        return event, lines, enrolled

    event, lines, enrolled = asyncio.run(in_session(go))
    if missing:
        typer.echo(missing_text(t, event, lines, limit=None))
        return
    for line in lines:
        entry = line.entry
        cells = [
            str(entry.line),
            entry.full_name,
            entry.phone_e164,
            entry.library_name or "-",
            entry.regency or "-",
            entry.class_name or "-",
            _status(t, line),
        ]
        typer.echo("\t".join(cells))
    typer.echo(reach_text(t, event, Reach.of(lines), enrolled))


@roster_app.command("template")
def roster_template(
    path: Annotated[Path, typer.Argument(help="where to write it; .xlsx for Excel, else CSV")],
) -> None:
    """Write a roster template: Excel when PATH ends in .xlsx, otherwise CSV separated by
    ';' (what Excel set to Indonesian opens directly)."""
    write_template(path, template_xlsx, template_csv)


def participants_command(
    code: Annotated[str, typer.Argument(help="the event's code")],
    xlsx: Annotated[
        Path | None, typer.Option("--xlsx", help="write a workbook here", dir_okay=False)
    ] = None,
    csv: Annotated[
        Path | None, typer.Option("--csv", help="write a CSV file here", dir_okay=False)
    ] = None,
    lang: Lang = "id",
) -> None:
    """The participants of the event with CODE for the report: one row a registered
    participant (name, phone, library, its kind, regency, province, role, class, when
    they registered in the event's zone, on the roster or not), then the roster's people
    who have not registered, marked so. Prints the counts; --xlsx and --csv write the
    files (headers in --lang)."""
    t = translator(lang)

    async def go(session: AsyncSession) -> tuple[Event, list[Participant]]:
        event = await event_or_exit(session, code)
        assert event.id is not None
        people = await participants(session, event.id)
        formats = [name for name, file in (("xlsx", xlsx), ("csv", csv)) if file is not None]
        record_export(
            session,
            CLI,
            event_id=event.id,
            what=ExportKind.PARTICIPANTS,
            rows=len(people),
            formats=formats,
        )
        return event, people

    event, people = asyncio.run(in_session(go))
    headers, rows = export_table(t, event, people)
    registered = sum(1 for person in people if person.registered_at is not None)
    missing = len(people) - registered
    typer.echo(t("roster.export_caption", event=event.name, registered=registered, missing=missing))
    if xlsx is not None:
        write_file(xlsx, table_xlsx(t("roster.sheet_title"), headers, rows))
    if csv is not None:
        write_file(csv, table_csv(headers, rows))
