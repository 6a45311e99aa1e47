"""``bimtek event reminders``, and the schedule-change message ``bimtek agenda import``
offers to send when today's sessions changed."""

import asyncio
from dataclasses import dataclass
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot import cli_common
from bot.cli_common import Lang, event_or_exit, in_session, translator
from handlers.event_choice import local_today
from handlers.i18n import Translator
from handlers.notice_texts import counts_line, settings_lines
from handlers.notices import concerned_people, send_change_notices
from models import Event
from models.agenda_import import ImportReport, ScheduleChange, changes_on
from models.audit import CLI
from models.notifications import event_counts
from models.reminders import (
    ReminderSettingError,
    parse_clock,
    parse_offsets,
    reminders_of,
    update_reminders,
)
from models.types import utcnow


def event_reminders(
    code: Annotated[str, typer.Argument(help="the event's code")],
    before: Annotated[
        str | None,
        typer.Option("--before", help='minutes before each session, e.g. "15" or "60,15"'),
    ] = None,
    no_before: Annotated[
        bool, typer.Option("--no-before", help="no reminders before sessions")
    ] = False,
    digest: Annotated[
        str | None,
        typer.Option("--digest", help="the morning digest's time in the event's zone, e.g. 06:30"),
    ] = None,
    no_digest: Annotated[bool, typer.Option("--no-digest", help="no morning digest")] = False,
    lang: Lang = "en",
) -> None:
    """Print the reminder settings of the event with CODE and how its reminders fared
    (sent, waiting, too late, cancelled); with options, change them first. --before turns
    reminders before sessions on, --digest the morning digest."""
    t = translator(lang)
    if (before is not None and no_before) or (digest is not None and no_digest):
        typer.echo("--before and --no-before (or --digest and --no-digest) contradict", err=True)
        raise typer.Exit(2)
    try:
        offsets = parse_offsets(before) if before is not None else None
        digest_at = parse_clock(digest) if digest is not None else None
    except ReminderSettingError as exc:
        typer.echo(t(exc.key, **exc.values), err=True)
        raise typer.Exit(2) from None
    sessions_on = True if offsets is not None else False if no_before else None
    digest_on = True if digest_at is not None else False if no_digest else None

    async def go(session: AsyncSession) -> list[str]:
        event = await event_or_exit(session, code)
        assert event.id is not None
        if (sessions_on, digest_on) == (None, None):
            settings = await reminders_of(session, event.id)
        else:
            settings = await update_reminders(
                session,
                event.id,
                utcnow(),
                before_sessions=sessions_on,
                offsets=offsets,
                actor=CLI,
                digest=digest_on,
                digest_at=digest_at,
            )
        counts = await event_counts(session, event.id)
        return [*settings_lines(t, event, settings), counts_line(t, counts)]

    typer.echo("\n".join(asyncio.run(in_session(go))))


@dataclass(frozen=True)
class Imported:
    """An applied import, and what it changed of today for the participants."""

    event: Event
    report: ImportReport
    today: list[ScheduleChange]
    people: int  # participants the changes concern


async def imported(session: AsyncSession, event: Event, report: ImportReport) -> Imported:
    """Today's changes of an import just applied, in its transaction."""
    today = changes_on(report, local_today(event, utcnow()))
    people = await concerned_people(session, event, today) if today else []
    return Imported(event, report, today, len(people))


def tell_of_changes(t: Translator, done: Imported, notify: bool | None) -> None:
    """Send the schedule-change message if ``notify``; asked when None (no answer, as
    from a script: not sent)."""
    event = done.event
    if notify is None:
        notify = cli_common.ask(t("change.ask", count=done.people, event=event.name))
        if notify is None:
            typer.echo(t("change.cli.no_answer"), err=True)
            return
    if not notify:
        typer.echo(t("change.not_sent"))
        return

    async def go(session: AsyncSession) -> int:
        return await send_change_notices(session, event, event.agenda_version, done.today, utcnow())

    typer.echo(t("change.sent", count=asyncio.run(in_session(go))))
