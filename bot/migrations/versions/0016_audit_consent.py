"""audit and per-event consent: the audit log of privileged actions; consent per event

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 21:00:00

``consent.event_id`` names the event whose organiser the notice named as data controller.
Consent given before it was per event is carried over so that nobody already taking part
is asked again: each consent row of a person enrolled somewhere is tied to the first of
their events (the one the notice they agreed to most likely named) and copied, with the
same text, moment and digest, for each further event they are enrolled in. Someone who
consented and is still answering the registration questions is enrolled nowhere yet: their
consent is tied to the event that registration is for (the one the notice named), so they
go on where they were. Any other consent keeps ``event_id`` NULL ("given before consent
was per event"): it ties the person to no event, and joining one asks for its consent.

``audit_entry`` records who did which privileged action on what; no names, numbers or
typed text (see models/audit.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
# The migration before this one. Only this line changes when another lands in between.
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    # A plain ADD COLUMN, no foreign key: the proof outlives an event purged.
    op.add_column("consent", sa.Column("event_id", sa.Integer(), nullable=True))
    op.create_index("ix_consent_event_id", "consent", ["event_id"])
    _carry_consents_over()
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", TIME, nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("actor_kind", sa.String(length=8), nullable=False),
        sa.Column(
            "actor_person_id",
            sa.Integer(),
            sa.ForeignKey("person.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("target_kind", sa.String(length=24), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
    )
    op.create_index("ix_audit_entry_at", "audit_entry", ["at"])
    op.create_index("ix_audit_entry_event_id", "audit_entry", ["event_id"])
    op.create_index("ix_audit_entry_actor_person_id", "audit_entry", ["actor_person_id"])


def _carry_consents_over() -> None:
    connection = op.get_bind()
    consent = sa.table(
        "consent",
        sa.column("id", sa.Integer),
        sa.column("person_id", sa.Integer),
        sa.column("event_id", sa.Integer),
        sa.column("channel", sa.String),
        sa.column("text_version", sa.String),
        sa.column("locale", sa.String),
        sa.column("text_sha256", sa.String),
        sa.column("agreed_at", TIME),
        sa.column("withdrawn_at", TIME),
    )
    enrollment = sa.table(
        "enrollment",
        sa.column("person_id", sa.Integer),
        sa.column("event_id", sa.Integer),
        sa.column("enrolled_at", TIME),
        sa.column("id", sa.Integer),
    )
    rows = connection.execute(
        sa.select(consent).where(consent.c.person_id.is_not(None)).order_by(consent.c.id)
    ).all()
    for row in rows:
        events = connection.execute(
            sa.select(enrollment.c.event_id)
            .where(enrollment.c.person_id == row.person_id)
            .order_by(enrollment.c.enrolled_at, enrollment.c.id)
        ).scalars()
        event_ids = list(events) or _registering_for(connection, row.person_id)
        if not event_ids:
            continue
        connection.execute(
            sa.update(consent).where(consent.c.id == row.id).values(event_id=event_ids[0])
        )
        for event_id in event_ids[1:]:
            connection.execute(
                sa.insert(consent).values(
                    person_id=row.person_id,
                    event_id=event_id,
                    channel=row.channel,
                    text_version=row.text_version,
                    locale=row.locale,
                    text_sha256=row.text_sha256,
                    agreed_at=row.agreed_at,
                    withdrawn_at=row.withdrawn_at,
                )
            )


def _registering_for(connection: sa.Connection, person_id: int) -> list[int]:
    """The event a registration under way (on any of the person's channels) is for."""
    identity = sa.table("channel_identity", sa.column("id"), sa.column("person_id"))
    conversation = sa.table(
        "conversation",
        sa.column("identity_id"),
        sa.column("flow"),
        sa.column("paused_flow"),
        sa.column("state", sa.JSON),
    )
    states = connection.execute(
        sa.select(conversation.c.state)
        .join(identity, identity.c.id == conversation.c.identity_id)
        .where(
            identity.c.person_id == person_id,
            (conversation.c.flow == "registration")
            | (conversation.c.paused_flow == "registration"),
        )
    ).scalars()
    for state in states:
        event_id = ((state or {}).get("registration") or {}).get("event_id")
        if isinstance(event_id, int):
            return [event_id]
    return []


def downgrade() -> None:
    op.drop_index("ix_audit_entry_actor_person_id", table_name="audit_entry")
    op.drop_index("ix_audit_entry_event_id", table_name="audit_entry")
    op.drop_index("ix_audit_entry_at", table_name="audit_entry")
    op.drop_table("audit_entry")
    # The copies made for further events go; each person's first consent stays.
    consent = sa.table(
        "consent",
        sa.column("id", sa.Integer),
        sa.column("person_id", sa.Integer),
        sa.column("text_sha256", sa.String),
        sa.column("agreed_at", TIME),
    )
    first = sa.alias(consent, "first")
    earlier = (
        sa.select(first.c.id)
        .where(
            first.c.person_id == consent.c.person_id,
            first.c.text_sha256 == consent.c.text_sha256,
            first.c.agreed_at == consent.c.agreed_at,
            first.c.id < consent.c.id,
        )
        .exists()
    )
    op.execute(sa.delete(consent).where(consent.c.person_id.is_not(None), earlier))
    op.drop_index("ix_consent_event_id", table_name="consent")
    # Plain DROP COLUMN (SQLite 3.35+).
    op.execute("ALTER TABLE consent DROP COLUMN event_id")
