"""Joining an event: language, event code, consent, the registration questions, summary.

``/start CODE`` (from a t.me link) names the event; an invite code instead grants a role.
The code typed on its own, or a greeting from someone not registered, does the same (a
wa.me link fills in the code). A channel that knows the person's number (WhatsApp) does
not ask for it. A number someone registered on another channel is linked to them, once
they prove it is theirs (handlers/linking.py); one registered on this channel is refused.

A number on the event's roster brings what the organisers' file holds (name, library, its
kind, regency), shown to confirm or correct instead of asked; registering links the
person to that row and puts them in its class. The roster is shown only to someone the
number is known to belong to: on WhatsApp (the channel vouches for it), or after the
name typed before it matches the roster's. A number typed on Telegram or in a terminal
is anyone's to type, and the roster's details are not theirs to read: on a name that does
not match, the questions are asked as usual (the row is still linked by the number).
"""

import hashlib
from collections.abc import Awaitable, Callable

from pydantic import BaseModel, Field
from sqlmodel import col, select

from handlers.channel_names import channel_name, vouched_phone
from handlers.consent_notice import CONSENT_VERSION, consent_text
from handlers.event_choice import current_event, enrollment
from handlers.features.attendance_codes import from_start_link
from handlers.features.invites import redeem
from handlers.flow import Flow, Prompt, Step, UnknownChoiceError, end_flow, goto
from handlers.greetings import is_opening
from handlers.language_step import LanguageStep
from handlers.linking import LinkCodeStep, LinkingState, LinkOfferStep
from handlers.menu import main_menu
from handlers.profile_fields import PROVINCE, QUESTIONS, ROSTER_FIELDS, profile_lines
from handlers.province_step import ProvincePage, ProvinceStep
from handlers.questions import Answer, QuestionStep
from handlers.registry import Command, Feature, Situation
from handlers.turn import Option, Turn
from handlers.types import Meaning
from models import Consent, Event, Person, RosterEntry
from models.event import event_by_code
from models.linking import phone_owner
from models.people import PROFILE_FIELDS, enroll, has_consented, preferred_identity
from models.roles import find_invite
from models.roster.status import link_to_roster, names_match, roster_entry


class Answers(BaseModel):
    """The registration answers so far; none is stored on the person until confirmed."""

    full_name: str | None = None
    phone_e164: str | None = None
    library_name: str | None = None
    library_type: str | None = None
    regency: str | None = None
    province: str | None = None
    library_role: str | None = None

    def missing(self) -> list[str]:
        return [name for name in PROFILE_FIELDS if getattr(self, name) is None]


class RegistrationState(ProvincePage, LinkingState):
    event_id: int | None = None  # the event being joined
    answers: Answers = Field(default_factory=Answers)
    review: bool = False  # fixing one answer from the summary: back to the summary after
    # The number the channel vouches for was tried already (taken: it is asked instead).
    channel_phone_tried: bool = False
    # The roster row the number found, shown to confirm; once confirmed, kept in
    # ``roster_done`` (so that giving the same number again does not show it again).
    roster_id: int | None = None
    roster_done: int | None = None


# --- the registration flow -------------------------------------------------------------


def state_of(turn: Turn) -> RegistrationState:
    return REGISTRATION.state(turn)


async def joining(turn: Turn) -> Event | None:
    event_id = state_of(turn).event_id
    return await turn.session.get(Event, event_id) if event_id is not None else None


async def can_join(turn: Turn, event: Event) -> bool:
    """Open for registration, or already joined (then a closed event stays reachable)."""
    return event.is_open or await enrollment(turn, event) is not None


async def find_event(turn: Turn, code: str) -> Event | None:
    """The event this person may join with ``code``."""
    event = await event_by_code(turn.session, code)
    return event if event is not None and await can_join(turn, event) else None


async def start(turn: Turn) -> None:
    """/start, from a join link (``/start CODE``) or typed. An invite code grants a
    role instead; a check-in link (``/start hadir-CODE``) checks in."""
    if await from_start_link(turn, turn.argument):
        return
    await begin(turn, turn.argument)


async def begin(turn: Turn, code: str) -> None:
    """Join the event ``code`` names (none: the default one), or take the role an invite
    code grants; continue a registration under way."""
    if code and await redeem(turn, code):
        return
    conversation = turn.conversation
    if conversation.flow == REGISTRATION.name:
        state = state_of(turn)
    elif conversation.paused_flow == REGISTRATION.name:
        state = state_of(turn)  # back to the registration a side question interrupted
    else:
        state = REGISTRATION.fresh_state(turn)
    if code:
        event = await find_event(turn, code)
        if event is None:
            turn.say("start.unknown_code")
        else:
            state.event_id = event.id
            # Looking at an event of one's own; a new one only once joined (after its consent).
            if turn.person.is_registered and await enrollment(turn, event) is not None:
                turn.person.viewing_event_id = event.id
    elif state.event_id is None:
        state.event_id = await default_event(turn)
    await continue_registration(turn)


async def typed_join(turn: Turn, text: str) -> bool:
    """Words that answer no question: an event's code or an invite code, typed on its
    own, does what ``/start CODE`` does; so does a greeting from someone not registered
    (without a code)."""
    code = text.strip()
    if await event_by_code(turn.session, code) is not None:
        await begin(turn, code)
        return True
    if await find_invite(turn.session, code) is not None:
        await begin(turn, code)
        return True
    if not turn.person.is_registered and is_opening(text):
        await begin(turn, "")
        return True
    return False


async def default_event(turn: Turn) -> int | None:
    """The event /start means without a code: a registered person's current one, else
    the only event open for registration."""
    if turn.person.is_registered:
        event = await current_event(turn)
        if event is not None:
            return event.id
    open_events = (await turn.session.execute(select(Event.id).where(col(Event.is_open)))).all()
    return open_events[0][0] if len(open_events) == 1 else None


async def continue_registration(turn: Turn) -> None:
    """Ask the first thing still missing, or finish."""
    person, state = turn.person, state_of(turn)
    if person.locale is None:
        await goto(turn, LANGUAGE_STEP)
        return
    event = await joining(turn)
    if event is not None and not await can_join(turn, event):
        # Closed while this person was registering: keep their answers for another event.
        state.event_id = None
        turn.say("registration.closed", event=event.name)
        event = None
    if event is None:
        await goto(turn, EVENT_CODE_STEP)
        return
    assert event.id is not None
    already = await enrollment(turn, event) is not None
    # Consent is per event: joining another asks again, naming that event's organiser.
    if not already and not await has_consented(turn.session, turn.person_id, event.id):
        await goto(turn, CONSENT_STEP)
        return
    if not person.is_registered:
        if state.answers.phone_e164 is None and not state.channel_phone_tried:
            phone = vouched_phone(turn.identity.channel, turn.identity.user_key)
            if phone is not None:
                state.channel_phone_tried = True
                await phone_given(turn, state, phone, vouched=True)
                return
        if state.roster_id is not None:
            await goto(turn, ROSTER_STEP)
            return
        missing = state.answers.missing()
        await goto(turn, REGISTRATION.steps[missing[0]] if missing else SUMMARY_STEP)
        return
    if not already:
        await join(turn, person, event)
    end_flow(turn)
    key = "registration.already" if already else "registration.joined"
    await main_menu(turn, key, name=person.full_name, event=event.name)


async def language_chosen(turn: Turn, first_choice: bool) -> None:
    if not first_choice:
        turn.say("language.saved")
    await continue_registration(turn)


class EventCodeStep(Step[RegistrationState]):
    name = "event_code"
    takes_text = True

    async def prompt(self, turn: Turn, state: RegistrationState) -> Prompt:
        return Prompt(turn.t("ask.event_code"))

    async def on_text(self, turn: Turn, state: RegistrationState, text: str) -> None:
        event = await find_event(turn, text)
        if event is None:
            turn.say("invalid.event_code")
            return
        state.event_id = event.id
        await continue_registration(turn)


class ConsentStep(Step[RegistrationState]):
    name = "consent"

    async def prompt(self, turn: Turn, state: RegistrationState) -> Prompt:
        t = turn.t
        options = [
            Option("agree", t("consent.agree"), Meaning.YES),
            Option("decline", t("consent.decline"), Meaning.NO),
        ]
        return Prompt(consent_text(turn, await joining(turn)), options)

    async def on_choice(self, turn: Turn, state: RegistrationState, value: str) -> None:
        event = await joining(turn)
        if value == "decline":
            if turn.person.is_registered and event is not None:
                # Someone taking part elsewhere declined this event: nothing of theirs
                # changes, and they are back where they were.
                end_flow(turn)
                await main_menu(turn, "consent.declined_event", event=event.name, code=event.code)
                return
            turn.say("consent.declined")  # the question stays: /start shows the notice again
            return
        if value != "agree":
            raise UnknownChoiceError(value)
        if event is None or event.id is None:
            await continue_registration(turn)  # the event went meanwhile: ask which one
            return
        text = consent_text(turn, event)
        turn.session.add(
            Consent(
                person_id=turn.person_id,
                event_id=event.id,
                channel=turn.identity.channel,
                text_version=CONSENT_VERSION,
                locale=turn.locale,
                text_sha256=hashlib.sha256(text.encode()).hexdigest(),
                agreed_at=turn.now,
            )
        )
        await turn.session.flush()
        if turn.person.is_registered:
            turn.say("consent.thanks_event", event=event.name)
        else:
            # Answers given before consent (none are kept) start afresh; a consent for
            # another event given in this registration keeps them.
            if not await _consented_elsewhere(turn, event.id):
                state.answers = Answers()
            turn.say("consent.thanks")
        await continue_registration(turn)


async def _consented_elsewhere(turn: Turn, event_id: int) -> bool:
    found = await turn.session.execute(
        select(Consent.id).where(
            col(Consent.person_id) == turn.person_id,
            col(Consent.event_id) != event_id,
            col(Consent.withdrawn_at).is_(None),
        )
    )
    return found.first() is not None


async def join(turn: Turn, person: Person, event: Event) -> None:
    """Enrol ``person`` in ``event``: the roster row with their number is theirs."""
    assert event.id is not None
    joined = enroll(turn.session, person, event.id, turn.now)
    await link_to_roster(turn.session, person, joined)
    turn.forget_cached()


async def field_answered(turn: Turn, state: RegistrationState, field: str, value: Answer) -> None:
    assert isinstance(value, str)
    setattr(state.answers, field, value)
    if state.roster_id is not None:  # correcting what the roster holds
        await goto(turn, ROSTER_STEP)
    elif state.review:
        await goto(turn, SUMMARY_STEP)
    else:
        await continue_registration(turn)


async def phone_answered(turn: Turn, state: RegistrationState, value: Answer) -> None:
    assert isinstance(value, str)
    await phone_given(turn, state, value)


async def phone_given(
    turn: Turn, state: RegistrationState, phone: str, *, vouched: bool = False
) -> None:
    """A number typed, or the one the channel vouches for. Free, it is the answer (and
    on the event's roster, what the roster holds is shown). A person reachable on another
    channel registered it: they may prove it is theirs and link the two. Registered from
    this channel (another account), or by someone who cannot be reached: refused, and
    asked again."""
    owner = await phone_owner(turn.session, phone, turn.person_id)
    if owner is None:
        entry = await roster_entry(turn.session, state.event_id, phone) if state.event_id else None
        shown = entry is not None and entry.id != state.roster_done
        if shown and entry is not None and (vouched or names_match(state.answers.full_name, entry)):
            state.answers.phone_e164, state.roster_id = phone, entry.id
            await goto(turn, ROSTER_STEP)
            return
        await field_answered(turn, state, "phone_e164", phone)
        return
    here = turn.identity.channel
    if owner.channels and here not in owner.channels:
        state.link_person_id, state.link_phone = owner.person_id, phone
        await goto(turn, LINK_OFFER_STEP)
        return
    key = "phone.taken_here" if here in owner.channels else "phone.taken"
    await phone_again(turn, state, key)


async def phone_again(turn: Turn, state: RegistrationState, key: str) -> None:
    """The number cannot be this person's: say ``key`` and ask for another."""
    turn.say(key, channel=channel_name(turn.t, turn.identity.channel))
    state.answers.phone_e164 = state.link_person_id = state.link_phone = None
    state.channel_phone_tried = True
    await goto(turn, REGISTRATION.steps["phone_e164"])


async def linked(turn: Turn, state: RegistrationState, person: Person) -> None:
    """This identity now belongs to ``person``, registered already: the registration is
    over, and the event being joined is theirs too."""
    turn.person = person
    turn.forget_cached()
    event = await joining(turn)
    end_flow(turn)
    found = await preferred_identity(turn.session, person, besides=turn.identity.channel)
    values = {
        "channel": channel_name(turn.t, turn.identity.channel),
        "other": channel_name(turn.t, found.channel) if found is not None else "—",
        "name": person.full_name,
    }
    if event is None or event.id is None or not await can_join(turn, event):
        await main_menu(turn, "link.done", **values)
        return
    if await enrollment(turn, event) is None:
        await join(turn, person, event)
    else:
        person.viewing_event_id = event.id
    await main_menu(turn, "link.done_event", event=event.name, **values)


def answer_to(field: str) -> Callable[[Turn, RegistrationState, Answer], Awaitable[None]]:
    async def answered(turn: Turn, state: RegistrationState, value: Answer) -> None:
        await field_answered(turn, state, field, value)

    return answered


class SummaryStep(Step[RegistrationState]):
    name = "summary"

    async def prompt(self, turn: Turn, state: RegistrationState) -> Prompt:
        t = turn.t
        options = [Option("confirm", t("summary.confirm"), Meaning.YES)]
        for name in PROFILE_FIELDS:
            options.append(Option(f"fix:{name}", t("summary.fix", field=t(f"field.{name}"))))
        answers = state.answers.model_dump()
        return Prompt(t("summary.title", profile=profile_lines(t, answers)), options)

    async def on_choice(self, turn: Turn, state: RegistrationState, value: str) -> None:
        fix = value.removeprefix("fix:")
        if fix != value and fix in PROFILE_FIELDS:
            state.review = True
            await goto(turn, REGISTRATION.steps[fix])
            return
        if value != "confirm":
            raise UnknownChoiceError(value)
        event = await joining(turn)
        if state.answers.missing() or event is None or not event.is_open:
            await continue_registration(turn)
            return
        phone = state.answers.phone_e164
        if phone is not None and await phone_owner(turn.session, phone, turn.person_id):
            await phone_given(turn, state, phone)  # registered by someone meanwhile
            return
        person = turn.person
        for name in PROFILE_FIELDS:
            setattr(person, name, getattr(state.answers, name))
        person.registered_at = person.updated_at = turn.now
        await join(turn, person, event)
        end_flow(turn)
        await main_menu(turn, "registration.done", name=person.full_name, event=event.name)


class RosterStep(Step[RegistrationState]):
    """What the roster holds for the number given, to confirm or correct: one answer for
    the questions it saves."""

    name = "roster"

    async def prompt(self, turn: Turn, state: RegistrationState) -> Prompt:
        t = turn.t
        entry = await turn.session.get(RosterEntry, state.roster_id) if state.roster_id else None
        event = await joining(turn)
        listed = entry.model_dump() if entry is not None else {}
        shown = {name: getattr(state.answers, name) or listed.get(name) for name in ROSTER_FIELDS}
        options = [Option("confirm", t("roster.registration_confirm"), Meaning.YES)]
        options += [
            Option(f"fix:{name}", t("summary.fix", field=t(f"field.{name}")))
            for name in ROSTER_FIELDS
        ]
        text = t(
            "roster.registration_found",
            event=event.name if event is not None else "—",
            profile=profile_lines(t, shown, ROSTER_FIELDS),
        )
        return Prompt(text, options)

    async def on_choice(self, turn: Turn, state: RegistrationState, value: str) -> None:
        fix = value.removeprefix("fix:")
        if fix != value and fix in ROSTER_FIELDS:
            await goto(turn, REGISTRATION.steps[fix])  # and back here, with the answer
            return
        if value != "confirm":
            raise UnknownChoiceError(value)
        entry = await turn.session.get(RosterEntry, state.roster_id) if state.roster_id else None
        if entry is not None:
            for name in ROSTER_FIELDS:
                if getattr(state.answers, name) is None:
                    setattr(state.answers, name, getattr(entry, name))
        state.roster_done, state.roster_id = state.roster_id, None
        if state.review:
            await goto(turn, SUMMARY_STEP)
        else:
            await continue_registration(turn)


LANGUAGE_STEP = LanguageStep[RegistrationState](language_chosen)
EVENT_CODE_STEP = EventCodeStep()
CONSENT_STEP = ConsentStep()
SUMMARY_STEP = SummaryStep()
ROSTER_STEP = RosterStep()


async def province_answered(turn: Turn, state: RegistrationState, value: str) -> None:
    await field_answered(turn, state, PROVINCE, value)


def field_steps() -> list[Step[RegistrationState]]:
    steps: list[Step[RegistrationState]] = []
    for name in PROFILE_FIELDS:
        if name == PROVINCE:
            steps.append(ProvinceStep[RegistrationState](province_answered))
        elif name == "phone_e164":
            steps.append(QuestionStep(QUESTIONS[name], phone_answered))
        else:
            steps.append(QuestionStep(QUESTIONS[name], answer_to(name)))
    return steps


LINK_CODE_STEP = LinkCodeStep[RegistrationState](phone_again, linked)
LINK_OFFER_STEP = LinkOfferStep[RegistrationState](phone_again, LINK_CODE_STEP)
REGISTRATION: Flow[RegistrationState] = Flow(
    "registration",
    RegistrationState,
    [
        LANGUAGE_STEP,
        EVENT_CODE_STEP,
        CONSENT_STEP,
        *field_steps(),
        LINK_OFFER_STEP,
        LINK_CODE_STEP,
        ROSTER_STEP,
        SUMMARY_STEP,
    ],
    cancelled="cancel.registration",
)


def unregistered(situation: Situation) -> bool:
    return not situation.registered


FEATURE = Feature(
    commands=(
        Command(
            "start",
            {"id": "start", "en": "start"},
            start,
            order=120,
            button=True,
            channel_menu=True,
            shown=unregistered,
            aliases=("mulai",),
        ),
    ),
    flows=(REGISTRATION,),
    typed=typed_join,
)
