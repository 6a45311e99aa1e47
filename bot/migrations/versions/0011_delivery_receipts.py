"""delivery receipts and WhatsApp's window: what a channel reports after a send

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 19:00:00

``outbox`` gets ``delivered_at`` and ``read_at``, told by the channel after the send;
``sent_message`` finds a row by the channel's id of a message it sent. A channel identity
gets ``window_closed_at``: the channel refused a free-form message (WhatsApp's 24 hours
ran out sooner than the bot knew). The new ``held`` status needs no change: status is text.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
# The migration before this one. Only this line changes when another lands in between.
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("outbox", sa.Column("delivered_at", TIME, nullable=True))
    op.add_column("outbox", sa.Column("read_at", TIME, nullable=True))
    op.add_column("channel_identity", sa.Column("window_closed_at", TIME, nullable=True))
    op.create_table(
        "sent_message",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column(
            "outbox_id",
            sa.Integer(),
            sa.ForeignKey("outbox.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.UniqueConstraint("channel", "external_id"),
    )
    op.create_index("ix_sent_message_outbox_id", "sent_message", ["outbox_id"])


def downgrade() -> None:
    op.drop_index("ix_sent_message_outbox_id", table_name="sent_message")
    op.drop_table("sent_message")
    # Plain DROP COLUMN (SQLite 3.35+): a batch copy would cascade through the outbox.
    op.execute("ALTER TABLE channel_identity DROP COLUMN window_closed_at")
    op.execute("ALTER TABLE outbox DROP COLUMN read_at")
    op.execute("ALTER TABLE outbox DROP COLUMN delivered_at")
