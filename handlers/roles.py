"""Who may do what, as the conversation asks it: the domain queries of models.roles,
remembered for the turn, with admins (from the settings) allowed everything."""

from handlers.turn import Turn
from models import Event, Role, RoleName
from models import roles as queries


async def held_roles(turn: Turn, event: Event) -> set[RoleName]:
    assert event.id is not None
    event_id = event.id
    found = await turn.cached(
        ("roles", event_id), lambda: queries.roles_in(turn.session, turn.person_id, event_id)
    )
    return set(found)


async def may(turn: Turn, event: Event | None, needed: RoleName) -> bool:
    """Whether this person may act as ``needed`` in ``event``. Organisers may do what
    trainers may; admins may do everything everywhere."""
    if turn.is_admin:
        return True
    if event is None:
        return False
    return allowed(False, await held_roles(turn, event), needed)


def allowed(is_admin: bool, held: set[RoleName], needed: RoleName) -> bool:
    """The rule itself, for callers without a turn (the web dashboard): admins may do
    everything; otherwise the roles held in the event must grant ``needed``."""
    return is_admin or queries.grants(held, needed)


async def my_role(turn: Turn, event: Event, role: RoleName) -> Role | None:
    assert event.id is not None
    return await queries.role_of(turn.session, turn.person_id, event.id, role)
