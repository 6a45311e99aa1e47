"""After an agenda import that moved today's sessions (or changed their room, or removed
them), the organiser is asked whether the participants concerned get a short "perubahan
jadwal" message: one each, however many of their sessions changed."""

from pydantic import BaseModel, Field

from handlers.event_choice import local_today
from handlers.flow import Flow, goto, interrupt, leave_side_flow
from handlers.notices import concerned_people, send_change_notices
from handlers.questions import Answer, Kind, Msg, Question, QuestionStep
from handlers.registry import Feature
from handlers.roles import may
from handlers.staff import refuse
from handlers.turn import Turn
from models import Event, RoleName
from models.agenda_import import ImportReport, ScheduleChange, changes_on


class ChangeNoticeState(BaseModel):
    event_id: int | None = None
    version: int = 0  # the agenda's, once the import was applied: one notice per version
    changes: list[ScheduleChange] = Field(default_factory=list)
    people: int = 0  # how many it concerned when asked


async def offer_change_notice(turn: Turn, event: Event, report: ImportReport) -> bool:
    """Ask the organiser, if the import just applied changed today's sessions of anyone;
    False when there is nothing to ask."""
    changes = changes_on(report, local_today(event, turn.now))
    people = await concerned_people(turn.session, event, changes) if changes else []
    if not people:
        return False
    state = CHANGE_NOTICE.fresh_state(turn)
    state.event_id, state.version = event.id, event.agenda_version
    state.changes, state.people = changes, len(people)
    current = turn.registry.flows.get(turn.conversation.flow or "")
    if current is not None and current.side:
        await goto(turn, ASK)  # in place of the side question that brought the file in
    else:
        await interrupt(turn, ASK)
    return True


async def decided(turn: Turn, state: ChangeNoticeState, value: Answer) -> None:
    event = await turn.session.get(Event, state.event_id) if state.event_id else None
    if value is not True or event is None:
        turn.say("change.not_sent")
    elif not await may(turn, event, RoleName.ORGANIZER):
        await refuse(turn, RoleName.ORGANIZER, event)
    else:
        sent = await send_change_notices(
            turn.session, event, state.version, state.changes, turn.now
        )
        turn.say("change.sent", count=sent)
    await leave_side_flow(turn)


async def asking(turn: Turn, state: ChangeNoticeState, text: str) -> str:
    event = await turn.session.get(Event, state.event_id) if state.event_id else None
    return turn.t("change.ask", count=state.people, event=event.name if event else "-")


ASK = QuestionStep[ChangeNoticeState](
    Question(
        "send",
        Kind.YES_NO,
        Msg("change.ask"),
        yes_label=Msg("change.send"),
        no_label=Msg("change.skip"),
    ),
    decided,
    wording=asking,
)
CHANGE_NOTICE: Flow[ChangeNoticeState] = Flow(
    "change_notice", ChangeNoticeState, [ASK], side=True, cancelled="change.not_sent"
)

FEATURE = Feature(flows=(CHANGE_NOTICE,))
