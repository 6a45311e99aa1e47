"""Attendance (presensi): check-in codes opened for a session or a day, what
participants' codes record, marks made by hand, and the daftar hadir.

What others read: ``attendance_of`` (who attended which sessions) and
``sessions_expected`` (where someone was expected), in ``models.attendance.queries``.
"""

from models.attendance.queries import attendance_of, sessions_expected
from models.attendance.store import (
    Attendance,
    AttendanceMark,
    AttendanceOpening,
    AttendanceSettings,
    AttendanceTries,
)

__all__ = [
    "Attendance",
    "AttendanceMark",
    "AttendanceOpening",
    "AttendanceSettings",
    "AttendanceTries",
    "attendance_of",
    "sessions_expected",
]
