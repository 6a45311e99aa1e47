"""``/hapus``: erase one's personal data completely, after a confirmation.

Everything goes (models/privacy/erasure.py says what, and what stays unlinked: anonymous
survey figures, revoked certificates' numbers, the withdrawn consent record). A survey or
a check-in under way is abandoned with it. The reply saying so still has to reach them:
the identity it goes to is deleted right after it is sent, by the privacy job.
"""

from pydantic import BaseModel

from handlers.flow import Flow, end_flow, interrupt, leave_side_flow, repeat_question
from handlers.questions import Answer, Kind, Msg, Question, QuestionStep
from handlers.registry import Command, Feature, Situation
from handlers.turn import Turn
from handlers.types import Reply
from models.privacy.erasure import TOUCHED, erase_person, has_personal_data
from models.privacy.wipe import wipe

# Flows whose answers an erasure throws away half-way, said in the reply.
_ABANDONED = frozenset({"survey", "attend"})


class EraseState(BaseModel):
    pass


async def start_erase(turn: Turn) -> None:
    if not await has_personal_data(turn.session, turn.person):
        turn.say("erase.nothing")
        await repeat_question(turn)
        return
    await interrupt(turn, CONFIRM)


async def answered(turn: Turn, state: EraseState, value: Answer) -> None:
    if value is not True:
        turn.say("erase.kept")
        await leave_side_flow(turn)
        return
    conversation = turn.conversation
    abandoned = conversation.paused_flow in _ABANDONED
    await erase_person(turn.session, turn.person_id, turn.now, reply_to=turn.identity.id)
    # What was under way on this channel goes too (the other channels went with their
    # identities); the conversation row is written back empty.
    conversation.paused_flow = conversation.paused_step = None
    end_flow(turn)
    turn.states.clear()
    turn.forget_cached()
    if abandoned:
        turn.say("privacy_erase.abandoned")
    turn.say("erase.done")
    bind = turn.session.bind

    async def wipe_files() -> list[Reply]:
        await wipe(bind, TOUCHED)
        return []

    turn.after_commit(wipe_files)


CONFIRM = QuestionStep[EraseState](
    Question(
        "confirm",
        Kind.YES_NO,
        Msg("privacy_erase.confirm"),
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
