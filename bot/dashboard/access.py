"""Who may see what on the dashboard: the chat's own rule (handlers.roles.allowed over
models.roles), applied to the signed-in person and the event a page is about."""

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.roles import allowed
from models import Event, RoleName
from models.event import events_by_id
from models.people import identities_of
from models.roles import event_ids_with_roles, roles_in


async def is_admin(
    session: AsyncSession, person_id: int, admins: frozenset[tuple[str, str]]
) -> bool:
    """An admin, as the chat decides it for a message: one of the person's channel
    identities is named in the settings (ADMIN_TELEGRAM_IDS, ADMIN_PHONES)."""
    return any(
        (identity.channel, identity.user_key) in admins
        for identity in await identities_of(session, person_id)
    )


async def organises(session: AsyncSession, person_id: int, event_id: int, *, admin: bool) -> bool:
    return allowed(admin, await roles_in(session, person_id, event_id), RoleName.ORGANIZER)


async def organised_events(session: AsyncSession, person_id: int, *, admin: bool) -> list[Event]:
    """The events the person may run from the dashboard: every event for an admin."""
    if admin:
        return await events_by_id(session, None)
    held = await event_ids_with_roles(session, person_id)
    return [
        event
        for event in await events_by_id(session, set(held))
        if event.id is not None and await organises(session, person_id, event.id, admin=False)
    ]
