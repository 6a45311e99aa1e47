"""``/pengingat``: a person turns their reminders off and on again, and, writing from
several channels, chooses the one reminders and announcements go to; an organiser sees the
event's settings (minutes before each session, the morning digest), how many reminders
went and how many came too late, and changes the settings with buttons."""

from pydantic import BaseModel

from handlers.channel_names import channel_name
from handlers.event_choice import current_event
from handlers.flow import Flow, interrupt, leave_side_flow
from handlers.i18n import Translator
from handlers.notice_texts import counts_line, settings_lines
from handlers.questions import Answer, Kind, Msg, Question, QuestionStep
from handlers.registry import Command, Feature, Situation
from handlers.roles import may
from handlers.staff import refuse
from handlers.timefmt import zone_label
from handlers.turn import PAYLOAD_SEPARATOR, Option, Turn
from handlers.validation import InvalidInputError, row_id
from models import Event, RoleName
from models.audit import Actor
from models.notifications import event_counts
from models.people import identities_of, preferred_identity
from models.reminders import (
    MAX_OFFSET,
    MAX_OFFSETS,
    Reminders,
    ReminderSettingError,
    parse_clock,
    parse_offsets,
    reminders_of,
    set_muted,
    update_reminders,
)

REMIND = "ingat"  # button namespace: "ingat|mute", "ingat|digest-off:<event id>"...
MUTE, UNMUTE = "mute", "unmute"
VIA = "via"  # "ingat|via:whatsapp": reminders go to that channel
# An organiser's switches: (before sessions, digest) as each one sets them (None: as is).
SWITCHES: dict[str, tuple[bool | None, bool | None]] = {
    "sessions-on": (True, None),
    "sessions-off": (False, None),
    "digest-on": (None, True),
    "digest-off": (None, False),
}
ASK_OFFSETS, ASK_TIME = "offsets", "time"


def payload(value: str) -> str:
    return f"{REMIND}{PAYLOAD_SEPARATOR}{value}"


async def show_reminders(turn: Turn, event: Event | None) -> None:
    """The person's own switch; the event's settings; an organiser's buttons to change
    them."""
    t = turn.t
    muted = turn.person.reminders_muted_at is not None
    lines = [t("reminders.mine_off" if muted else "reminders.mine_on")]
    options = [
        Option(payload(UNMUTE), t("reminders.unmute"))
        if muted
        else Option(payload(MUTE), t("reminders.mute"))
    ]
    channel_lines, channel_options = await channel_choice(turn)
    lines += channel_lines
    options += channel_options
    if event is not None and event.id is not None:
        settings = await reminders_of(turn.session, event.id)
        lines += ["", *settings_lines(t, event, settings)]
        if await may(turn, event, RoleName.ORGANIZER):
            lines.append(counts_line(t, await event_counts(turn.session, event.id)))
            options += organiser_options(t, event.id, settings)
    turn.offer("\n".join(lines), options)


async def channel_choice(turn: Turn) -> tuple[list[str], list[Option]]:
    """Where their reminders and announcements go, and a button for each other channel
    they write from; nothing for someone on one channel only."""
    person, t = turn.person, turn.t
    channels = {i.channel for i in await identities_of(turn.session, turn.person_id)}
    current = await preferred_identity(turn.session, person)
    if len(channels) < 2 or current is None:
        return [], []
    lines = [t("reminders.channel", channel=channel_name(t, current.channel))]
    chosen = person.notify_channel
    if chosen in channels and chosen != current.channel:
        lines.append(t("reminders.channel_unreachable", chosen=channel_name(t, chosen)))
    options = [
        Option(
            payload(f"{VIA}:{channel}"), t("reminders.send_via", channel=channel_name(t, channel))
        )
        for channel in sorted(channels - {current.channel})
    ]
    return lines, options


async def choose_channel(turn: Turn, channel: str) -> bool:
    """Reminders and announcements go to ``channel`` from now on, if it is one of theirs."""
    channels = {i.channel for i in await identities_of(turn.session, turn.person_id)}
    if channel not in channels:
        return False
    turn.person.notify_channel = channel
    turn.person.updated_at = turn.now
    turn.say("reminders.channel_saved", channel=channel_name(turn.t, channel))
    await show_reminders(turn, await current_event(turn))
    return True


def organiser_options(t: Translator, event_id: int, settings: Reminders) -> list[Option]:
    def button(action: str, key: str) -> Option:
        return Option(payload(f"{action}:{event_id}"), t(key))

    return [
        button("sessions-off", "reminders.sessions_turn_off")
        if settings.before_sessions
        else button("sessions-on", "reminders.sessions_turn_on"),
        button(ASK_OFFSETS, "reminders.change_offsets"),
        button("digest-off", "reminders.digest_turn_off")
        if settings.digest
        else button("digest-on", "reminders.digest_turn_on"),
        button(ASK_TIME, "reminders.change_time"),
    ]


async def reminders_command(turn: Turn) -> None:
    await show_reminders(turn, await current_event(turn))


async def reminders_button(turn: Turn, value: str) -> bool:
    """A button of the reminders message; False when it is not one of ours."""
    if value in (MUTE, UNMUTE):
        await set_muted(turn.session, turn.person, value == MUTE, turn.now)
        turn.say("reminders.muted" if value == MUTE else "reminders.unmuted")
        await show_reminders(turn, await current_event(turn))
        return True
    action, _, ident = value.partition(":")
    if action == VIA:
        return await choose_channel(turn, ident)
    number = row_id(ident)
    event = await turn.session.get(Event, number) if number is not None else None
    if event is None or event.id is None or (action not in SWITCHES and action not in ASKS):
        return False
    if not await may(turn, event, RoleName.ORGANIZER):
        await refuse(turn, RoleName.ORGANIZER, event)
        return True
    if action in SWITCHES:
        sessions, digest = SWITCHES[action]
        await update_reminders(
            turn.session, event.id, turn.now, before_sessions=sessions, digest=digest,
            actor=Actor.person(turn.person_id),
        )  # fmt: skip
        turn.say("reminders.saved", event=event.name)
        await show_reminders(turn, event)
        return True
    state = SETTINGS.fresh_state(turn)
    state.event_id = event.id
    await interrupt(turn, ASKS[action])
    return True


# --- an organiser types the minutes or the digest's time ---------------------------------


class SettingsState(BaseModel):
    event_id: int | None = None


def offsets_typed(text: str) -> str:
    """The check of the minutes question: "60,15", or what is wrong."""
    try:
        return ",".join(str(minutes) for minutes in parse_offsets(text))
    except ReminderSettingError as exc:
        raise InvalidInputError(exc.key, **exc.values) from None


def clock_typed(text: str) -> str:
    try:
        return parse_clock(text).strftime("%H.%M")
    except ReminderSettingError as exc:
        raise InvalidInputError(exc.key, **exc.values) from None


async def settings_event(turn: Turn, state: SettingsState) -> Event | None:
    """The event the question is about, if this person still organises it."""
    event = await turn.session.get(Event, state.event_id) if state.event_id else None
    if event is None or not await may(turn, event, RoleName.ORGANIZER):
        await refuse(turn, RoleName.ORGANIZER, event)
        return None
    return event


async def offsets_answered(turn: Turn, state: SettingsState, value: Answer) -> None:
    event = await settings_event(turn, state)
    if event is not None and event.id is not None:
        await update_reminders(
            turn.session, event.id, turn.now, offsets=parse_offsets(str(value)),
            actor=Actor.person(turn.person_id),
        )  # fmt: skip
        await saved(turn, event)
    await leave_side_flow(turn, show_menu=False)


async def time_answered(turn: Turn, state: SettingsState, value: Answer) -> None:
    event = await settings_event(turn, state)
    if event is not None and event.id is not None:
        await update_reminders(
            turn.session, event.id, turn.now, digest_at=parse_clock(str(value)),
            actor=Actor.person(turn.person_id),
        )  # fmt: skip
        await saved(turn, event)
    await leave_side_flow(turn, show_menu=False)


async def saved(turn: Turn, event: Event) -> None:
    turn.say("reminders.saved", event=event.name)
    await show_reminders(turn, event)


async def asking(turn: Turn, state: SettingsState, text: str) -> str:
    """The question names the event and what is set now."""
    event = await turn.session.get(Event, state.event_id) if state.event_id else None
    if event is None or event.id is None:
        return text
    settings = await reminders_of(turn.session, event.id)
    t = turn.t
    if turn.conversation.step == ASK_TIME:
        current = settings.digest_at.strftime("%H.%M")
        zone = zone_label(event.timezone)
        return t("reminders.ask_time", event=event.name, zone=zone, current=current)
    current = ", ".join(str(m) for m in settings.offsets)
    return t(
        "reminders.ask_offsets",
        event=event.name,
        current=current,
        count=MAX_OFFSETS,
        max=MAX_OFFSET,
    )


OFFSETS_STEP = QuestionStep[SettingsState](
    Question(ASK_OFFSETS, Kind.TEXT, Msg("reminders.ask_offsets"), check=offsets_typed),
    offsets_answered,
    wording=asking,
)
TIME_STEP = QuestionStep[SettingsState](
    Question(ASK_TIME, Kind.TEXT, Msg("reminders.ask_time"), check=clock_typed),
    time_answered,
    wording=asking,
)
SETTINGS: Flow[SettingsState] = Flow(
    "reminder_settings", SettingsState, [OFFSETS_STEP, TIME_STEP], side=True
)
ASKS = {ASK_OFFSETS: OFFSETS_STEP, ASK_TIME: TIME_STEP}


def has_event(situation: Situation) -> bool:
    return situation.event is not None


FEATURE = Feature(
    commands=(
        Command(
            "reminders",
            {"id": "pengingat", "en": "reminders"},
            reminders_command,
            order=95,
            channel_menu=True,
            shown=has_event,
        ),
    ),
    flows=(SETTINGS,),
    buttons={REMIND: reminders_button},
)
