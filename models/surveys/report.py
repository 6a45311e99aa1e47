"""An event's survey results read from the tables: every round's figures, the SKM, and the
pre-/post-test gains; and a trainer's view, of their own sessions only and anonymous.

Queries are a fixed few per report, whatever the number of people: rounds, how many each
asked, responses with their people, answers.
"""

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import distinct, func, or_, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.agenda import AgendaSession
from models.attendance.store import Attendance
from models.event import Event
from models.people import Enrollment, Person
from models.roles import Role, RoleName, teaches
from models.surveys.definition import AnswerValue
from models.surveys.results import (
    Respondent,
    Response,
    RoundInput,
    RoundResult,
    TestComparison,
    compare_tests,
    round_results,
)
from models.surveys.store import Survey, SurveyAnswer, SurveyResponse, SurveyRound

# Whom a round asked: for a session whose attendance was taken, the people present there
# (and anyone absent who answered all the same); otherwise everyone enrolled in the event
# (for a class's session, everyone in that class), present or not.
ASKED_MEANS = (
    "asked = for a session where attendance was taken, those present (and anyone else who "
    "answered); otherwise everyone enrolled in the event (for a class's session, in that class)"
)


@dataclass(frozen=True, slots=True)
class EventInfo:
    id: int
    code: str
    name: str
    timezone: str


@dataclass(frozen=True, slots=True)
class EventReport:
    event: EventInfo
    names: bool  # whether people's names and details are in it
    rounds: tuple[RoundResult, ...]  # in the order they opened
    tests: TestComparison | None  # when the event has a pre-test and a post-test
    speakers: tuple[str, ...] = ()  # a trainer's report: the speakers it is about


_Row = tuple[SurveyRound, Survey, AgendaSession | None]


async def _rounds(session: AsyncSession, event_id: int, survey_key: str | None) -> list[_Row]:
    query = (
        select(SurveyRound, Survey, AgendaSession)
        .join(Survey, col(Survey.id) == col(SurveyRound.survey_id))
        .outerjoin(AgendaSession, col(AgendaSession.id) == col(SurveyRound.session_id))
        .where(col(SurveyRound.event_id) == event_id)
        .order_by(col(SurveyRound.opens_at), col(SurveyRound.id))
    )
    if survey_key is not None:
        query = query.where(col(Survey.key) == survey_key)
    return list((await session.execute(query)).all())


async def _asked(session: AsyncSession, event_id: int) -> dict[int, int]:
    """How many people each round of the event asked (see ASKED_MEANS), counted for every
    round at once: those present at a session whose attendance was taken; otherwise those
    it is for (``store.is_for``): the enrolled, of the session's class for a class's
    session."""
    found = await session.execute(
        select(SurveyRound.id, func.count(col(Enrollment.id)))
        .join(Enrollment, col(Enrollment.event_id) == col(SurveyRound.event_id))
        .outerjoin(AgendaSession, col(AgendaSession.id) == col(SurveyRound.session_id))
        .where(
            col(SurveyRound.event_id) == event_id,
            or_(
                col(AgendaSession.id).is_(None),
                col(AgendaSession.class_name).is_(None),
                col(AgendaSession.class_name) == col(Enrollment.class_name),
            ),
        )
        .group_by(col(SurveyRound.id))
    )
    enrolled = {round_id: count for round_id, count in found.all() if round_id is not None}
    return enrolled | await _present(session, event_id)


async def _present(session: AsyncSession, event_id: int) -> dict[int, int]:
    """For each round of a session whose attendance was taken: how many were there, or
    answered without being marked present (one person counted once)."""
    taken: Any = (
        select(col(SurveyRound.id).label("round_id"), col(Attendance.person_id).label("person_id"))
        .join(Attendance, col(Attendance.session_id) == col(SurveyRound.session_id))
        .where(col(SurveyRound.event_id) == event_id, col(Attendance.unmarked_at).is_(None))
    )
    answered = (
        select(SurveyResponse.round_id, SurveyResponse.person_id)
        .join(SurveyRound, col(SurveyRound.id) == col(SurveyResponse.round_id))
        .where(
            col(SurveyRound.event_id) == event_id,
            col(SurveyResponse.submitted_at).is_not(None),
            col(SurveyRound.id).in_(select(taken.subquery().c.round_id)),
        )
    )
    either = union(taken, answered).subquery()
    found = await session.execute(
        select(either.c.round_id, func.count(distinct(either.c.person_id))).group_by(
            either.c.round_id
        )
    )
    present = {int(round_id): int(count) for round_id, count in found.all()}
    # Someone who erased their data is in no attendance row, but their anonymous answers
    # still count: each as one more person there, so that no rate goes above 100%.
    anonymous = await session.execute(
        select(SurveyResponse.round_id, func.count())
        .where(
            col(SurveyResponse.person_id).is_(None),
            col(SurveyResponse.submitted_at).is_not(None),
            col(SurveyResponse.round_id).in_(select(taken.subquery().c.round_id)),
        )
        .group_by(col(SurveyResponse.round_id))
    )
    for round_id, count in anonymous.all():
        present[int(round_id)] = present.get(int(round_id), 0) + int(count)
    return present


async def _responses(
    session: AsyncSession, event_id: int, round_ids: Sequence[int], *, names: bool
) -> dict[int, list[Response]]:
    """The submitted responses of the rounds, by round, earliest first."""
    if not round_ids:
        return {}
    submitted = (
        select(SurveyResponse, Person, Enrollment.class_name)
        # Outer: an erased person's answers stay, as nobody's (models/privacy/anonymous.py).
        .outerjoin(Person, col(Person.id) == col(SurveyResponse.person_id))
        .outerjoin(
            Enrollment,
            (col(Enrollment.person_id) == col(SurveyResponse.person_id))
            & (col(Enrollment.event_id) == event_id),
        )
        .where(
            col(SurveyResponse.round_id).in_(round_ids),
            col(SurveyResponse.submitted_at).is_not(None),
        )
        .order_by(col(SurveyResponse.submitted_at), col(SurveyResponse.id))
    )
    rows = list((await session.execute(submitted)).all())
    answers: dict[int, dict[tuple[str, str], AnswerValue]] = defaultdict(dict)
    found = await session.execute(
        select(SurveyAnswer).where(
            col(SurveyAnswer.response_id).in_([response.id for response, _, _ in rows])
        )
    )
    for answer in found.scalars():
        if answer.value is not None:
            answers[answer.response_id][(answer.question_id, answer.subject)] = answer.value
    by_round: dict[int, list[Response]] = defaultdict(list)
    for response, person, class_name in rows:
        assert response.id is not None
        if person is None or person.id is None:
            # Anonymous: a negative id tells it apart from every other response and
            # pairs it with no other round (no N-gain from half a pair).
            who = Respondent(-response.id)
        elif names:
            who = Respondent(
                person_id=person.id,
                name=person.full_name,
                phone=person.phone_e164,
                library=person.library_name,
                regency=person.regency,
                class_name=class_name,
            )
        else:  # the groups the tables are made of, and nothing that names anyone
            who = Respondent(person.id, regency=person.regency, class_name=class_name)
        by_round[response.round_id].append(
            Response(who, response.submitted_at, answers.get(response.id, {}))
        )
    return by_round


def _anonymous(responses: Sequence[Response], keep: Callable[[str], bool]) -> tuple[Response, ...]:
    """Responses that tell nobody apart but by a number, keeping only the answers about
    the subjects ``keep`` accepts (and the plain ones)."""
    return tuple(
        Response(
            Respondent(number),
            response.submitted_at,
            {key: value for key, value in response.answers.items() if not key[1] or keep(key[1])},
        )
        for number, response in enumerate(responses, start=1)
    )


async def _event(session: AsyncSession, event_id: int) -> EventInfo:
    event = await session.get(Event, event_id)
    if event is None or event.id is None:
        raise LookupError(f"no event {event_id}")
    return EventInfo(event.id, event.code, event.name, event.timezone)


def _id(row: _Row) -> int:
    assert row[0].id is not None
    return row[0].id


def _input(row: _Row, asked: int, responses: Sequence[Response]) -> RoundInput:
    round_, survey, item = row
    assert round_.id is not None
    return RoundInput(
        round_id=round_.id,
        slot=round_.slot,
        definition=survey.parsed(),
        asked=asked,
        responses=tuple(responses),
        speakers=tuple(round_.speakers),
        session_title=item.title if item is not None else None,
        opens_at=round_.opens_at,
    )


async def event_report(
    session: AsyncSession,
    event_id: int,
    *,
    survey_key: str | None = None,
    round_id: int | None = None,
    names: bool = True,
) -> EventReport:
    """Every round of the event (of one survey, with ``survey_key``; one round, with
    ``round_id``); without ``names`` the people stay unnamed and their comments
    unattributed."""
    event = await _event(session, event_id)
    rows = await _rounds(session, event_id, survey_key)
    if round_id is not None:
        rows = [row for row in rows if row[0].id == round_id]
    asked = await _asked(session, event_id)
    ids = [_id(row) for row in rows]
    responses = await _responses(session, event_id, ids, names=names)
    inputs = [
        _input(row, asked.get(i, 0), responses.get(i, [])) for row, i in zip(rows, ids, strict=True)
    ]
    return EventReport(
        event=event,
        names=names,
        rounds=tuple(round_results(one, names=names) for one in inputs),
        tests=compare_tests(inputs),
    )


async def trainer_report(session: AsyncSession, person_id: int, event_id: int) -> EventReport:
    """The rounds of the sessions this trainer teaches, anonymous: no person's name or
    details anywhere, comments unattributed. In a session taught by several, only the
    per-speaker answers about this trainer are in it."""
    event = await _event(session, event_id)
    found = await session.execute(
        select(Role.speaker).where(
            col(Role.event_id) == event_id,
            col(Role.person_id) == person_id,
            col(Role.role) == RoleName.TRAINER,
            col(Role.revoked_at).is_(None),
        )
    )
    speakers = tuple(dict.fromkeys(name for name in found.scalars() if name.strip()))

    def theirs(names: str) -> bool:
        return any(teaches(speaker, names) for speaker in speakers)

    rows = [
        row
        for row in await _rounds(session, event_id, None)
        if row[2] is not None and theirs(row[2].speakers)
    ]
    asked = await _asked(session, event_id)
    ids = [_id(row) for row in rows]
    responses = await _responses(session, event_id, ids, names=False)
    results = []
    for row, round_id in zip(rows, ids, strict=True):
        kept = _input(row, asked.get(round_id, 0), _anonymous(responses.get(round_id, []), theirs))
        own = tuple(name for name in kept.speakers if theirs(name))
        results.append(round_results(replace(kept, speakers=own), names=False))
    return EventReport(
        event=event, names=False, rounds=tuple(results), tests=None, speakers=speakers
    )
