"""What a person does with their own profile: see it (``/profil``) and change one field
(``/ubah``)."""

from collections.abc import Awaitable, Callable

from handlers.features.registration import REGISTRATION
from handlers.flow import Flow, Prompt, Step, UnknownChoiceError, end_flow, goto, repeat_question
from handlers.menu import main_menu, menu_options
from handlers.profile_fields import (
    PROVINCE,
    QUESTIONS,
    display_value,
    profile_lines,
    profile_text,
)
from handlers.province_step import ProvincePage, ProvinceStep
from handlers.questions import Answer, QuestionStep
from handlers.registry import Command, Feature, Situation
from handlers.turn import Option, Turn
from handlers.types import Reply
from models.linking import phone_owner
from models.people import PROFILE_FIELDS, has_consented

PHONE = "phone_e164"


class EditState(ProvincePage):
    pass


async def show_profile(turn: Turn) -> None:
    """What is stored; while registering, the answers so far. The question under way,
    if any, is asked again after it."""
    person, t = turn.person, turn.t
    answers = REGISTRATION.state(turn).answers
    if person.is_registered:
        text = profile_text(t, person)
    elif turn.conversation.flow == REGISTRATION.name and answers.missing() != list(PROFILE_FIELDS):
        text = t("profile.partial", profile=profile_lines(t, answers.model_dump()))
    elif await has_consented(turn.session, turn.person_id):
        text = t("profile.consent_only")
    else:
        text = t("profile.none")
    turn.replies.append(Reply(text))
    await repeat_question(turn)


async def profile_menu(turn: Turn) -> None:
    turn.menu(profile_text(turn.t, turn.person), await menu_options(turn))


async def start_edit(turn: Turn) -> None:
    if turn.person.is_registered:
        EDIT.fresh_state(turn)
        await goto(turn, PICK_STEP)
    elif turn.conversation.flow == REGISTRATION.name:
        turn.say("edit.during_registration")
        await repeat_question(turn)
    else:
        await main_menu(turn, "profile.none")


class PickStep(Step[EditState]):
    name = "pick"

    async def prompt(self, turn: Turn, state: EditState) -> Prompt:
        t = turn.t
        return Prompt(t("edit.pick"), [Option(n, t(f"field.{n}")) for n in PROFILE_FIELDS])

    async def on_choice(self, turn: Turn, state: EditState, value: str) -> None:
        if value not in PROFILE_FIELDS:
            raise UnknownChoiceError(value)
        await goto(turn, EDIT.steps[value])


async def saved(turn: Turn, field: str, value: Answer) -> None:
    assert isinstance(value, str)
    person = turn.person
    setattr(person, field, value)
    person.updated_at = turn.now
    end_flow(turn)
    turn.say("edit.saved", field=turn.t(f"field.{field}"))
    await profile_menu(turn)


def save_to(field: str) -> Callable[[Turn, EditState, Answer], Awaitable[None]]:
    async def answered(turn: Turn, state: EditState, value: Answer) -> None:
        await saved(turn, field, value)

    return answered


async def phone_saved(turn: Turn, state: EditState, value: Answer) -> None:
    """A phone number belongs to one person: another's is refused, and asked again."""
    assert isinstance(value, str)
    if await phone_owner(turn.session, value, turn.person_id) is not None:
        turn.say("phone.taken")
        await goto(turn, EDIT.steps[PHONE])
        return
    await saved(turn, PHONE, value)


def with_current_value(field: str) -> Callable[[Turn, EditState, str], Awaitable[str]]:
    """The question also shows what is stored now."""

    async def wording(turn: Turn, state: EditState, text: str) -> str:
        value = display_value(turn.t, field, getattr(turn.person, field))
        return text + "\n\n" + turn.t("edit.current", value=value)

    return wording


async def province_saved(turn: Turn, state: EditState, value: str) -> None:
    await saved(turn, PROVINCE, value)


def field_steps() -> list[Step[EditState]]:
    steps: list[Step[EditState]] = []
    for name in PROFILE_FIELDS:
        if name == PROVINCE:
            steps.append(ProvinceStep[EditState](province_saved, with_current_value(name)))
        elif name == PHONE:
            steps.append(
                QuestionStep(QUESTIONS[name], phone_saved, wording=with_current_value(name))
            )
        else:
            wording = with_current_value(name)
            steps.append(QuestionStep(QUESTIONS[name], save_to(name), wording=wording))
    return steps


PICK_STEP = PickStep()
EDIT: Flow[EditState] = Flow("edit", EditState, [PICK_STEP, *field_steps()])


def registered(situation: Situation) -> bool:
    return situation.registered


def has_data(situation: Situation) -> bool:
    return situation.has_data


FEATURE = Feature(
    commands=(
        Command(
            "profile",
            {"id": "profil", "en": "profile"},
            show_profile,
            order=100,
            button=True,
            channel_menu=True,
            shown=has_data,
        ),
        Command(
            "edit",
            {"id": "ubah", "en": "edit"},
            start_edit,
            order=110,
            button=True,
            channel_menu=True,
            shown=registered,
        ),
    ),
    flows=(EDIT,),
)
