"""linked channels: the channel a person's reminders go to, and codes that link channels

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 09:00:00

People get ``notify_channel`` (None: the channel written from last, as before). Codes
that prove a phone number is one's own, to link a new channel's identity to the person
who registered it, get a table of their own. Nothing to carry over.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
# The migration before this one. Only this line changes when another lands in between.
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Plain ALTER TABLE, never a batch copy: on SQLite, copying the person table would
    # cascade through every table that points at it.
    op.add_column("person", sa.Column("notify_channel", sa.String(16), nullable=True))
    op.create_table(
        "link_code",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "identity_id",
            sa.Integer,
            sa.ForeignKey("channel_identity.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "person_id", sa.Integer, sa.ForeignKey("person.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("code_sha256", sa.String(64), nullable=False),
        sa.Column("salt", sa.String(32), nullable=False),
        sa.Column("sent_at", TIME, nullable=False),
        sa.Column("expires_at", TIME, nullable=False),
        sa.Column("tries", sa.Integer, nullable=False),
        sa.Column("codes_sent", sa.Integer, nullable=False),
        sa.Column("counting_since", TIME, nullable=False),
        sa.UniqueConstraint("identity_id", "person_id"),
    )
    op.create_index("ix_link_code_person_id", "link_code", ["person_id"])


def downgrade() -> None:
    op.drop_table("link_code")
    op.execute("ALTER TABLE person DROP COLUMN notify_channel")  # SQLite 3.35+: in place
