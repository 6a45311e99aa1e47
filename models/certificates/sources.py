"""Where certificates read attendance from: the one place that names it, so that tests
can put explicit attendance in its place (``current``)."""

import models.attendance as check_in
from models.certificates.rule import AttendanceSource

# Check-in and marks by hand (models/attendance.py): who attended which session, and the
# sessions each person was expected at.
current: AttendanceSource = check_in


def attendance_source() -> AttendanceSource:
    return current
