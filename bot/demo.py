"""The demo event from the project brief (public facts from the seed articles)."""

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from bot.events import create_event
from models import Event
from models.event import event_by_code

DEMO_CODE = "KUKAR2024"
DEMO_ORGANIZER = "Dinas Kearsipan dan Perpustakaan Kabupaten Kutai Kartanegara"


async def ensure_demo_event(session: AsyncSession) -> Event:
    event = await event_by_code(session, DEMO_CODE)
    if event is not None:
        return event
    return await create_event(
        session,
        code=DEMO_CODE,
        name="Bimtek SPP-TIK Kabupaten Kutai Kartanegara",
        organizer=DEMO_ORGANIZER,
        venue="Hotel Mercure Samarinda",
        timezone="Asia/Makassar",
        starts_on=date(2024, 11, 13),
        ends_on=date(2024, 11, 16),
    )
