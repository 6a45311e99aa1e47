"""What organisers and trainers do in the chat: invite trainers, see and revoke the
team, load the agenda by sending the spreadsheet, see the sessions they teach; and how
an invite code turns into a role."""

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from handlers.agenda_import import (
    AgendaFileError,
    import_agenda,
    problems_text,
    report_text,
    template_xlsx,
)
from handlers.event_choice import current_event
from handlers.i18n import Translator
from handlers.menu import main_menu
from handlers.roles import (
    INVITE_VALID_FOR,
    create_invite,
    find_invite,
    may,
    my_role,
    pending_invites,
    split_speakers,
    teaches,
    team,
)
from handlers.schedule import SESSION, session_label, span
from handlers.steps import Step, UnknownChoiceError, goto, register, repeat_question
from handlers.timefmt import format_date, format_time, zone_label
from handlers.turn import Option, Turn
from handlers.types import Attachment, Reply
from handlers.validation import InvalidInputError, full_name, row_id
from models import AgendaSession, Conversation, Event, Invite, Participant, Role, RoleName

INVITE = "invite"
TEAM = "tim"  # button namespace: "tim|role:<id>", "tim|invite:<id>", "tim|confirm-role:<id>"...
SPEAKER_BUTTONS = 8
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def staff_event(turn: Turn, needed: RoleName) -> Event | None:
    """The current event if this person may act as ``needed`` in it; else says why not."""
    event = await current_event(turn)
    if event is None or not await may(turn, event, needed):
        key = "staff.organizer_only" if needed is RoleName.ORGANIZER else "staff.trainer_only"
        await main_menu(turn, key, event=event.name if event is not None else "-")
        return None
    return event


async def refuse(turn: Turn, needed: RoleName) -> None:
    event = await current_event(turn)
    key = "staff.organizer_only" if needed is RoleName.ORGANIZER else "staff.trainer_only"
    await main_menu(turn, key, event=event.name if event is not None else "-")


# Inviting a trainer -----------------------------------------------------------------


async def agenda_speakers(turn: Turn, event: Event) -> list[str]:
    found = await turn.session.execute(
        select(AgendaSession.speakers)
        .where(col(AgendaSession.event_id) == event.id)
        .order_by(col(AgendaSession.starts_at))
    )
    names: dict[str, str] = {}
    for cell in found.scalars():
        for name in split_speakers(cell):
            names.setdefault(" ".join(name.split()).casefold(), name)
    return list(names.values())


async def start_invite(turn: Turn) -> None:
    event = await staff_event(turn, RoleName.ORGANIZER)
    if event is None:
        return
    turn.end_flow()
    turn.data_set("event", event.id)
    await goto(turn, INVITE, InviteSpeakerStep.name)


async def invite_event(turn: Turn) -> Event | None:
    """The event the invite under way is for, while this person still organises it."""
    event_id = turn.conversation.data.get("event")
    event = await turn.session.get(Event, event_id) if isinstance(event_id, int) else None
    if event is None or not await may(turn, event, RoleName.ORGANIZER):
        turn.end_flow()
        await refuse(turn, RoleName.ORGANIZER)
        return None
    return event


def label(name: str) -> str:
    return name if len(name) <= 24 else name[:23].rstrip() + "…"


@register
class InviteSpeakerStep(Step):
    name = "invite:speaker"

    async def prompt(self, turn: Turn) -> tuple[str, Sequence[Option]]:
        event = await turn.session.get(Event, turn.conversation.data.get("event"))
        speakers = await agenda_speakers(turn, event) if event is not None else []
        options = [Option(str(i), label(n)) for i, n in enumerate(speakers[:SPEAKER_BUTTONS])]
        options.append(Option("other", turn.t("invite.other_speaker")))
        return turn.t("invite.ask_speaker"), options

    async def on_choice(self, turn: Turn, value: str) -> None:
        event = await invite_event(turn)
        if event is None:
            return
        if value == "other":
            await goto(turn, INVITE, InviteNameStep.name)
            return
        speakers = (await agenda_speakers(turn, event))[:SPEAKER_BUTTONS]
        index = value if value.isascii() and value.isdigit() else ""
        if not index or int(index) >= len(speakers):
            raise UnknownChoiceError(value)
        await issue_trainer_invite(turn, event, speakers[int(index)])

    async def on_text(self, turn: Turn, text: str) -> None:
        await InviteNameStep().on_text(turn, text)


@register
class InviteNameStep(Step):
    name = "invite:name"

    async def prompt(self, turn: Turn) -> tuple[str, Sequence[Option]]:
        return turn.t("invite.ask_name"), []

    async def on_text(self, turn: Turn, text: str) -> None:
        event = await invite_event(turn)
        if event is None:
            return
        try:
            name = full_name(text)
        except InvalidInputError as exc:
            turn.say(exc.key, **exc.values)
            await goto(turn, INVITE, self.name)
            return
        await issue_trainer_invite(turn, event, name)


async def issue_trainer_invite(turn: Turn, event: Event, speaker: str) -> None:
    organiser = await my_role(turn, event, RoleName.ORGANIZER)
    created_by = f"role:{organiser.id}" if organiser is not None else "admin"
    code = await create_invite(
        turn.session,
        event,
        RoleName.TRAINER,
        created_by=created_by,
        now=turn.now,
        speaker=speaker,
    )
    turn.end_flow()
    sessions = [s for s in await event_sessions(turn, event) if teaches(speaker, s.speakers)]
    turn.say(
        "invite.created",
        speaker=speaker,
        event=event.name,
        sessions=len(sessions),
        until=moment_text(turn, event, turn.now + INVITE_VALID_FOR),
    )
    # The code on its own, so that it can be forwarded as it is.
    turn.replies.append(Reply(invite_message(turn.t, turn, code)))
    await main_menu(turn)


def invite_message(t: Translator, turn: Turn, code: str) -> str:
    link = turn.deployment.start_link(code.replace("-", ""))
    if link is None:
        return t("invite.forward_code", code=code)
    return t("invite.forward_link", code=code, link=link)


def moment_text(turn: Turn, event: Event, moment: datetime) -> str:
    """``moment`` as the event's people read it: "Rabu, 20 November 2024 14.05 WITA"."""
    local_day = moment.astimezone(ZoneInfo(event.timezone)).date()
    return (
        f"{format_date(local_day, turn.locale)} "
        f"{format_time(moment, event.timezone)} {zone_label(event.timezone)}"
    )


async def event_sessions(turn: Turn, event: Event) -> list[AgendaSession]:
    found = await turn.session.execute(
        select(AgendaSession)
        .where(col(AgendaSession.event_id) == event.id)
        .order_by(col(AgendaSession.starts_at))
    )
    return list(found.scalars())


# The team: who organises and teaches, open invites, revoking -------------------------


async def holder_name(turn: Turn, role: Role) -> str:
    if role.role == RoleName.TRAINER and role.speaker:
        return role.speaker
    found = await turn.session.execute(
        select(Participant.full_name)
        .join(Conversation, col(Conversation.participant_id) == col(Participant.id))
        .where(
            col(Conversation.channel) == role.channel,
            col(Conversation.user_key) == role.user_key,
        )
    )
    name = found.scalars().first()
    return name or turn.t(f"role.{role.role}_numbered", number=role.id)


async def show_team(turn: Turn) -> None:
    event = await staff_event(turn, RoleName.ORGANIZER)
    if event is None:
        return
    t = turn.t
    lines = [t("team.title", event=event.name)]
    options = []
    me = (turn.conversation.channel, turn.conversation.user_key)
    for role in await team(turn.session, event):
        name = await holder_name(turn, role)
        lines.append(t(f"team.{role.role}", name=name, channel=role.channel))
        if (role.channel, role.user_key) != me:  # nobody locks themselves out by a slip
            options.append(Option(f"{TEAM}|role:{role.id}", label(t("team.revoke", name=name))))
    invites = await pending_invites(turn.session, event, turn.now)
    for invite in invites:
        who = invite.speaker or t(f"role.{invite.role}")
        until = moment_text(turn, event, invite.expires_at)
        lines.append(t("team.invite", who=who, until=until))
        options.append(
            Option(f"{TEAM}|invite:{invite.id}", label(t("team.cancel_invite", who=who)))
        )
    if len(lines) == 1:
        lines.append(t("team.empty"))
    options.append(Option("menu|invite", t("menu.invite")))
    turn.offer("\n".join(lines), options[:10])


async def revocable(turn: Turn, kind: str, ident: int) -> tuple[Role | Invite, str] | None:
    """The role or open invite a team button points at, and the name to show for it."""
    if kind == "role":
        role = await turn.session.get(Role, ident)
        return None if role is None else (role, await holder_name(turn, role))
    invite = await turn.session.get(Invite, ident)
    if invite is None:
        return None
    return invite, invite.speaker or turn.t(f"role.{invite.role}")


async def team_button(turn: Turn, value: str) -> bool:
    """A button of the team list; False when it is not one this person may press."""
    action, _, ident = value.partition(":")
    if action == "list":
        await show_team(turn)
        return True
    kind = action.removeprefix("confirm-")
    number = row_id(ident)
    found = await revocable(turn, kind, number) if number is not None else None
    if kind not in {"role", "invite"} or found is None:
        return False
    row, name = found
    me = (turn.conversation.channel, turn.conversation.user_key)
    if isinstance(row, Role) and (row.channel, row.user_key) == me:
        return False  # not offered: an organiser does not revoke themselves by a slip
    event = await turn.session.get(Event, row.event_id)
    if event is None or not await may(turn, event, RoleName.ORGANIZER):
        await refuse(turn, RoleName.ORGANIZER)
        return True
    if row.revoked_at is not None or (isinstance(row, Invite) and row.used_at is not None):
        turn.say("team.already_revoked")
        await show_team(turn)
        return True
    t = turn.t
    if action == kind:
        turn.offer(
            t(f"team.confirm_{kind}", name=name, event=event.name),
            [
                Option(f"{TEAM}|confirm-{kind}:{row.id}", t("team.yes_revoke")),
                Option(f"{TEAM}|list:0", t("team.keep")),
            ],
        )
        return True
    row.revoked_at = turn.now
    turn.say(f"team.revoked_{kind}", name=name, event=event.name)
    await show_team(turn)
    return True


# Loading the agenda by sending the file ----------------------------------------------


def template_attachment() -> Attachment:
    # Excel rather than CSV: it opens the same on every phone, whatever the list separator.
    content = template_xlsx()
    return Attachment("jadwal-template.xlsx", XLSX, content, len(content))


async def explain_import(turn: Turn) -> None:
    event = await staff_event(turn, RoleName.ORGANIZER)
    if event is None:
        return
    text = turn.t("import.how", event=event.name, code=event.code)
    turn.replies.append(Reply(text, attachment=template_attachment()))


async def receive_file(turn: Turn) -> None:
    attachment = turn.inbound.attachment
    event = await current_event(turn)
    if event is None or not await may(turn, event, RoleName.ORGANIZER):
        # Only organisers send files to the bot; say so, and go on with any question.
        turn.say("import.not_organizer")
        await repeat_question(turn)
        return
    if attachment is None or attachment.content is None:
        await main_menu(turn, "import.too_big")
        return
    t = turn.t
    try:
        report = await import_agenda(turn.session, event, attachment.filename, attachment.content)
    except AgendaFileError as exc:
        turn.replies.append(Reply(t("import.refused", event=event.name)))
        turn.replies.append(Reply(problems_text(t, exc.problems)))
        await main_menu(turn, "import.agenda_untouched")
        return
    await main_menu(turn, "import.done", report=report_text(t, event, report))


# A trainer's own sessions ------------------------------------------------------------


async def my_sessions(turn: Turn) -> None:
    event = await staff_event(turn, RoleName.TRAINER)
    if event is None:
        return
    t = turn.t
    role = await my_role(turn, event, RoleName.TRAINER)
    sessions = (
        []
        if role is None
        else [s for s in await event_sessions(turn, event) if teaches(role.speaker, s.speakers)]
    )
    if role is None or not sessions:
        await main_menu(turn, "trainer.no_sessions", event=event.name)
        return
    lines = [t("trainer.sessions", name=role.speaker, event=event.name)]
    for number, session in enumerate(sessions, 1):
        when = f"{format_date(session.day, turn.locale)}, {span(session, event)}"
        lines.append(f"{number}. {when} {zone_label(event.timezone)} — {session.title}")
    options = [Option(f"{SESSION}|{s.id}", session_label(n, s)) for n, s in enumerate(sessions, 1)]
    turn.offer("\n".join(lines), options[:10])


# Accepting an invite -----------------------------------------------------------------


async def redeem(turn: Turn, typed: str) -> bool:
    """Take the role an invite code grants; False when ``typed`` is no invite code."""
    invite = await find_invite(turn.session, typed)
    if invite is None:
        return False
    event = await turn.session.get(Event, invite.event_id)
    if event is None:
        return False
    if invite.revoked_at is not None or invite.used_at is not None:
        await main_menu(turn, "invite.used")
        return True
    if invite.expires_at <= turn.now:
        await main_menu(turn, "invite.expired")
        return True
    role_name = RoleName(invite.role)
    held = await my_role(turn, event, role_name)
    conversation = turn.conversation
    conversation.event_id = event.id
    if held is not None:
        await main_menu(turn, "invite.already", event=event.name, role=turn.t(f"role.{role_name}"))
        return True
    invite.used_at = turn.now
    turn.session.add(
        Role(
            event_id=invite.event_id,
            role=role_name,
            channel=conversation.channel,
            user_key=conversation.user_key,
            speaker=invite.speaker,
            invite_id=invite.id,
            granted_at=turn.now,
        )
    )
    await turn.session.flush()
    await main_menu(turn, f"invite.welcome_{role_name}", event=event.name, name=invite.speaker)
    return True
