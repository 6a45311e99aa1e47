"""Surveys, rounds, responses and answers as rows, and the queries over them.

A ``Survey`` is one version of a definition: a definition that changes once answers
point at it becomes a new version, so every answer stays readable with the questions
it answered. A ``SurveyRound`` is a survey sent to an event's people (for one session, or
one wave of follow-ups): it opens and closes, and keeps the speakers it asks about. A
``SurveyResponse`` is one person's answers to one round: a draft until submitted, and
changeable while the round is open.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import JSON, Column, Field, SQLModel, col, select

from models.agenda import AgendaSession
from models.audit import SYSTEM, Actor, AuditAction, record
from models.people import Enrollment
from models.surveys.definition import AnswerValue, Purpose, SurveyDefinition
from models.types import UTCDateTime, utcnow


class Survey(SQLModel, table=True):
    __tablename__ = "survey"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=40, description="the definition's id")
    version: int = 1
    purpose: str = Field(max_length=24)
    definition: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    shipped: bool = Field(default=False, description="one of the bot's own templates")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    def parsed(self) -> SurveyDefinition:
        return SurveyDefinition.model_validate(self.definition)


class SurveyRound(SQLModel, table=True):
    """A survey sent to an event's people: ``slot`` makes it once-only per event
    ("session:12", "evaluation", "rtl:30")."""

    __tablename__ = "survey_round"
    __table_args__ = (UniqueConstraint("event_id", "slot"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", ondelete="RESTRICT")
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    session_id: int | None = Field(
        default=None, foreign_key="agenda_session.id", index=True, ondelete="SET NULL"
    )
    slot: str = Field(max_length=60)
    # The speakers its per-speaker questions ask about, as named when it opened.
    speakers: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    opens_at: datetime = Field(sa_type=UTCDateTime)
    closes_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    started_by: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    def is_open(self, now: datetime) -> bool:
        return self.opens_at <= now and (self.closes_at is None or now < self.closes_at)


class SurveyResponse(SQLModel, table=True):
    __tablename__ = "survey_response"
    __table_args__ = (UniqueConstraint("round_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="survey_round.id", index=True, ondelete="CASCADE")
    # None: the answers of someone who erased their data, kept unlinked for the figures.
    person_id: int | None = Field(
        default=None, foreign_key="person.id", index=True, ondelete="CASCADE"
    )
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SurveyAnswer(SQLModel, table=True):
    __tablename__ = "survey_answer"
    __table_args__ = (
        UniqueConstraint("response_id", "question_id", "subject"),
        Index("ix_survey_answer_response", "response_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="survey_response.id", ondelete="CASCADE")
    question_id: str = Field(max_length=40)
    subject: str = Field(default="", max_length=120, description="the speaker asked about")
    value: Any = Field(sa_column=Column(JSON, nullable=True))
    answered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SurveyWatch(SQLModel, table=True):
    """Someone shown a round's results live: the message that keeps them up to date."""

    __tablename__ = "survey_watch"
    __table_args__ = (UniqueConstraint("round_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="survey_round.id", index=True, ondelete="CASCADE")
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    identity_id: int = Field(foreign_key="channel_identity.id", ondelete="CASCADE")
    outbox_id: int = Field(description="the live message's first outbox row")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- definitions ------------------------------------------------------------------------


async def latest_survey(session: AsyncSession, key: str) -> Survey | None:
    found = await session.execute(
        select(Survey).where(col(Survey.key) == key).order_by(col(Survey.version).desc()).limit(1)
    )
    return found.scalars().first()


async def save_survey(
    session: AsyncSession, definition: SurveyDefinition, *, shipped: bool = False
) -> tuple[Survey, bool]:
    """Store ``definition`` as the survey of its id; whether anything changed. A survey
    no round has used is replaced; one already sent gets a new version."""
    data = definition.model_dump(mode="json", by_alias=True, exclude_none=True)
    current = await latest_survey(session, definition.id)
    if current is not None and current.definition == data:
        return current, False
    if current is not None and not await _used(session, current):
        current.definition, current.purpose = data, definition.purpose.value
        current.shipped = shipped
        return current, True
    survey = Survey(
        key=definition.id,
        version=(current.version + 1) if current is not None else 1,
        purpose=definition.purpose.value,
        definition=data,
        shipped=shipped,
    )
    session.add(survey)
    await session.flush()
    return survey, True


async def _used(session: AsyncSession, survey: Survey) -> bool:
    found = await session.execute(
        select(SurveyRound.id).where(col(SurveyRound.survey_id) == survey.id).limit(1)
    )
    return found.first() is not None


async def surveys(session: AsyncSession) -> list[Survey]:
    """The latest version of every survey, by key."""
    newest = (
        select(Survey.key, func.max(Survey.version).label("version"))
        .group_by(col(Survey.key))
        .subquery()
    )
    found = await session.execute(
        select(Survey)
        .join(newest, (col(Survey.key) == newest.c.key) & (col(Survey.version) == newest.c.version))
        .order_by(col(Survey.key))
    )
    return list(found.scalars())


# --- rounds -----------------------------------------------------------------------------


async def open_round(
    session: AsyncSession,
    *,
    survey: Survey,
    event_id: int,
    slot: str,
    opens_at: datetime,
    closes_at: datetime | None = None,
    session_id: int | None = None,
    speakers: Sequence[str] = (),
    started_by: int | None = None,
) -> tuple[SurveyRound, bool]:
    """The round of ``slot`` in the event, opened now if it was not; whether it is new."""
    found = await session.execute(
        select(SurveyRound).where(
            col(SurveyRound.event_id) == event_id, col(SurveyRound.slot) == slot
        )
    )
    existing = found.scalars().first()
    if existing is not None:
        return existing, False
    assert survey.id is not None
    round_ = SurveyRound(
        survey_id=survey.id,
        event_id=event_id,
        session_id=session_id,
        slot=slot,
        speakers=list(speakers),
        opens_at=opens_at,
        closes_at=closes_at,
        started_by=started_by,
    )
    session.add(round_)
    await session.flush()
    # A trainer's quick feedback is theirs; the rounds the schedule opens, the bot's.
    actor = Actor.person(started_by) if started_by is not None else SYSTEM
    record(
        session,
        actor,
        AuditAction.SURVEY_OPENED,
        event_id=event_id,
        target="survey_round",
        target_id=round_.id,
        at=opens_at,
        session_id=session_id,
    )
    return round_, True


async def rounds_of_event(session: AsyncSession, event_id: int) -> list[SurveyRound]:
    found = await session.execute(
        select(SurveyRound)
        .where(col(SurveyRound.event_id) == event_id)
        .order_by(col(SurveyRound.opens_at), col(SurveyRound.id))
    )
    return list(found.scalars())


@dataclass(frozen=True, slots=True)
class Waiting:
    """A round someone may answer, and how far they are with it."""

    round: SurveyRound
    survey: Survey
    response: SurveyResponse | None

    @property
    def submitted(self) -> bool:
        return self.response is not None and self.response.submitted_at is not None


async def is_for(session: AsyncSession, round_: SurveyRound, person_id: int) -> bool:
    """Whether ``round_`` asks this person: enrolled in its event, and in the class its
    session is for (a plenary session is for everyone)."""
    enrolled = (
        (
            await session.execute(
                select(Enrollment).where(
                    col(Enrollment.event_id) == round_.event_id,
                    col(Enrollment.person_id) == person_id,
                )
            )
        )
        .scalars()
        .first()
    )
    if enrolled is None:
        return False
    survey = await session.get(Survey, round_.survey_id)
    if survey is not None and survey.purpose == Purpose.RTL_FOLLOWUP:
        return await wrote_a_plan(session, round_.event_id, person_id)
    if round_.session_id is None:
        return True
    item = await session.get(AgendaSession, round_.session_id)
    return item is None or item.class_name is None or item.class_name == enrolled.class_name


async def wrote_a_plan(session: AsyncSession, event_id: int, person_id: int) -> bool:
    """Whether the person submitted an action plan in the event: follow-ups ask about it."""
    found = await session.execute(
        select(SurveyResponse.id)
        .join(SurveyRound, col(SurveyRound.id) == col(SurveyResponse.round_id))
        .join(Survey, col(Survey.id) == col(SurveyRound.survey_id))
        .where(
            col(SurveyRound.event_id) == event_id,
            col(Survey.purpose) == Purpose.ACTION_PLAN.value,
            col(SurveyResponse.person_id) == person_id,
            col(SurveyResponse.submitted_at).is_not(None),
        )
        .limit(1)
    )
    return found.first() is not None


async def waiting_for(session: AsyncSession, person_id: int, now: datetime) -> list[Waiting]:
    """The open rounds this person is asked, earliest first, with their responses."""
    enrolled = select(Enrollment.event_id).where(col(Enrollment.person_id) == person_id)
    found = await session.execute(
        select(SurveyRound, Survey, SurveyResponse)
        .join(Survey, col(Survey.id) == col(SurveyRound.survey_id))
        .outerjoin(
            SurveyResponse,
            (col(SurveyResponse.round_id) == col(SurveyRound.id))
            & (col(SurveyResponse.person_id) == person_id),
        )
        .where(
            col(SurveyRound.event_id).in_(enrolled),
            col(SurveyRound.opens_at) <= now,
            (col(SurveyRound.closes_at).is_(None)) | (col(SurveyRound.closes_at) > now),
        )
        .order_by(col(SurveyRound.opens_at), col(SurveyRound.id))
    )
    waiting = []
    for round_, survey, response in found.all():
        if await is_for(session, round_, person_id):
            waiting.append(Waiting(round_, survey, response))
    return waiting


# --- responses --------------------------------------------------------------------------


async def response_of(
    session: AsyncSession, round_id: int, person_id: int
) -> SurveyResponse | None:
    found = await session.execute(
        select(SurveyResponse).where(
            col(SurveyResponse.round_id) == round_id, col(SurveyResponse.person_id) == person_id
        )
    )
    return found.scalars().first()


async def start_response(
    session: AsyncSession, round_id: int, person_id: int, now: datetime
) -> SurveyResponse:
    found = await response_of(session, round_id, person_id)
    if found is not None:
        return found
    response = SurveyResponse(
        round_id=round_id, person_id=person_id, started_at=now, updated_at=now
    )
    session.add(response)
    await session.flush()
    return response


Answers = dict[tuple[str, str], AnswerValue]  # (question id, subject) → answer


async def answers_of(session: AsyncSession, response_id: int) -> Answers:
    found = await session.execute(
        select(SurveyAnswer).where(col(SurveyAnswer.response_id) == response_id)
    )
    return {(a.question_id, a.subject): a.value for a in found.scalars()}


async def save_answer(
    session: AsyncSession,
    response: SurveyResponse,
    question_id: str,
    subject: str,
    value: AnswerValue | None,
    now: datetime,
) -> None:
    """Keep (or replace) one answer; None (skipped) removes it."""
    found = await session.execute(
        select(SurveyAnswer).where(
            col(SurveyAnswer.response_id) == response.id,
            col(SurveyAnswer.question_id) == question_id,
            col(SurveyAnswer.subject) == subject,
        )
    )
    answer = found.scalars().first()
    response.updated_at = now
    if value is None:
        if answer is not None:
            await session.delete(answer)
        return
    if answer is None:
        assert response.id is not None
        answer = SurveyAnswer(
            response_id=response.id, question_id=question_id, subject=subject, value=value
        )
        session.add(answer)
    answer.value, answer.answered_at = value, now


async def forget_answers(
    session: AsyncSession, response: SurveyResponse, keep: set[tuple[str, str]]
) -> None:
    """Drop the answers not in ``keep``: follow-ups whose condition no longer holds."""
    found = await session.execute(
        select(SurveyAnswer).where(col(SurveyAnswer.response_id) == response.id)
    )
    for answer in found.scalars():
        if (answer.question_id, answer.subject) not in keep:
            await session.delete(answer)


def submit(response: SurveyResponse, now: datetime) -> bool:
    """Mark it submitted; False when it was already (a change made while open)."""
    response.updated_at = now
    if response.submitted_at is not None:
        return False
    response.submitted_at = now
    return True


def purpose_of(survey: Survey) -> Purpose:
    return Purpose(survey.purpose)
