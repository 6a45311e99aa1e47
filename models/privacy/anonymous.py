"""An erased person's survey answers, kept as anonymous figures.

The statistics (SKM index, session ratings, N-gain groups) count every submitted answer;
erasing one person should not change last year's report more than it must. So a
submitted response stays, but as nobody's:

- no person id: a new row (new ids, for the response and each answer) with ``person_id``
  NULL, the old rows deleted;
- only choices, scales, yes/no and numbers; free text is dropped, and so is a choice that
  is not one of the survey's own options;
- every time it carries is the start of the day (UTC) it was submitted, shared with every
  other response anonymised that day and with no row that still names anyone.

A response never submitted (a survey abandoned half-way) counted nowhere: it is deleted.
"""

from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.surveys.definition import AnswerValue, QuestionDef, QuestionType, SurveyDefinition
from models.surveys.store import Survey, SurveyAnswer, SurveyResponse, SurveyRound

_FIGURES = frozenset(
    {QuestionType.SCALE, QuestionType.YES_NO, QuestionType.NUMBER, QuestionType.SINGLE}
)


def day_of(moment: datetime) -> datetime:
    """The start of ``moment``'s day in UTC: the grain every kept time is coarsened to."""
    return datetime.combine(moment.astimezone(UTC).date(), time(), UTC)


def figure(question: QuestionDef | None, value: Any) -> AnswerValue | None:
    """``value`` if it is a figure that names nobody, else None."""
    if question is None or value is None:
        return None
    kind = question.type
    options = {o.value for o in question.options or ()}
    if kind is QuestionType.MULTIPLE:
        if isinstance(value, list) and all(isinstance(v, str) and v in options for v in value):
            return [str(v) for v in value]
        return None
    if kind not in _FIGURES:
        return None  # free text, whatever it says
    if kind is QuestionType.SINGLE:
        return value if isinstance(value, str) and value in options else None
    if kind is QuestionType.YES_NO:
        return value if isinstance(value, bool) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


async def anonymise_responses(
    session: AsyncSession, person_id: int, *, event_id: int | None = None
) -> tuple[int, int]:
    """Turn the person's submitted responses (in one event's rounds, with ``event_id``)
    into anonymous ones and delete the rest; (responses kept, answers dropped)."""
    query = (
        select(SurveyResponse, Survey.definition)
        .join(SurveyRound, col(SurveyRound.id) == col(SurveyResponse.round_id))
        .join(Survey, col(Survey.id) == col(SurveyRound.survey_id))
        .where(col(SurveyResponse.person_id) == person_id)
    )
    if event_id is not None:
        query = query.where(col(SurveyRound.event_id) == event_id)
    found = await session.execute(query)
    kept = dropped = 0
    for response, definition in found.all():
        submitted = response.submitted_at
        answers = list(
            (
                await session.execute(
                    select(SurveyAnswer).where(col(SurveyAnswer.response_id) == response.id)
                )
            ).scalars()
        )
        await session.execute(delete(SurveyResponse).where(col(SurveyResponse.id) == response.id))
        # Gone from the database (answers by cascade): out of the session too, whose new
        # rows may be given the same ids.
        for gone in (response, *answers):
            session.expunge(gone)
        if submitted is None:
            dropped += len(answers)
            continue
        parsed = SurveyDefinition.model_validate(definition)
        day = day_of(submitted)
        copy = SurveyResponse(
            round_id=response.round_id,
            person_id=None,
            started_at=day,
            updated_at=day,
            submitted_at=day,
        )
        session.add(copy)
        await session.flush()
        assert copy.id is not None
        for answer in answers:
            value = figure(parsed.question(answer.question_id), answer.value)
            if value is None:
                dropped += 1
                continue
            session.add(
                SurveyAnswer(
                    response_id=copy.id,
                    question_id=answer.question_id,
                    subject=answer.subject,
                    value=value,
                    answered_at=day,
                )
            )
        kept += 1
    await session.flush()
    return kept, dropped
