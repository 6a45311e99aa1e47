"""Participants check in (and out) with the code shown in the hall: typed on its own
(any case, spaced or not), from a link (``/start hadir-CODE`` on Telegram; on WhatsApp
the link types the code itself), or with ``/hadir KODE``. ``/hadir`` alone asks for the
code, in the middle of anything else (a survey under way picks up again afterwards)."""

import structlog
from pydantic import BaseModel

from handlers.attendance_live import refresh_status
from handlers.attendance_texts import LINK_PREFIX, describe
from handlers.flow import Flow, Prompt, Step, end_flow, goto, interrupt, leave_side_flow
from handlers.menu import menu_options
from handlers.registry import Command, Feature, Situation
from handlers.turn import Turn
from handlers.types import Reply
from models.attendance.checkin import Outcome, check
from models.attendance.codes import typed_code
from models.event import event_by_code

log = structlog.get_logger(__name__)


async def _tell(turn: Turn, text: str) -> None:
    """With the menu when nothing is under way; otherwise the router asks the question
    under way again after it."""
    if turn.conversation.step is None:
        turn.menu(text, await menu_options(turn))
    else:
        turn.replies.append(Reply(text))


async def answer(turn: Turn, code: str) -> str:
    """Take ``code`` (as typed_code gives it) from this person; what they are told."""
    result = await check(turn.session, person_id=turn.person_id, code=code,
                         channel=turn.identity.channel, now=turn.now)  # fmt: skip
    log.info("attendance_code", outcome=result.outcome, opening=getattr(result.opening, "id", None))
    if result.outcome in (Outcome.RECORDED, Outcome.CHECKED_OUT) and result.opening is not None:
        await refresh_status(turn, result.opening)
    return describe(turn.t, result, code, turn.now)


async def take_code(turn: Turn, typed: str) -> None:
    code = typed_code(typed)
    await _tell(turn, turn.t("attendance.not_a_code") if code is None else await answer(turn, code))


async def from_start_link(turn: Turn, argument: str) -> bool:
    """``/start hadir-CODE`` (a check-in link opened on Telegram); False for any other
    argument."""
    if not argument.casefold().startswith(LINK_PREFIX):
        return False
    await take_code(turn, argument[len(LINK_PREFIX) :])
    return True


async def typed(turn: Turn, text: str) -> bool:
    """A code typed on its own. An event's code is left for joining that event."""
    code = typed_code(text)
    if code is None or await event_by_code(turn.session, code) is not None:
        return False
    await _tell(turn, await answer(turn, code))
    return True


async def attend_command(turn: Turn) -> None:
    if turn.argument:
        await take_code(turn, turn.argument)
        return
    await interrupt(turn, CODE_STEP)


class CodeState(BaseModel):
    pass


class CodeStep(Step[CodeState]):
    name = "code"
    takes_text = True

    async def prompt(self, turn: Turn, state: CodeState) -> Prompt:
        return Prompt(turn.t("attendance.ask_code"))

    async def on_text(self, turn: Turn, state: CodeState, text: str) -> None:
        code = typed_code(text)
        if code is None:
            turn.say("attendance.not_a_code")
            await goto(turn, self)
            return
        if turn.conversation.paused_flow is None:
            told = await answer(turn, code)
            end_flow(turn)
            turn.menu(told, await menu_options(turn))
            return
        turn.replies.append(Reply(await answer(turn, code)))
        await leave_side_flow(turn)  # the question it interrupted, asked again


CODE_STEP = CodeStep()
ATTEND: Flow[CodeState] = Flow("attend", CodeState, [CODE_STEP], side=True)


def takes_part(situation: Situation) -> bool:
    """Registered participants: staff open codes rather than send them."""
    return situation.registered and situation.event is not None and not situation.roles


FEATURE = Feature(
    commands=(
        Command(
            "attend",
            {"id": "hadir", "en": "attend"},
            attend_command,
            order=45,
            channel_menu=True,
            shown=takes_part,
        ),
    ),
    flows=(ATTEND,),
    typed=typed,
)
