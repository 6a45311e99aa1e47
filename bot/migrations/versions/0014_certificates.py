"""certificates: an event's certificate rule and design, and the certificates issued

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-10 09:00:00

``certificate_settings`` holds, per event once changed, the rule (attendance share,
evaluation and post-test answered, minutes per JP, issued automatically or not), the
paper's texts, signatory and logo. ``certificate`` holds each certificate issued: its
number (per event), its public verification code, what its paper says, the PDF once
drawn, and a revocation with its reason.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
# The migration before this one. Only this line changes when another lands in between.
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "certificate_settings",
        sa.Column(
            "event_id",
            sa.Integer(),
            sa.ForeignKey("event.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("min_attendance", sa.Integer(), nullable=False),
        sa.Column("needs_evaluation", sa.Boolean(), nullable=False),
        sa.Column("needs_post_test", sa.Boolean(), nullable=False),
        sa.Column("jp_minutes", sa.Integer(), nullable=False),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.String(length=1000), nullable=False),
        sa.Column("signatory_name", sa.String(length=120), nullable=False),
        sa.Column("signatory_title", sa.String(length=200), nullable=False),
        sa.Column("signing_place", sa.String(length=100), nullable=False),
        sa.Column("signing_date", sa.Date(), nullable=True),
        sa.Column("logo", sa.LargeBinary(), nullable=True),
        sa.Column("updated_at", TIME, nullable=False),
    )
    op.create_table(
        "certificate",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "event_id",
            sa.Integer(),
            sa.ForeignKey("event.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "person_id",
            sa.Integer(),
            sa.ForeignKey("person.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=80), nullable=False, unique=True),
        sa.Column("code", sa.String(length=16), nullable=False, unique=True),
        sa.Column("holder_name", sa.String(length=100), nullable=False),
        sa.Column("class_name", sa.String(length=40), nullable=True),
        sa.Column("jp", sa.Integer(), nullable=False),
        sa.Column("event_name", sa.String(length=200), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("venue", sa.String(length=200), nullable=False),
        sa.Column("issued_at", TIME, nullable=False),
        sa.Column("issued_by", sa.String(length=40), nullable=False),
        sa.Column("manual_reason", sa.String(length=500), nullable=True),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("sent_at", TIME, nullable=True),
        sa.Column("revoked_at", TIME, nullable=True),
        sa.Column("revoked_reason", sa.String(length=500), nullable=True),
        sa.Column("revoked_by", sa.String(length=40), nullable=True),
        sa.UniqueConstraint("event_id", "person_id"),
        sa.UniqueConstraint("event_id", "seq"),
    )
    op.create_index("ix_certificate_event_id", "certificate", ["event_id"])
    op.create_index("ix_certificate_person_id", "certificate", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_certificate_person_id", table_name="certificate")
    op.drop_index("ix_certificate_event_id", table_name="certificate")
    op.drop_table("certificate")
    op.drop_table("certificate_settings")
