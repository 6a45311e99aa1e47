"""What an applied agenda changed on one day: the sessions that moved, changed room or
were removed, as a schedule-change notice ("perubahan jadwal") tells them. Plain values,
kept in a conversation while the organiser decides whether to send it."""

from datetime import date, datetime

from pydantic import BaseModel

from models.agenda_import.apply import ImportReport

# Changed fields that change where and when people must be.
NOTICED = {"date", "start", "end", "room"}


class ScheduleChange(BaseModel):
    session_id: int
    title: str
    class_name: str | None  # as it is now (a removed session: as it was); None: plenary
    old_class: str | None
    was_start: datetime
    was_end: datetime
    was_room: str
    day: date | None = None  # None: removed
    start: datetime | None = None
    end: datetime | None = None
    room: str = ""

    @property
    def removed(self) -> bool:
        return self.day is None


def changes_on(report: ImportReport, day: date) -> list[ScheduleChange]:
    """The changes of an import that concern ``day`` (the event's local date): sessions
    of that day, before or after the change, that moved or changed room, and those of
    that day removed. In the order of the day as it was."""
    found = []
    for item, fields in report.changed:
        was = report.before.get(item.id) if item.id is not None else None
        if was is None or not NOTICED & set(fields) or day not in (was.day, item.day):
            continue
        found.append(
            ScheduleChange(
                session_id=was.id,
                title=item.title,
                class_name=item.class_name,
                old_class=was.class_name,
                was_start=was.starts_at,
                was_end=was.ends_at,
                was_room=was.room,
                day=item.day,
                start=item.starts_at,
                end=item.ends_at,
                room=item.room,
            )
        )
    for gone in report.removed:
        if gone.day == day and gone.id is not None:
            found.append(
                ScheduleChange(
                    session_id=gone.id,
                    title=gone.title,
                    class_name=gone.class_name,
                    old_class=gone.class_name,
                    was_start=gone.starts_at,
                    was_end=gone.ends_at,
                    was_room=gone.room,
                )
            )
    return sorted(found, key=lambda c: (c.was_start, c.class_name or "", c.session_id))
