"""The planners alone, over any zone, time and offsets (hypothesis): run every minute,
each reminder is planned once, due exactly its offset before the start as the event's
clock reads it, never after the start; the digest at its local time exactly."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.notices import Round, morning_digest, session_reminders
from models import Event
from models.agenda import Agenda, AgendaItem
from models.notifications import Planned, Recipient
from models.reminders import Reminders

ZONES = ("Asia/Jakarta", "Asia/Pontianak", "Asia/Makassar", "Asia/Jayapura")
CREATED = datetime(2024, 1, 1, tzinfo=UTC)
SOMEONE = Recipient(person_id=1, identity_id=1, channel="console", locale="id", class_name=None)


def event_on(day: date, zone: str) -> Event:
    return Event(
        id=1,
        code="HYP",
        name="Bimtek",
        timezone=zone,
        starts_on=day - timedelta(days=1),
        ends_on=day + timedelta(days=1),
        created_at=CREATED,
    )


def one_session(starts_at: datetime, day: date) -> Agenda:
    item = AgendaItem(
        id=7,
        event_id=1,
        day=day,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        title="Strategi Transformasi Perpustakaan",
        speakers="",
        room="Ballroom",
        class_name=None,
        description="",
        updated_at=CREATED,
    )
    return Agenda(1, CREATED, 0, (item,), ())


def minute_of_day(moment: datetime) -> int:
    return moment.hour * 60 + moment.minute


@settings(max_examples=40, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    day=st.dates(date(2024, 1, 1), date(2030, 12, 31)),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
    offsets=st.sets(st.integers(1, 240), min_size=1, max_size=3),
    second=st.integers(0, 59),
)
def test_each_offset_is_planned_once_exactly_before_the_start(
    zone: str, day: date, hour: int, minute: int, offsets: set[int], second: int
) -> None:
    local_start = datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(zone))
    start = local_start.astimezone(UTC)
    event, agenda = event_on(day, zone), one_session(start, day)
    chosen = Reminders(offsets=tuple(sorted(offsets, reverse=True)), digest=False)
    found: dict[str, Planned] = {}
    now = start - timedelta(minutes=250, seconds=second)
    while now <= start + timedelta(minutes=2):  # a round every minute, from well before
        for planned in session_reminders(Round(event, agenda, [SOMEONE], chosen, now)):
            assert planned.due_at <= now + timedelta(minutes=5)  # written shortly before
            assert planned.expires_at is not None
            assert now < planned.expires_at <= start  # never once the session has begun
            found.setdefault(planned.key, planned)
        now += timedelta(minutes=1)
    dues = sorted(p.due_at for p in found.values())
    assert dues == sorted(start - timedelta(minutes=m) for m in offsets)
    for planned in found.values():
        assert planned.due_at < start
        # On the event's clock, the start's minute of the day less the offset.
        local_due = planned.due_at.astimezone(ZoneInfo(zone))
        lead = (minute_of_day(local_start) - minute_of_day(local_due)) % (24 * 60)
        assert lead in offsets
        assert f"{hour:02d}.{minute:02d}" in planned.body["text"]


@settings(max_examples=40, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    day=st.dates(date(2024, 1, 1), date(2030, 12, 31)),
    at=st.times(time(0, 0), time(22, 59)).map(lambda t: t.replace(second=0, microsecond=0)),
)
def test_the_digest_is_due_at_its_local_time_exactly(zone: str, day: date, at: time) -> None:
    start = datetime.combine(day, time(23, 30), ZoneInfo(zone)).astimezone(UTC)
    event, agenda = event_on(day, zone), one_session(start, day)
    chosen = Reminders(before_sessions=False, digest_at=at)
    due_local = datetime.combine(day, at, ZoneInfo(zone))
    [digest] = morning_digest(
        Round(event, agenda, [SOMEONE], chosen, due_local - timedelta(minutes=1))
    )
    assert digest.due_at.astimezone(ZoneInfo(zone)).time() == at
    assert digest.due_at.astimezone(ZoneInfo(zone)).date() == day
    assert digest.expires_at == start
