"""The job that opens survey rounds and prompts people: every minute, for each event from
the day before it begins until its last action-plan follow-up closes, the rounds due
(see handlers/survey_prompts.py) are opened once, and each person a round asks gets one
prompt through the outbox. Keys make a run late or twice harmless."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import SessionMaker
from handlers.survey_prompts import LONGEST, OpenRound, schedule, send_prompts
from models import Event
from models.agenda import agenda
from models.notifications import audience, events_between
from models.surveys.definition import SurveyDefinition
from models.surveys.store import Survey, latest_survey, open_round, rounds_of_event
from scheduler.notifications import locked

log = structlog.get_logger(__name__)

# A pre-test opens a day before the first session, and Indonesia's zones run up to nine
# hours ahead of UTC: two days past the UTC date reach every event it may open for.
AHEAD = timedelta(days=2)


@dataclass
class Surveys:
    """The surveys one run has read: each key's latest version, and definitions by id.
    Plain values only, so that one event's failed transaction spoils nothing for the next."""

    latest: dict[str, int | None] = field(default_factory=dict)
    definitions: dict[int, SurveyDefinition] = field(default_factory=dict)

    async def latest_id(self, session: AsyncSession, key: str) -> int | None:
        if key not in self.latest:
            found = await latest_survey(session, key)
            self.latest[key] = found.id if found is not None else None
        return self.latest[key]

    async def definition(self, session: AsyncSession, survey_id: int) -> SurveyDefinition:
        if survey_id not in self.definitions:
            found = await session.get(Survey, survey_id)
            assert found is not None  # a round's survey cannot be deleted (RESTRICT)
            self.definitions[survey_id] = found.parsed()
        return self.definitions[survey_id]


async def plan_survey_prompts(sessions: SessionMaker, now: datetime) -> int:
    """One run: each event in a transaction of its own (one event's trouble holds up no
    other's). How many prompts were written."""
    today = now.date()
    async with sessions() as session:
        events = await events_between(session, today - LONGEST, today + AHEAD)
    ids = [event.id for event in events if event.id is not None]
    surveys = Surveys()
    written = 0
    for event_id in ids:
        try:
            async with sessions.begin() as session:
                event = await locked(session, event_id)
                if event is not None:
                    written += await survey_event(session, event, now, surveys)
        except Exception:
            log.exception("survey_prompts_failed", event_id=event_id)
    return written


async def open_rounds(
    session: AsyncSession, event: Event, now: datetime, surveys: Surveys
) -> list[OpenRound]:
    """The event's rounds due now, opened if they were not; a key without a survey
    stored opens nothing."""
    assert event.id is not None
    due = [o for o in schedule(event, (await agenda(session, event)).items) if o.due(now)]
    if not due:
        return []
    stored = {r.slot: r for r in await rounds_of_event(session, event.id)}
    found, missing = [], set()
    for opening in due:
        round_ = stored.get(opening.slot)
        if round_ is None:
            survey_id = await surveys.latest_id(session, opening.survey_key)
            if survey_id is None:
                missing.add(opening.survey_key)
                continue
            survey = await session.get(Survey, survey_id)
            assert survey is not None
            session_item = opening.session
            round_, _ = await open_round(
                session,
                survey=survey,
                event_id=event.id,
                slot=opening.slot,
                opens_at=opening.opens_at,
                closes_at=opening.closes_at,
                session_id=session_item.id if session_item is not None else None,
                speakers=opening.speakers,
            )
            log.info("survey_round_opened", event_id=event.id, slot=opening.slot, now=now)
        assert round_.id is not None
        definition = await surveys.definition(session, round_.survey_id)
        found.append(
            OpenRound(
                round_.id,
                opening,
                round_.opens_at,
                round_.closes_at,
                definition,
                tuple(round_.speakers),
            )
        )
    if missing:
        log.debug("surveys_not_stored", event_id=event.id, keys=sorted(missing))
    return found


async def survey_event(session: AsyncSession, event: Event, now: datetime, surveys: Surveys) -> int:
    """Open the event's rounds due now and write the prompts not written yet; how many."""
    assert event.id is not None
    rounds = await open_rounds(session, event, now, surveys)
    if not rounds:
        return 0
    return await send_prompts(session, event, rounds, await audience(session, event.id), now)
