"""Linking this channel to the person who registered a phone number on another: the
offer, the code sent to their other channel, the code typed here (models/linking.py
keeps the codes). Nothing about that person is shown here but the channel the code goes
to: whoever types someone else's number learns no name and no profile."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Generic, TypeVar

import structlog
from pydantic import BaseModel

from handlers.channel_names import channel_name
from handlers.flow import Prompt, Step, UnknownChoiceError, goto
from handlers.i18n import Translator, supported
from handlers.outgoing import body_of
from handlers.turn import Option, Turn
from handlers.types import Meaning, Reply
from models import ChannelIdentity, Person, outbox
from models.linking import (
    CODE_VALID_FOR,
    CODES_PER_DAY,
    Issued,
    NotIssued,
    Verdict,
    check_code,
    issue_code,
    link_identity,
    phone_owner,
    typed_code,
)
from models.outbox import Outgoing, Priority
from models.people import preferred_identity

log = structlog.get_logger(__name__)

MINUTES = int(CODE_VALID_FOR.total_seconds() // 60)
YES, NO, RESEND, OTHER = "yes", "no", "resend", "other"
CODE_KIND = "link_code"  # outbox kinds: the code, and the notice once linked
NOTICE_KIND = "link_notice"


class LinkingState(BaseModel):
    """The part of a flow's state a link under way needs."""

    link_person_id: int | None = None  # whose number it is
    link_phone: str | None = None  # the number, as typed or as the channel vouches for it


S = TypeVar("S", bound=LinkingState)
# Back to the phone question, after saying ``key`` (declined, or the link is gone).
PhoneAgain = Callable[[Turn, S, str], Awaitable[None]]
# Linked: this identity now belongs to the person given.
Linked = Callable[[Turn, S, Person], Awaitable[None]]


async def link_target(turn: Turn, state: LinkingState) -> tuple[Person, ChannelIdentity] | None:
    """The person the link under way is with and the identity their code goes to, while
    the number is still theirs and this channel is not one of theirs."""
    if state.link_person_id is None or state.link_phone is None:
        return None
    owner = await phone_owner(turn.session, state.link_phone, turn.person_id)
    channel = turn.identity.channel
    if owner is None or owner.person_id != state.link_person_id or channel in owner.channels:
        return None
    person = await turn.session.get(Person, owner.person_id)
    if person is None:
        return None
    target = await preferred_identity(turn.session, person, besides=channel)
    return (person, target) if target is not None else None


async def tell(
    turn: Turn,
    person: Person,
    identity: ChannelIdentity,
    kind: str,
    text_key: str,
    *,
    expires_at: datetime | None = None,
    **values: object,
) -> None:
    """Write to ``person`` at their ``identity`` on another channel, in their language,
    in this turn's transaction like any reply. ``channel`` in the text is this one."""
    t = Translator(supported(person.locale))
    text = t(text_key, channel=channel_name(t, turn.identity.channel), **values)
    assert identity.id is not None
    assert turn.identity.id is not None
    message = Outgoing(
        key=f"{kind}:{turn.identity.id}:{identity.id}:{turn.now.isoformat()}",
        identity_id=identity.id,
        channel=identity.channel,
        kind=kind,
        body=body_of(Reply(text)),
        due_at=turn.now,
        priority=Priority.REPLY,  # someone is waiting for it on the other channel
        expires_at=expires_at,
    )
    await turn.session.run_sync(outbox.enqueue, [message])


async def send_code(turn: Turn, person: Person, identity: ChannelIdentity) -> None:
    """A new code to ``person`` at ``identity``, unless one went a moment ago or too many
    went today (then say so)."""
    assert person.id is not None
    assert turn.identity.id is not None
    issued = await issue_code(turn.session, turn.identity.id, person.id, turn.now)
    where = channel_name(turn.t, identity.channel)
    if issued is NotIssued.TOO_SOON:
        turn.say("link.too_soon", channel=where)
        return
    if issued is NotIssued.DAILY_LIMIT:
        turn.say("link.daily_limit", count=CODES_PER_DAY)
        return
    assert isinstance(issued, Issued)
    await tell(
        turn, person, identity, CODE_KIND, "link.code_message",
        expires_at=issued.expires_at, code=issued.code, minutes=MINUTES,
    )  # fmt: skip
    log.info("link_code_sent", to_channel=identity.channel)


class LinkOfferStep(Step[S], Generic[S]):
    """The number is someone's on another channel: is it theirs?"""

    name = "link_offer"

    def __init__(self, phone_again: PhoneAgain[S], code_step: "LinkCodeStep[S]") -> None:
        self._phone_again = phone_again
        self._code_step = code_step

    async def prompt(self, turn: Turn, state: S) -> Prompt:
        t = turn.t
        found = await link_target(turn, state)
        where = channel_name(t, found[1].channel) if found is not None else "—"
        options = [
            Option(YES, t("link.yes"), Meaning.YES),
            Option(NO, t("link.no"), Meaning.NO),
        ]
        return Prompt(t("link.offer", phone=state.link_phone or "", channel=where), options)

    async def on_choice(self, turn: Turn, state: S, value: str) -> None:
        if value == NO:
            await self._phone_again(turn, state, "phone.taken")
            return
        if value != YES:
            raise UnknownChoiceError(value)
        found = await link_target(turn, state)
        if found is None:
            await self._phone_again(turn, state, "link.gone")
            return
        await send_code(turn, *found)
        await goto(turn, self._code_step)


class LinkCodeStep(Step[S], Generic[S]):
    """The code sent to their other channel, typed here."""

    name = "link_code"
    takes_text = True

    def __init__(self, phone_again: PhoneAgain[S], linked: Linked[S]) -> None:
        self._phone_again = phone_again
        self._linked = linked

    async def prompt(self, turn: Turn, state: S) -> Prompt:
        t = turn.t
        found = await link_target(turn, state)
        where = channel_name(t, found[1].channel) if found is not None else "—"
        options = [Option(RESEND, t("link.resend")), Option(OTHER, t("link.other_number"))]
        return Prompt(t("link.ask_code", channel=where, minutes=MINUTES), options)

    async def on_choice(self, turn: Turn, state: S, value: str) -> None:
        if value == OTHER:
            await self._phone_again(turn, state, "phone.taken")
            return
        if value != RESEND:
            raise UnknownChoiceError(value)
        found = await link_target(turn, state)
        if found is None:
            await self._phone_again(turn, state, "link.gone")
            return
        await send_code(turn, *found)
        await goto(turn, self)

    async def on_text(self, turn: Turn, state: S, text: str) -> None:
        found = await link_target(turn, state)
        if found is None:
            await self._phone_again(turn, state, "link.gone")
            return
        person, identity = found
        code = typed_code(text)
        if code is None:
            # Not a try: only six digits can be the code.
            turn.say("link.code_format", channel=channel_name(turn.t, identity.channel))
            return
        assert person.id is not None
        assert turn.identity.id is not None
        checked = await check_code(turn.session, turn.identity.id, person.id, code, turn.now)
        if checked.verdict is Verdict.RIGHT:
            await link_identity(turn.session, turn.identity, person, turn.now)
            log.info("identity_linked", channel=turn.identity.channel, to_channel=identity.channel)
            now_to = await preferred_identity(turn.session, person)
            notify = now_to.channel if now_to is not None else turn.identity.channel
            await tell(
                turn, person, identity, NOTICE_KIND, "link.notice_other",
                notify=channel_name(Translator(supported(person.locale)), notify),
            )  # fmt: skip
            await self._linked(turn, state, person)
        elif checked.verdict is Verdict.WRONG and checked.tries_left:
            turn.say("link.wrong", left=checked.tries_left)
        else:
            key = "link.expired" if checked.verdict is Verdict.EXPIRED else "link.exhausted"
            turn.say(key, minutes=MINUTES)
            await goto(turn, self)
