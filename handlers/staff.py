"""What organisers and trainers do in the chat: invite trainers, see and revoke the
team, load the agenda by sending the spreadsheet, see the sessions they teach; and how
an invite code turns into a role."""

import base64
import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from handlers.agenda_texts import problems_text, report_text
from handlers.event_choice import current_event
from handlers.menu import MENU_LIMIT, main_menu
from handlers.roles import (
    INVITE_VALID_FOR,
    create_invite,
    find_invite,
    may,
    my_role,
    name_key,
    pending_invites,
    split_speakers,
    teaches,
    team,
)
from handlers.schedule import SESSION, session_label, span
from handlers.steps import (
    Step,
    UnknownChoiceError,
    goto,
    interrupt,
    leave_side_flow,
    register,
    repeat_question,
)
from handlers.timefmt import format_date, format_time, zone_label
from handlers.turn import Option, Turn, short_label
from handlers.types import Attachment, Reply
from handlers.validation import InvalidInputError, full_name, row_id
from models import AgendaSession, Conversation, Event, Invite, Participant, Role, RoleName
from models.agenda import agenda_of
from models.agenda_import import (
    AgendaFileError,
    ClassNamesError,
    import_agenda,
    set_classes,
    template_xlsx,
)
from models.event import event_by_code

INVITE = "invite"
IMPORT = "import"
TEAM = "tim"  # button namespace: "tim|role:<id>", "tim|invite:<id>", "tim|confirm-role:<id>"...
SPEAKER_BUTTONS = 8
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def staff_event(turn: Turn, needed: RoleName) -> Event | None:
    """The current event if this person may act as ``needed`` in it; else says why not."""
    event = await current_event(turn)
    if event is None or not await may(turn, event, needed):
        await refuse(turn, needed, event)
        return None
    return event


async def refuse(turn: Turn, needed: RoleName, event: Event | None) -> None:
    """Say that only ``needed`` (in ``event``) may do that, with the menu."""
    key = "staff.organizer_only" if needed is RoleName.ORGANIZER else "staff.trainer_only"
    if event is None:
        await main_menu(turn, f"{key}_anywhere")
    else:
        await main_menu(turn, key, event=event.name)


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
            names.setdefault(name_key(name), name)
    return list(names.values())


async def start_invite(turn: Turn) -> None:
    event = await staff_event(turn, RoleName.ORGANIZER)
    if event is None:
        return
    # The names offered are kept with the question: a re-import meanwhile cannot change
    # which name a button means.
    speakers = (await agenda_speakers(turn, event))[:SPEAKER_BUTTONS]
    turn.data_set(INVITE, {"event": event.id, "speakers": speakers})
    # A side question: a registration under way picks up again afterwards.
    await interrupt(turn, INVITE, InviteSpeakerStep.name)


async def event_in(turn: Turn, data: dict[str, Any]) -> Event | None:
    """The event a side flow's answers are about."""
    event_id = data.get("event")
    return await turn.session.get(Event, event_id) if isinstance(event_id, int) else None


def invite_data(turn: Turn) -> dict[str, Any]:
    found = turn.conversation.data.get(INVITE)
    return found if isinstance(found, dict) else {}


async def invite_event(turn: Turn) -> Event | None:
    """The event the invite under way is for, while this person still organises it."""
    event = await event_in(turn, invite_data(turn))
    if event is None or not await may(turn, event, RoleName.ORGANIZER):
        await refuse(turn, RoleName.ORGANIZER, event)
        await leave_side_flow(turn, show_menu=False)
        return None
    return event


@register
class InviteSpeakerStep(Step):
    name = "invite:speaker"

    async def prompt(self, turn: Turn) -> tuple[str, Sequence[Option]]:
        speakers = self.speakers(turn)
        options = [Option(self.value(turn, name), short_label(name)) for name in speakers]
        options.append(Option("other", turn.t("invite.other_speaker")))
        event = await event_in(turn, invite_data(turn))
        return turn.t("invite.ask_speaker", event=event.name if event else "-"), options

    @staticmethod
    def value(turn: Turn, name: str) -> str:
        """The event and the name in a button, so that one pressed on an older list (of
        another event, or before a re-import) cannot invite someone else."""
        digest = hashlib.blake2b(name.encode(), digest_size=5).hexdigest()
        return f"{invite_data(turn).get('event')}:{digest}"

    @staticmethod
    def speakers(turn: Turn) -> list[str]:
        return [str(name) for name in invite_data(turn).get("speakers", [])]

    async def on_choice(self, turn: Turn, value: str) -> None:
        event = await invite_event(turn)
        if event is None:
            return
        if value == "other":
            await goto(turn, INVITE, InviteNameStep.name)
            return
        chosen = [name for name in self.speakers(turn) if self.value(turn, name) == value]
        if not chosen:
            raise UnknownChoiceError(value)
        await issue_trainer_invite(turn, event, chosen[0])

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
    sessions = await taught_by(turn, event, speaker)
    turn.say(
        "invite.created",
        speaker=speaker,
        event=event.name,
        sessions=len(sessions),
        until=moment_text(turn, event, turn.now + INVITE_VALID_FOR),
    )
    # The code on its own, so that it can be forwarded as it is.
    turn.replies.append(Reply(invite_message(turn, code)))
    await leave_side_flow(turn)


def invite_message(turn: Turn, code: str) -> str:
    link = turn.deployment.start_link(code.replace("-", ""))
    if link is None:
        return turn.t("invite.forward_code", code=code)
    return turn.t("invite.forward_link", code=code, link=link)


def moment_text(turn: Turn, event: Event, moment: datetime) -> str:
    """``moment`` as the event's people read it: "Rabu, 20 November 2024 14.05 WITA"."""
    local_day = moment.astimezone(ZoneInfo(event.timezone)).date()
    return (
        f"{format_date(local_day, turn.locale)} "
        f"{format_time(moment, event.timezone)} {zone_label(event.timezone)}"
    )


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
    options = [Option("menu|invite", t("menu.invite"))]
    for role in await team(turn.session, event):
        name = await holder_name(turn, role)
        lines.append(t(f"team.{role.role}", name=name, channel=role.channel))
        if may_revoke(turn, role):
            options.append(
                Option(f"{TEAM}|role:{role.id}", short_label(t("team.revoke", name=name)))
            )
    invites = await pending_invites(turn.session, event, turn.now)
    for invite in invites:
        who = invite.speaker or t(f"role.{invite.role}")
        until = moment_text(turn, event, invite.expires_at)
        lines.append(t("team.invite", who=who, until=until))
        options.append(
            Option(f"{TEAM}|invite:{invite.id}", short_label(t("team.cancel_invite", who=who)))
        )
    if len(lines) == 1:
        lines.append(t("team.empty"))
    turn.offer("\n".join(lines), options[:MENU_LIMIT])


def may_revoke(turn: Turn, role: Role) -> bool:
    """Organisers revoke trainers; only admins (and the command line) revoke organisers,
    so that one organiser cannot lock the rest of the team out. Nobody revokes
    themselves by a slip."""
    conversation = turn.conversation
    if (role.channel, role.user_key) == (conversation.channel, conversation.user_key):
        return False
    return role.role == RoleName.TRAINER or turn.is_admin


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
    if isinstance(row, Role) and not may_revoke(turn, row):
        return False  # never offered to this person
    event = await turn.session.get(Event, row.event_id)
    if event is None or not await may(turn, event, RoleName.ORGANIZER):
        await refuse(turn, RoleName.ORGANIZER, event)
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
    turn.memo.clear()
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


async def upload_event(turn: Turn) -> Event | None:
    """The event a file is for: one the caption names and this person organises, else
    the event they are looking at, if they organise it."""
    for word in turn.inbound.text.replace(",", " ").split():
        named = await event_by_code(turn.session, word)
        if named is not None and await may(turn, named, RoleName.ORGANIZER):
            return named
    event = await current_event(turn)
    return event if event is not None and await may(turn, event, RoleName.ORGANIZER) else None


async def receive_file(turn: Turn) -> None:
    attachment = turn.inbound.attachment
    event = await upload_event(turn)
    if event is None:
        # Only organisers send files to the bot; say so, and go on with any question.
        turn.say("import.not_organizer")
        await repeat_question(turn)
        return
    if attachment is None or attachment.content is None:
        turn.say("import.unreadable")
        await repeat_question(turn)
        return
    # A newer file replaces any upload still waiting for its confirmation.
    await load_upload(turn, event, attachment.filename, attachment.content, confirmed=None)


async def load_upload(
    turn: Turn, event: Event, filename: str, content: bytes, confirmed: list[int] | None
) -> None:
    """Import the file, unless it would remove sessions other than the ``confirmed`` ones
    (None: none confirmed yet): then show what would change and ask first. Asking again
    at confirmation catches a change made to the agenda meanwhile."""
    t = turn.t
    async with turn.session.begin_nested() as trial:
        try:
            report = await import_agenda(turn.session, event, filename, content)
        except AgendaFileError as exc:
            text = t("import.refused", event=event.name) + "\n\n"
            turn.replies.append(Reply(text + problems_text(t, exc.problems, limit=None)))
            turn.say("import.agenda_untouched")
            if confirmed is None:
                await repeat_question(turn)  # an upload waiting for a yes still waits
            else:
                await done_with_upload(turn)
            return
        removing = sorted(s.id for s in report.removed if s.id is not None)
        if not removing or removing == confirmed:
            turn.say("import.done", report=report_text(t, event, report))
            await done_with_upload(turn)
            return
        # Written now: the rollback expires the sessions it names.
        preview = report_text(t, event, report, applied=False)
        await trial.rollback()
    turn.say("import.preview", report=preview, event=event.name, removed=len(removing))
    upload = {
        "event": event.id,
        "filename": filename,
        "content": base64.b64encode(content).decode(),
        "removing": removing,
        # The buttons name this preview: one pressed on an older preview is refused.
        "token": hashlib.blake2b(content + str(event.id).encode(), digest_size=4).hexdigest(),
    }
    turn.data_set(IMPORT, upload)
    await interrupt(turn, IMPORT, ImportConfirmStep.name)


async def done_with_upload(turn: Turn) -> None:
    """Back to what was under way: the question an upload to confirm interrupted, any
    other question, or the menu."""
    if turn.conversation.flow == IMPORT:
        await leave_side_flow(turn)
    else:
        await repeat_question(turn)


@register
class ImportConfirmStep(Step):
    """Apply an uploaded agenda that removes sessions, once the organiser confirms."""

    name = "import:confirm"

    async def prompt(self, turn: Turn) -> tuple[str, Sequence[Option]]:
        t = turn.t
        upload = turn.conversation.data.get(IMPORT, {})
        event = await event_in(turn, upload)
        name = event.name if event is not None else "-"
        token = upload.get("token", "")
        options = [
            Option(f"apply:{token}", t("import.apply")),
            Option(f"cancel:{token}", t("import.cancel")),
        ]
        return t("import.confirm", file=upload.get("filename", "-"), event=name), options

    async def on_choice(self, turn: Turn, value: str) -> None:
        upload = turn.conversation.data.get(IMPORT, {})
        action, _, token = value.partition(":")
        if action not in {"apply", "cancel"} or not token or token != upload.get("token"):
            raise UnknownChoiceError(value)
        value = action
        event = await event_in(turn, upload)
        if value == "cancel" or event is None:
            turn.say("import.cancelled")
        elif not await may(turn, event, RoleName.ORGANIZER):
            turn.say("staff.organizer_only", event=event.name)
        else:
            content = base64.b64decode(upload["content"])
            await load_upload(turn, event, upload["filename"], content, upload["removing"])
            return
        await done_with_upload(turn)


# Declaring the classes (kelas) of an event --------------------------------------------


async def declare_classes(turn: Turn, names: list[str]) -> None:
    """``/kelas A B`` from an organiser: the event's classes become A and B."""
    event = await staff_event(turn, RoleName.ORGANIZER)
    if event is None:
        return
    t = turn.t
    try:
        declared = await set_classes(turn.session, event, names)
    except ClassNamesError as exc:
        heading = "agenda_import.classes.heading"
        turn.replies.append(Reply(problems_text(t, exc.problems, limit=None, heading=heading)))
        await repeat_question(turn)
        return
    turn.say("class.declared", event=event.name, classes=", ".join(declared))
    await repeat_question(turn)


# A trainer's own sessions ------------------------------------------------------------


async def taught_by(turn: Turn, event: Event, speaker: str) -> list[AgendaSession]:
    return [s for s in await agenda_of(turn.session, event.id) if teaches(speaker, s.speakers)]


async def my_sessions(turn: Turn) -> None:
    event = await staff_event(turn, RoleName.TRAINER)
    if event is None:
        return
    t = turn.t
    role = await my_role(turn, event, RoleName.TRAINER)
    sessions = [] if role is None else await taught_by(turn, event, role.speaker)
    if role is None or not sessions:
        await main_menu(turn, "trainer.no_sessions", event=event.name)
        return
    lines = [t("trainer.sessions", name=role.speaker, event=event.name)]
    for session in sessions:
        when = f"{format_date(session.day, turn.locale)}, {span(session, event)}"
        lines.append(f"▪️ {when} {zone_label(event.timezone)} — {session.title}")
    options = [Option(f"{SESSION}|{s.id}", session_label(s, event, True)) for s in sessions]
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
    conversation.viewing_event_id = event.id
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
    turn.memo.clear()
    await main_menu(turn, f"invite.welcome_{role_name}", event=event.name, name=invite.speaker)
    return True
