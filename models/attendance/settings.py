"""An event's attendance settings: how long a code works, when a check-in counts as
late, whether people check out too, and how the daftar hadir is laid out. An event
without a row of its own uses the defaults."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models.attendance.store import (
    DEFAULT_CODE_MINUTES,
    DEFAULT_LATE_AFTER,
    AttendanceSettings,
    ExportBy,
)
from models.audit import SYSTEM, Actor, AuditAction, record

MAX_CODE_MINUTES = 240
MAX_LATE_AFTER = 240


@dataclass(frozen=True, slots=True)
class Rules:
    code_minutes: int = DEFAULT_CODE_MINUTES
    late_after: int = DEFAULT_LATE_AFTER
    check_out: bool = False
    export_by: ExportBy = ExportBy.DAY


class SettingError(ValueError):
    """A setting out of its range; the message says which, for the organiser."""


def _rules(stored: AttendanceSettings | None) -> Rules:
    if stored is None:
        return Rules()
    return Rules(
        stored.code_minutes, stored.late_after, stored.check_out, ExportBy(stored.export_by)
    )


async def rules_of(session: AsyncSession, event_id: int) -> Rules:
    return _rules(await session.get(AttendanceSettings, event_id))


def checked_minutes(minutes: int, highest: int = MAX_CODE_MINUTES) -> int:
    if not 1 <= minutes <= highest:
        raise SettingError(f"minutes go from 1 to {highest}, not {minutes}")
    return minutes


async def update_rules(
    session: AsyncSession,
    event_id: int,
    now: datetime,
    *,
    code_minutes: int | None = None,
    late_after: int | None = None,
    check_out: bool | None = None,
    export_by: ExportBy | None = None,
    actor: Actor = SYSTEM,
) -> Rules:
    """Change what is given (None: unchanged); the settings as they now are. Codes
    already opened keep the minutes they were opened with."""
    stored = await session.get(AttendanceSettings, event_id, with_for_update=True)
    if stored is None:
        stored = AttendanceSettings(event_id=event_id)
        session.add(stored)
    if code_minutes is not None:
        stored.code_minutes = checked_minutes(code_minutes)
    if late_after is not None:
        if not 0 <= late_after <= MAX_LATE_AFTER:
            raise SettingError(f"late after 0 to {MAX_LATE_AFTER} minutes, not {late_after}")
        stored.late_after = late_after
    if check_out is not None:
        stored.check_out = check_out
    if export_by is not None:
        stored.export_by = export_by
    stored.updated_at = now
    await session.flush()
    given = {"code_minutes": code_minutes, "late_after": late_after, "check_out": check_out,
             "export_by": export_by}  # fmt: skip
    record(
        session,
        actor,
        AuditAction.ATTENDANCE_SETTINGS,
        event_id=event_id,
        target="settings",
        at=now,
        fields=sorted(k for k, v in given.items() if v is not None),
    )
    return _rules(stored)
