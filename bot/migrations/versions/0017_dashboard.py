"""dashboard: one-time sign-in links for the organisers' web dashboard, and its sessions

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 21:00:00

``dashboard_link`` holds each link's token digest (never the token), its person, when it
expires and when it was used (once). ``dashboard_session`` holds each signed-in browser's
session id digest, its person, expiry, revocation (signing out) and chosen language.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
# The migration before this one. Only this line changes when another lands in between.
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "dashboard_link",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "person_id",
            sa.Integer(),
            sa.ForeignKey("person.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("token_sha256", sa.String(length=64), nullable=False, unique=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("expires_at", TIME, nullable=False),
        sa.Column("used_at", TIME, nullable=True),
    )
    op.create_index("ix_dashboard_link_person_id", "dashboard_link", ["person_id"])
    op.create_table(
        "dashboard_session",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("session_sha256", sa.String(length=64), nullable=False, unique=True),
        sa.Column(
            "person_id",
            sa.Integer(),
            sa.ForeignKey("person.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("expires_at", TIME, nullable=False),
        sa.Column("revoked_at", TIME, nullable=True),
        sa.Column("locale", sa.String(length=8), nullable=True),
    )
    op.create_index("ix_dashboard_session_person_id", "dashboard_session", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_dashboard_session_person_id", table_name="dashboard_session")
    op.drop_table("dashboard_session")
    op.drop_index("ix_dashboard_link_person_id", table_name="dashboard_link")
    op.drop_table("dashboard_link")
