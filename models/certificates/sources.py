"""Where certificates read attendance from: the one place that names it.

Check-in records who attended which session (``models/attendance.py``, its own work);
until it is part of the bot, no attendance is recorded, and this source says so: every
participant was expected at their programme's sessions (their class's and the plenary
ones, breaks left out) and attended none. Then only a rule asking 0 % attendance is met
(``bimtek certificate rule CODE --attendance 0``), and organisers may still issue by hand
with a reason. Once check-in is merged, ``attendance_source`` returns that module.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from models.agenda import agenda
from models.certificates.rule import AttendanceSource
from models.event import Event
from models.reminders import is_break


class NothingRecorded:
    async def attendance_of(self, session: AsyncSession, event_id: int) -> dict[int, set[int]]:
        return {}

    async def sessions_expected(
        self, session: AsyncSession, event_id: int, class_name: str | None
    ) -> set[int]:
        event = await session.get(Event, event_id)
        if event is None:
            return set()
        whole = await agenda(session, event)
        plenary_only = class_name is None and bool(whole.classes)
        return {
            item.id
            for item in whole.for_class(class_name)
            if not is_break(item.title) and not (plenary_only and item.class_name is not None)
        }


current: AttendanceSource = NothingRecorded()


def attendance_source() -> AttendanceSource:
    return current
