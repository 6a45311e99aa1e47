"""retention and complete erasure: how long an event keeps personal data, and answers
that outlive the person who gave them

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-12 09:00:00

``event.retention_days`` (None: the default, two years after the event's last day) and
``event.purged_at`` (set once the event's personal data were removed). ``person.erased_at``
marks a person who erased their data and whose last reply is still on its way: the row
and the one identity it goes to are deleted right after it is sent.
``survey_response.person_id`` may be NULL: an erased person's choices and scores stay,
unlinked from anyone, for the statistics.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
# The migration before this one. Only this line changes when another lands in between.
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("event", sa.Column("retention_days", sa.Integer(), nullable=True))
    op.add_column("event", sa.Column("purged_at", TIME, nullable=True))
    op.add_column("person", sa.Column("erased_at", TIME, nullable=True))
    _response_person(nullable=True)


def downgrade() -> None:
    # Anonymous answers belong to nobody: before 0015 every answer had its person.
    op.execute("DELETE FROM survey_response WHERE person_id IS NULL")
    _response_person(nullable=False)
    op.execute("ALTER TABLE person DROP COLUMN erased_at")  # SQLite 3.35+: in place
    op.execute("ALTER TABLE event DROP COLUMN purged_at")
    op.execute("ALTER TABLE event DROP COLUMN retention_days")


def _response_person(*, nullable: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("survey_response", "person_id", existing_type=sa.Integer, nullable=nullable)
        return
    # SQLite changes a column's NOT NULL only by copying the table. Dropping the old one
    # deletes its answers (ON DELETE CASCADE, and foreign keys cannot be turned off inside
    # the migration's transaction): they are set aside and put back, ids and all.
    bind = op.get_bind()
    ddl = bind.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'survey_response'")
    ).scalar_one()
    strict, loose = "person_id INTEGER NOT NULL", "person_id INTEGER"
    old, new = (strict, loose) if nullable else (loose + ",", strict + ",")
    assert old in ddl, "survey_response is not as 0007 made it"
    copy = ddl.replace(old, new, 1).replace("survey_response", "survey_response_copy", 1)
    op.execute("CREATE TEMP TABLE survey_answer_kept AS SELECT * FROM survey_answer")
    op.execute(copy)
    op.execute("INSERT INTO survey_response_copy SELECT * FROM survey_response")
    op.execute("DROP TABLE survey_response")
    op.execute("ALTER TABLE survey_response_copy RENAME TO survey_response")
    op.create_index("ix_survey_response_round_id", "survey_response", ["round_id"])
    op.create_index("ix_survey_response_person_id", "survey_response", ["person_id"])
    op.execute("INSERT INTO survey_answer SELECT * FROM survey_answer_kept")
    op.execute("DROP TABLE survey_answer_kept")
