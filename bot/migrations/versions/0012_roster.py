"""roster: the participants an event's organisers expect

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 09:00:00

One row per expected participant of an event, from the organisers' file, unique by phone
number within the event; linked to the person who registered with that number. Nothing
to carry over.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
# The migration before this one. Only this line changes when another lands in between.
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "roster_entry",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "event_id", sa.Integer, sa.ForeignKey("event.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("line", sa.Integer, nullable=False),
        sa.Column("full_name", sa.String(100), nullable=False),
        sa.Column("phone_e164", sa.String(20), nullable=False),
        sa.Column("library_name", sa.String(120), nullable=True),
        sa.Column("library_type", sa.String(16), nullable=True),
        sa.Column("regency", sa.String(80), nullable=True),
        sa.Column("class_name", sa.String(40), nullable=True),
        sa.Column(
            "person_id", sa.Integer, sa.ForeignKey("person.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("imported_at", TIME, nullable=False),
        sa.UniqueConstraint("event_id", "phone_e164"),
    )
    op.create_index("ix_roster_entry_phone_e164", "roster_entry", ["phone_e164"])
    op.create_index("ix_roster_entry_person_id", "roster_entry", ["person_id"])


def downgrade() -> None:
    op.drop_table("roster_entry")
