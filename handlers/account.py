"""What a registered person does with their own data: see it, change it, erase it."""

from collections.abc import Sequence

from sqlalchemy import delete, update

from handlers.menu import is_registered, main_menu
from handlers.profile import FIELD_NAMES, profile_lines, profile_text
from handlers.registration import EDIT, REGISTRATION, LanguageStep, field_step
from handlers.steps import (
    Step,
    UnknownChoiceError,
    goto,
    interrupt,
    register,
    repeat_question,
    resume,
)
from handlers.turn import Option, Turn
from handlers.types import Reply
from models import Consent, Conversation, Enrollment

ERASE = "erase"
LANGUAGE = "language"


async def show_profile(turn: Turn) -> None:
    """What is stored; while registering, the answers so far. The question under way,
    if any, is asked again after it."""
    participant = await turn.participant()
    t = turn.t
    if participant is not None and participant.registered_at is not None:
        text = profile_text(t, participant)
    elif turn.conversation.data.get("answers"):
        answers = turn.conversation.data["answers"]
        text = t("profile.partial", profile=profile_lines(t, answers))
    elif participant is not None:
        text = t("profile.consent_only")
    else:
        text = t("profile.none")
    turn.replies.append(Reply(text))
    await repeat_question(turn)


async def start_edit(turn: Turn) -> None:
    if await is_registered(turn):
        await goto(turn, EDIT, EditPickStep.name)
    elif turn.conversation.flow == REGISTRATION:
        turn.say("edit.during_registration")
        await repeat_question(turn)
    else:
        await main_menu(turn, "profile.none")


async def start_erase(turn: Turn) -> None:
    if turn.conversation.participant_id is None:
        turn.say("erase.nothing")
        await repeat_question(turn)
        return
    await interrupt(turn, ERASE, EraseConfirmStep.name)


async def choose_language(turn: Turn) -> None:
    if turn.conversation.flow == REGISTRATION:
        await goto(turn, REGISTRATION, LanguageStep.name)
    else:
        await interrupt(turn, LANGUAGE, LanguageStep.name)


@register
class EditPickStep(Step):
    name = "edit:pick"

    async def prompt(self, turn: Turn) -> tuple[str, Sequence[Option]]:
        t = turn.t
        return t("edit.pick"), [Option(n, t(f"field.{n}")) for n in FIELD_NAMES]

    async def on_choice(self, turn: Turn, value: str) -> None:
        if value not in FIELD_NAMES:
            raise UnknownChoiceError(value)
        await goto(turn, EDIT, field_step(value))


@register
class EraseConfirmStep(Step):
    name = "erase:confirm"

    async def prompt(self, turn: Turn) -> tuple[str, Sequence[Option]]:
        t = turn.t
        return t("erase.confirm"), [Option("yes", t("erase.yes")), Option("no", t("erase.no"))]

    async def on_choice(self, turn: Turn, value: str) -> None:
        if value == "no":
            turn.say("erase.kept")
            if not await resume(turn):
                turn.end_flow()
                await main_menu(turn)
            return
        if value != "yes":
            raise UnknownChoiceError(value)
        await erase_participant(turn)
        turn.end_flow()
        turn.say("erase.done")


async def erase_participant(turn: Turn) -> None:
    """Delete the profile and enrolments; keep the consent record, marked withdrawn."""
    participant = await turn.participant()
    if participant is None:
        return
    pid = participant.id
    session = turn.session
    await session.execute(
        update(Consent)
        .where(Consent.participant_id == pid)  # type: ignore[arg-type]
        .values(participant_id=None, withdrawn_at=turn.now)
    )
    await session.execute(
        update(Conversation)
        .where(Conversation.participant_id == pid)  # type: ignore[arg-type]
        .values(participant_id=None, event_id=None, data={}, flow=None, step=None)
    )
    await session.execute(delete(Enrollment).where(Enrollment.participant_id == pid))  # type: ignore[arg-type]
    await session.delete(participant)
    turn.conversation.participant_id = None
    turn.conversation.event_id = None
