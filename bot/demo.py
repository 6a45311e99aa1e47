"""The demo event from the project brief (public facts from the seed articles)."""

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.events import create_event
from models import Event

DEMO_CODE = "KUKAR2024"


async def ensure_demo_event(session: AsyncSession) -> Event:
    existing = (await session.execute(select(Event).where(col(Event.code) == DEMO_CODE))).scalars()
    event = existing.first()
    if event is not None:
        return event
    return await create_event(
        session,
        code=DEMO_CODE,
        name="Bimtek SPP-TIK Kabupaten Kutai Kartanegara",
        organizer="Dinas Kearsipan dan Perpustakaan Kabupaten Kutai Kartanegara",
        venue="Hotel Mercure Samarinda",
        timezone="Asia/Makassar",
        starts_on=date(2024, 11, 13),
        ends_on=date(2024, 11, 16),
    )
