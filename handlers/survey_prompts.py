"""Survey prompts: which survey rounds an event opens on its own, when, and the message
that asks each person to answer.

Kirkpatrick's levels on the event's clock: feedback when each session ends; the
evaluation and the action plan (RTL) when the last session begins; a pre-test the day
before the first session and a post-test when the last one ends; follow-ups on the
action plan 30, 60 and 90 days after the last day, at 09.00 local time. ``schedule``
says all of that for one agenda; ``prompts`` decides who is asked in a round, in their
language. Both are pure: the job (``scheduler/survey_rounds.py``) reads and writes.
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.i18n import Translator, supported
from handlers.outgoing import body_of
from handlers.timefmt import format_moment, format_time, zone_label
from handlers.types import Choice, Reply
from models import Event
from models.agenda import AgendaItem
from models.notifications import Kind, Planned, Recipient, write
from models.reminders import is_break, is_ceremony
from models.roles import name_key, split_speakers
from models.survey_prompts import (
    ACTION_PLAN_SLOT,
    PlanAnswer,
    action_plans,
    known_keys,
    prompt_key,
    submitted_people,
)
from models.surveys.definition import SurveyDefinition

# Survey keys (the definitions' ids) the event's rounds use.
SESSION_FEEDBACK = "session-feedback"
EVALUATION = "evaluation"
ACTION_PLAN = "action-plan"
PRE_TEST = "pre-test"
POST_TEST = "post-test"
RTL_FOLLOWUP = "rtl-followup"

# How long each round stays open. "N days after the last day": until the end of the
# N-th day after it, in the event's zone.
SESSION_FEEDBACK_DAYS = 3
EVALUATION_DAYS = 7
ACTION_PLAN_DAYS = 14
PRE_TEST_AHEAD = timedelta(hours=24)  # opens this long before the first session begins
PRE_TEST_GRACE = timedelta(minutes=30)  # after the first session ends
POST_TEST_OPEN = timedelta(days=7)
FOLLOW_UP_DAYS = (30, 60, 90)
FOLLOW_UP_AT = time(9, 0)
FOLLOW_UP_OPEN = timedelta(days=14)
# The last moment a round of the event may still be open, after its last day: the jobs
# look this far back.
LONGEST = timedelta(days=max(FOLLOW_UP_DAYS) + 1) + FOLLOW_UP_OPEN
# A session's feedback asked hours later (the bot was down) is about a session people
# no longer have in mind: the round stays open for /survei, but nobody is prompted.
SESSION_FEEDBACK_LATE = timedelta(hours=6)

# A plan quoted back is kept short: the prompt, its button and all, must fit one
# interactive message (1,024 characters on WhatsApp).
QUOTE_BUDGET = 600


@dataclass(frozen=True, slots=True)
class Opening:
    """A round the event opens on its own: once-only by ``slot``."""

    survey_key: str
    slot: str
    opens_at: datetime
    closes_at: datetime
    session: AgendaItem | None = None
    speakers: tuple[str, ...] = ()
    follow_up_days: int | None = None  # an action-plan follow-up: days after the last day

    def due(self, now: datetime) -> bool:
        return self.opens_at <= now < self.closes_at


def _distinct_speakers(items: Sequence[AgendaItem]) -> tuple[str, ...]:
    """Every person named as a speaker, once, as first spelt."""
    seen: dict[str, str] = {}
    for item in items:
        for name in split_speakers(item.speakers):
            seen.setdefault(name_key(name), name)
    return tuple(seen.values())


def schedule(event: Event, items: Sequence[AgendaItem]) -> list[Opening]:
    """Every round the event opens on its own, by its agenda (breaks and ceremonies are
    no sessions). An empty agenda opens nothing."""
    sessions = [i for i in items if not is_break(i.title) and not is_ceremony(i.title)]
    if not sessions:
        return []
    zone = ZoneInfo(event.timezone)
    last_day = max(event.ends_on, *(i.day for i in sessions))

    def local(day: date, at: time) -> datetime:
        return datetime.combine(day, at, zone).astimezone(UTC)

    def after_last_day(days: int) -> datetime:
        return local(last_day + timedelta(days=days + 1), time(0))

    first = min(sessions, key=lambda i: (i.starts_at, i.ends_at))
    last_start = max(i.starts_at for i in sessions)
    last_end = max(i.ends_at for i in sessions)
    everyone = _distinct_speakers(sessions)
    openings = [
        Opening(
            PRE_TEST,
            PRE_TEST,
            first.starts_at - PRE_TEST_AHEAD,
            first.ends_at + PRE_TEST_GRACE,
        ),
        *(
            Opening(
                SESSION_FEEDBACK,
                f"session:{item.id}",
                item.ends_at,
                after_last_day(SESSION_FEEDBACK_DAYS),
                session=item,
                speakers=tuple(split_speakers(item.speakers)),
            )
            for item in sessions
        ),
        Opening(
            EVALUATION, EVALUATION, last_start, after_last_day(EVALUATION_DAYS), speakers=everyone
        ),
        Opening(ACTION_PLAN, ACTION_PLAN_SLOT, last_start, after_last_day(ACTION_PLAN_DAYS)),
        Opening(POST_TEST, POST_TEST, last_end, last_end + POST_TEST_OPEN),
    ]
    for days in FOLLOW_UP_DAYS:
        opens = local(last_day + timedelta(days=days), FOLLOW_UP_AT)
        openings.append(
            Opening(RTL_FOLLOWUP, f"rtl:{days}", opens, opens + FOLLOW_UP_OPEN, follow_up_days=days)
        )
    return openings


@dataclass(frozen=True, slots=True)
class OpenRound:
    """A round the event opened, as prompts read it: times as stored (an agenda changed
    since does not move a round already open), the session as the agenda now has it."""

    id: int
    opening: Opening
    opens_at: datetime
    closes_at: datetime | None
    definition: SurveyDefinition
    speakers: tuple[str, ...]

    @property
    def send_until(self) -> datetime | None:
        """No prompt goes after this: the round closed, or its session is long over."""
        if self.opening.survey_key != SESSION_FEEDBACK:
            return self.closes_at
        late = self.opens_at + SESSION_FEEDBACK_LATE
        return late if self.closes_at is None else min(late, self.closes_at)

    def asks(self, person: Recipient) -> bool:
        """A class session's feedback is for its class; everything else for everyone
        (the rule of ``models.surveys.store.is_for``)."""
        session = self.opening.session
        return session is None or person.attends(session.class_name)


def addressed(round_: OpenRound, people: Sequence[Recipient], now: datetime) -> list[Recipient]:
    """Those of ``people`` the round asks, when a prompt may go now."""
    until = round_.send_until
    if now < round_.opens_at or (until is not None and now >= until):
        return []
    return [p for p in people if round_.asks(p)]


def prompts(
    event: Event,
    round_: OpenRound,
    people: Sequence[Recipient],
    now: datetime,
    *,
    submitted: Collection[int] = (),
    plans: Mapping[int, Sequence[PlanAnswer]] | None = None,
) -> list[Planned]:
    """One prompt for each of ``people`` the round asks and who has not submitted yet;
    an action-plan follow-up only to those who submitted a plan, quoting it."""
    assert event.id is not None
    follow_up = round_.opening.follow_up_days is not None
    day = round_.opens_at.astimezone(ZoneInfo(event.timezone)).date()
    session = round_.opening.session
    texts: dict[str, dict[str, Any]] = {}
    planned = []
    for person in addressed(round_, people, now):
        if person.person_id in submitted:
            continue
        locale = supported(person.locale)
        t = Translator(locale)
        if follow_up:
            plan = (plans or {}).get(person.person_id)
            if plan is None:
                continue
            body = prompt_body(t, event, round_, plan)
        else:
            if locale not in texts:
                texts[locale] = prompt_body(t, event, round_)
            body = texts[locale]
        planned.append(
            Planned(
                key=prompt_key(round_.id, person.person_id),
                kind=Kind.SURVEY,
                recipient=person,
                body=body,
                due_at=round_.opens_at,
                expires_at=round_.send_until,
                event_id=event.id,
                day=day,
                session_id=session.id if session is not None else None,
            )
        )
    return planned


# --- what a prompt says -----------------------------------------------------------------


def question_count(definition: SurveyDefinition, speakers: Sequence[str]) -> int:
    """The questions everyone is asked: a per-speaker one once for each speaker (once
    when there is none to name); follow-ups shown only for some answers not counted."""
    each = max(1, len(speakers))
    return sum(each if q.per_speaker else 1 for q in definition.questions if q.show_if is None)


def _until(t: Translator, moment: datetime, zone: str) -> str:
    """When a round closes, as people read it: a round closing at midnight is open
    "until 23.59" of the day before, not "until 00.00" of a day it is not open at all."""
    local = moment.astimezone(ZoneInfo(zone))
    if local.time() == time(0):
        moment -= timedelta(minutes=1)
    return format_moment(moment, zone, t.locale)


def _quote(plan: Sequence[PlanAnswer], locale: str) -> list[str]:
    """The plan's answers, as many as fit the budget, the last one cut short if need be."""
    lines, left = [], QUOTE_BUDGET
    for found in plan:
        question = found.question.get(locale)
        room = left - len(question) - 6
        if room < 20:
            break
        answer = found.answer if len(found.answer) <= room else found.answer[: room - 1] + "…"
        line = f"▪️ {question}: “{answer}”"
        lines.append(line)
        left -= len(line)
    return lines


def prompt_text(
    t: Translator, event: Event, round_: OpenRound, plan: Sequence[PlanAnswer] | None = None
) -> str:
    zone = event.timezone
    lines = [t("survey_prompt.title", title=round_.definition.title.get(t.locale))]
    session = round_.opening.session
    if session is not None:
        start = session.starts_at
        lines.append(
            t(
                "survey_prompt.session",
                session=session.title,
                start=format_time(start, zone),
                zone=zone_label(zone, start),
            )
        )
    days = round_.opening.follow_up_days
    if days is not None:
        lines.append(t("survey_prompt.rtl_since", days=days, event=event.name))
        quoted = _quote(plan or (), t.locale)
        if quoted:
            lines += [t("survey_prompt.rtl_plan"), *quoted]
        lines.append(t("survey_prompt.rtl_ask"))
    count = question_count(round_.definition, round_.speakers)
    key = "survey_prompt.count_one" if count == 1 else "survey_prompt.count"
    if round_.closes_at is not None:
        until = _until(t, round_.closes_at, zone)
        lines.append(t(f"{key}_until", count=count, until=until))
    else:
        lines.append(t(key, count=count))
    lines.append(t("survey_prompt.footer", event=event.name))
    return "\n".join(lines)


def answer_button(t: Translator, round_id: int) -> Choice:
    """Handled by the answering conversation (the "survei" namespace)."""
    return Choice(f"survei|r{round_id}", t("survey_prompt.answer_now"))


def prompt_body(
    t: Translator, event: Event, round_: OpenRound, plan: Sequence[PlanAnswer] | None = None
) -> dict[str, Any]:
    reply = Reply(prompt_text(t, event, round_, plan), (answer_button(t, round_.id),))
    return body_of(reply)


async def send_prompts(
    session: AsyncSession,
    event: Event,
    rounds: Sequence[OpenRound],
    people: Sequence[Recipient],
    now: datetime,
) -> int:
    """Write the prompts of ``rounds`` not written yet, to those of ``people`` each asks
    and who have not submitted; how many. The job and a trainer's /umpanbalik both."""
    assert event.id is not None
    asked = {r.id: addressed(r, people, now) for r in rounds}
    keys = [prompt_key(round_id, p.person_id) for round_id, ps in asked.items() for p in ps]
    if not keys:
        return 0
    # Most runs find every prompt written: one look-up by key, and nothing more.
    known = await known_keys(session, keys)
    fresh = {
        round_id: [p for p in ps if prompt_key(round_id, p.person_id) not in known]
        for round_id, ps in asked.items()
    }
    live = [r for r in rounds if fresh[r.id]]
    if not live:
        return 0
    done = await submitted_people(session, [r.id for r in live])
    follow_ups = any(r.opening.follow_up_days is not None for r in live)
    plans = await action_plans(session, event.id) if follow_ups else {}
    planned = [
        found
        for r in live
        for found in prompts(event, r, fresh[r.id], now, submitted=done.get(r.id, ()), plans=plans)
    ]
    return await session.run_sync(write, planned)
