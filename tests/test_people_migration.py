"""The migration to one person across channels (0003) carries every row of a database
in use over: profiles, consents, enrolments, roles, and people in the middle of a
question, who go on where they were."""

import base64
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlmodel import col, select

from bot.db import downgrade, session_maker, upgrade
from bot.engine import Engine
from handlers.i18n import Translator
from handlers.types import Inbound
from models import (
    AgendaSession,
    ChannelIdentity,
    Consent,
    Conversation,
    Enrollment,
    Person,
    Role,
    Upload,
)

ID, EN = Translator("id"), Translator("en")
NOW = datetime(2024, 11, 13, 1, 0, tzinfo=UTC)  # 09.00 WITA on the first day
AGENDA = (
    b"Tanggal;Mulai;Selesai;Materi;Narasumber;Ruang\n13/11/2024;08.30;10.00;Pembukaan;;Ballroom\n"
)

# Rows as the 0002 schema holds them, written as SQL so the test does not depend on
# today's models.
ROWS: list[tuple[str, dict[str, Any]]] = [
    (
        "INSERT INTO event (id, code, name, organizer, venue, timezone, starts_on, ends_on, "
        "is_open, created_at) VALUES (1, 'KUKAR2024', 'Bimtek SPP-TIK Kutai Kartanegara', "
        "'Dinas Kearsipan dan Perpustakaan', 'Hotel Mercure Samarinda', 'Asia/Makassar', "
        "'2024-11-13', '2024-11-16', :yes, :now)",
        {},
    ),
    ("INSERT INTO event_class (id, event_id, name) VALUES (1, 1, 'A'), (2, 1, 'B')", {}),
    (
        "INSERT INTO agenda_session (id, event_id, day, starts_at, ends_at, title, speakers, "
        "room, class_name, description, updated_at) VALUES (1, 1, '2024-11-13', :s1, :e1, "
        "'Strategi Transformasi Perpustakaan', 'Taufik, S.Sos, M.Si; Rachmawati', "
        "'Ruang Mahakam', NULL, '', :now)",
        {
            "s1": datetime(2024, 11, 13, 0, 30, tzinfo=UTC),
            "e1": datetime(2024, 11, 13, 2, 0, tzinfo=UTC),
        },
    ),
    # Siti: registered, in class A, idle on Telegram.
    (
        "INSERT INTO participant (id, locale, full_name, phone_e164, library_name, "
        "library_type, regency, province, library_role, registered_at, created_at, "
        "updated_at) VALUES (1, 'id', 'Siti Rahayu, S.IP', '+6281234567890', "
        "'Perpustakaan Desa Sukamaju', 'desa', 'Kutai Kartanegara', 'Kalimantan Timur', "
        "'Kepala Perpustakaan', :now, :now, :now)",
        {},
    ),
    (
        "INSERT INTO enrollment (id, participant_id, event_id, enrolled_at, class_name) "
        "VALUES (1, 1, 1, :now, 'A')",
        {},
    ),
    (
        "INSERT INTO consent (id, participant_id, channel, text_version, locale, text_sha256, "
        "agreed_at, withdrawn_at) VALUES (1, 1, 'telegram', '2026-11', 'id', :sha, :now, NULL)",
        {"sha": "a" * 64},
    ),
    (
        "INSERT INTO conversation (id, channel, user_key, participant_id, event_id, locale, "
        "flow, step, data, updated_at, viewing_event_id, event_chosen_at, offered) VALUES "
        "(1, 'telegram', '700001', 1, 1, 'id', NULL, NULL, '{}', :now, 1, NULL, '[]')",
        {},
    ),
    # Putri: consented in English, three answers given, the library type asked.
    (
        "INSERT INTO participant (id, locale, created_at, updated_at) VALUES (2, 'en', :now, :now)",
        {},
    ),
    (
        "INSERT INTO consent (id, participant_id, channel, text_version, locale, text_sha256, "
        "agreed_at, withdrawn_at) VALUES (2, 2, 'console', '2026-11', 'en', :sha, :now, NULL)",
        {"sha": "b" * 64},
    ),
    (
        "INSERT INTO conversation (id, channel, user_key, participant_id, event_id, locale, "
        "flow, step, data, updated_at, viewing_event_id, event_chosen_at, offered) VALUES "
        "(2, 'console', 'putri', 2, 1, 'en', 'registration', 'field:library_type', :data, "
        ":now, NULL, NULL, :offered)",
        {
            "data": '{"answers": {"full_name": "Putri Wardhani", "phone_e164": '
            '"+6281122334455", "library_name": "TBM Cahaya Ilmu"}}',
            "offered": '[["field:library_type|tbm", "TBM"]]',
        },
    ),
    # Someone who read the consent notice and has not answered yet.
    (
        "INSERT INTO conversation (id, channel, user_key, participant_id, event_id, locale, "
        "flow, step, data, updated_at, viewing_event_id, event_chosen_at, offered) VALUES "
        "(3, 'telegram', '700003', NULL, 1, 'id', 'registration', 'consent', '{}', :now, "
        "NULL, NULL, '[]')",
        {},
    ),
    # An organiser registering, interrupted by an uploaded agenda waiting for a yes.
    (
        "INSERT INTO invite (id, event_id, role, code_sha256, speaker, created_by, created_at, "
        "expires_at, used_at, revoked_at) VALUES (1, 1, 'organizer', :sha, '', 'cli', :now, "
        ":now, :now, NULL), (2, 1, 'trainer', :sha2, 'Rachmawati', 'role:1', :now, :now, "
        ":now, NULL)",
        {"sha": "c" * 64, "sha2": "d" * 64},
    ),
    (
        "INSERT INTO role (id, event_id, role, channel, user_key, speaker, invite_id, "
        "granted_at, revoked_at) VALUES (1, 1, 'organizer', 'telegram', '700004', '', 1, "
        ":now, NULL), (2, 1, 'trainer', 'console', 'pelatih', 'Rachmawati', 2, :now, NULL)",
        {},
    ),
    (
        "INSERT INTO conversation (id, channel, user_key, participant_id, event_id, locale, "
        "flow, step, data, updated_at, viewing_event_id, event_chosen_at, offered) VALUES "
        "(4, 'telegram', '700004', NULL, 1, 'id', 'import', 'import:confirm', :data, :now, "
        "1, :now, '[]')",
        {
            "data": '{"answers": {}, "resume": ["registration", "field:full_name"], '
            '"import": {"event": 1, "filename": "jadwal.csv", "content": "'
            + base64.b64encode(AGENDA).decode()
            + '", "removing": [1], "token": "0a1b2c3d"}}'
        },
    ),
    # An erased participant's withdrawn consent, and deliveries seen.
    (
        "INSERT INTO consent (id, participant_id, channel, text_version, locale, text_sha256, "
        "agreed_at, withdrawn_at) VALUES (3, NULL, 'telegram', '2026-11', 'id', :sha, :now, "
        ":now)",
        {"sha": "e" * 64},
    ),
    (
        "INSERT INTO inboundmessage (channel, external_id, received_at) VALUES "
        "('telegram', 'f00d', :now)",
        {},
    ),
]


async def fill_at_0002(engine: AsyncEngine) -> None:
    await downgrade(engine, "0002")
    async with engine.begin() as connection:
        for sql, values in ROWS:
            await connection.execute(text(sql), {"now": NOW, "yes": True, **values})
        if engine.dialect.name == "postgresql":
            # As if the rows had been added one by one: each id sequence past its rows.
            for table in ("event", "event_class", "agenda_session", "invite"):
                await connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT MAX(id) FROM {table}))"
                    )
                )


async def identity(session: AsyncSession, channel: str, user_key: str) -> ChannelIdentity:
    found = await session.execute(
        select(ChannelIdentity).where(
            col(ChannelIdentity.channel) == channel, col(ChannelIdentity.user_key) == user_key
        )
    )
    return found.scalars().one()


async def test_every_row_is_carried_over(engine: AsyncEngine) -> None:
    await fill_at_0002(engine)
    await upgrade(engine)
    async with session_maker(engine)() as session:
        people = {p.id: p for p in (await session.execute(select(Person))).scalars()}
        assert len(people) == 5  # two participants, two chats without one, one trainer
        siti = people[1]
        assert (siti.full_name, siti.phone_e164, siti.locale, siti.viewing_event_id) == (
            "Siti Rahayu, S.IP",
            "+6281234567890",
            "id",
            1,
        )
        assert siti.registered_at is not None
        assert (await identity(session, "telegram", "700001")).person_id == 1
        enrolled = (await session.execute(select(Enrollment))).scalars().one()
        assert (enrolled.person_id, enrolled.event_id, enrolled.class_name) == (1, 1, "A")
        consents = {c.id: c for c in (await session.execute(select(Consent))).scalars()}
        assert (consents[1].person_id, consents[2].person_id) == (1, 2)
        assert (consents[3].person_id, consents[3].withdrawn_at is not None) == (None, True)

        putri_identity = await identity(session, "console", "putri")
        assert putri_identity.person_id == 2
        assert people[2].locale == "en"
        assert people[2].full_name is None, "answers stay answers until confirmed"
        putri = (
            await session.execute(
                select(Conversation).where(col(Conversation.identity_id) == putri_identity.id)
            )
        ).scalar_one()
        assert (putri.flow, putri.step) == ("registration", "library_type")
        assert putri.state["registration"]["answers"] == {
            "full_name": "Putri Wardhani",
            "phone_e164": "+6281122334455",
            "library_name": "TBM Cahaya Ilmu",
        }
        assert putri.state["registration"]["event_id"] == 1

        waiting = await identity(session, "telegram", "700003")
        assert people[waiting.person_id].full_name is None

        boss = await identity(session, "telegram", "700004")
        roles = {r.id: r for r in (await session.execute(select(Role))).scalars()}
        assert roles[1].person_id == boss.person_id
        trainer = await identity(session, "console", "pelatih")
        assert (roles[2].person_id, roles[2].speaker) == (trainer.person_id, "Rachmawati")
        boss_chat = (
            await session.execute(
                select(Conversation).where(col(Conversation.identity_id) == boss.id)
            )
        ).scalar_one()
        assert (boss_chat.flow, boss_chat.step) == ("import", "confirm")
        assert (boss_chat.paused_flow, boss_chat.paused_step) == ("registration", "full_name")
        upload = await session.get(Upload, boss_chat.state["import"]["upload_id"])
        assert upload is not None
        assert (upload.content, upload.filename, upload.person_id) == (
            AGENDA,
            "jadwal.csv",
            boss.person_id,
        )


async def test_people_go_on_where_they_were(engine: AsyncEngine) -> None:
    await fill_at_0002(engine)
    await upgrade(engine)
    bot = Engine(session_maker(engine), clock=lambda: NOW)

    def said(channel: str, user_key: str, key: str, text: str) -> Inbound:
        return Inbound(channel=channel, user_key=user_key, message_key=key, text=text)

    # Putri picks her library type by typing it, in English, and is asked the next field.
    replies = await bot.handle(said("console", "putri", "1", "TBM"))
    assert replies[-1].text == EN("ask.regency")
    # The organiser confirms the waiting upload; it removes a session of today, so they
    # are asked whether its participants hear of it; then they are back at the paused
    # question.
    replies = await bot.handle(said("telegram", "700004", "2", "ya"))
    assert "Pembukaan" in replies[0].text
    assert replies[-1].text.startswith("Hari ini 1 peserta")
    replies = await bot.handle(said("telegram", "700004", "2b", "tidak"))
    assert replies[-1].text == ID("ask.full_name")
    async with session_maker(engine)() as session:
        titles = (await session.execute(select(AgendaSession.title))).scalars().all()
        assert titles == ["Pembukaan"]
        assert (await session.execute(select(Upload))).first() is None
    # Siti's look-ups still know her event and class.
    replies = await bot.handle(said("telegram", "700001", "3", "/jadwal"))
    assert "Kelas A" in replies[0].text
    # The trainer's role followed the person (the new agenda no longer names her).
    replies = await bot.handle(said("console", "pelatih", "4", "/sesisaya"))
    event = "Bimtek SPP-TIK Kutai Kartanegara"
    assert replies[0].text == ID("trainer.no_sessions", event=event)
