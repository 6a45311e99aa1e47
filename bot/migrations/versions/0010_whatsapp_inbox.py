"""webhook inbox: deliveries of the WhatsApp webhook, stored before they are handled

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 10:00:00

A new table only. Its rows live from a delivery's arrival until it is handled.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
# The migration before this one. Only this line changes when another lands in between.
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "webhook_inbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("received_at", TIME, nullable=False),
        sa.Column("claimed_until", TIME, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    # Deliveries not yet handled are lost with the table: Meta does not send them again.
    op.drop_table("webhook_inbox")
