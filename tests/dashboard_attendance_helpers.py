"""What the dashboard's attendance and certificate tests share: the web app as the bot
serves it (the dashboard and the certificates' verification page) with links to the bot,
participants of the dashboard's world who talk to the chat (the console driver), and a
page's CSRF token and QR codes read back."""

import base64
import io
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

import zxingcpp
from fastapi import FastAPI
from PIL import Image
from sqlmodel import col, select

from bot.dashboard.app import dashboard_part
from bot.db import SessionMaker
from bot.web import web_app
from bot.web_certificates import certificate_pages
from handlers.turn import Deployment
from models import AgendaSession, ChannelIdentity, Person
from models.attendance.marks import Who, mark
from tests.dashboard_helpers import NOW, config
from tests.factories import Talker, id_of

DEPLOYMENT = Deployment(telegram_username="bimtek_contoh_bot", whatsapp_number="6281154001234")


def full_app(
    sessions: SessionMaker,
    clock: Callable[[], datetime],
    deployment: Deployment = DEPLOYMENT,
) -> FastAPI:
    """The dashboard and the certificates' verification page, as ``bot.web`` serves them,
    with the bot's links (QR codes) from ``deployment``."""
    settings = replace(config(clock), deployment=deployment)
    return web_app(None, [certificate_pages(sessions), dashboard_part(sessions, settings)])


async def talker_of(sessions: SessionMaker, person_id: int, now: datetime = NOW) -> Talker:
    """The participant ``person_id`` writing to the bot (on the console), at ``now``."""
    async with sessions() as session:
        found = await session.execute(
            select(ChannelIdentity.user_key).where(col(ChannelIdentity.person_id) == person_id)
        )
        user_key = found.scalars().one()
    return Talker(sessions, user_key, now, deployment=DEPLOYMENT)


def csrf_in(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


def qr_texts(html: str) -> dict[str, str]:
    """What each QR code picture on a page says, by its element id."""
    found = {}
    for data, ident in re.findall(
        r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"[^>]*?id="([^"]+)"', html
    ):
        [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(base64.b64decode(data))))
        found[ident] = code.text
    return found


async def session_ids(sessions: SessionMaker, event_id: int) -> dict[str, int]:
    """The event's sessions' ids, by title."""
    async with sessions() as session:
        found = await session.execute(
            select(AgendaSession.title, AgendaSession.id).where(
                col(AgendaSession.event_id) == event_id
            )
        )
        return {title: ident for title, ident in found.all() if ident is not None}


async def present_at(
    sessions: SessionMaker, event_id: int, person_id: int, titles: set[str]
) -> None:
    """Mark the person present at the event's sessions of those titles, by hand."""
    async with sessions.begin() as session:
        found = await session.execute(
            select(AgendaSession).where(col(AgendaSession.event_id) == event_id)
        )
        for row in found.scalars():
            if row.title in titles:
                await mark(
                    session, event_id=event_id, session_id=id_of(row), person_id=person_id,
                    reason="Daftar hadir kertas", who=Who(None, "cli"), now=NOW,
                )  # fmt: skip


async def person_named(sessions: SessionMaker, name: str) -> int:
    """The id of the one person of that name."""
    async with sessions() as session:
        found = await session.execute(select(Person.id).where(col(Person.full_name) == name))
        return int(found.scalars().one())
