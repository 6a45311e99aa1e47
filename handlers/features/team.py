"""The team of an event (``/tim``): who organises and teaches, open invites, and buttons
to revoke a role or cancel an invite after a confirmation; to invite a trainer and to see
the event's participants too."""

from handlers.menu import MENU_LIMIT
from handlers.registry import Command, Feature
from handlers.roles import may
from handlers.staff import moment_text, refuse, staff_event
from handlers.turn import MENU, PAYLOAD_SEPARATOR, Option, Turn, short_label
from handlers.validation import row_id
from models import Event, Invite, Person, Role, RoleName
from models.audit import Actor
from models.people import identities_of
from models.roles import cancel_invite, pending_invites, revoke_role, team

TEAM = "tim"  # button namespace: "tim|role:<id>", "tim|invite:<id>", "tim|confirm-role:<id>"...


def team_payload(action: str, ident: int | None) -> str:
    return f"{TEAM}{PAYLOAD_SEPARATOR}{action}:{ident}"


async def holder_name(turn: Turn, role: Role) -> str:
    if role.role == RoleName.TRAINER and role.speaker:
        return role.speaker
    holder = await turn.session.get(Person, role.person_id)
    name = holder.full_name if holder is not None else None
    return name or turn.t(f"role.{role.role}_numbered", number=role.id)


async def show_team(turn: Turn) -> None:
    event = await staff_event(turn, RoleName.ORGANIZER)
    if event is None:
        return
    assert event.id is not None
    t = turn.t
    lines = [t("team.title", event=event.name)]
    options = [
        Option(f"{MENU}{PAYLOAD_SEPARATOR}{key}", t(f"menu.{key}"))
        for key in ("invite", "participants")
    ]
    for role in await team(turn.session, event.id):
        name = await holder_name(turn, role)
        channels = ", ".join(
            sorted({i.channel for i in await identities_of(turn.session, role.person_id)})
        )
        lines.append(t(f"team.{role.role}", name=name, channel=channels or "-"))
        if may_revoke(turn, role):
            options.append(
                Option(team_payload("role", role.id), short_label(t("team.revoke", name=name)))
            )
    for invite in await pending_invites(turn.session, event.id, turn.now):
        who = invite.speaker or t(f"role.{invite.role}")
        until = moment_text(turn, event, invite.expires_at)
        lines.append(t("team.invite", who=who, until=until))
        label = short_label(t("team.cancel_invite", who=who))
        options.append(Option(team_payload("invite", invite.id), label))
    if len(lines) == 1:
        lines.append(t("team.empty"))
    turn.offer("\n".join(lines), options[:MENU_LIMIT])


def may_revoke(turn: Turn, role: Role) -> bool:
    """Organisers revoke trainers; only admins (and the command line) revoke organisers,
    so that one organiser cannot lock the rest of the team out. Nobody revokes
    themselves by a slip."""
    if role.person_id == turn.person_id:
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
                Option(team_payload(f"confirm-{kind}", row.id), t("team.yes_revoke")),
                Option(team_payload("list", 0), t("team.keep")),
            ],
        )
        return True
    actor = Actor.person(turn.person_id)
    if isinstance(row, Role):
        revoke_role(turn.session, row, turn.now, actor=actor)
    else:
        cancel_invite(turn.session, row, turn.now, actor=actor)
    turn.forget_cached()
    turn.say(f"team.revoked_{kind}", name=name, event=event.name)
    await show_team(turn)
    return True


FEATURE = Feature(
    commands=(
        Command(
            "team",
            {"id": "tim", "en": "team"},
            show_team,
            order=60,
            button=True,
            needs=RoleName.ORGANIZER,
        ),
    ),
    buttons={TEAM: team_button},
)
