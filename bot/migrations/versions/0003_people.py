"""one person across channels: person, channel identities, flows' own states, uploads

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 12:00:00

Events get an agenda version (look-ups keep an agenda in memory until it moves on). A
participant row becomes a person (same id); every conversation gets a channel identity
and a person (people who never consented get one without personal data); roles, consents
and enrolments point at the person; a conversation keeps only its place in a flow, with
each flow's answers under the flow's name. An agenda upload waiting for a confirmation
moves from the conversation's JSON into the upload table.
"""

import base64
import hashlib
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)

# The tables as 0002 left them, for reading and (downgrade) writing.
old_participant = sa.table(
    "participant",
    sa.column("id", sa.Integer),
    sa.column("locale", sa.String),
    sa.column("full_name", sa.String),
    sa.column("phone_e164", sa.String),
    sa.column("library_name", sa.String),
    sa.column("library_type", sa.String),
    sa.column("regency", sa.String),
    sa.column("province", sa.String),
    sa.column("library_role", sa.String),
    sa.column("registered_at", TIME),
    sa.column("created_at", TIME),
    sa.column("updated_at", TIME),
)
old_conversation = sa.table(
    "conversation",
    sa.column("id", sa.Integer),
    sa.column("channel", sa.String),
    sa.column("user_key", sa.String),
    sa.column("participant_id", sa.Integer),
    sa.column("event_id", sa.Integer),
    sa.column("viewing_event_id", sa.Integer),
    sa.column("event_chosen_at", TIME),
    sa.column("locale", sa.String),
    sa.column("flow", sa.String),
    sa.column("step", sa.String),
    sa.column("data", sa.JSON),
    sa.column("offered", sa.JSON),
    sa.column("updated_at", TIME),
)
old_role = sa.table(
    "role",
    sa.column("id", sa.Integer),
    sa.column("event_id", sa.Integer),
    sa.column("role", sa.String),
    sa.column("channel", sa.String),
    sa.column("user_key", sa.String),
    sa.column("speaker", sa.String),
    sa.column("invite_id", sa.Integer),
    sa.column("granted_at", TIME),
    sa.column("revoked_at", TIME),
)
PROFILE = (
    "full_name",
    "phone_e164",
    "library_name",
    "library_type",
    "regency",
    "province",
    "library_role",
)


def _person_columns() -> list[sa.Column[Any]]:
    """The person table's columns (its keys are added where it is created)."""
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=True),
        sa.Column("full_name", sa.String(length=100), nullable=True),
        sa.Column("phone_e164", sa.String(length=20), nullable=True),
        sa.Column("library_name", sa.String(length=120), nullable=True),
        sa.Column("library_type", sa.String(length=16), nullable=True),
        sa.Column("regency", sa.String(length=80), nullable=True),
        sa.Column("province", sa.String(length=40), nullable=True),
        sa.Column("library_role", sa.String(length=80), nullable=True),
        sa.Column("registered_at", TIME, nullable=True),
        sa.Column("viewing_event_id", sa.Integer(), nullable=True),
        sa.Column("event_chosen_at", TIME, nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
    ]


def _create_new_tables() -> dict[str, sa.Table]:
    return {
        "person": op.create_table(
            "person",
            *_person_columns(),
            sa.ForeignKeyConstraint(["viewing_event_id"], ["event.id"], ondelete="SET NULL"),
            sa.PrimaryKeyConstraint("id"),
        ),
        "channel_identity": op.create_table(
            "channel_identity",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("person_id", sa.Integer(), nullable=False),
            sa.Column("channel", sa.String(length=16), nullable=False),
            sa.Column("user_key", sa.String(length=64), nullable=False),
            sa.Column("address", sa.String(length=64), nullable=False),
            sa.Column("last_inbound_at", TIME, nullable=True),
            sa.Column("created_at", TIME, nullable=False),
            sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("channel", "user_key"),
        ),
        "upload": op.create_table(
            "upload",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("person_id", sa.Integer(), nullable=False),
            sa.Column("event_id", sa.Integer(), nullable=False),
            sa.Column("filename", sa.String(length=255), nullable=False),
            sa.Column("media_type", sa.String(length=255), nullable=False),
            sa.Column("content", sa.LargeBinary(), nullable=False),
            sa.Column("sha256", sa.String(length=64), nullable=False),
            sa.Column("created_at", TIME, nullable=False),
            sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
            sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("id"),
        ),
        # Built beside the old ones, filled, then renamed over them.
        "consent_new": op.create_table(
            "consent_new",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("person_id", sa.Integer(), nullable=True),
            sa.Column("channel", sa.String(length=16), nullable=False),
            sa.Column("text_version", sa.String(length=32), nullable=False),
            sa.Column("locale", sa.String(length=8), nullable=False),
            sa.Column("text_sha256", sa.String(length=64), nullable=False),
            sa.Column("agreed_at", TIME, nullable=False),
            sa.Column("withdrawn_at", TIME, nullable=True),
            sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="SET NULL"),
            sa.PrimaryKeyConstraint("id"),
        ),
        "enrollment_new": op.create_table(
            "enrollment_new",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("person_id", sa.Integer(), nullable=False),
            sa.Column("event_id", sa.Integer(), nullable=False),
            sa.Column("class_name", sa.String(length=40), nullable=True),
            sa.Column("enrolled_at", TIME, nullable=False),
            sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
            sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("person_id", "event_id"),
        ),
        "role_new": op.create_table(
            "role_new",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("event_id", sa.Integer(), nullable=False),
            sa.Column("person_id", sa.Integer(), nullable=False),
            sa.Column("role", sa.String(length=16), nullable=False),
            sa.Column("speaker", sa.String(length=300), nullable=False),
            sa.Column("invite_id", sa.Integer(), nullable=True),
            sa.Column("granted_at", TIME, nullable=False),
            sa.Column("revoked_at", TIME, nullable=True),
            sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
            sa.ForeignKeyConstraint(["invite_id"], ["invite.id"], ondelete="SET NULL"),
            sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("id"),
        ),
        "conversation_new": op.create_table(
            "conversation_new",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("identity_id", sa.Integer(), nullable=False),
            sa.Column("flow", sa.String(length=32), nullable=True),
            sa.Column("step", sa.String(length=64), nullable=True),
            sa.Column("paused_flow", sa.String(length=32), nullable=True),
            sa.Column("paused_step", sa.String(length=64), nullable=True),
            sa.Column("question", sa.Integer(), nullable=False),
            sa.Column("state", sa.JSON(), nullable=False),
            sa.Column("offered", sa.JSON(), nullable=False),
            sa.Column("updated_at", TIME, nullable=False),
            sa.ForeignKeyConstraint(["identity_id"], ["channel_identity.id"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("id"),
        ),
    }


def _sync_sequence(bind: sa.Connection, table: str) -> None:
    """After rows were copied with their ids, PostgreSQL's id sequence starts past them."""
    if bind.dialect.name != "postgresql":
        return
    bind.execute(
        sa.text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 (our names)
            f"COALESCE((SELECT MAX(id) FROM {table}), 1), "
            f"(SELECT MAX(id) FROM {table}) IS NOT NULL)"
        )
    )


# --- the conversation's old JSON, as each new flow's state -------------------------------

STEP_NAMES = {
    "edit:pick": "pick",
    "erase:confirm": "confirm",
    "invite:speaker": "speaker",
    "invite:name": "name",
    "import:confirm": "confirm",
}


def _new_step(old: str | None) -> str | None:
    if old is None:
        return None
    if old.startswith("field:"):
        return old.removeprefix("field:")
    return STEP_NAMES.get(old, old)


def _flow_state(
    bind: sa.Connection,
    tables: dict[str, sa.Table],
    flow: str,
    data: dict[str, Any],
    conversation: Any,
    person_id: int,
) -> dict[str, Any] | None:
    """The new state of ``flow`` from the old conversation; None when it cannot go on
    (an upload whose bytes are missing)."""
    if flow == "registration":
        answers = data.get("answers") if isinstance(data.get("answers"), dict) else {}
        return {
            "event_id": conversation.event_id,
            "answers": {k: v for k, v in answers.items() if k in PROFILE and isinstance(v, str)},
            "review": bool(data.get("review")),
            "province_page": int(data.get("province_page") or 0),
        }
    if flow == "edit":
        return {"province_page": int(data.get("province_page") or 0)}
    if flow == "invite":
        invite = data.get("invite") if isinstance(data.get("invite"), dict) else {}
        speakers = [str(s) for s in invite.get("speakers", [])]
        return {"event_id": invite.get("event"), "speakers": speakers}
    if flow == "import":
        upload = data.get("import") if isinstance(data.get("import"), dict) else {}
        try:
            content = base64.b64decode(upload["content"], validate=True)
            event_id = int(upload["event"])
        except (KeyError, TypeError, ValueError):
            return None
        inserted = bind.execute(
            tables["upload"]
            .insert()
            .values(
                person_id=person_id,
                event_id=event_id,
                filename=str(upload.get("filename") or "agenda")[:255],
                media_type="application/octet-stream",
                content=content,
                sha256=hashlib.sha256(content).hexdigest(),
                created_at=conversation.updated_at,
            )
            .returning(tables["upload"].c.id)
        )
        removing = [int(i) for i in upload.get("removing", [])]
        return {"upload_id": inserted.scalar_one(), "event_id": event_id, "removing": removing}
    return {}  # erase, language: nothing to carry


def upgrade() -> None:
    bind = op.get_bind()
    # Plain ALTER TABLE, never a batch copy: on SQLite, copying the event table would
    # cascade-delete every row that points at it.
    op.add_column(
        "event", sa.Column("agenda_version", sa.Integer(), nullable=False, server_default="0")
    )
    tables = _create_new_tables()
    person, identity = tables["person"], tables["channel_identity"]

    participants = bind.execute(sa.select(old_participant)).mappings().all()
    for row in participants:
        bind.execute(person.insert().values(**row))
    _sync_sequence(bind, "person")

    identity_person: dict[tuple[str, str], int] = {}
    for conversation in bind.execute(sa.select(old_conversation)).all():
        person_id = conversation.participant_id
        viewing = conversation.viewing_event_id or conversation.event_id
        if person_id is None:
            person_id = bind.execute(
                person.insert()
                .values(
                    locale=conversation.locale,
                    viewing_event_id=viewing,
                    event_chosen_at=conversation.event_chosen_at,
                    created_at=conversation.updated_at,
                    updated_at=conversation.updated_at,
                )
                .returning(person.c.id)
            ).scalar_one()
        else:
            chosen = {"viewing_event_id": viewing, "event_chosen_at": conversation.event_chosen_at}
            if conversation.locale:
                chosen["locale"] = conversation.locale
            bind.execute(person.update().where(person.c.id == person_id).values(**chosen))
        identity_id = bind.execute(
            identity.insert()
            .values(
                person_id=person_id,
                channel=conversation.channel,
                user_key=conversation.user_key,
                address=conversation.user_key,
                last_inbound_at=conversation.updated_at,
                created_at=conversation.updated_at,
            )
            .returning(identity.c.id)
        ).scalar_one()
        identity_person[(conversation.channel, conversation.user_key)] = person_id
        data = conversation.data if isinstance(conversation.data, dict) else {}
        flow, step = conversation.flow, _new_step(conversation.step)
        paused = data.get("resume") if isinstance(data.get("resume"), list) else None
        paused_flow = str(paused[0]) if paused and len(paused) == 2 else None
        paused_step = _new_step(str(paused[1])) if paused and len(paused) == 2 else None
        state: dict[str, Any] = {}
        for name in (flow, paused_flow):
            if name is None:
                continue
            found = _flow_state(bind, tables, name, data, conversation, person_id)
            if found is None:  # it cannot go on: end it, as /batal would
                if name == flow:
                    flow, step = paused_flow, paused_step
                paused_flow = paused_step = None
                continue
            state[name] = found
        bind.execute(
            tables["conversation_new"]
            .insert()
            .values(
                id=conversation.id,
                identity_id=identity_id,
                flow=flow if step else None,
                step=step if flow else None,
                paused_flow=paused_flow,
                paused_step=paused_step,
                question=0,
                state={k: v for k, v in state.items() if k in (flow, paused_flow)},
                offered=[],
                updated_at=conversation.updated_at,
            )
        )

    for role in bind.execute(sa.select(old_role)).mappings().all():
        key = (role["channel"], role["user_key"])
        if key not in identity_person:  # a role held from a chat that left no conversation
            new_person = bind.execute(
                person.insert()
                .values(created_at=role["granted_at"], updated_at=role["granted_at"])
                .returning(person.c.id)
            ).scalar_one()
            bind.execute(
                identity.insert().values(
                    person_id=new_person,
                    channel=key[0],
                    user_key=key[1],
                    address=key[1],
                    created_at=role["granted_at"],
                )
            )
            identity_person[key] = new_person
        values = {k: v for k, v in role.items() if k not in ("channel", "user_key")}
        bind.execute(tables["role_new"].insert().values(person_id=identity_person[key], **values))

    bind.execute(
        sa.text(
            "INSERT INTO consent_new (id, person_id, channel, text_version, locale, text_sha256, "
            "agreed_at, withdrawn_at) SELECT id, participant_id, channel, text_version, locale, "
            "text_sha256, agreed_at, withdrawn_at FROM consent"
        )
    )
    bind.execute(
        sa.text(
            "INSERT INTO enrollment_new (id, person_id, event_id, class_name, enrolled_at) "
            "SELECT id, participant_id, event_id, class_name, enrolled_at FROM enrollment"
        )
    )

    for old in ("conversation", "consent", "enrollment", "role", "participant"):
        op.drop_table(old)
    for new in ("consent", "enrollment", "role", "conversation"):
        op.rename_table(f"{new}_new", new)
        _sync_sequence(bind, new)
    _sync_sequence(bind, "channel_identity")
    _sync_sequence(bind, "upload")
    _create_indexes()


def _create_indexes() -> None:
    op.create_index("ix_person_phone_e164", "person", ["phone_e164"])
    op.create_index("ix_channel_identity_person_id", "channel_identity", ["person_id"])
    op.create_index("ix_upload_person_id", "upload", ["person_id"])
    op.create_index("ix_consent_person_id", "consent", ["person_id"])
    op.create_index("ix_enrollment_person_id", "enrollment", ["person_id"])
    op.create_index("ix_enrollment_event_id", "enrollment", ["event_id"])
    op.create_index("ix_role_event_id", "role", ["event_id"])
    op.create_index("ix_role_person_id", "role", ["person_id"])
    op.create_index("ix_conversation_identity_id", "conversation", ["identity_id"], unique=True)


def downgrade() -> None:
    """Back to one conversation per chat holding identity and language. Unfinished
    flows end (their answers go) and waiting uploads are dropped; a role follows the
    first channel its holder wrote from."""
    bind = op.get_bind()
    participant = op.create_table(
        "participant_old",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        *[c for c in _person_columns() if c.name in PROFILE],
        sa.Column("registered_at", TIME, nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    person = sa.table("person", *[sa.column(c.name) for c in _person_columns()])
    identity = sa.table(
        "channel_identity",
        sa.column("id"),
        sa.column("person_id"),
        sa.column("channel"),
        sa.column("user_key"),
    )
    conversation = sa.table("conversation", sa.column("id"), sa.column("identity_id"))
    consented = sa.text(
        "SELECT person_id FROM consent WHERE person_id IS NOT NULL "
        "UNION SELECT id FROM person WHERE registered_at IS NOT NULL"
    )
    kept = {row[0] for row in bind.execute(consented)}
    people = {row.id: row for row in bind.execute(sa.select(person)).all()}
    for person_id in sorted(kept):
        row = people[person_id]
        bind.execute(
            participant.insert().values(
                id=row.id,
                locale=row.locale or "id",
                registered_at=row.registered_at,
                created_at=row.created_at,
                updated_at=row.updated_at,
                **{name: getattr(row, name) for name in PROFILE},
            )
        )
    old_tables = {
        "conversation_old": op.create_table(
            "conversation_old",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("channel", sa.String(length=16), nullable=False),
            sa.Column("user_key", sa.String(length=64), nullable=False),
            sa.Column("participant_id", sa.Integer(), nullable=True),
            sa.Column("event_id", sa.Integer(), nullable=True),
            sa.Column("locale", sa.String(length=8), nullable=True),
            sa.Column("flow", sa.String(length=32), nullable=True),
            sa.Column("step", sa.String(length=64), nullable=True),
            sa.Column("data", sa.JSON(), nullable=False),
            sa.Column("updated_at", TIME, nullable=False),
            sa.Column("viewing_event_id", sa.Integer(), nullable=True),
            sa.Column("event_chosen_at", TIME, nullable=True),
            sa.Column("offered", sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
            sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="SET NULL"),
            sa.ForeignKeyConstraint(
                ["participant_id"], ["participant_old.id"], ondelete="SET NULL"
            ),
            sa.ForeignKeyConstraint(
                ["viewing_event_id"],
                ["event.id"],
                name="fk_conversation_viewing_event_id_event",
                ondelete="SET NULL",
            ),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("channel", "user_key"),
        ),
        "consent_old": op.create_table(
            "consent_old",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("participant_id", sa.Integer(), nullable=True),
            sa.Column("channel", sa.String(length=16), nullable=False),
            sa.Column("text_version", sa.String(length=32), nullable=False),
            sa.Column("locale", sa.String(length=8), nullable=False),
            sa.Column("text_sha256", sa.String(length=64), nullable=False),
            sa.Column("agreed_at", TIME, nullable=False),
            sa.Column("withdrawn_at", TIME, nullable=True),
            sa.ForeignKeyConstraint(
                ["participant_id"], ["participant_old.id"], ondelete="SET NULL"
            ),
            sa.PrimaryKeyConstraint("id"),
        ),
        "enrollment_old": op.create_table(
            "enrollment_old",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("participant_id", sa.Integer(), nullable=False),
            sa.Column("event_id", sa.Integer(), nullable=False),
            sa.Column("enrolled_at", TIME, nullable=False),
            sa.Column("class_name", sa.String(length=40), nullable=True),
            sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
            sa.ForeignKeyConstraint(["participant_id"], ["participant_old.id"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("participant_id", "event_id"),
        ),
        "role_old": op.create_table(
            "role_old",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("event_id", sa.Integer(), nullable=False),
            sa.Column("role", sa.String(length=16), nullable=False),
            sa.Column("channel", sa.String(length=16), nullable=False),
            sa.Column("user_key", sa.String(length=64), nullable=False),
            sa.Column("speaker", sa.String(length=300), nullable=False),
            sa.Column("invite_id", sa.Integer(), nullable=True),
            sa.Column("granted_at", TIME, nullable=False),
            sa.Column("revoked_at", TIME, nullable=True),
            sa.ForeignKeyConstraint(["event_id"], ["event.id"], ondelete="CASCADE"),
            sa.ForeignKeyConstraint(["invite_id"], ["invite.id"], ondelete="SET NULL"),
            sa.PrimaryKeyConstraint("id"),
        ),
    }
    first_identity: dict[int, tuple[str, str]] = {}
    rows = bind.execute(
        sa.select(identity, conversation.c.id.label("conversation_id"))
        .join(conversation, conversation.c.identity_id == identity.c.id)
        .order_by(identity.c.id)
    ).all()
    for row in rows:
        first_identity.setdefault(row.person_id, (row.channel, row.user_key))
        owner = people[row.person_id]
        bind.execute(
            old_tables["conversation_old"]
            .insert()
            .values(
                id=row.conversation_id,
                channel=row.channel,
                user_key=row.user_key,
                participant_id=row.person_id if row.person_id in kept else None,
                event_id=owner.viewing_event_id,
                locale=owner.locale,
                data={},
                updated_at=owner.updated_at,
                viewing_event_id=owner.viewing_event_id,
                event_chosen_at=owner.event_chosen_at,
                offered=[],
            )
        )
    bind.execute(
        sa.text(
            "INSERT INTO consent_old (id, participant_id, channel, text_version, locale, "
            "text_sha256, agreed_at, withdrawn_at) SELECT id, person_id, channel, text_version, "
            "locale, text_sha256, agreed_at, withdrawn_at FROM consent"
        )
    )
    enrolled = sa.text("SELECT id, person_id, event_id, enrolled_at, class_name FROM enrollment")
    for row in bind.execute(enrolled).all():
        if row.person_id in kept:
            bind.execute(
                old_tables["enrollment_old"]
                .insert()
                .values(
                    id=row.id,
                    participant_id=row.person_id,
                    event_id=row.event_id,
                    enrolled_at=row.enrolled_at,
                    class_name=row.class_name,
                )
            )
    roles = sa.text(
        "SELECT id, event_id, role, person_id, speaker, invite_id, granted_at, revoked_at FROM role"
    )
    for row in bind.execute(roles).mappings().all():
        if row["person_id"] not in first_identity:
            continue
        channel, user_key = first_identity[row["person_id"]]
        values = {k: v for k, v in row.items() if k != "person_id"}
        bind.execute(
            old_tables["role_old"].insert().values(channel=channel, user_key=user_key, **values)
        )
    for new in ("conversation", "consent", "enrollment", "role", "upload", "channel_identity"):
        op.drop_table(new)
    op.drop_table("person")
    for name in ("participant", "conversation", "consent", "enrollment", "role"):
        op.rename_table(f"{name}_old", name)
        _sync_sequence(bind, name)
    op.create_index("ix_participant_phone_e164", "participant", ["phone_e164"])
    op.create_index("ix_consent_participant_id", "consent", ["participant_id"])
    op.create_index("ix_conversation_participant_id", "conversation", ["participant_id"])
    op.create_index("ix_enrollment_event_id", "enrollment", ["event_id"])
    op.create_index("ix_enrollment_participant_id", "enrollment", ["participant_id"])
    op.create_index("ix_role_event_id", "role", ["event_id"])
    op.create_index("ix_role_identity", "role", ["channel", "user_key"])
    op.execute("ALTER TABLE event DROP COLUMN agenda_version")  # SQLite 3.35+: in place
