"""Organisers' announcements (``/umumkan``): write the text, or send a photo or a document
with a caption; pick who gets it; see how many it reaches and the message exactly as it
will arrive; send it now or at a set time; confirm. The report follows
(``broadcast_report.py``).

What is written is a draft from the first step on (its file waits with it, not in the
conversation); the flow ending without a confirmation deletes it. The confirm button
carries a digest of the draft: a button shown before the draft changed is refused.
"""

from datetime import datetime

from pydantic import Field

from handlers.broadcast_texts import audience_text, error_text
from handlers.event_choice import current_event, my_events
from handlers.features.broadcast_report import show_report
from handlers.features.classes import class_label
from handlers.flow import (
    Flow,
    Prompt,
    Step,
    UnknownChoiceError,
    goto,
    interrupt,
    leave_side_flow,
    show,
)
from handlers.menu import MENU_LIMIT
from handlers.region_step import RegionPage, RegionStep, tag
from handlers.registry import Command, Feature
from handlers.roles import may
from handlers.roster_texts import unknown_note
from handlers.staff import moment_text, refuse
from handlers.timefmt import zone_label
from handlers.turn import Option, Turn, short_label
from handlers.types import Attachment, Meaning, Reply
from models import Broadcast, Event, RoleName
from models.agenda import agenda
from models.audience import Audience, Everyone, InClass, Unregistered, audience_size
from models.audit import Actor
from models.broadcasts import (
    FILE_LIMIT,
    BroadcastError,
    BroadcastStatus,
    announcement,
    confirm_broadcast,
    create_broadcast,
    digest,
    discard_draft,
    room_for_text,
    set_audience,
    set_content,
    set_send_at,
)
from models.moments import MomentError, parse_moment
from models.outbox import FileToSend, load_file
from models.roster.status import roster_reach

MEGABYTE = 1024 * 1024


class BroadcastState(RegionPage):
    broadcast_id: int | None = None  # the draft
    audience_chosen: bool = False  # once it is, a new text goes straight to the preview
    events: list[int] = Field(default_factory=list)  # those offered to pick from


# --- which event, and whether this person still organises it -----------------------------


async def organised_events(turn: Turn) -> list[Event]:
    """The events this person may announce to, the one they look at first."""
    current = await current_event(turn)
    events = [e for e in await my_events(turn) if await may(turn, e, RoleName.ORGANIZER)]
    events.sort(key=lambda e: e.id != (current.id if current is not None else None))
    return events[:MENU_LIMIT]


async def start_broadcast(turn: Turn) -> None:
    events = await organised_events(turn)
    if not events:
        await refuse(turn, RoleName.ORGANIZER, await current_event(turn))
        return
    await discard_draft(turn.session, BROADCAST.state(turn).broadcast_id)  # one begun before
    state = BROADCAST.fresh_state(turn)
    if len(events) == 1:
        state.event_id = events[0].id
        # A side question: a registration under way picks up again afterwards.
        await interrupt(turn, COMPOSE)
        return
    state.events = [e.id for e in events if e.id is not None]
    await interrupt(turn, EVENT)


async def broadcast_event(turn: Turn, state: BroadcastState) -> Event | None:
    """The event of the announcement under way, while this person still organises it;
    otherwise says so and leaves the flow (the draft goes with it)."""
    event = await turn.session.get(Event, state.event_id) if state.event_id else None
    if event is None or not await may(turn, event, RoleName.ORGANIZER):
        await refuse(turn, RoleName.ORGANIZER, event)
        await leave_side_flow(turn, show_menu=False)
        return None
    return event


async def the_draft(turn: Turn, state: BroadcastState) -> Broadcast | None:
    return await turn.session.get(Broadcast, state.broadcast_id) if state.broadcast_id else None


class EventStep(Step[BroadcastState]):
    name = "event"

    async def prompt(self, turn: Turn, state: BroadcastState) -> Prompt:
        options = []
        for ident in state.events:
            event = await turn.session.get(Event, ident)
            if event is not None:
                options.append(Option(str(ident), short_label(f"{event.code} · {event.name}")))
        return Prompt(turn.t("broadcast.ask_event"), options)

    async def on_choice(self, turn: Turn, state: BroadcastState, value: str) -> None:
        if not (value.isascii() and value.isdigit()) or int(value) not in state.events:
            raise UnknownChoiceError(value)
        state.event_id = int(value)
        if await broadcast_event(turn, state) is not None:
            await goto(turn, COMPOSE)


# --- the text, or a file with its caption -------------------------------------------------


class ComposeStep(Step[BroadcastState]):
    name = "compose"
    takes_text = True
    takes_files = True

    async def prompt(self, turn: Turn, state: BroadcastState) -> Prompt:
        event = await turn.session.get(Event, state.event_id) if state.event_id else None
        name, limit = (event.name, room_for_text(event.name)) if event is not None else ("-", 0)
        return Prompt(turn.t("broadcast.ask_text", event=name, limit=limit))

    async def on_text(self, turn: Turn, state: BroadcastState, text: str) -> None:
        await self.write(turn, state, text, None)

    async def on_file(
        self, turn: Turn, state: BroadcastState, attachment: Attachment, caption: str
    ) -> None:
        if attachment.content is None:  # the channel did not fetch it: too big
            turn.say("broadcast.file_unreadable", limit=FILE_LIMIT // MEGABYTE)
            await show(turn, self)
            return
        file = FileToSend(attachment.filename, attachment.media_type, attachment.content)
        await self.write(turn, state, caption, file)

    async def write(
        self, turn: Turn, state: BroadcastState, text: str, file: FileToSend | None
    ) -> None:
        event = await broadcast_event(turn, state)
        if event is None:
            return
        assert event.id is not None
        try:
            if state.broadcast_id is None:
                draft = await create_broadcast(
                    turn.session,
                    event_id=event.id,
                    author_id=turn.person_id,
                    text=text,
                    audience=Everyone(),
                    now=turn.now,
                    file=file,
                )
                state.broadcast_id = draft.id
            else:
                await set_content(turn.session, state.broadcast_id, text, file)
        except BroadcastError as error:
            turn.replies.append(Reply(error_text(turn.t, error)))
            await show(turn, self)  # nothing was kept: the same question
            return
        if state.audience_chosen:
            await preview(turn, state, event)
        else:
            await goto(turn, AUDIENCE)


# --- who gets it ------------------------------------------------------------------------

EVERYONE, REGION, UNREGISTERED, CLASS = "all", "region", "unregistered", "class:"


class AudienceStep(Step[BroadcastState]):
    name = "audience"

    async def classes(self, turn: Turn, state: BroadcastState) -> tuple[str, ...]:
        event = await turn.session.get(Event, state.event_id) if state.event_id else None
        return (await agenda(turn.session, event)).classes if event is not None else ()

    async def prompt(self, turn: Turn, state: BroadcastState) -> Prompt:
        t = turn.t
        event = await turn.session.get(Event, state.event_id) if state.event_id else None
        kinds: list[tuple[Option, Audience | None]] = [
            (Option(EVERYONE, t("broadcast.audience_all")), Everyone())
        ]
        for name in await self.classes(turn, state):
            kinds.append((Option(CLASS + tag(name), class_label(t, name)), InClass(name=name)))
        kinds.append((Option(REGION, t("broadcast.audience_region")), None))
        kinds.append((Option(UNREGISTERED, t("broadcast.audience_unregistered")), Unregistered()))
        lines = [t("broadcast.ask_audience")]
        if event is not None and event.id is not None:
            for _, spec in kinds:
                if spec is not None:
                    size = await audience_size(turn.session, event.id, spec)
                    who = audience_text(t, spec)
                    lines.append(t("broadcast.count_line", audience=who, count=size.people))
            note = unknown_note(t, await roster_reach(turn.session, event.id))
            if note is not None:
                lines.append(note)
        return Prompt("\n".join(lines), [option for option, _ in kinds])

    async def on_choice(self, turn: Turn, state: BroadcastState, value: str) -> None:
        if value == REGION:
            await goto(turn, REGION_STEP)
            return
        spec: Audience
        if value == EVERYONE:
            spec = Everyone()
        elif value == UNREGISTERED:
            spec = Unregistered()
        else:
            named = [n for n in await self.classes(turn, state) if CLASS + tag(n) == value]
            if not named:
                raise UnknownChoiceError(value)
            spec = InClass(name=named[0])
        await chosen(turn, state, spec)


async def chosen(turn: Turn, state: BroadcastState, spec: Audience) -> None:
    """The audience is picked: on to the preview."""
    event = await broadcast_event(turn, state)
    if event is None or event.id is None or state.broadcast_id is None:
        return
    if not (await audience_size(turn.session, event.id, spec)).people:
        await nobody(turn, spec)  # and the draft keeps the audience it had
        return
    try:
        await set_audience(turn.session, state.broadcast_id, spec)
    except BroadcastError as error:
        await finished_elsewhere(turn, error)
        return
    state.audience_chosen = True
    await preview(turn, state, event)


# --- the preview, and when ---------------------------------------------------------------


async def preview(turn: Turn, state: BroadcastState, event: Event) -> None:
    """How many it reaches and the message as it will arrive; then: when?"""
    draft = await the_draft(turn, state)
    if draft is None or event.id is None:
        return
    t, spec = turn.t, draft.spec
    size = await audience_size(turn.session, event.id, spec)
    if not size.people:  # they left since the audience was chosen
        await nobody(turn, spec)
        return
    text = t("broadcast.preview", count=size.people, audience=audience_text(t, spec))
    if size.blocked:
        text += "\n" + t("broadcast.preview_blocked", blocked=size.blocked)
    if isinstance(spec, Unregistered):
        note = unknown_note(t, await roster_reach(turn.session, event.id))
        if note is not None:
            text += "\n" + note
    turn.replies.append(Reply(text))
    attachment = None
    stored = await load_file(turn.session, draft.file_id) if draft.file_id else None
    if stored is not None:
        content = stored.content
        attachment = Attachment(stored.filename, stored.media_type, content, len(content))
    turn.replies.append(Reply(announcement(event.name, draft.text), attachment=attachment))
    await goto(turn, WHEN)


async def nobody(turn: Turn, spec: Audience) -> None:
    turn.say("broadcast.nobody", audience=audience_text(turn.t, spec))
    await goto(turn, AUDIENCE)


NOW, LATER, EDIT_TEXT, EDIT_AUDIENCE = "now", "later", "text", "audience"


async def when_options(turn: Turn) -> list[Option]:
    t = turn.t
    return [
        Option(NOW, t("broadcast.send_now")),
        Option(LATER, t("broadcast.send_later")),
        Option(EDIT_TEXT, t("broadcast.edit_text")),
        Option(EDIT_AUDIENCE, t("broadcast.edit_audience")),
    ]


class WhenStep(Step[BroadcastState]):
    name = "when"
    takes_text = True  # a typed moment ("besok 07.00") sets the time at once

    async def prompt(self, turn: Turn, state: BroadcastState) -> Prompt:
        event = await turn.session.get(Event, state.event_id) if state.event_id else None
        zone = zone_label(event.timezone) if event is not None else "-"
        return Prompt(turn.t("broadcast.ask_when", zone=zone), await when_options(turn))

    async def on_choice(self, turn: Turn, state: BroadcastState, value: str) -> None:
        if value == NOW:
            await send_at(turn, state, None)
        elif value == LATER:
            await goto(turn, TIME)
        elif value == EDIT_TEXT:
            await goto(turn, COMPOSE)
        elif value == EDIT_AUDIENCE:
            await goto(turn, AUDIENCE)
        else:
            raise UnknownChoiceError(value)

    async def on_text(self, turn: Turn, state: BroadcastState, text: str) -> None:
        await typed_moment(turn, state, text, self)


class TimeStep(Step[BroadcastState]):
    name = "time"
    takes_text = True

    async def prompt(self, turn: Turn, state: BroadcastState) -> Prompt:
        event = await turn.session.get(Event, state.event_id) if state.event_id else None
        zone = zone_label(event.timezone) if event is not None else "-"
        now = moment_text(turn, event, turn.now) if event is not None else "-"
        text = turn.t("broadcast.ask_time", zone=zone, now=now)
        return Prompt(text, [Option(NOW, turn.t("broadcast.send_now"))])

    async def on_choice(self, turn: Turn, state: BroadcastState, value: str) -> None:
        if value != NOW:
            raise UnknownChoiceError(value)
        await send_at(turn, state, None)

    async def on_text(self, turn: Turn, state: BroadcastState, text: str) -> None:
        await typed_moment(turn, state, text, self)


async def typed_moment(
    turn: Turn, state: BroadcastState, text: str, step: Step[BroadcastState]
) -> None:
    """A moment typed in the event's zone; anything else is told why, and asked again."""
    event = await broadcast_event(turn, state)
    if event is None:
        return
    try:
        moment = parse_moment(text, event.timezone, turn.now)
    except MomentError as error:
        now = moment_text(turn, event, turn.now)
        turn.say(f"broadcast.time.{error.key}", now=now, **error.values)
        await show(turn, step)
        return
    await send_at(turn, state, moment)


async def send_at(turn: Turn, state: BroadcastState, moment: datetime | None) -> None:
    if state.broadcast_id is None or await broadcast_event(turn, state) is None:
        return
    try:
        await set_send_at(turn.session, state.broadcast_id, moment, turn.now)
    except BroadcastError as error:
        await finished_elsewhere(turn, error)
        return
    await goto(turn, CONFIRM)


# --- the confirmation --------------------------------------------------------------------

YES, EDIT, NO = "yes:", "edit", "no"


class ConfirmStep(Step[BroadcastState]):
    name = "confirm"

    async def prompt(self, turn: Turn, state: BroadcastState) -> Prompt:
        t = turn.t
        draft = await the_draft(turn, state)
        event = await turn.session.get(Event, state.event_id) if state.event_id else None
        if draft is None or event is None or event.id is None:
            return Prompt(t("broadcast.error.not_draft"))
        size = await audience_size(turn.session, event.id, draft.spec)
        who = audience_text(t, draft.spec)
        if draft.send_at is None:
            text = t("broadcast.confirm_now", count=size.people, audience=who)
        else:
            when = moment_text(turn, event, draft.send_at)
            text = t("broadcast.confirm_at", count=size.people, audience=who, when=when)
        options = [
            Option(f"{YES}{digest(draft)}", t("broadcast.yes_send"), Meaning.YES),
            Option(EDIT, t("broadcast.change")),
            Option(NO, t("broadcast.discard"), Meaning.NO),
        ]
        return Prompt(text, options)

    async def on_choice(self, turn: Turn, state: BroadcastState, value: str) -> None:
        if value == EDIT:
            await goto(turn, WHEN)
        elif value == NO:
            turn.say("broadcast.discarded")  # the flow's end deletes the draft
            await leave_side_flow(turn)
        elif value.startswith(YES):
            await self.confirm(turn, state, value.removeprefix(YES))
        else:
            raise UnknownChoiceError(value)

    async def confirm(self, turn: Turn, state: BroadcastState, agreed: str) -> None:
        event = await broadcast_event(turn, state)
        if event is None:
            return
        draft = await the_draft(turn, state)
        if draft is None or draft.id is None:
            await finished_elsewhere(turn, BroadcastError("not_draft"))
            return
        if draft.status == BroadcastStatus.DRAFT and digest(draft) != agreed:
            turn.say("broadcast.changed")
            await show(turn, self)
            return
        try:
            written = await confirm_broadcast(
                turn.session, draft.id, turn.now, actor=Actor.person(turn.person_id)
            )
        except BroadcastError as error:
            turn.replies.append(Reply(error_text(turn.t, error)))
            await goto(turn, TIME if error.key == "past" else AUDIENCE)
            return
        if not written:
            turn.say("broadcast.already_confirmed")
        elif draft.send_at is not None and draft.send_at > turn.now:
            turn.say(
                "broadcast.scheduled", count=written, when=moment_text(turn, event, draft.send_at)
            )
        else:
            turn.say("broadcast.sending", count=written)
        await show_report(turn, event, draft)
        await leave_side_flow(turn, show_menu=False)


async def finished_elsewhere(turn: Turn, error: BroadcastError) -> None:
    """The draft is no longer one (gone, or confirmed by a turn that raced this one): say
    so, and leave what is left of the flow."""
    turn.replies.append(Reply(error_text(turn.t, error)))
    await leave_side_flow(turn)


async def drop_draft(turn: Turn, state: BroadcastState) -> None:
    """However the flow ended, a draft nobody confirmed goes (with its file)."""
    await discard_draft(turn.session, state.broadcast_id)


EVENT = EventStep()
COMPOSE = ComposeStep()
AUDIENCE = AudienceStep()
REGION_STEP = RegionStep[BroadcastState](chosen)
WHEN = WhenStep()
TIME = TimeStep()
CONFIRM = ConfirmStep()
BROADCAST: Flow[BroadcastState] = Flow(
    "broadcast",
    BroadcastState,
    [EVENT, COMPOSE, AUDIENCE, REGION_STEP, WHEN, TIME, CONFIRM],
    side=True,
    cancelled="broadcast.cancelled",
    on_end=drop_draft,
)

FEATURE = Feature(
    commands=(
        Command(
            "broadcast",
            {"id": "umumkan", "en": "announce"},
            start_broadcast,
            order=55,
            button=True,
            needs=RoleName.ORGANIZER,
        ),
    ),
    flows=(BROADCAST,),
)
