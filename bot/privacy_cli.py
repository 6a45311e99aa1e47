"""``bimtek event purge`` and ``bimtek event retention``: an event's personal data removed
on demand once it is over, and how long they are kept otherwise (models/privacy)."""

import asyncio
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.cli_common import (
    Lang,
    ask,
    cli_settings,
    event_or_exit,
    in_session,
    on_engine,
    translator,
)
from bot.db import session_maker, upgrade
from handlers.i18n import Translator
from handlers.timefmt import format_date
from models.audit import CLI
from models.event import Event
from models.privacy.erasure import TOUCHED
from models.privacy.retention import (
    MAX_DAYS,
    Purge,
    has_ended,
    kept_until,
    preview_purge,
    purge_event,
    retention_days_for,
)
from models.privacy.wipe import wipe
from models.types import utcnow


def _preview_text(t: Translator, event: Event, purge: Purge) -> str:
    return t(
        "privacy_erase.cli.preview",
        event=event.name,
        ends=format_date(event.ends_on, t.locale),
        until=format_date(kept_until(event), t.locale),
        people=purge.people,
        erased=purge.erased,
        answers=purge.answers,
        texts=purge.texts,
        attendance=purge.attendance,
        roster=purge.roster,
        certificates=purge.certificates,
        files=purge.files,
        messages=purge.messages,
        broadcasts=purge.broadcasts,
    )


def event_purge(
    code: Annotated[str, typer.Argument(help="the event's code")],
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False,
    lang: Lang = "en",
) -> None:
    """Remove the personal data of the event with CODE now, before its retention period
    runs out: shows what would go and asks first. Refused while the event is not over."""
    t = translator(lang)
    now = utcnow()
    admins = cli_settings().deployment().admins  # never erased by a purge

    async def go(engine: AsyncEngine) -> int:
        await upgrade(engine)
        sessions = session_maker(engine)
        async with sessions.begin() as session:
            event = await event_or_exit(session, code)
            if event.purged_at is not None:
                date = format_date(event.purged_at.date(), t.locale)
                typer.echo(t("privacy_erase.cli.purged", event=event.name, date=date))
                return 0
            if not has_ended(event, now):
                ends = format_date(event.ends_on, t.locale)
                typer.echo(t("privacy_erase.cli.running", event=event.name, ends=ends), err=True)
                return 1
            assert event.id is not None
            event_id = event.id
            preview = await preview_purge(session, event_id, now, admins)
            await session.refresh(event)  # expired by the preview's rollback
            typer.echo(_preview_text(t, event, preview))
        if not yes and ask(t("privacy_erase.cli.confirm")) is not True:
            typer.echo(t("privacy_erase.cli.cancelled"))
            return 1
        async with sessions.begin() as session:
            done = await purge_event(session, event_id, now, admins, actor=CLI)
            name = event.name
        await wipe(engine, TOUCHED)
        typer.echo(t("privacy_erase.cli.done", event=name, people=done.people, erased=done.erased))
        return 0

    code_out = asyncio.run(on_engine(go))
    if code_out:
        raise typer.Exit(code_out)


def event_retention(
    code: Annotated[str, typer.Argument(help="the event's code")],
    years: Annotated[
        int | None, typer.Option("--years", help="keep personal data N years after the end")
    ] = None,
    days: Annotated[
        int | None, typer.Option("--days", help="keep personal data N days after the end")
    ] = None,
    lang: Lang = "en",
) -> None:
    """Print how long the personal data of the event with CODE are kept after it ends
    (two years unless set); with --years or --days, set it first."""
    t = translator(lang)
    if years is not None and days is not None:
        typer.echo("--years and --days contradict", err=True)
        raise typer.Exit(2)

    async def go(session: AsyncSession) -> tuple[str, str, int] | None:
        event = await event_or_exit(session, code)
        if years is not None or days is not None:
            wanted = retention_days_for(event, years=years, days=days)
            if not 1 <= wanted <= MAX_DAYS:
                return None
            event.retention_days = wanted
        until = kept_until(event)
        return event.name, format_date(until, t.locale), (until - event.ends_on).days

    found = asyncio.run(in_session(go))
    if found is None:
        typer.echo(t("privacy_erase.cli.bad_retention", max=MAX_DAYS), err=True)
        raise typer.Exit(2)
    name, until, kept = found
    typer.echo(t("privacy_erase.cli.retention", event=name, until=until, days=kept))
