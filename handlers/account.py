"""What a registered person does with their own data: see it, change it, erase it."""

from collections.abc import Sequence

from models import Consent, Conversation, Enrollment
from sqlalchemy import delete, update

from handlers.menu import main_menu, profile_menu
from handlers.profile import FIELD_NAMES
from handlers.registration import EDIT, LanguageStep, field_step
from handlers.steps import Step, UnknownChoiceError, goto, register
from handlers.turn import Option, Turn

ERASE = "erase"
LANGUAGE = "language"


async def show_profile(turn: Turn) -> None:
    participant = await turn.participant()
    if participant is None or participant.registered_at is None:
        await main_menu(turn, "profile.none")
        return
    turn.end_flow()
    await profile_menu(turn, participant)


async def start_edit(turn: Turn) -> None:
    participant = await turn.participant()
    if participant is None or participant.registered_at is None:
        await main_menu(turn, "profile.none")
        return
    await goto(turn, EDIT, EditPickStep.name)


async def start_erase(turn: Turn) -> None:
    if turn.conversation.participant_id is None:
        await main_menu(turn, "erase.nothing")
        return
    await goto(turn, ERASE, EraseConfirmStep.name)


async def choose_language(turn: Turn) -> None:
    await goto(turn, LANGUAGE, LanguageStep.name)


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
            turn.end_flow()
            await main_menu(turn, "erase.kept")
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
        .values(participant_id=None, data={}, flow=None, step=None)
    )
    await session.execute(delete(Enrollment).where(Enrollment.participant_id == pid))  # type: ignore[arg-type]
    await session.delete(participant)
    turn.conversation.participant_id = None
