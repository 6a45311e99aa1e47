"""``bimtek audit`` (the log of privileged actions) and ``bimtek breach-report`` (whose
data a time window touched, and by when they must be told). Both are for the server's
operator: the breach report prints names and numbers, which the log itself never holds."""

import asyncio
import csv
import io
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli_common import Lang, event_or_exit, in_session, translator, write_file
from handlers.audit_texts import Translate, actor, entry_line, moment
from models import Event
from models.audit import AuditAction, AuditRow, audit_entries
from models.breach import Touched, notify_by, touched_people
from models.zones import zone_label

Code = Annotated[str | None, typer.Argument(help="the event's code")]
Since = Annotated[
    str | None, typer.Option(help="from this moment: 2026-12-01 or 2026-12-01T09:00 (event's zone)")
]
Until = Annotated[str | None, typer.Option(help="up to (not including) this moment")]
CsvFile = Annotated[Path | None, typer.Option("--csv", help="write it as CSV here", dir_okay=False)]
ALL_ROWS = 1_000_000


def parse_moment(text: str, zone: ZoneInfo | None) -> datetime:
    """A date (its midnight) or a date and time, in ``zone`` unless it names its offset."""
    try:
        parsed = datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError:
        typer.echo(
            f"not a date or moment: {text!r} (write 2026-12-01 or 2026-12-01T09:00)", err=True
        )
        raise typer.Exit(2) from None
    if len(text.strip()) == 10:
        parsed = datetime.combine(parsed.date(), time())
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone or UTC)
    return parsed.astimezone(UTC)


def audit_command(
    code: Code = None,
    every: Annotated[bool, typer.Option("--all", help="every event's entries")] = False,
    since: Since = None,
    until: Until = None,
    action: Annotated[
        list[str] | None,
        typer.Option(help="only this action (repeatable), e.g. export, broadcast.sent"),
    ] = None,
    csv_file: CsvFile = None,
    lang: Lang = "en",
) -> None:
    """The log of privileged actions of the event with CODE (or --all), newest first: when,
    who (names looked up now), what. No names, numbers or typed text are kept in it."""
    if (code is None) == (not every):
        typer.echo("give an event's CODE or --all", err=True)
        raise typer.Exit(2)
    wanted = _actions(action)
    t = translator(lang)

    async def go(session: AsyncSession) -> tuple[Event | None, list[AuditRow]]:
        event = await event_or_exit(session, code) if code is not None else None
        zone = ZoneInfo(event.timezone) if event is not None else None
        rows = await audit_entries(
            session,
            event.id if event is not None else None,
            since=parse_moment(since, zone) if since else None,
            until=parse_moment(until, zone) if until else None,
            actions=wanted,
            limit=ALL_ROWS,
        )
        return event, rows

    event, rows = asyncio.run(in_session(go))
    if not rows:
        typer.echo(t("audit.none"))
    for row in rows:
        typer.echo(f"#{row.id} " + entry_line(t, row, with_event=event is None))
    if csv_file is not None:
        write_file(csv_file, _audit_csv(t, rows))


def _actions(given: list[str] | None) -> frozenset[AuditAction] | None:
    if not given:
        return None
    known = {a.value: a for a in AuditAction}
    chosen = set()
    for name in given:
        matching = [a for v, a in known.items() if v == name or v.startswith(f"{name}.")]
        if not matching:
            typer.echo(f"unknown action {name!r}; one of: {', '.join(known)}", err=True)
            raise typer.Exit(2)
        chosen.update(matching)
    return frozenset(chosen)


def _audit_csv(t: Translate, rows: list[AuditRow]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "at_utc", "local_time", "event", "actor_kind", "actor_person_id",
                     "actor", "action", "target_kind", "target_id", "details"])  # fmt: skip
    for row in rows:
        writer.writerow([
            row.id, row.at.astimezone(UTC).isoformat(), moment(row), row.event_code or "",
            row.actor_kind, row.actor_person_id or "", actor(t, row), row.action,
            row.target_kind, row.target_id or "", row.details,
        ])  # fmt: skip
    return out.getvalue().encode()


def breach_report_command(
    code: Annotated[str, typer.Argument(help="the event's code")],
    since: Annotated[str, typer.Option(help="the window's start (event's zone unless given)")],
    until: Until = None,
    discovered: Annotated[
        str | None, typer.Option(help="when the breach was discovered (default: the window's end)")
    ] = None,
    csv_file: CsvFile = None,
) -> None:
    """Whose data of the event with CODE a time window touched (read by an export, or
    written: registrations, consents, profiles, answers, attendance, certificates,
    messages sent), how to reach them, and by when they must be told (72 hours)."""

    async def go(session: AsyncSession) -> tuple[Event, datetime, datetime, list[Touched]]:
        event = await event_or_exit(session, code)
        assert event.id is not None
        zone = ZoneInfo(event.timezone)
        start = parse_moment(since, zone)
        end = parse_moment(until, zone) if until else datetime.now(UTC)
        if end <= start:
            typer.echo("--until must come after --since", err=True)
            raise typer.Exit(2)
        return event, start, end, await touched_people(session, event.id, start, end)

    event, start, end, people = asyncio.run(in_session(go))
    zone = ZoneInfo(event.timezone)
    found_at = parse_moment(discovered, zone) if discovered else None
    deadline = notify_by(end, found_at)

    def local(at: datetime) -> str:
        return f"{at.astimezone(zone):%Y-%m-%d %H:%M} {zone_label(zone, at)}"

    typer.echo(f"{event.code} — {event.name}")
    typer.echo(f"Window: {local(start)} to {local(end)}")
    typer.echo(f"People whose data it touched: {len(people)}")
    typer.echo(f"Notify them by: {local(deadline)} (72 hours after "
               f"{'the discovery' if found_at else 'the end of the window'})")  # fmt: skip
    for line in _table(people):
        typer.echo(line)
    if csv_file is not None:
        write_file(csv_file, _breach_csv(people))


def _reach(person: Touched) -> str:
    ways = list(person.channels)
    if person.phone:
        ways.append(person.phone)
    return ", ".join(ways) or "-"


def _table(people: list[Touched]) -> list[str]:
    rows = [("ref", "name", "reach", "touched")]
    rows += [(p.ref, p.name or "(erased)", _reach(p), ", ".join(sorted(p.touched))) for p in people]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return [
        "  ".join([*(c.ljust(w) for c, w in zip(r[:3], widths, strict=True)), r[3]]) for r in rows
    ]


def _breach_csv(people: list[Touched]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["ref", "name", "phone", "channels", "touched"])
    for p in people:
        writer.writerow([p.ref, p.name or "", p.phone or "", " ".join(p.channels),
                         " ".join(sorted(p.touched))])  # fmt: skip
    return out.getvalue().encode()
