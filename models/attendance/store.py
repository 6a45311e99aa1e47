"""The attendance tables: an event's settings, the check-in codes opened, who was
present at which session, the manual changes with their reasons, and wrong codes
counted per person."""

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel, UniqueConstraint

from models.types import UTCDateTime, utcnow

# A code works for half an hour: those who arrive in its second quarter hour still check
# in, marked late (DEFAULT_LATE_AFTER).
DEFAULT_CODE_MINUTES = 30
DEFAULT_LATE_AFTER = 15


class ExportBy(StrEnum):
    """The columns of the daftar hadir: one per day, or one per session."""

    DAY = "day"
    SESSION = "session"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class Source(StrEnum):
    CODE = "code"  # the person sent a check-in code
    MANUAL = "manual"  # an organiser marked them


class AttendanceSettings(SQLModel, table=True):
    """An event's attendance settings, once an organiser changed the defaults."""

    __tablename__ = "event_attendance"

    event_id: int = Field(primary_key=True, foreign_key="event.id", ondelete="CASCADE")
    code_minutes: int = DEFAULT_CODE_MINUTES  # how long a code works, unless its opener says
    late_after: int = DEFAULT_LATE_AFTER  # minutes after a session's start
    check_out: bool = False
    export_by: str = Field(default=ExportBy.DAY, max_length=8)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AttendanceOpening(SQLModel, table=True):
    """A check-in (or check-out) code opened for one session, or for a whole day
    (``session_id`` None: each person's own sessions of ``day``).

    The code is kept as it is, not as a digest: it is shown on a screen in the hall for
    everyone to read, works for minutes, and records nothing for anyone not enrolled."""

    __tablename__ = "attendance_opening"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    session_id: int | None = Field(
        default=None, foreign_key="agenda_session.id", index=True, ondelete="CASCADE"
    )
    day: date  # in the event's zone
    direction: str = Field(default=Direction.IN, max_length=3)
    code: str = Field(max_length=8, unique=True)
    opens_at: datetime = Field(sa_type=UTCDateTime)  # codes sent before are not taken yet
    expires_at: datetime = Field(sa_type=UTCDateTime)
    opened_by: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The opener's message that shows the count as people check in (a live message).
    status_identity_id: int | None = Field(
        default=None, foreign_key="channel_identity.id", ondelete="SET NULL"
    )
    status_outbox_id: int | None = None


class Attendance(SQLModel, table=True):
    """One person present at one session: by a code they sent, or marked by hand. An
    organiser's "not present" keeps the row with ``unmarked_at`` set, so that a code sent
    again does not undo it."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("person_id", "session_id"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    session_id: int = Field(foreign_key="agenda_session.id", index=True, ondelete="CASCADE")
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    checked_in_at: datetime = Field(sa_type=UTCDateTime)
    late: bool = False
    source: str = Field(default=Source.CODE, max_length=8)
    channel: str = Field(max_length=16, description="where the code came from, or 'cli'")
    opening_id: int | None = Field(
        default=None, foreign_key="attendance_opening.id", ondelete="SET NULL"
    )
    checked_out_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    unmarked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MarkAction(StrEnum):
    MARK = "mark"
    UNMARK = "unmark"


class AttendanceMark(SQLModel, table=True):
    """A change made by hand, kept for the report: who, when, why."""

    __tablename__ = "attendance_mark"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    session_id: int = Field(foreign_key="agenda_session.id", ondelete="CASCADE")
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    action: str = Field(max_length=8)
    reason: str = Field(max_length=300)
    by_person_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    via: str = Field(max_length=16, description="the channel it was done on, or 'cli'")
    at: datetime = Field(sa_type=UTCDateTime)


class AttendanceTries(SQLModel, table=True):
    """Wrong codes a person sent since ``since``: too many in a while, and they wait."""

    __tablename__ = "attendance_tries"

    person_id: int = Field(primary_key=True, foreign_key="person.id", ondelete="CASCADE")
    since: datetime = Field(sa_type=UTCDateTime)
    wrong: int = 0
