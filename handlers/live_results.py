"""Results shown live: the message a trainer (or organiser) gets when they start quick
feedback, brought up to date each time someone submits."""

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from handlers.channel_names import APPEND_ONLY_CHANNELS
from handlers.i18n import Translator, supported
from handlers.outgoing import body_of
from handlers.results_texts import round_text
from handlers.types import Reply
from models import ChannelIdentity, Person, RoleName
from models.live_message import UPDATE_DELAY, start_live, update_live
from models.roles import roles_in
from models.surveys.report import event_report, trainer_report
from models.surveys.results import RoundResult
from models.surveys.store import SurveyRound, SurveyWatch

LIVE_KIND = "live_results"
# On a channel that cannot edit, a trainer gets the results anew at most about once a
# minute while answers come in, not once an answer.
APPEND_ONLY_DELAY = timedelta(minutes=1)


async def result_for(
    session: AsyncSession, person_id: int, round_: SurveyRound, *, organiser: bool
) -> RoundResult | None:
    """The round's results as this person may see them: anonymous; a trainer's only
    about themselves where a session has several speakers."""
    if organiser:
        report = await event_report(session, round_.event_id, round_id=round_.id, names=False)
    else:
        report = await trainer_report(session, person_id, round_.event_id)
    return next((r for r in report.rounds if r.round.round_id == round_.id), None)


async def _text(session: AsyncSession, person: Person, round_: SurveyRound) -> str | None:
    assert person.id is not None
    held = await roles_in(session, person.id, round_.event_id)
    result = await result_for(session, person.id, round_, organiser=RoleName.ORGANIZER in held)
    return round_text(result, Translator(supported(person.locale))) if result else None


async def watch(
    session: AsyncSession,
    round_: SurveyRound,
    person: Person,
    identity_id: int,
    channel: str,
    now: datetime,
    *,
    organiser: bool,
) -> None:
    """Show ``person`` the round's results in a message that keeps itself up to date."""
    assert round_.id is not None
    assert person.id is not None
    result = await result_for(session, person.id, round_, organiser=organiser)
    if result is None:
        return
    body = body_of(Reply(round_text(result, Translator(supported(person.locale)))))
    found = await session.execute(
        select(SurveyWatch).where(
            col(SurveyWatch.round_id) == round_.id, col(SurveyWatch.person_id) == person.id
        )
    )
    watching = found.scalars().first()
    if watching is not None:
        await update_live(
            session, original_id=watching.outbox_id, identity_id=watching.identity_id,
            channel=channel, body=body, now=now, key_prefix=LIVE_KIND,
        )  # fmt: skip
        return
    outbox_id = await start_live(
        session, key=f"{LIVE_KIND}:r{round_.id}:p{person.id}", identity_id=identity_id,
        channel=channel, body=body, now=now, kind=LIVE_KIND,
    )  # fmt: skip
    session.add(
        SurveyWatch(
            round_id=round_.id, person_id=person.id, identity_id=identity_id, outbox_id=outbox_id
        )
    )


async def refresh(session: AsyncSession, round_id: int, now: datetime) -> int:
    """Bring every live message of the round up to date; how many there are."""
    found = await session.execute(
        select(SurveyWatch, Person, ChannelIdentity.channel)
        .join(Person, col(Person.id) == col(SurveyWatch.person_id))
        .join(ChannelIdentity, col(ChannelIdentity.id) == col(SurveyWatch.identity_id))
        .where(col(SurveyWatch.round_id) == round_id)
    )
    watching = found.all()
    round_ = await session.get(SurveyRound, round_id) if watching else None
    if round_ is None:
        return 0
    for watch_row, person, channel in watching:
        text = await _text(session, person, round_)
        if text is None:
            continue
        delay = APPEND_ONLY_DELAY if channel in APPEND_ONLY_CHANNELS else UPDATE_DELAY
        await update_live(
            session, original_id=watch_row.outbox_id, identity_id=watch_row.identity_id,
            channel=channel, body=body_of(Reply(text)), now=now, key_prefix=LIVE_KIND,
            delay=delay,
        )  # fmt: skip
    return len(watching)
