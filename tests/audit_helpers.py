"""Reading the audit log in tests: who did an action, as stored."""

from sqlmodel import col, select

from bot.db import SessionMaker
from models.audit import AuditAction, AuditEntry


async def actors_of(sessions: SessionMaker, action: AuditAction) -> list[tuple[str, int | None]]:
    """(actor kind, person id) of each entry of ``action``, oldest first."""
    async with sessions() as session:
        found = await session.execute(
            select(AuditEntry.actor_kind, AuditEntry.actor_person_id)
            .where(col(AuditEntry.action) == action)
            .order_by(col(AuditEntry.id))
        )
        return [(kind, person) for kind, person in found.all()]
