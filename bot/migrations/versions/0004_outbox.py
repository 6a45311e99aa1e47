"""an outbox for everything said: outbox rows, the files they send, unreachable identities

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 15:00:00

Replies were sent straight after their transaction committed; from here every message
is first a row, written in that transaction. Nothing to carry over: a reply of the old
kind was either sent or lost.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("channel_identity") as table:
        table.add_column(sa.Column("unreachable_at", TIME, nullable=True))
    op.create_table(
        "outbox_file",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("media_type", sa.String(255), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(160), nullable=False, unique=True),
        sa.Column(
            "identity_id",
            sa.Integer,
            sa.ForeignKey("channel_identity.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column(
            "file_id",
            sa.Integer,
            sa.ForeignKey("outbox_file.id", ondelete="RESTRICT"),
            nullable=True,
        ),
        sa.Column("broadcast_id", sa.Integer, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("due_at", TIME, nullable=False),
        sa.Column("expires_at", TIME, nullable=True),
        sa.Column("claimed_until", TIME, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("parts_sent", sa.Integer, nullable=False),
        sa.Column("sent_at", TIME, nullable=True),
        sa.Column("external_ids", sa.String(400), nullable=False),
        sa.Column("error", sa.String(200), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
    )
    op.create_index("ix_outbox_due", "outbox", ["status", "due_at", "priority"])
    op.create_index("ix_outbox_identity_status", "outbox", ["identity_id", "status"])
    op.create_index("ix_outbox_broadcast_id", "outbox", ["broadcast_id"])


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_table("outbox_file")
    with op.batch_alter_table("channel_identity") as table:
        table.drop_column("unreachable_at")
