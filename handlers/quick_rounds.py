"""Quick feedback: a session's feedback round opened at once (rather than when the
session ends), its participants prompted there and then. ``/umpanbalik`` in the chat
and the dashboard's survey page both start it here.

Which sessions: today's (in the event's zone) that have begun and whose feedback the
event asks (``survey_prompts.schedule``: no breaks or ceremonies), the latest first.
A trainer may ask only about their own (the chat narrows the list)."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.survey_prompts import SESSION_FEEDBACK, OpenRound, schedule, send_prompts
from models import Event
from models.agenda import AgendaItem, agenda
from models.notifications import audience
from models.surveys.store import SurveyRound, latest_survey, open_round, rounds_of_event


async def feedback_sessions(session: AsyncSession, event: Event, now: datetime) -> list[AgendaItem]:
    """Today's sessions that have begun and whose feedback may be asked now, latest
    first."""
    whole = await agenda(session, event)
    taught = {o.session.id for o in schedule(event, whole.items) if o.session is not None}
    day = now.astimezone(ZoneInfo(event.timezone)).date()
    today = [s for s in whole.items if s.id in taught and s.day == day and s.starts_at <= now]
    return sorted(today, key=lambda s: (s.starts_at, s.id), reverse=True)


class NotStarted(StrEnum):
    NO_SURVEY = "no_survey"  # the session-feedback survey is missing
    CLOSED = "closed"  # the session's round has closed


@dataclass(frozen=True, slots=True)
class Started:
    round: SurveyRound
    sent: int  # participants prompted now (those already prompted are not again)


async def start_quick_feedback(
    session: AsyncSession, event: Event, item: AgendaItem, now: datetime, started_by: int
) -> Started | NotStarted:
    """Open the session's feedback now (or take the one open) and prompt whoever has
    not been prompted, whatever the time: the trainer asks in the room."""
    assert event.id is not None
    slot = f"session:{item.id}"
    [opening] = [o for o in schedule(event, (await agenda(session, event)).items) if o.slot == slot]
    survey = await latest_survey(session, SESSION_FEEDBACK)
    if survey is None:
        return NotStarted.NO_SURVEY
    stored = {r.slot: r for r in await rounds_of_event(session, event.id)}
    round_ = stored.get(slot)
    if round_ is None:
        round_, _ = await open_round(
            session, survey=survey, event_id=event.id, slot=slot,
            opens_at=min(now, opening.opens_at), closes_at=opening.closes_at,
            session_id=item.id, speakers=opening.speakers, started_by=started_by,
        )  # fmt: skip
    if not round_.is_open(now):
        return NotStarted.CLOSED
    assert round_.id is not None
    now_round = OpenRound(
        round_.id, opening, now, round_.closes_at, survey.parsed(), tuple(round_.speakers)
    )
    people = await audience(session, event.id)
    sent = await send_prompts(session, event, [now_round], people, now)
    return Started(round_, sent)
