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
from models import ChannelIdentity
from tests.dashboard_helpers import NOW, config
from tests.factories import Talker

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
