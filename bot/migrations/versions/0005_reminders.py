"""reminders: per-event reminder settings, a person's mute, what each notification is about

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 09:00:00

Events get reminder settings (a row only once an organiser changes the defaults: 15
minutes before each session, a digest at 06.30 local time); people may mute reminders;
each notification row of the outbox is linked to its event, day and session, so that an
agenda change finds the reminders it outdates. Nothing to carry over.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("person") as table:
        table.add_column(sa.Column("reminders_muted_at", TIME, nullable=True))
    op.create_table(
        "event_reminders",
        sa.Column(
            "event_id",
            sa.Integer,
            sa.ForeignKey("event.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("before_sessions", sa.Boolean, nullable=False),
        sa.Column("offsets", sa.JSON, nullable=False),
        sa.Column("digest", sa.Boolean, nullable=False),
        sa.Column("digest_at", sa.Time, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
    )
    op.create_table(
        "notification",
        sa.Column(
            "outbox_id",
            sa.Integer,
            sa.ForeignKey("outbox.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "event_id", sa.Integer, sa.ForeignKey("event.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("session_id", sa.Integer, nullable=True),
        sa.Column("day", sa.Date, nullable=False),
    )
    op.create_index("ix_notification_event_day", "notification", ["event_id", "day"])
    op.create_index("ix_notification_session_id", "notification", ["session_id"])


def downgrade() -> None:
    op.drop_table("notification")
    op.drop_table("event_reminders")
    with op.batch_alter_table("person") as table:
        table.drop_column("reminders_muted_at")
