"""``/bahasa``: Bahasa Indonesia or English, at any time. In the middle of another
question it is a side question: that question is asked again afterwards."""

from pydantic import BaseModel

from handlers.features.registration import REGISTRATION
from handlers.flow import Flow, goto, interrupt, leave_side_flow
from handlers.language_step import LanguageStep
from handlers.registry import Command, Feature
from handlers.turn import Turn


class LanguageState(BaseModel):
    pass


async def choose_language(turn: Turn) -> None:
    if turn.conversation.flow == REGISTRATION.name:
        await goto(turn, REGISTRATION.steps["language"])
    else:
        await interrupt(turn, STEP)


async def chosen(turn: Turn, first_choice: bool) -> None:
    if not first_choice:
        turn.say("language.saved")
    await leave_side_flow(turn)


STEP = LanguageStep[LanguageState](chosen)
LANGUAGE: Flow[LanguageState] = Flow("language", LanguageState, [STEP], side=True)

FEATURE = Feature(
    commands=(
        Command(
            "language",
            {"id": "bahasa", "en": "language"},
            choose_language,
            order=140,
            channel_menu=True,
        ),
    ),
    flows=(LANGUAGE,),
)
