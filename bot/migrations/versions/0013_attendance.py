"""attendance: check-in codes, who was present, changes made by hand, the settings

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 09:00:00

New tables only: ``event_attendance`` (an event's settings), ``attendance_opening`` (the
codes opened for a session or a day), ``attendance`` (one row per person and session),
``attendance_mark`` (manual changes with who, when and why) and ``attendance_tries``
(wrong codes per person). Nothing to carry over.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
# The migration before this one. Only this line changes when another lands in between.
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)


def _event() -> sa.Column[int]:
    return sa.Column(
        "event_id", sa.Integer, sa.ForeignKey("event.id", ondelete="CASCADE"), nullable=False
    )


def _person(name: str = "person_id", *, nullable: bool = False) -> sa.Column[int]:
    ondelete = "SET NULL" if nullable else "CASCADE"
    return sa.Column(
        name, sa.Integer, sa.ForeignKey("person.id", ondelete=ondelete), nullable=nullable
    )


def _agenda_session(*, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(
        "session_id",
        sa.Integer,
        sa.ForeignKey("agenda_session.id", ondelete="CASCADE"),
        nullable=nullable,
    )


def upgrade() -> None:
    op.create_table(
        "event_attendance",
        sa.Column(
            "event_id", sa.Integer, sa.ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("code_minutes", sa.Integer, nullable=False),
        sa.Column("late_after", sa.Integer, nullable=False),
        sa.Column("check_out", sa.Boolean, nullable=False),
        sa.Column("export_by", sa.String(8), nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
    )
    op.create_table(
        "attendance_opening",
        sa.Column("id", sa.Integer, primary_key=True),
        _event(),
        _agenda_session(nullable=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("code", sa.String(8), nullable=False, unique=True),
        sa.Column("opens_at", TIME, nullable=False),
        sa.Column("expires_at", TIME, nullable=False),
        _person("opened_by", nullable=True),
        sa.Column("opened_at", TIME, nullable=False),
        sa.Column("closed_at", TIME, nullable=True),
        sa.Column(
            "status_identity_id",
            sa.Integer,
            sa.ForeignKey("channel_identity.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("status_outbox_id", sa.Integer, nullable=True),
    )
    op.create_index("ix_attendance_opening_event_id", "attendance_opening", ["event_id"])
    op.create_index("ix_attendance_opening_session_id", "attendance_opening", ["session_id"])
    op.create_table(
        "attendance",
        sa.Column("id", sa.Integer, primary_key=True),
        _event(),
        _agenda_session(),
        _person(),
        sa.Column("checked_in_at", TIME, nullable=False),
        sa.Column("late", sa.Boolean, nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column(
            "opening_id",
            sa.Integer,
            sa.ForeignKey("attendance_opening.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("checked_out_at", TIME, nullable=True),
        sa.Column("unmarked_at", TIME, nullable=True),
        sa.UniqueConstraint("person_id", "session_id"),
    )
    for column in ("event_id", "session_id", "person_id"):
        op.create_index(f"ix_attendance_{column}", "attendance", [column])
    op.create_table(
        "attendance_mark",
        sa.Column("id", sa.Integer, primary_key=True),
        _event(),
        _agenda_session(),
        _person(),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
        _person("by_person_id", nullable=True),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("at", TIME, nullable=False),
    )
    op.create_index("ix_attendance_mark_event_id", "attendance_mark", ["event_id"])
    op.create_index("ix_attendance_mark_person_id", "attendance_mark", ["person_id"])
    op.create_table(
        "attendance_tries",
        sa.Column(
            "person_id",
            sa.Integer,
            sa.ForeignKey("person.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("since", TIME, nullable=False),
        sa.Column("wrong", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("attendance_tries")
    op.drop_table("attendance_mark")
    op.drop_table("attendance")
    op.drop_table("attendance_opening")
    op.drop_table("event_attendance")
