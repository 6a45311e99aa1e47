"""``bimtek attendance``: an event's attendance from the command line: how many came to
each session, the settings, marks made by hand (with a reason, kept), and the daftar
hadir as a workbook to print or as CSV."""

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli_common import Lang, event_or_exit, in_session, translator
from handlers.attendance_sheet import printable
from handlers.timefmt import format_time
from handlers.validation import InvalidInputError, phone_e164
from models.agenda import agenda
from models.attendance.files import csv_bytes, xlsx_bytes
from models.attendance.marks import Marked, ReasonError, Who, mark, participant_by_phone, unmark
from models.attendance.queries import attendable, present_by_session, registered_by_class
from models.attendance.register import Register, register_of
from models.attendance.settings import Rules, SettingError, rules_of, update_rules
from models.attendance.store import ExportBy
from models.audit import CLI, ExportKind, record_export
from models.types import utcnow

attendance_app = typer.Typer(help="Attendance (presensi): counts, settings, marks, the register.")

Code = Annotated[str, typer.Argument(help="the event's code")]
By = Annotated[
    ExportBy | None,
    typer.Option("--by", help="one column per day or per session (default: the event's setting)"),
]


def _rules_line(rules: Rules) -> str:
    check_out = "on" if rules.check_out else "off"
    return (
        f"codes work {rules.code_minutes} min · late after {rules.late_after} min from the start"
        f" · check-out {check_out} · register by {rules.export_by.value}"
    )


@attendance_app.command("show")
def show(code: Code) -> None:
    """Each session of the event (id, day, time, title, class) with how many are present
    of how many registered (late ones in brackets); the settings first."""

    async def go(session: AsyncSession) -> list[str]:
        event = await event_or_exit(session, code)
        assert event.id is not None
        lines = [f"{event.name} ({event.code}): {_rules_line(await rules_of(session, event.id))}"]
        present = await present_by_session(session, event.id)
        registered = await registered_by_class(session, event.id)
        for item in attendable((await agenda(session, event)).items):
            came, late = present.get(item.id, (0, 0))
            expected = (
                registered.get(item.class_name, 0) if item.class_name else sum(registered.values())
            )
            group = f" [{item.class_name}]" if item.class_name else ""
            start = format_time(item.starts_at, event.timezone)
            counts = f"{came}/{expected} ({late} late)"
            lines.append(f"{item.id}\t{item.day} {start}\t{item.title}{group}\t{counts}")
        return lines

    typer.echo("\n".join(asyncio.run(in_session(go))))


@attendance_app.command("settings")
def settings(
    code: Code,
    minutes: Annotated[
        int | None, typer.Option("--minutes", help="how long a code works unless its opener says")
    ] = None,
    late_after: Annotated[
        int | None,
        typer.Option("--late-after", help="minutes after a session's start that count as late"),
    ] = None,
    check_out: Annotated[
        bool | None,
        typer.Option("--check-out/--no-check-out", help="codes for leaving, after a session"),
    ] = None,
    by: By = None,
) -> None:
    """Print the event's attendance settings; with options, change them first."""

    async def go(session: AsyncSession) -> Rules:
        event = await event_or_exit(session, code)
        assert event.id is not None
        if (minutes, late_after, check_out, by) == (None, None, None, None):
            return await rules_of(session, event.id)
        return await update_rules(
            session, event.id, utcnow(), code_minutes=minutes, late_after=late_after,
            check_out=check_out, export_by=by, actor=CLI,
        )  # fmt: skip

    try:
        rules = asyncio.run(in_session(go))
    except SettingError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    typer.echo(_rules_line(rules))


def _change(code: str, session_id: int, phone: str, reason: str, *, present: bool) -> None:
    try:
        number = phone_e164(phone)
    except InvalidInputError as exc:
        typer.echo(f"--phone: {translator('en')(exc.key, **exc.values)}", err=True)
        raise typer.Exit(2) from None

    async def go(session: AsyncSession) -> Marked:
        event = await event_or_exit(session, code)
        assert event.id is not None
        person = await participant_by_phone(session, event.id, number)
        if person is None or person.id is None:
            return Marked.NOT_REGISTERED
        change = mark if present else unmark
        return await change(
            session, event_id=event.id, session_id=session_id, person_id=person.id,
            reason=reason, who=Who(None, "cli"), now=utcnow(),
        )  # fmt: skip

    try:
        done = asyncio.run(in_session(go))
    except ReasonError as exc:
        typer.echo(f"--reason: {exc}", err=True)
        raise typer.Exit(2) from None
    said = {
        Marked.MARKED: "marked present",
        Marked.UNMARKED: "attendance taken off",
        Marked.ALREADY_PRESENT: "already present; nothing changed",
        Marked.NOT_PRESENT: "not recorded as present; nothing taken off",
        Marked.NOT_REGISTERED: f"nobody registered for {code} has the number {number}",
        Marked.NO_SESSION: f"no session {session_id} on the agenda of {code} (attendance show)",
    }[done]
    typer.echo(said, err=done not in (Marked.MARKED, Marked.UNMARKED))
    if done in (Marked.NOT_REGISTERED, Marked.NO_SESSION):
        raise typer.Exit(2)
    if done not in (Marked.MARKED, Marked.UNMARKED):
        raise typer.Exit(1)


Session = Annotated[int, typer.Option("--session", help="the id that `attendance show` prints")]
Phone = Annotated[str, typer.Option("--phone", help="the participant's number, e.g. +62812…")]
Reason = Annotated[str, typer.Option("--reason", help="why; kept with the change")]


@attendance_app.command("mark")
def mark_command(code: Code, session: Session, phone: Phone, reason: Reason) -> None:
    """Mark a registered participant present at a session, by hand, with a reason."""
    _change(code, session, phone, reason, present=True)


@attendance_app.command("unmark")
def unmark_command(code: Code, session: Session, phone: Phone, reason: Reason) -> None:
    """Take a participant's presence at a session off, with a reason; a code they send
    again does not put it back."""
    _change(code, session, phone, reason, present=False)


def _write(path: Path, content: bytes) -> None:
    try:
        path.write_bytes(content)
    except OSError as exc:
        typer.echo(f"cannot write {path}: {exc.strerror}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"Wrote {path}")


@attendance_app.command("export")
def export(
    code: Code,
    xlsx: Annotated[
        Path | None,
        typer.Option("--xlsx", help="write the register here, to print", dir_okay=False),
    ] = None,
    csv: Annotated[
        Path | None, typer.Option("--csv", help="write the grid here as CSV", dir_okay=False)
    ] = None,
    by: By = None,
    lang: Lang = "id",
) -> None:
    """The daftar hadir of the event: a row per registered participant (name, library,
    regency), a column per day or session (✓ present, T late, – not their class's), a
    blank signature column; --xlsx is laid out to print, with the changes made by hand on
    a second sheet."""
    if xlsx is None and csv is None:
        typer.echo("give --xlsx FILE, --csv FILE or both", err=True)
        raise typer.Exit(2)
    t = translator(lang)

    async def go(session: AsyncSession) -> Register:
        event = await event_or_exit(session, code)
        assert event.id is not None
        chosen = by or (await rules_of(session, event.id)).export_by
        register = await register_of(session, event, chosen)
        formats = [name for name, file in (("xlsx", xlsx), ("csv", csv)) if file is not None]
        record_export(
            session,
            CLI,
            event_id=event.id,
            what=ExportKind.ATTENDANCE,
            rows=len(register.lines),
            formats=formats,
        )
        return register

    register = asyncio.run(in_session(go))
    sheet = printable(register, t)
    typer.echo(
        f"{register.event_name}: {len(register.lines)} participants, {register.columns} columns"
    )
    if xlsx is not None:
        _write(xlsx, xlsx_bytes(sheet))
    if csv is not None:
        _write(csv, csv_bytes(sheet))
