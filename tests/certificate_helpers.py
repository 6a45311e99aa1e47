"""What the certificate tests share: attendance given as explicit sets, an evaluation or
post-test answered, and the text and QR code read back from a PDF."""

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pypdf
import zxingcpp
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.db import SessionMaker
from models import ChannelIdentity, Event, Person, SurveyResponse
from models.agenda import agenda
from models.reminders import is_break
from models.surveys.shipped import install_shipped
from models.surveys.store import latest_survey, open_round
from tests.factories import enrol


@dataclass
class GivenAttendance:
    """Attendance as a test states it: who attended which sessions, and which sessions a
    class was expected at."""

    attended: dict[int, set[int]] = field(default_factory=dict)
    expected: dict[str | None, set[int]] = field(default_factory=dict)

    async def attendance_of(self, session: AsyncSession, event_id: int) -> dict[int, set[int]]:
        return self.attended

    async def sessions_expected(
        self, session: AsyncSession, event_id: int, class_name: str | None
    ) -> set[int]:
        return self.expected.get(class_name, set())


async def answered(
    sessions: SessionMaker, event: Event, person_id: int, survey_key: str = "evaluation"
) -> None:
    """``person_id`` submitted the event's ``survey_key`` round."""
    async with sessions.begin() as session:
        await install_shipped(session)
        survey = await latest_survey(session, survey_key)
        assert survey is not None
        assert event.id is not None
        opened = datetime(2024, 11, 16, 2, tzinfo=UTC)
        round_, _ = await open_round(
            session, survey=survey, event_id=event.id, slot=survey_key, opens_at=opened
        )
        assert round_.id is not None
        session.add(
            SurveyResponse(
                round_id=round_.id, person_id=person_id, started_at=opened,
                updated_at=opened, submitted_at=opened,
            )
        )  # fmt: skip


async def person_of(sessions: SessionMaker, user_key: str) -> int:
    async with sessions() as session:
        found = await session.execute(
            select(ChannelIdentity.person_id).where(col(ChannelIdentity.user_key) == user_key)
        )
        return found.scalars().one()


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def pdf_qr_codes(content: bytes) -> list[str]:
    """What the QR codes drawn in the PDF say, read from its pictures."""
    reader = pypdf.PdfReader(io.BytesIO(content))
    found = []
    for page in reader.pages:
        for picture in page.images:
            found += [code.text for code in zxingcpp.read_barcodes(picture.image)]
    return found


async def participant(
    sessions: SessionMaker,
    event: Event,
    name: str,
    phone: str,
    class_name: str | None = "A",
    channel: str = "console",
    locale: str = "id",
) -> tuple[str, int]:
    """A registered participant named ``name``: their user key and person id."""
    user_key = await enrol(sessions, event, class_name=class_name, channel=channel, locale=locale)
    person_id = await person_of(sessions, user_key)
    async with sessions.begin() as session:
        person = await session.get(Person, person_id)
        assert person is not None
        person.full_name, person.phone_e164 = name, phone
    return user_key, person_id


async def agenda_ids(sessions: SessionMaker, event: Event, class_name: str | None) -> set[int]:
    """The ids of the sessions a participant of ``class_name`` attends, breaks left out."""
    async with sessions() as session:
        whole = await agenda(session, event)
    return {i.id for i in whole.for_class(class_name) if not is_break(i.title)}
