"""``/umpanbalik``: a trainer, in or after their session, sends its participants the
session-feedback survey at once and watches the answers come in, in one message that
updates itself. Organisers may do it for any session of their event."""

from datetime import datetime
from zoneinfo import ZoneInfo

from handlers.agenda_view import session_label
from handlers.live_results import watch
from handlers.menu import MENU_LIMIT
from handlers.registry import Command, Feature
from handlers.roles import may, my_role
from handlers.staff import refuse, staff_event
from handlers.survey_prompts import SESSION_FEEDBACK, OpenRound, schedule, send_prompts
from handlers.turn import PAYLOAD_SEPARATOR, Option, Turn
from handlers.validation import row_id
from models import Event, RoleName
from models.agenda import AgendaItem, agenda
from models.notifications import audience
from models.roles import teaches
from models.surveys.store import latest_survey, open_round, rounds_of_event

QUICK = "umpan"  # "umpan|s12": quick feedback on session 12


async def sessions_now(turn: Turn, event: Event, now: datetime) -> list[AgendaItem]:
    """The sessions of today (in the event's zone) that have begun and that this person
    may ask about, the latest first: their own, or every one for an organiser."""
    whole = await agenda(turn.session, event)
    taught = {o.session.id for o in schedule(event, whole.items) if o.session is not None}
    day = now.astimezone(ZoneInfo(event.timezone)).date()
    today = [s for s in whole.items if s.id in taught and s.day == day and s.starts_at <= now]
    if not await may(turn, event, RoleName.ORGANIZER):
        role = await my_role(turn, event, RoleName.TRAINER)
        today = [s for s in today if role is not None and teaches(role.speaker, s.speakers)]
    return sorted(today, key=lambda s: (s.starts_at, s.id), reverse=True)


async def quick_feedback(turn: Turn) -> None:
    event = await staff_event(turn, RoleName.TRAINER)
    if event is None:
        return
    candidates = await sessions_now(turn, event, turn.now)
    if not candidates:
        turn.say("quick.no_session", event=event.name)
        return
    if len(candidates) == 1:
        await start_feedback(turn, event, candidates[0])
        return
    options = [
        Option(f"{QUICK}{PAYLOAD_SEPARATOR}s{s.id}", session_label(s, event, True))
        for s in candidates[:MENU_LIMIT]
    ]
    turn.offer(turn.t("quick.which"), options)


async def quick_button(turn: Turn, value: str) -> bool:
    number = row_id(value[1:]) if value.startswith("s") else None
    if number is None:
        return False
    event = await staff_event(turn, RoleName.TRAINER)
    if event is None:
        return True
    chosen = [s for s in await sessions_now(turn, event, turn.now) if s.id == number]
    if not chosen:
        await refuse(turn, RoleName.TRAINER, event)
        return True
    await start_feedback(turn, event, chosen[0])
    return True


async def start_feedback(turn: Turn, event: Event, item: AgendaItem) -> None:
    """Open the session's feedback now (or take the one open), prompt whoever has not
    been prompted, and show the results live."""
    assert event.id is not None
    slot = f"session:{item.id}"
    [opening] = [
        o for o in schedule(event, (await agenda(turn.session, event)).items) if o.slot == slot
    ]
    survey = await latest_survey(turn.session, SESSION_FEEDBACK)
    if survey is None:
        turn.say("quick.no_survey")
        return
    stored = {r.slot: r for r in await rounds_of_event(turn.session, event.id)}
    round_ = stored.get(slot)
    if round_ is None:
        round_, _ = await open_round(
            turn.session, survey=survey, event_id=event.id, slot=slot,
            opens_at=min(turn.now, opening.opens_at), closes_at=opening.closes_at,
            session_id=item.id, speakers=opening.speakers, started_by=turn.person_id,
        )  # fmt: skip
    if not round_.is_open(turn.now):
        turn.say("quick.closed", session=item.title)
        return
    assert round_.id is not None
    # Prompted now, whatever the time: the trainer asks in the room.
    now_round = OpenRound(
        round_.id, opening, turn.now, round_.closes_at, survey.parsed(), tuple(round_.speakers)
    )
    people = await audience(turn.session, event.id)
    sent = await send_prompts(turn.session, event, [now_round], people, turn.now)
    turn.say("quick.started", session=item.title, count=sent)
    organiser = await may(turn, event, RoleName.ORGANIZER)
    assert turn.identity.id is not None
    await watch(
        turn.session, round_, turn.person, turn.identity.id, turn.identity.channel, turn.now,
        organiser=organiser,
    )  # fmt: skip


FEATURE = Feature(
    commands=(
        Command(
            "quickfeedback",
            {"id": "umpanbalik", "en": "quickfeedback"},
            quick_feedback,
            order=72,
            button=True,
            needs=RoleName.TRAINER,
        ),
    ),
    buttons={QUICK: quick_button},
)
