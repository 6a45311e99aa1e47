"""What the survey-prompt job reads besides the agenda and the audience: which prompts
are written already, who submitted which round, and each person's action plan (RTL) to
quote back to them weeks later. Every look-up covers all the people of an event at
once: a round is for up to thousands of them."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.notifications import CHUNK
from models.outbox import OutboxMessage
from models.surveys.definition import Localized, QuestionType
from models.surveys.store import Survey, SurveyAnswer, SurveyResponse, SurveyRound

ACTION_PLAN_SLOT = "action-plan"


@dataclass(frozen=True, slots=True)
class PlanAnswer:
    """One answer of someone's action plan, with the question it answers."""

    question: Localized
    answer: str


def prompt_key(round_id: int, person_id: int) -> str:
    """A prompt is written once per round and person, whatever happens after."""
    return f"survey:{round_id}:p{person_id}"


async def known_keys(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    """Those of ``keys`` the outbox holds already."""
    known: set[str] = set()
    for start in range(0, len(keys), CHUNK):
        found = await session.execute(
            select(col(OutboxMessage.key)).where(
                col(OutboxMessage.key).in_(keys[start : start + CHUNK])
            )
        )
        known.update(found.scalars())
    return known


async def submitted_people(session: AsyncSession, round_ids: Sequence[int]) -> dict[int, set[int]]:
    """For each round, the people who submitted their answers."""
    done: dict[int, set[int]] = defaultdict(set)
    if not round_ids:
        return done
    found = await session.execute(
        select(col(SurveyResponse.round_id), col(SurveyResponse.person_id)).where(
            col(SurveyResponse.round_id).in_(round_ids),
            col(SurveyResponse.submitted_at).is_not(None),
            col(SurveyResponse.person_id).is_not(None),  # not the anonymous ones
        )
    )
    for round_id, person_id in found.all():
        if person_id is not None:
            done[round_id].add(person_id)
    return done


async def action_plans(session: AsyncSession, event_id: int) -> dict[int, list[PlanAnswer]]:
    """Everyone who submitted the event's action plan, with their answers to its text
    questions in the order they were asked (an empty list: submitted, nothing written)."""
    found = await session.execute(
        select(col(SurveyRound.id), Survey)
        .join(Survey, col(Survey.id) == col(SurveyRound.survey_id))
        .where(col(SurveyRound.event_id) == event_id, col(SurveyRound.slot) == ACTION_PLAN_SLOT)
    )
    row = found.first()
    if row is None:
        return {}
    round_id, survey = row
    texts = [q for q in survey.parsed().questions if q.type is QuestionType.TEXT]
    order = {q.id: index for index, q in enumerate(texts)}
    answers = await session.execute(
        select(
            col(SurveyResponse.person_id),
            col(SurveyAnswer.question_id),
            col(SurveyAnswer.subject),
            col(SurveyAnswer.value),
        )
        .select_from(SurveyResponse)
        .outerjoin(
            SurveyAnswer,
            (col(SurveyAnswer.response_id) == col(SurveyResponse.id))
            & col(SurveyAnswer.question_id).in_(list(order)),
        )
        .where(
            col(SurveyResponse.round_id) == round_id,
            col(SurveyResponse.submitted_at).is_not(None),
            col(SurveyResponse.person_id).is_not(None),  # an erased person's plan is gone
        )
    )
    gathered: dict[int, list[tuple[int, str, str]]] = {}
    for person_id, question_id, subject, value in answers.all():
        mine = gathered.setdefault(person_id, [])
        if question_id is None or value is None or not str(value).strip():
            continue
        mine.append((order[question_id], subject or "", str(value).strip()))
    return {
        person_id: [PlanAnswer(texts[index].text, text) for index, _, text in sorted(mine)]
        for person_id, mine in gathered.items()
    }
