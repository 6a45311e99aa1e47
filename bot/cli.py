"""``bimtek``: administration from the command line."""

import asyncio
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from alembic import command
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlmodel import col, select

from bot import cli_notices, privacy_cli
from bot.attendance_cli import attendance_app
from bot.audit_cli import audit_command, breach_report_command
from bot.broadcast_cli import broadcast_app
from bot.certificate_cli import certificate_app
from bot.cli_common import Lang, write_template
from bot.cli_common import ask as _ask
from bot.cli_common import cli_settings as _settings
from bot.cli_common import event_or_exit as _event_or_exit
from bot.cli_common import in_session as _in_session
from bot.cli_common import on_engine as _on_engine
from bot.cli_common import translator as _translator
from bot.cli_links import QrFile, print_join_links
from bot.dashboard_cli import dashboard_link_command
from bot.db import alembic_config, downgrade, upgrade
from bot.demo import ensure_demo_event
from bot.roster_cli import participants_command, roster_app
from bot.survey_cli import survey_app
from handlers.agenda_texts import agenda_text, problems_text, report_text
from handlers.i18n import Translator
from models import AgendaSession, Event, Invite, Role, RoleName
from models.agenda import agenda_of, class_names
from models.agenda_import import (
    MAX_FILE_BYTES,
    AgendaFileError,
    ClassNamesError,
    ImportReport,
    import_agenda,
    set_classes,
    template_csv,
    template_xlsx,
)
from models.audit import CLI
from models.event import EventError, create_event, event_by_code, set_open
from models.people import identities_of
from models.roles import INVITE_VALID_FOR, create_invite, pending_invites, revoke_role, team
from models.surveys.shipped import install_shipped
from models.types import utcnow

app = typer.Typer(help="Bimtek Bot administration.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
event_app = typer.Typer(help="Training events.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(event_app, name="event")
event_app.command("reminders")(cli_notices.event_reminders)
event_app.command("purge")(privacy_cli.event_purge)
event_app.command("retention")(privacy_cli.event_retention)
app.add_typer(broadcast_app, name="broadcast")
app.add_typer(survey_app, name="survey")
app.add_typer(certificate_app, name="certificate")
app.add_typer(attendance_app, name="attendance")
app.add_typer(roster_app, name="roster")
app.command("participants")(participants_command)
app.command("audit")(audit_command)
app.command("breach-report")(breach_report_command)
app.command("dashboard-link")(dashboard_link_command)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    asyncio.run(_on_engine(lambda engine: upgrade(engine, revision)))
    typer.echo(f"database at {revision}")


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Undo migrations down to REVISION ("base" removes every table)."""
    asyncio.run(_on_engine(lambda engine: downgrade(engine, revision)))
    typer.echo(f"database at {revision}")


@db_app.command("revision")
def db_revision(message: Annotated[str, typer.Option("--message", "-m")]) -> None:
    """Write a new migration from the difference between the models and the database."""

    def write(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)

    async def go(engine: AsyncEngine) -> None:
        async with engine.begin() as connection:
            await connection.run_sync(write)

    asyncio.run(_on_engine(go))


@event_app.command("create")
def event_create(
    code: Annotated[str, typer.Option(help="join code, used in t.me/<bot>?start=<code>")],
    name: Annotated[str, typer.Option(help="the event's full name")],
    timezone: Annotated[str, typer.Option(help="IANA zone, e.g. Asia/Makassar for WITA")],
    starts: Annotated[str, typer.Option(help="first day, YYYY-MM-DD")],
    ends: Annotated[str, typer.Option(help="last day, YYYY-MM-DD")],
    organizer: Annotated[
        str, typer.Option(help="who runs it; the consent notice names them as data controller")
    ],
    venue: str = "",
    classes: Annotated[
        str, typer.Option(help='parallel classes (kelas), comma-separated, e.g. "A,B"')
    ] = "",
    qr: QrFile = None,
) -> None:
    """Create an event open for registration, and print the links that join it."""
    try:
        starts_on, ends_on = date.fromisoformat(starts), date.fromisoformat(ends)
    except ValueError:
        typer.echo("dates must be written YYYY-MM-DD, e.g. 2024-11-13", err=True)
        raise typer.Exit(2) from None

    async def go(session: AsyncSession) -> Event:
        event = await create_event(
            session,
            code=code,
            name=name,
            timezone=timezone,
            starts_on=starts_on,
            ends_on=ends_on,
            organizer=organizer,
            venue=venue,
            actor=CLI,
        )
        if classes.strip():
            await set_classes(session, event, _class_names([classes]), actor=CLI)
        return event

    try:
        event = asyncio.run(_in_session(go))
    except EventError as exc:
        typer.echo(f"cannot create the event: {exc}", err=True)
        raise typer.Exit(2) from None
    except ClassNamesError as exc:
        typer.echo(_problems(Translator("en"), exc, "agenda_import.classes.heading"), err=True)
        raise typer.Exit(2) from None
    typer.echo(f"created {event.name}; join code {event.code}")
    print_join_links(_settings().deployment(), event.code, qr)


@event_app.command("list")
def event_list() -> None:
    """List events: code, dates, time zone, open or closed."""

    async def go(session: AsyncSession) -> list[Event]:
        return list((await session.execute(select(Event).order_by(col(Event.starts_on)))).scalars())

    for event in asyncio.run(_in_session(go)):
        state = "open" if event.is_open else "closed"
        typer.echo(
            f"{event.code}\t{event.starts_on}..{event.ends_on}\t{event.timezone}\t{state}\t"
            f"{event.name}"
        )


def _set_open(code: str, is_open: bool) -> None:
    async def go(session: AsyncSession) -> Event | None:
        event = await event_by_code(session, code)
        if event is not None:
            set_open(session, event, is_open, actor=CLI)
        return event

    event = asyncio.run(_in_session(go))
    if event is None:
        typer.echo(f"no event with code {code}", err=True)
        raise typer.Exit(2)
    state = "open for registration" if is_open else "closed: new registrations are refused"
    typer.echo(f"{event.code} is {state}")


@event_app.command("close")
def event_close(code: str) -> None:
    """Stop new registrations for the event with CODE (registered people keep access)."""
    _set_open(code, is_open=False)


@event_app.command("open")
def event_open(code: str) -> None:
    """Accept registrations again for the event with CODE."""
    _set_open(code, is_open=True)


@app.command()
def demo(qr: QrFile = None) -> None:
    """Create the demo event from the project brief and its four-day agenda (once) and
    print its join code and links."""

    async def go(session: AsyncSession) -> tuple[Event, int, list[str]]:
        event = await ensure_demo_event(session)
        await install_shipped(session)
        agenda = await agenda_of(session, event.id)
        return event, len(agenda), await class_names(session, event.id)

    event, sessions, classes = asyncio.run(_in_session(go))
    typer.echo(f"{event.name}\njoin code: {event.code}")
    typer.echo(
        f"agenda: {sessions} sessions, {event.starts_on} to {event.ends_on} ({event.timezone})"
    )
    typer.echo(f"classes: {', '.join(classes) or '(none)'}")
    print_join_links(_settings().deployment(), event.code, qr)


# --- agendas and classes ----------------------------------------------------------------

agenda_app = typer.Typer(
    help="Event agendas: import from a spreadsheet, show.", no_args_is_help=True
)
app.add_typer(agenda_app, name="agenda")


def _class_names(given: list[str]) -> list[str]:
    """Names given as separate words, comma-separated, or both."""
    return [name.strip() for item in given for name in item.split(",") if name.strip()]


def _problems(t: Translator, exc: AgendaFileError | ClassNamesError, heading: str) -> str:
    return problems_text(t, exc.problems, limit=None, heading=heading)


@event_app.command("classes")
def event_classes_command(
    code: str,
    names: Annotated[list[str] | None, typer.Argument(help="class names, e.g. A B")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="remove every class")] = False,
    lang: Lang = "en",
) -> None:
    """Declare the parallel classes (kelas) of the event with CODE, replacing the old list;
    with no names, print the current ones."""
    t = _translator(lang)
    wanted = _class_names(names or [])

    async def go(session: AsyncSession) -> list[str]:
        event = await _event_or_exit(session, code)
        if wanted or clear:
            return await set_classes(session, event, wanted, actor=CLI)
        return await class_names(session, event.id)

    try:
        declared = asyncio.run(_in_session(go))
    except ClassNamesError as exc:
        typer.echo(_problems(t, exc, "agenda_import.classes.heading"), err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{code.upper()} classes: {', '.join(declared) if declared else '(none)'}")


class _UnconfirmedRemovalError(Exception):
    """The import would remove sessions nobody agreed to remove: rolled back, to ask."""

    def __init__(self, event: Event, preview: str, removing: frozenset[int]) -> None:
        super().__init__(event.code)
        self.event_name = event.name
        self.preview = preview  # written before the rollback expires the sessions it names
        self.removing = removing


def _removing(report: ImportReport) -> frozenset[int]:
    return frozenset(s.id for s in report.removed if s.id is not None)


@agenda_app.command("import")
def agenda_import_command(
    code: Annotated[str, typer.Argument(help="the event's code")],
    file: Annotated[
        Path, typer.Argument(help="the agenda, .xlsx or .csv", exists=True, dir_okay=False)
    ],
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="apply even if sessions are removed; no question")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="only show what the file would change")
    ] = False,
    notify: Annotated[
        bool | None,
        typer.Option(
            "--notify/--no-notify",
            help="send (or not) a short schedule-change message to the participants whose "
            "sessions today moved, changed room or were removed; without either, asks",
        ),
    ] = None,
    lang: Lang = "id",
) -> None:
    """Load the event's agenda from FILE, one row per session; importing an edited file
    again updates the agenda. Nothing is saved if any row has a problem (exit code 2).
    A file that would remove sessions shows what would change and asks first; with no
    yes, or no terminal to answer on, nothing is saved (exit code 1). When sessions of
    today changed, asks whether their participants get a schedule-change message."""
    t = _translator(lang)
    with file.open("rb") as f:
        content = f.read(MAX_FILE_BYTES + 1)  # enough to know it is too big

    def run(apply: bool, allowed: frozenset[int] | None) -> cli_notices.Imported:
        """One import in one transaction; removing other sessions than ``allowed`` (None:
        any) rolls it back."""

        async def go(session: AsyncSession) -> cli_notices.Imported:
            event = await _event_or_exit(session, code)
            report = await import_agenda(session, event, file.name, content, apply=apply, actor=CLI)
            if allowed is not None and _removing(report) - allowed:
                preview = report_text(t, event, report, applied=False)
                raise _UnconfirmedRemovalError(event, preview, _removing(report))
            if not apply:
                return cli_notices.Imported(event, report, [], 0)
            return await cli_notices.imported(session, event, report)

        return asyncio.run(_in_session(go))

    def confirmed(asked: _UnconfirmedRemovalError) -> frozenset[int]:
        """The sessions the person agreed to remove, after showing what would change."""
        typer.echo(asked.preview)
        question = t(
            "agenda_import.cli.confirm", removed=len(asked.removing), event=asked.event_name
        )
        answer = _ask(question)
        if not answer:
            key = "agenda_import.cli.declined" if answer is False else "agenda_import.cli.no_answer"
            typer.echo(t(key), err=True)
            raise typer.Exit(1)
        return asked.removing

    try:
        if dry_run:
            preview = run(apply=False, allowed=None)
            typer.echo(report_text(t, preview.event, preview.report, applied=False))
            typer.echo(t("agenda_import.cli.dry_run"))
            return
        allowed = None if yes else frozenset[int]()
        while True:
            try:
                done = run(apply=True, allowed=allowed)
                break
            except _UnconfirmedRemovalError as exc:
                if allowed:  # agreed to other removals than the agenda now needs
                    typer.echo(t("agenda_import.cli.changed_meanwhile"))
                allowed = confirmed(exc)
    except AgendaFileError as exc:
        typer.echo(_problems(t, exc, "agenda_import.problems.heading"), err=True)
        raise typer.Exit(2) from None
    typer.echo(report_text(t, done.event, done.report))
    if done.people:
        cli_notices.tell_of_changes(t, done, notify)


@agenda_app.command("template")
def agenda_template_command(
    path: Annotated[Path, typer.Argument(help="where to write it; .xlsx for Excel, else CSV")],
) -> None:
    """Write an agenda template with example rows: Excel when PATH ends in .xlsx, otherwise
    CSV separated by ';' (what Excel set to Indonesian opens directly)."""
    write_template(path, template_xlsx, template_csv)


@agenda_app.command("show")
def agenda_show_command(code: str, lang: Lang = "id") -> None:
    """Print the event's stored agenda, day by day, in the event's time zone."""
    t = _translator(lang)

    async def go(session: AsyncSession) -> tuple[Event, list[AgendaSession]]:
        event = await _event_or_exit(session, code)
        return event, await agenda_of(session, event.id)

    event, agenda = asyncio.run(_in_session(go))
    typer.echo(agenda_text(t, event, agenda))


# --- roles: invites and the team of an event --------------------------------------------

invite_app = typer.Typer(help="One-time invite codes for organisers and trainers.")
team_app = typer.Typer(help="Who organises and teaches an event; revoking roles.")
app.add_typer(invite_app, name="invite", no_args_is_help=True)
app.add_typer(team_app, name="team", no_args_is_help=True)


def _print_invite(code: str, event: Event, role: RoleName, speaker: str = "") -> None:
    who = f"{role.value} {speaker}".strip()
    days = INVITE_VALID_FOR.days
    typer.echo(f"invite for {who} at {event.code}, valid {days} days, works once:\n  /start {code}")
    deployment = _settings().deployment()
    start = code.replace("-", "")
    for link in (deployment.start_link(start), deployment.whatsapp_link(f"/start {start}")):
        if link is not None:
            typer.echo(f"  {link}")


def _invite(code: str, role: RoleName, speaker: str = "") -> None:
    async def go(session: AsyncSession) -> tuple[Event, str]:
        event = await _event_or_exit(session, code)
        assert event.id is not None
        secret = await create_invite(
            session,
            event.id,
            role,
            created_by="cli",
            now=utcnow(),
            speaker=speaker,
            actor=CLI,
        )
        return event, secret

    event, secret = asyncio.run(_in_session(go))
    _print_invite(secret, event, role, speaker)


@invite_app.command("organizer")
def invite_organizer(code: Annotated[str, typer.Argument(help="the event's code")]) -> None:
    """Print a one-time code that makes whoever sends it an organiser of the event."""
    _invite(code, RoleName.ORGANIZER)


@invite_app.command("trainer")
def invite_trainer(
    code: Annotated[str, typer.Argument(help="the event's code")],
    speaker: Annotated[str, typer.Option(help="the name as the agenda's speaker column writes it")],
) -> None:
    """Print a one-time code that makes whoever sends it a trainer of the event, teaching
    the sessions whose speakers include SPEAKER."""
    if not speaker.strip():
        typer.echo("--speaker must name the trainer as the agenda does", err=True)
        raise typer.Exit(2)
    _invite(code, RoleName.TRAINER, " ".join(speaker.split()))


@team_app.command("list")
def team_list(code: Annotated[str, typer.Argument(help="the event's code")]) -> None:
    """Roles (id, role, channel, speaker, since) and open invites of the event."""

    async def go(session: AsyncSession) -> tuple[list[tuple[Role, str]], list[Invite]]:
        event = await _event_or_exit(session, code)
        assert event.id is not None
        roles = []
        for role in await team(session, event.id):
            identities = await identities_of(session, role.person_id)
            roles.append((role, ",".join(sorted({i.channel for i in identities})) or "-"))
        return roles, await pending_invites(session, event.id, utcnow())

    roles, invites = asyncio.run(_in_session(go))
    for role, channels in roles:
        since = role.granted_at.strftime("%Y-%m-%d")
        typer.echo(f"{role.id}\t{role.role}\t{channels}\t{role.speaker or '-'}\t{since}")
    for invite in invites:
        until = invite.expires_at.strftime("%Y-%m-%d %H:%M UTC")
        typer.echo(f"open invite\t{invite.role}\t{invite.speaker or '-'}\tuntil {until}")
    if not roles and not invites:
        typer.echo("no organisers or trainers yet")


@team_app.command("revoke")
def team_revoke(
    code: Annotated[str, typer.Argument(help="the event's code")],
    role_id: Annotated[int, typer.Argument(help="the id that `bimtek team list` shows")],
) -> None:
    """Take a role away; the person's organiser or trainer commands stop working at once."""

    async def go(session: AsyncSession) -> Role | None:
        event = await _event_or_exit(session, code)
        role = await session.get(Role, role_id)
        if role is None or role.event_id != event.id:
            return None
        return role if revoke_role(session, role, utcnow(), actor=CLI) else None

    role = asyncio.run(_in_session(go))
    if role is None:
        typer.echo(f"no active role {role_id} in {code}", err=True)
        raise typer.Exit(2)
    typer.echo(f"revoked {role.role} {role.id} in {code.upper()}")
