"""broadcasts: an organiser's announcement to an audience of an event

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 10:00:00

One table; the messages themselves are outbox rows (their ``broadcast_id`` names the
broadcast). Nothing to carry over.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
# The migration before this one. Only this line changes when another lands in between.
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "broadcast",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "event_id", sa.Integer, sa.ForeignKey("event.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "author_id", sa.Integer, sa.ForeignKey("person.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("text", sa.String(4096), nullable=False),
        sa.Column(
            "file_id",
            sa.Integer,
            sa.ForeignKey("outbox_file.id", ondelete="RESTRICT"),
            nullable=True,
        ),
        sa.Column("audience", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("send_at", TIME, nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("confirmed_at", TIME, nullable=True),
        sa.Column("cancelled_at", TIME, nullable=True),
    )
    op.create_index("ix_broadcast_event_created", "broadcast", ["event_id", "created_at"])


def downgrade() -> None:
    op.drop_table("broadcast")
