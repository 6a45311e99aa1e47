"""Who earns a certificate: an event's rule, and the check of one person against it.

The rule and the check are plain values and a pure function; ``facts_of_event`` gathers
the facts from the database, with attendance read through an ``AttendanceSource`` (check-in
records attendance; this module only reads it).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.certificates.jp import JP_MINUTES
from models.people import Enrollment, Person
from models.surveys.definition import Purpose
from models.surveys.store import Survey, SurveyResponse, SurveyRound

DEFAULT_ATTENDANCE = 90  # per cent of the sessions a person was expected at


class AttendanceSource(Protocol):
    """Where attendance comes from: which agenda sessions each person attended, and which
    ones a person of a class was expected at."""

    async def attendance_of(self, session: AsyncSession, event_id: int) -> dict[int, set[int]]:
        """Person id → the ids of the agenda sessions they attended."""
        ...

    async def sessions_expected(
        self, session: AsyncSession, event_id: int, *, class_name: str | None
    ) -> set[int]:
        """The ids of the sessions a participant of ``class_name`` was expected at."""
        ...


@dataclass(frozen=True, slots=True)
class Rule:
    min_attendance: int = DEFAULT_ATTENDANCE  # per cent, 0 to 100
    evaluation: bool = True  # the event's evaluation answered
    post_test: bool = False  # the post-test answered
    jp_minutes: int = JP_MINUTES
    # Issued without an organiser's word once the event is over, to whoever qualifies.
    automatic: bool = True


class Part(StrEnum):
    """A part of the rule a person may be missing."""

    ATTENDANCE = "attendance"
    EVALUATION = "evaluation"
    POST_TEST = "post_test"


@dataclass(frozen=True, slots=True)
class Facts:
    """What the rule is checked against, for one person."""

    expected: frozenset[int]  # sessions they were expected at
    attended: frozenset[int]
    evaluation: bool  # submitted the event's evaluation
    post_test: bool

    @property
    def present(self) -> int:
        """Sessions attended of those expected."""
        return len(self.attended & self.expected)


@dataclass(frozen=True, slots=True)
class Verdict:
    facts: Facts
    missing: tuple[Part, ...]

    @property
    def qualifies(self) -> bool:
        return not self.missing


def attendance_met(rule: Rule, facts: Facts) -> bool:
    """At least ``min_attendance`` per cent of the expected sessions attended, in whole
    numbers (no rounding: 9 of 10 is 90 %, 26 of 29 is not). With no session expected,
    only a rule asking 0 % is met: nothing was attended either."""
    if not facts.expected:
        return rule.min_attendance == 0
    return facts.present * 100 >= rule.min_attendance * len(facts.expected)


def check(rule: Rule, facts: Facts) -> Verdict:
    missing = []
    if not attendance_met(rule, facts):
        missing.append(Part.ATTENDANCE)
    if rule.evaluation and not facts.evaluation:
        missing.append(Part.EVALUATION)
    if rule.post_test and not facts.post_test:
        missing.append(Part.POST_TEST)
    return Verdict(facts, tuple(missing))


@dataclass(frozen=True, slots=True)
class Participant:
    person_id: int
    full_name: str
    class_name: str | None
    phone: str | None


async def participants(session: AsyncSession, event_id: int) -> list[Participant]:
    """The event's registered participants, by name."""
    found = await session.execute(
        select(Person.id, Person.full_name, Enrollment.class_name, Person.phone_e164)
        .join(Enrollment, col(Enrollment.person_id) == col(Person.id))
        .where(col(Enrollment.event_id) == event_id, col(Person.registered_at).is_not(None))
        .order_by(col(Person.full_name), col(Person.id))
    )
    return [Participant(int(p), name or "", cls, phone) for p, name, cls, phone in found.all()]


async def submitted(session: AsyncSession, event_id: int, purpose: Purpose) -> set[int]:
    """Who submitted a survey of ``purpose`` in the event."""
    found = await session.execute(
        select(SurveyResponse.person_id)
        .join(SurveyRound, col(SurveyRound.id) == col(SurveyResponse.round_id))
        .join(Survey, col(Survey.id) == col(SurveyRound.survey_id))
        .where(
            col(SurveyRound.event_id) == event_id,
            col(Survey.purpose) == purpose.value,
            col(SurveyResponse.submitted_at).is_not(None),
        )
    )
    return set(found.scalars())


async def facts_of_event(
    session: AsyncSession,
    source: AttendanceSource,
    event_id: int,
    people: Iterable[Participant],
) -> dict[int, Facts]:
    """The facts of each of ``people`` in the event, by person id."""
    attended = await source.attendance_of(session, event_id)
    evaluated = await submitted(session, event_id, Purpose.EVALUATION)
    tested = await submitted(session, event_id, Purpose.POST_TEST)
    expected: dict[str | None, frozenset[int]] = {}
    facts = {}
    for person in people:
        if person.class_name not in expected:
            found = await source.sessions_expected(session, event_id, class_name=person.class_name)
            expected[person.class_name] = frozenset(found)
        facts[person.person_id] = Facts(
            expected=expected[person.class_name],
            attended=frozenset(attended.get(person.person_id, ())),
            evaluation=person.person_id in evaluated,
            post_test=person.person_id in tested,
        )
    return facts
