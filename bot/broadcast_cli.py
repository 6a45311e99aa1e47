"""``bimtek broadcast``: announcements from the command line, as organisers make them in
the chat (``/umumkan``): who it reaches and how it will look are shown, and asked about,
before anything is sent."""

import asyncio
import mimetypes
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli_common import ask, event_or_exit, in_session, translator
from handlers.broadcast_texts import audience_text, error_text, excerpt, report_text, state_text
from handlers.i18n import Translator
from handlers.roster_texts import unknown_note
from handlers.timefmt import format_moment
from models import Broadcast, Event
from models.audience import Audience, Everyone, InClass, InRegion, Unregistered, audience_size
from models.audit import CLI
from models.broadcasts import (
    FILE_LIMIT,
    BroadcastError,
    BroadcastStatus,
    Cancelled,
    announcement,
    cancel_broadcast,
    check_file,
    checked_text,
    confirm_broadcast,
    create_broadcast,
    recent_broadcasts,
    report,
    reports_of,
)
from models.moments import MomentError, parse_moment
from models.outbox import FileToSend
from models.roster.status import roster_reach
from models.types import utcnow

broadcast_app = typer.Typer(
    help="Announcements to an event's participants: create, list, report, cancel.",
    no_args_is_help=True,
)
Lang = Annotated[str, typer.Option("--lang", help="language of the output: id or en")]


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(2)


def _audience(
    t: Translator,
    class_name: str | None,
    province: str | None,
    regency: str | None,
    unregistered: bool,
) -> Audience:
    kinds = [bool(class_name), bool(province or regency), unregistered]
    if sum(kinds) > 1:
        raise _fail(t("broadcast.cli.one_audience"))
    if class_name:
        return InClass(name=class_name.strip())
    if province or regency:
        return InRegion(province=province, regency=regency)
    return Unregistered() if unregistered else Everyone()


def _file(t: Translator, path: Path | None) -> FileToSend | None:
    if path is None:
        return None
    try:
        with path.open("rb") as f:
            content = f.read(FILE_LIMIT + 1)  # enough to know it is too big
    except OSError:
        raise _fail(t("broadcast.cli.file_unreadable", path=path)) from None
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileToSend(path.name, media_type, content)


@dataclass(frozen=True)
class _Planned:
    event: Event
    text: str  # as it will be kept
    send_at: datetime | None
    people: int
    note: str | None  # the roster's people it cannot reach, for those not registered


async def _plan(
    t: Translator,
    session: AsyncSession,
    code: str,
    text: str,
    file: FileToSend | None,
    spec: Audience,
    at: str | None,
) -> _Planned:
    """What the announcement would be, checked as the chat checks it; nothing is stored."""
    event = await event_or_exit(session, code)
    assert event.id is not None
    now = utcnow()
    try:
        send_at = parse_moment(at, event.timezone, now) if at else None
    except MomentError as error:
        said = t(f"broadcast.time.{error.key}", now=_when(t, event, now), **error.values)
        raise _fail(said) from None
    try:
        cleaned = checked_text(event.name, text, has_file=file is not None)
        check_file(file)
    except BroadcastError as error:
        raise _fail(error_text(t, error)) from None
    size = await audience_size(session, event.id, spec)
    if not size.people:
        raise _fail(t("broadcast.nobody", audience=audience_text(t, spec)))
    note = None
    if isinstance(spec, Unregistered):
        note = unknown_note(t, await roster_reach(session, event.id))
    return _Planned(event, cleaned, send_at, size.people, note)


def _when(t: Translator, event: Event, moment: datetime) -> str:
    return format_moment(moment, event.timezone, t.locale)


@broadcast_app.command("create")
def broadcast_create(
    code: Annotated[str, typer.Argument(help="the event's code")],
    text: Annotated[str, typer.Option(help="the announcement (may be empty with --file)")] = "",
    file: Annotated[
        Path | None,
        typer.Option(help="a photo or document to send with it", exists=True, dir_okay=False),
    ] = None,
    class_name: Annotated[str | None, typer.Option("--class", help="only this class")] = None,
    province: Annotated[str | None, typer.Option(help="only participants from it")] = None,
    regency: Annotated[str | None, typer.Option(help="only participants from it")] = None,
    unregistered: Annotated[
        bool, typer.Option(help="only people who began joining and have not registered")
    ] = False,
    at: Annotated[
        str | None,
        typer.Option(help='when, in the event\'s zone: "2024-11-14 07:00", "besok 07.00"'),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="send without the question")] = False,
    lang: Lang = "id",
) -> None:
    """Send an announcement to the event with CODE: everyone (participants, organisers,
    trainers) unless narrowed to a class, a region or those not registered yet. Shows how
    many it reaches and how it will look, and asks first (exit code 1 without a yes); bad
    input changes nothing (exit code 2)."""
    t = translator(lang)
    spec = _audience(t, class_name, province, regency, unregistered)
    attachment = _file(t, file)
    planned = asyncio.run(in_session(lambda s: _plan(t, s, code, text, attachment, spec, at)))
    event = planned.event
    moment = planned.send_at
    when = t("broadcast.cli.at", when=_when(t, event, moment)) if moment else t("broadcast.cli.now")
    who = audience_text(t, spec)
    typer.echo(
        t("broadcast.cli.preview", event=event.name, count=planned.people, audience=who, when=when)
    )
    if planned.note is not None:
        typer.echo(planned.note)
    if attachment is not None:
        typer.echo(t("broadcast.cli.attached", name=attachment.filename))
    typer.echo(announcement(event.name, planned.text))
    if not yes:
        answer = ask(t("broadcast.cli.confirm", count=planned.people))
        if not answer:
            key = "broadcast.cli.declined" if answer is False else "broadcast.cli.no_answer"
            typer.echo(t(key), err=True)
            raise typer.Exit(1)

    async def send(session: AsyncSession) -> tuple[Broadcast, int]:
        assert event.id is not None
        now = utcnow()
        draft = await create_broadcast(
            session, event_id=event.id, author_id=None, text=text, audience=spec, now=now,
            file=attachment, send_at=moment,
        )  # fmt: skip
        assert draft.id is not None
        return draft, await confirm_broadcast(session, draft.id, now, actor=CLI)

    try:
        broadcast, written = asyncio.run(in_session(send))
    except BroadcastError as error:  # the moment passed, or everyone left, meanwhile
        raise _fail(error_text(t, error)) from None
    key = "broadcast.scheduled" if moment else "broadcast.sending"
    said = t(key, count=written, when=_when(t, event, moment) if moment else "")
    typer.echo(f"#{broadcast.id}: {said}")


@broadcast_app.command("list")
def broadcast_list(
    code: Annotated[str, typer.Argument(help="the event's code")], lang: Lang = "id"
) -> None:
    """The event's latest announcements, newest first, with what became of them."""
    t = translator(lang)

    async def go(session: AsyncSession) -> list[str]:
        event = await event_or_exit(session, code)
        assert event.id is not None
        recent = await recent_broadcasts(session, event.id, limit=50)
        reports = await reports_of(session, [b.id for b in recent if b.id is not None])
        now = utcnow()
        return [
            t(
                "broadcast.list_line",
                number=b.id,
                state=state_text(t, event, b, now),
                audience=audience_text(t, b.spec),
                sent=reports[b.id].sent,
                total=reports[b.id].total,
                excerpt=excerpt(t, b),
            )
            for b in recent
            if b.id is not None
        ] or [t("broadcast.list_empty", event=event.name)]

    typer.echo("\n".join(asyncio.run(in_session(go))))


@broadcast_app.command("report")
def broadcast_report(
    number: Annotated[int, typer.Argument(help="the number `bimtek broadcast list` shows")],
    lang: Lang = "id",
) -> None:
    """What became of an announcement's messages so far."""
    t = translator(lang)

    async def go(session: AsyncSession) -> str:
        broadcast, event = await _found(t, session, number)
        assert broadcast.id is not None
        return report_text(t, event, broadcast, await report(session, broadcast.id), utcnow())

    typer.echo(asyncio.run(in_session(go)))


async def _found(t: Translator, session: AsyncSession, number: int) -> tuple[Broadcast, Event]:
    broadcast = await session.get(Broadcast, number)
    event = await session.get(Event, broadcast.event_id) if broadcast is not None else None
    if broadcast is None or event is None or broadcast.status == BroadcastStatus.DRAFT:
        raise _fail(t("broadcast.cli.not_found", number=number))
    return broadcast, event


@broadcast_app.command("cancel")
def broadcast_cancel(
    number: Annotated[int, typer.Argument(help="the number `bimtek broadcast list` shows")],
    lang: Lang = "id",
) -> None:
    """Stop what of an announcement is not sent yet (a scheduled one: all of it). Exit code
    1 when nothing was left to stop."""
    t = translator(lang)

    async def go(session: AsyncSession) -> tuple[Cancelled, str]:
        broadcast, event = await _found(t, session, number)
        assert broadcast.id is not None
        now = utcnow()
        done = await cancel_broadcast(session, broadcast.id, now, actor=CLI)
        assert done is not None
        said = t(CANCEL_SAYS[done.outcome], number=number, rows=done.rows)
        found = await report(session, broadcast.id)
        return done.outcome, said + "\n" + report_text(t, event, broadcast, found, now)

    outcome, said = asyncio.run(in_session(go))
    typer.echo(said)
    if outcome is not Cancelled.CANCELLED:
        raise typer.Exit(1)  # nothing was stopped


CANCEL_SAYS = {
    Cancelled.CANCELLED: "broadcast.cancel_done",
    Cancelled.ALREADY: "broadcast.cancel_already",
    Cancelled.FINISHED: "broadcast.cancel_finished",
}
