"""Organisers invite trainers (``/undang``): pick a speaker from the agenda or type the
name, and get a one-time code to forward. Whoever sends the code (``/start CODE``, or the
t.me link) takes the role."""

from pydantic import BaseModel, Field

from handlers.flow import Flow, Prompt, Step, UnknownChoiceError, goto, interrupt, leave_side_flow
from handlers.menu import main_menu
from handlers.registry import Command, Feature
from handlers.roles import may, my_role
from handlers.staff import moment_text, refuse, staff_event
from handlers.turn import Option, Turn, short_label
from handlers.types import Reply
from handlers.validation import InvalidInputError, full_name
from models import Event, RoleName
from models.agenda import AgendaItem, agenda
from models.audit import Actor
from models.roles import (
    INVITE_VALID_FOR,
    Redeemed,
    create_invite,
    find_invite,
    name_key,
    redeem_invite,
    split_speakers,
    teaches,
)

SPEAKER_BUTTONS = 8
OTHER = "other"


class InviteState(BaseModel):
    event_id: int | None = None
    # The names offered are kept with the question: a re-import meanwhile cannot change
    # which name a button means.
    speakers: list[str] = Field(default_factory=list)


async def agenda_speakers(turn: Turn, event: Event) -> list[str]:
    names: dict[str, str] = {}
    for session in (await agenda(turn.session, event)).items:
        for name in split_speakers(session.speakers):
            names.setdefault(name_key(name), name)
    return list(names.values())


async def taught_by(turn: Turn, event: Event, speaker: str) -> list[AgendaItem]:
    whole = await agenda(turn.session, event)
    return [s for s in whole.items if teaches(speaker, s.speakers)]


async def start_invite(turn: Turn) -> None:
    event = await staff_event(turn, RoleName.ORGANIZER)
    if event is None:
        return
    state = INVITE.fresh_state(turn)
    state.event_id = event.id
    state.speakers = (await agenda_speakers(turn, event))[:SPEAKER_BUTTONS]
    # A side question: a registration under way picks up again afterwards.
    await interrupt(turn, SPEAKER_STEP)


async def invite_event(turn: Turn, state: InviteState) -> Event | None:
    """The event the invite under way is for, while this person still organises it."""
    event = await turn.session.get(Event, state.event_id) if state.event_id else None
    if event is None or not await may(turn, event, RoleName.ORGANIZER):
        await refuse(turn, RoleName.ORGANIZER, event)
        await leave_side_flow(turn, show_menu=False)
        return None
    return event


class SpeakerStep(Step[InviteState]):
    name = "speaker"
    takes_text = True  # a typed name invites that person

    async def prompt(self, turn: Turn, state: InviteState) -> Prompt:
        options = [Option(str(i), short_label(name)) for i, name in enumerate(state.speakers)]
        options.append(Option(OTHER, turn.t("invite.other_speaker")))
        event = await turn.session.get(Event, state.event_id) if state.event_id else None
        return Prompt(turn.t("invite.ask_speaker", event=event.name if event else "-"), options)

    async def on_choice(self, turn: Turn, state: InviteState, value: str) -> None:
        event = await invite_event(turn, state)
        if event is None:
            return
        if value == OTHER:
            await goto(turn, NAME_STEP)
            return
        index = int(value) if value.isascii() and value.isdigit() else len(state.speakers)
        if index >= len(state.speakers):
            raise UnknownChoiceError(value)
        await issue_trainer_invite(turn, event, state.speakers[index])

    async def on_text(self, turn: Turn, state: InviteState, text: str) -> None:
        await NAME_STEP.on_text(turn, state, text)


class NameStep(Step[InviteState]):
    name = "name"
    takes_text = True

    async def prompt(self, turn: Turn, state: InviteState) -> Prompt:
        return Prompt(turn.t("invite.ask_name"))

    async def on_text(self, turn: Turn, state: InviteState, text: str) -> None:
        event = await invite_event(turn, state)
        if event is None:
            return
        try:
            name = full_name(text)
        except InvalidInputError as exc:
            turn.say(exc.key, **exc.values)
            await goto(turn, self)
            return
        await issue_trainer_invite(turn, event, name)


async def issue_trainer_invite(turn: Turn, event: Event, speaker: str) -> None:
    assert event.id is not None
    organiser = await my_role(turn, event, RoleName.ORGANIZER)
    created_by = f"role:{organiser.id}" if organiser is not None else "admin"
    code = await create_invite(
        turn.session, event.id, RoleName.TRAINER, created_by=created_by, now=turn.now,
        speaker=speaker, actor=Actor.person(turn.person_id),
    )  # fmt: skip
    sessions = await taught_by(turn, event, speaker)
    turn.say(
        "invite.created",
        speaker=speaker,
        event=event.name,
        sessions=len(sessions),
        until=moment_text(turn, event, turn.now + INVITE_VALID_FOR),
    )
    # The code on its own, so that it can be forwarded as it is.
    turn.replies.append(Reply(invite_message(turn, code)))
    await leave_side_flow(turn)


def invite_message(turn: Turn, code: str) -> str:
    start = code.replace("-", "")
    link = turn.deployment.start_link(start)
    if link is None:
        text = turn.t("invite.forward_code", code=code)
    else:
        text = turn.t("invite.forward_link", code=code, link=link)
    on_whatsapp = turn.deployment.whatsapp_link(f"/start {start}")
    if on_whatsapp is not None:
        text += "\n" + turn.t("join.whatsapp_link", link=on_whatsapp)
    return text


async def redeem(turn: Turn, typed: str) -> bool:
    """Take the role an invite code grants; False when ``typed`` is no invite code."""
    invite = await find_invite(turn.session, typed)
    event = await turn.session.get(Event, invite.event_id) if invite is not None else None
    if invite is None or event is None:
        return False
    outcome = await redeem_invite(turn.session, invite, turn.person_id, turn.now)
    if outcome.outcome is Redeemed.USED:
        await main_menu(turn, "invite.used")
        return True
    if outcome.outcome is Redeemed.EXPIRED:
        await main_menu(turn, "invite.expired")
        return True
    turn.person.viewing_event_id = event.id
    turn.forget_cached()
    role = RoleName(invite.role)
    if outcome.outcome is Redeemed.ALREADY:
        await main_menu(turn, "invite.already", event=event.name, role=turn.t(f"role.{role}"))
    else:
        await main_menu(turn, f"invite.welcome_{role}", event=event.name, name=invite.speaker)
    return True


SPEAKER_STEP = SpeakerStep()
NAME_STEP = NameStep()
INVITE: Flow[InviteState] = Flow("invite", InviteState, [SPEAKER_STEP, NAME_STEP], side=True)


FEATURE = Feature(
    commands=(
        Command(
            "invite",
            {"id": "undang", "en": "invite"},
            start_invite,
            order=50,
            button=True,
            needs=RoleName.ORGANIZER,
        ),
    ),
    flows=(INVITE,),
)
