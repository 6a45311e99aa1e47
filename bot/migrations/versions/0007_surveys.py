"""surveys: definitions, rounds sent to an event, responses and answers

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 17:00:00

New tables only; nothing to carry over.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
# The migration before this one. Only this line changes when another lands in between.
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "survey",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("purpose", sa.String(24), nullable=False),
        sa.Column("definition", sa.JSON, nullable=False),
        sa.Column("shipped", sa.Boolean, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.UniqueConstraint("key", "version"),
    )
    op.create_table(
        "survey_round",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "survey_id", sa.Integer, sa.ForeignKey("survey.id", ondelete="RESTRICT"), nullable=False
        ),
        sa.Column(
            "event_id", sa.Integer, sa.ForeignKey("event.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "session_id",
            sa.Integer,
            sa.ForeignKey("agenda_session.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("slot", sa.String(60), nullable=False),
        sa.Column("speakers", sa.JSON, nullable=False),
        sa.Column("opens_at", TIME, nullable=False),
        sa.Column("closes_at", TIME, nullable=True),
        sa.Column(
            "started_by", sa.Integer, sa.ForeignKey("person.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("created_at", TIME, nullable=False),
        sa.UniqueConstraint("event_id", "slot"),
    )
    op.create_index("ix_survey_round_event_id", "survey_round", ["event_id"])
    op.create_index("ix_survey_round_session_id", "survey_round", ["session_id"])
    op.create_table(
        "survey_response",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "round_id",
            sa.Integer,
            sa.ForeignKey("survey_round.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "person_id", sa.Integer, sa.ForeignKey("person.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("started_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Column("submitted_at", TIME, nullable=True),
        sa.UniqueConstraint("round_id", "person_id"),
    )
    op.create_index("ix_survey_response_round_id", "survey_response", ["round_id"])
    op.create_index("ix_survey_response_person_id", "survey_response", ["person_id"])
    op.create_table(
        "survey_answer",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "response_id",
            sa.Integer,
            sa.ForeignKey("survey_response.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("question_id", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(120), nullable=False),
        sa.Column("value", sa.JSON, nullable=True),
        sa.Column("answered_at", TIME, nullable=False),
        sa.UniqueConstraint("response_id", "question_id", "subject"),
    )
    op.create_index("ix_survey_answer_response", "survey_answer", ["response_id"])
    op.create_table(
        "survey_watch",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "round_id",
            sa.Integer,
            sa.ForeignKey("survey_round.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "person_id", sa.Integer, sa.ForeignKey("person.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "identity_id",
            sa.Integer,
            sa.ForeignKey("channel_identity.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("outbox_id", sa.Integer, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.UniqueConstraint("round_id", "person_id"),
    )
    op.create_index("ix_survey_watch_round_id", "survey_watch", ["round_id"])


def downgrade() -> None:
    op.drop_table("survey_watch")
    op.drop_table("survey_answer")
    op.drop_table("survey_response")
    op.drop_table("survey_round")
    op.drop_table("survey")
