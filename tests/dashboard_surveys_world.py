"""The dashboard's survey pages' world: the event of ``tests.dashboard_helpers.world`` with
the bot's own survey templates, and its participants' answers stored by the functions the
chat answers with (``open_round``, ``start_response``, ``save_answer``, ``submit``).

Siti Rahayu (class A, Kutai Kartanegara), Budi Santoso (B, Samarinda) and Dewi Lestari
(A, Samarinda) are the three enrolled; each answers the evaluation and both tests.
Rounds: the pre-test (closed), the evaluation and the post-test (open), and the feedback
of the day's second session (not open yet). The figures they make are worked by hand
in the tests that read them."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.db import SessionMaker
from models import AgendaSession, Enrollment, Person
from models.surveys.definition import AnswerValue, SurveyDefinition
from models.surveys.shipped import (
    EVALUATION,
    POST_TEST,
    PRE_TEST,
    SESSION_FEEDBACK,
    install_shipped,
    shipped_definitions,
)
from models.surveys.store import (
    SurveyRound,
    latest_survey,
    open_round,
    save_answer,
    start_response,
    submit,
)
from tests.dashboard_helpers import NOW, World
from tests.factories import id_of

TAUFIK = "Taufik, S.Sos, M.Si"
RACHMAWATI = "Rachmawati"
# The nine SKM elements' questions, in the shipped evaluation's order (which
# tests/test_survey_files.py checks).
ELEMENTS = tuple(
    question.id
    for question in next(d for d in shipped_definitions() if d.id == EVALUATION).questions
    if question.element is not None
)
SPEAKER_QUESTIONS = ("speaker-mastery", "speaker-delivery", "speaker-time", "speaker-answers")

# Each participant's evaluation: the nine SKM elements in order (1–4).
EVALUATION_POINTS = {
    "Siti Rahayu": (4, 4, 4, 3, 4, 4, 4, 4, 4),  # 35
    "Budi Santoso": (3, 3, 3, 3, 3, 3, 3, 3, 3),  # 27
    "Dewi Lestari": (4, 3, 2, 4, 3, 4, 4, 3, 3),  # 30
}
# The speakers' four questions, by participant and speaker (Dewi rates nobody).
SPEAKER_POINTS = {
    "Siti Rahayu": {TAUFIK: (4, 4, 4, 3), RACHMAWATI: (4, 4, 4, 4)},
    "Budi Santoso": {RACHMAWATI: (3, 3, 3, 3)},
}
COMMENTS = {
    "Siti Rahayu": "Ruangannya terlalu dingin",
    "Budi Santoso": "<b>Lebih banyak praktik</b>",
}
# How many of the test's ten questions each one has right.
PRE_RIGHT = {"Siti Rahayu": 4, "Budi Santoso": 6, "Dewi Lestari": 5}
POST_RIGHT = {"Siti Rahayu": 10, "Budi Santoso": 7, "Dewi Lestari": 8}


@dataclass(frozen=True)
class SurveyWorld:
    pre: int  # round ids
    evaluation: int
    post: int
    feedback: int  # not open yet: nobody answered


async def _people(session: AsyncSession, event_id: int) -> dict[str, int]:
    found = await session.execute(
        select(Person.full_name, Person.id)
        .join(Enrollment, col(Enrollment.person_id) == col(Person.id))
        .where(col(Enrollment.event_id) == event_id)
    )
    return {name: person_id for name, person_id in found.all() if name and person_id}


async def _answer(
    session: AsyncSession,
    round_: SurveyRound,
    person_id: int,
    answers: dict[tuple[str, str], AnswerValue],
    at: timedelta,
) -> None:
    assert round_.id is not None
    now = NOW + at
    response = await start_response(session, round_.id, person_id, now)
    for (question, subject), value in answers.items():
        await save_answer(session, response, question, subject, value, now)
    submit(response, now)


def answered_test(definition: SurveyDefinition, right: int) -> dict[tuple[str, str], AnswerValue]:
    """The first ``right`` questions answered with their key, the rest with another
    option."""
    answers: dict[tuple[str, str], AnswerValue] = {}
    for number, question in enumerate(definition.questions):
        assert question.answer is not None
        assert question.options is not None
        key = question.answer[0]
        wrong = next(o.value for o in question.options if o.value != key)
        answers[(question.id, "")] = key if number < right else wrong
    return answers


async def answered_surveys(sessions: SessionMaker, world: World) -> SurveyWorld:
    event_id = id_of(world.mine)
    async with sessions.begin() as session:
        await install_shipped(session)
        surveys = {}
        for key in (PRE_TEST, EVALUATION, POST_TEST, SESSION_FEEDBACK):
            found = await latest_survey(session, key)
            assert found is not None
            surveys[key] = found
        later = (
            (
                await session.execute(
                    select(AgendaSession)
                    .where(col(AgendaSession.event_id) == event_id)
                    .order_by(col(AgendaSession.starts_at).desc())
                )
            )
            .scalars()
            .first()
        )
        assert later is not None
        pre, _ = await open_round(
            session, survey=surveys[PRE_TEST], event_id=event_id, slot=PRE_TEST,
            opens_at=NOW - timedelta(hours=2), closes_at=NOW - timedelta(minutes=30),
        )  # fmt: skip
        evaluation, _ = await open_round(
            session, survey=surveys[EVALUATION], event_id=event_id, slot=EVALUATION,
            opens_at=NOW - timedelta(minutes=20), closes_at=NOW + timedelta(days=3),
            speakers=(TAUFIK, RACHMAWATI),
        )  # fmt: skip
        post, _ = await open_round(
            session, survey=surveys[POST_TEST], event_id=event_id, slot=POST_TEST,
            opens_at=NOW - timedelta(minutes=10), closes_at=NOW + timedelta(days=1),
        )  # fmt: skip
        feedback, _ = await open_round(
            session, survey=surveys[SESSION_FEEDBACK], event_id=event_id,
            slot=f"session:{later.id}", opens_at=later.ends_at,
            closes_at=later.ends_at + timedelta(days=2), session_id=later.id,
        )  # fmt: skip
        people = await _people(session, event_id)
        pre_test, post_test = surveys[PRE_TEST].parsed(), surveys[POST_TEST].parsed()
        for minute, (name, person_id) in enumerate(sorted(people.items())):
            at = timedelta(minutes=minute)
            await _answer(
                session, pre, person_id, answered_test(pre_test, PRE_RIGHT[name]),
                at - timedelta(hours=1),
            )  # fmt: skip
            said: dict[tuple[str, str], AnswerValue] = {
                (element, ""): point
                for element, point in zip(ELEMENTS, EVALUATION_POINTS[name], strict=True)
            }
            for speaker, points in SPEAKER_POINTS.get(name, {}).items():
                for question, point in zip(SPEAKER_QUESTIONS, points, strict=True):
                    said[(question, speaker)] = point
            if name in COMMENTS:
                said[("comment", "")] = COMMENTS[name]
            await _answer(session, evaluation, person_id, said, at - timedelta(minutes=15))
            await _answer(
                session, post, person_id, answered_test(post_test, POST_RIGHT[name]),
                at - timedelta(minutes=5),
            )  # fmt: skip
        ids = [r.id for r in (pre, evaluation, post, feedback)]
    assert all(i is not None for i in ids)
    return SurveyWorld(*(i for i in ids if i is not None))
