"""``/hapus``: erase one's personal data, after a confirmation. The consent records stay,
withdrawn and without personal data, as the proof of what was agreed and withdrawn."""

from pydantic import BaseModel

from handlers.flow import Flow, end_flow, interrupt, leave_side_flow, repeat_question
from handlers.questions import Answer, Kind, Msg, Question, QuestionStep
from handlers.registry import Command, Feature, Situation
from handlers.turn import Turn
from models.certificates.store import forget_holder
from models.notifications import cancel_for_person
from models.people import erase_personal_data, has_consented


class EraseState(BaseModel):
    pass


async def start_erase(turn: Turn) -> None:
    if not turn.person.is_registered and not await has_consented(turn.session, turn.person_id):
        turn.say("erase.nothing")
        await repeat_question(turn)
        return
    await interrupt(turn, CONFIRM)


async def answered(turn: Turn, state: EraseState, value: Answer) -> None:
    if value is not True:
        turn.say("erase.kept")
        await leave_side_flow(turn)
        return
    await erase_personal_data(turn.session, turn.person, turn.now)
    # A certificate names its holder: it is revoked, and keeps neither name nor paper.
    await forget_holder(turn.session, turn.person_id, turn.now)
    # Reminders already planned for them go no more: they are no participant now.
    await cancel_for_person(turn.session, turn.person_id, "erased")
    # Whatever was under way on this channel goes too (the other channels' already went).
    conversation = turn.conversation
    conversation.paused_flow = conversation.paused_step = None
    end_flow(turn)
    turn.states.clear()
    turn.forget_cached()
    turn.say("erase.done")


CONFIRM = QuestionStep[EraseState](
    Question(
        "confirm",
        Kind.YES_NO,
        Msg("erase.confirm"),
        yes_label=Msg("erase.yes"),
        no_label=Msg("erase.no"),
    ),
    answered,
)
ERASE: Flow[EraseState] = Flow("erase", EraseState, [CONFIRM], side=True)


def has_data(situation: Situation) -> bool:
    return situation.has_data


FEATURE = Feature(
    commands=(
        Command(
            "delete",
            {"id": "hapus", "en": "delete"},
            start_erase,
            order=130,
            channel_menu=True,
            shown=has_data,
        ),
    ),
    flows=(ERASE,),
)
