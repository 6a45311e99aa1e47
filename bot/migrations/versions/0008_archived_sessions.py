"""archived sessions: a session a re-imported agenda dropped, kept for its feedback

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 10:00:00

Agenda sessions get ``archived_at``: set, the session is on nobody's agenda, but its row
stays because something (a survey round) points at it. Every existing session is on its
agenda, so nothing to carry over.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
# The migration before this one. Only this line changes when another lands in between.
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE, never a batch copy: on SQLite, copying the table would set the
    # survey rounds that point at its sessions to none.
    op.add_column(
        "agenda_session", sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    # Before 0008 a dropped session was deleted (its rounds kept, pointing at none); an
    # archived one left in place would come back onto the agenda.
    op.execute("DELETE FROM agenda_session WHERE archived_at IS NOT NULL")
    op.execute("ALTER TABLE agenda_session DROP COLUMN archived_at")  # SQLite 3.35+: in place
