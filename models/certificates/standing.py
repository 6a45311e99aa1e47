"""Where each participant of an event stands: qualified or not (and why), their JP,
their certificate if any; and issuing, to everyone qualifying or to one person by hand.
Shared by the chat, the command line and the periodic job."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from models.agenda import AgendaItem, agenda
from models.certificates.jp import jp_of, lesson_minutes
from models.certificates.rule import (
    AttendanceSource,
    Participant,
    Rule,
    Verdict,
    check,
    facts_of_event,
    participants,
)
from models.certificates.store import Certificate, Holder, certificates_of, issue, settings_of
from models.event import Event


@dataclass(frozen=True, slots=True)
class Standing:
    participant: Participant
    verdict: Verdict
    jp: int
    certificate: Certificate | None

    @property
    def waiting(self) -> bool:
        """Qualifies and has no certificate yet."""
        return self.verdict.qualifies and self.certificate is None


def event_end(event: Event, items: Sequence[AgendaItem]) -> datetime:
    """When the event is over: its last session's end, or without an agenda the end of
    its last day in its zone."""
    if items:
        return max(item.ends_at for item in items)
    return datetime.combine(event.ends_on + timedelta(days=1), time(), ZoneInfo(event.timezone))


async def is_over(session: AsyncSession, event: Event, now: datetime) -> bool:
    return now >= event_end(event, (await agenda(session, event)).items)


async def jp_by_class(session: AsyncSession, event: Event, rule: Rule) -> dict[str | None, int]:
    """The JP of each class of the event, and of a participant without one (None)."""
    whole = await agenda(session, event)
    return {
        name: jp_of(lesson_minutes(whole.items, name), rule.jp_minutes)
        for name in (None, *whole.classes)
    }


async def standings(
    session: AsyncSession,
    source: AttendanceSource,
    event: Event,
    person_id: int | None = None,
) -> list[Standing]:
    """Every registered participant's standing, by name (only ``person_id``'s, if
    given). Someone no longer registered who holds a certificate is not listed."""
    assert event.id is not None
    rule = (await settings_of(session, event.id)).rule()
    people = await participants(session, event.id)
    if person_id is not None:
        people = [p for p in people if p.person_id == person_id]
    facts = await facts_of_event(session, source, event.id, people)
    jp = await jp_by_class(session, event, rule)
    held = {c.person_id: c for c in await certificates_of(session, event.id)}
    return [
        Standing(
            participant=p,
            verdict=check(rule, facts[p.person_id]),
            jp=jp.get(p.class_name, jp[None]),
            certificate=held.get(p.person_id),
        )
        for p in people
    ]


def holder(standing: Standing) -> Holder:
    p = standing.participant
    return Holder(p.person_id, p.full_name, p.class_name, standing.jp)


async def issue_qualifying(
    session: AsyncSession, source: AttendanceSource, event: Event, now: datetime, issued_by: str
) -> list[Certificate]:
    """A certificate for each participant who qualifies and has none; the new ones."""
    waiting = [holder(s) for s in await standings(session, source, event) if s.waiting]
    return await issue(session, event, waiting, now, issued_by=issued_by)


class ByHand(StrEnum):
    ISSUED = "issued"
    NOT_PARTICIPANT = "not_participant"  # not a registered participant of the event
    HAS_ONE = "has_one"
    NEEDS_REASON = "needs_reason"  # the rule does not qualify them, and no reason was given


@dataclass(frozen=True, slots=True)
class HandIssue:
    outcome: ByHand
    standing: Standing | None = None
    certificate: Certificate | None = None  # the new one, or the one they hold


async def issue_by_hand(
    session: AsyncSession,
    source: AttendanceSource,
    event: Event,
    person_id: int,
    reason: str | None,
    now: datetime,
    *,
    issued_by: str,
) -> HandIssue:
    """A certificate for one participant on an organiser's word (the chat, the command
    line, the dashboard): someone who qualifies gets it as the rule would give it, and no
    reason is kept; someone the rule does not qualify gets it only with ``reason`` (checked
    by the caller), which is kept on the certificate."""
    found = await standings(session, source, event, person_id)
    if not found:
        return HandIssue(ByHand.NOT_PARTICIPANT)
    standing = found[0]
    if standing.certificate is not None:
        return HandIssue(ByHand.HAS_ONE, standing, standing.certificate)
    manual = None if standing.verdict.qualifies else reason
    if manual is None and not standing.verdict.qualifies:
        return HandIssue(ByHand.NEEDS_REASON, standing)
    [issued] = await issue(
        session, event, [holder(standing)], now, issued_by=issued_by, manual_reason=manual
    )
    return HandIssue(ByHand.ISSUED, standing, issued)
