"""Hours of lessons (jam pelajaran, JP) a certificate states.

Indonesian training counts its programme in JP of 45 minutes ("1 JP = 45 menit"): the
convention of government training curricula, which plan each subject in whole JP. A
certificate states the programme a participant of a class followed, not their own
minutes: the sessions of their class and the plenary ones, breaks left out
(``models.reminders.is_break``). Someone without a class, in an event with classes,
followed one of the parallel sessions: every session counts then, but each moment once.

The total is rounded down to whole JP: the certificate claims only lessons held in full
(a 100-minute afternoon is 2 JP, not 3). Agendas planned in JP come out exact.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from models.reminders import is_break

JP_MINUTES = 45


class Timed(Protocol):
    """A session as the count needs it (``models.agenda.AgendaItem`` is one)."""

    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...
    @property
    def title(self) -> str: ...
    @property
    def class_name(self) -> str | None: ...


def lesson_minutes(sessions: Iterable[Timed], class_name: str | None) -> int:
    """Minutes of lessons for a participant of ``class_name`` (None: no class): the time
    covered by their sessions that are no break, each moment counted once."""
    spans = sorted(
        (s.starts_at, s.ends_at)
        for s in sessions
        if not is_break(s.title)
        and s.ends_at > s.starts_at
        and (class_name is None or s.class_name in (None, class_name))
    )
    seconds = 0.0
    covered_until: datetime | None = None
    for start, end in spans:
        if covered_until is not None and start < covered_until:
            start = covered_until  # the part already counted
        if end > start:
            seconds += (end - start).total_seconds()
            covered_until = end
    return int(seconds // 60)


def jp_of(minutes: int, jp_minutes: int = JP_MINUTES) -> int:
    """Whole JP in ``minutes``, rounded down."""
    return minutes // jp_minutes
