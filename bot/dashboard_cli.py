"""``bimtek dashboard-link``: a one-time sign-in link to the organisers' web dashboard,
printed on the server, for an organiser (of any event) or an admin, named by person id
or phone number. The same link ``/dasbor`` sends in the chat."""

import asyncio
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.cli_common import cli_settings, in_session
from bot.dashboard.access import is_admin, organised_events
from models import ChannelIdentity, Person
from models.dashboard import LINK_VALID_FOR, mint_link, sign_in_url
from models.people import NUMBER_CHANNELS
from models.profile_checks import phone_e164
from models.types import utcnow


async def _person_by_phone(session: AsyncSession, typed: str) -> int | None:
    try:
        number = phone_e164(typed)
    except ValueError:
        typer.echo("--phone is not a phone number", err=True)
        raise typer.Exit(2) from None
    found = await session.execute(
        select(Person.id).where(col(Person.phone_e164) == number).order_by(col(Person.id))
    )
    person_id: int | None = found.scalars().first()
    if person_id is not None:
        return person_id
    on_channel = await session.execute(
        select(ChannelIdentity.person_id).where(
            col(ChannelIdentity.channel).in_(NUMBER_CHANNELS),
            col(ChannelIdentity.user_key) == number.lstrip("+"),
        )
    )
    known: int | None = on_channel.scalars().first()
    return known


def dashboard_link_command(
    person: Annotated[int | None, typer.Option("--person", help="the person's id")] = None,
    phone: Annotated[
        str | None, typer.Option("--phone", help="the person's phone number (0812..., +62...)")
    ] = None,
) -> None:
    """Print a one-time link (valid 10 minutes) that signs an organiser or admin in to
    the web dashboard."""
    if (person is None) == (phone is None):
        typer.echo("give one of --person or --phone", err=True)
        raise typer.Exit(2)
    settings = cli_settings()
    if not settings.public_base_url:
        typer.echo("set PUBLIC_BASE_URL (where the web app is reached) first", err=True)
        raise typer.Exit(2)
    admins = settings.deployment().admins

    async def mint(session: AsyncSession) -> str:
        person_id = person if phone is None else await _person_by_phone(session, phone)
        if person_id is None or await session.get(Person, person_id) is None:
            typer.echo("no such person", err=True)
            raise typer.Exit(2)
        admin = await is_admin(session, person_id, admins)
        if not admin and not await organised_events(session, person_id, admin=False):
            typer.echo("that person organises no event and is no admin", err=True)
            raise typer.Exit(2)
        return await mint_link(session, person_id, utcnow())

    token = asyncio.run(in_session(mint))
    assert settings.public_base_url is not None
    minutes = int(LINK_VALID_FOR.total_seconds() // 60)
    typer.echo(sign_in_url(settings.public_base_url, token))
    typer.echo(f"valid {minutes} minutes, once", err=True)
