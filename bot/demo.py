"""The demo event from the project brief (public facts from the seed articles), with two
classes and a four-day agenda (times and rooms are illustrative)."""

from contextlib import suppress
from datetime import date
from importlib import resources

from sqlalchemy.ext.asyncio import AsyncSession

from models import Event
from models.agenda import agenda_of, class_names
from models.agenda_import import AgendaFileError, import_sheet, read_file, set_classes
from models.event import create_event, event_by_code
from models.privacy.retention import MAX_DAYS

DEMO_CODE = "KUKAR2024"
DEMO_ORGANIZER = "Dinas Kearsipan dan Perpustakaan Kabupaten Kutai Kartanegara"
DEMO_CLASSES = ("A", "B")
DEMO_AGENDA = "demo-agenda.csv"


def demo_agenda_csv() -> bytes:
    return resources.files("bot").joinpath(f"data/{DEMO_AGENDA}").read_bytes()


async def ensure_demo_event(session: AsyncSession) -> Event:
    """The demo event, created once. Classes and agenda are filled in only while empty, so
    an organiser trying the import on the demo event keeps what they loaded."""
    event = await event_by_code(session, DEMO_CODE)
    if event is None:
        event = await create_event(
            session,
            code=DEMO_CODE,
            name="Bimtek SPP-TIK Kabupaten Kutai Kartanegara",
            organizer=DEMO_ORGANIZER,
            venue="Hotel Mercure Samarinda",
            timezone="Asia/Makassar",
            starts_on=date(2024, 11, 13),
            ends_on=date(2024, 11, 16),
        )
        # The demo is for trying the bot long after its dates: what is typed into it stays
        # the longest an event may keep it (ten years), unless erased sooner.
        event.retention_days = MAX_DAYS
    if not await class_names(session, event.id):
        await set_classes(session, event, DEMO_CLASSES)
    if not await agenda_of(session, event.id):
        # It fails only if someone re-declared the demo's classes: the demo then runs
        # without an agenda rather than not at all.
        with suppress(AgendaFileError):
            # Our own small file: read here, without starting the reader process.
            sheet = read_file(DEMO_AGENDA, demo_agenda_csv())
            await import_sheet(session, event, sheet)
    return event
