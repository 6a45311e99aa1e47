"""``/sertifikat`` in the chat: a participant hears why not yet, or gets their PDF; an
organiser sees who qualifies, issues to everyone (once), by hand with a reason, and
revokes; on Telegram the PDF arrives as a document. Attendance is given as explicit sets,
where check-in will record it."""

from datetime import UTC, datetime

import pytest
from sqlmodel import col, select

from bot.db import SessionMaker
from handlers.turn import Deployment
from models import Certificate, ChannelIdentity, Conversation, Enrollment, Event, Person, RoleName
from models.certificates import sources
from models.certificates.store import Holder, issue, settings_for_update
from scheduler.certificates import certificate_round, deliver_pending
from tests.certificate_helpers import (
    GivenAttendance,
    agenda_ids,
    answered,
    participant,
    pdf_qr_codes,
    pdf_text,
)
from tests.drivers import TelegramDriver
from tests.factories import ID, Talker, give_role, id_of, labels, text_of

DURING = datetime(2024, 11, 14, 2, tzinfo=UTC)  # Thursday 10.00 WITA
AFTER = datetime(2024, 11, 16, 6, tzinfo=UTC)  # Saturday 14.00 WITA, after the closing
ONLINE = Deployment(public_base_url="https://bimtek.example.id")


async def given(
    sessions: SessionMaker, event: Event, monkeypatch: pytest.MonkeyPatch, people: dict[int, str]
) -> None:
    """Attendance: each of ``people`` (id → class) attended every session of their class
    but one, except those whose class is written in lower case, who came to three."""
    expected: dict[str | None, set[int]] = {}
    attended: dict[int, set[int]] = {}
    for person_id, class_name in people.items():
        ids = sorted(await agenda_ids(sessions, event, class_name.upper()))
        expected[class_name.upper()] = set(ids)
        attended[person_id] = set(ids[:-1] if class_name.isupper() else ids[:3])
    monkeypatch.setattr(sources, "current", GivenAttendance(attended, expected))


async def stored(sessions: SessionMaker) -> list[Certificate]:
    async with sessions() as session:
        found = await session.execute(select(Certificate).order_by(col(Certificate.seq)))
        return list(found.scalars())


async def test_participants_hear_why_and_organisers_issue_and_revoke(
    sessions: SessionMaker, demo_event: Event, monkeypatch: pytest.MonkeyPatch
) -> None:
    siti_key, siti = await participant(sessions, demo_event, "Siti Rahayu", "+6281234500001", "A")
    budi_key, budi = await participant(sessions, demo_event, "Budi Santoso", "+6281234500002", "B")
    await given(sessions, demo_event, monkeypatch, {siti: "A", budi: "b"})
    await answered(sessions, demo_event, siti)
    async with sessions.begin() as session:
        (await settings_for_update(session, id_of(demo_event))).automatic = False
    await give_role(sessions, demo_event, RoleName.ORGANIZER, "panitia")

    siti_talks = Talker(sessions, siti_key, DURING)
    budi_talks = Talker(sessions, budi_key, DURING)
    during = text_of(await siti_talks.send("/sertifikat"))
    assert "Sejauh ini Anda memenuhi syarat" in during
    assert "setelah acara selesai (Sabtu, 16 November 2024)" in during
    shown = text_of(await budi_talks.send("/sertifikat"))
    assert "diterbitkan setelah acara selesai (Sabtu, 16 November 2024)" in shown
    assert "❌ Kehadiran: 3 dari 16 sesi (18 %), syaratnya 90 %." in shown
    assert "⬜ Evaluasi kegiatan belum diisi" in shown
    siti_talks.now = budi_talks.now = AFTER
    shown = text_of(await budi_talks.send("/sertifikat"))
    assert "belum bisa diterbitkan untuk Anda" in shown
    assert "❌ Evaluasi kegiatan belum diisi: /survei" in shown
    assert "Panitia akan menerbitkannya" in text_of(await siti_talks.send("/sertifikat"))

    boss = Talker(sessions, "panitia", AFTER)
    replies = await boss.send("/sertifikat")
    shown = text_of(replies)
    assert "Terbit 0 · Dicabut 0 · Memenuhi syarat, belum terbit 1 · Belum memenuhi 1" in shown
    assert "Siti Rahayu (A)" in shown
    assert "Budi Santoso (B) — hadir 3/16 sesi; evaluasi belum diisi" in shown
    confirm = await boss.press_label(replies, "🎓 Terbitkan (1)")
    assert "Terbitkan 1 sertifikat" in text_of(confirm)
    assert "1 sertifikat Bimtek SPP-TIK" in text_of(
        await boss.press_label(confirm, "✅ Ya, terbitkan")
    )
    again = text_of(await boss.press_label(confirm, "✅ Ya, terbitkan"))
    assert "Tidak ada sertifikat yang perlu diterbitkan" in again
    [first] = await stored(sessions)
    assert (first.number, first.holder_name, first.jp) == (
        "001/BIMTEK-KUKAR2024/2024",
        "Siti Rahayu",
        33,
    )
    assert "sedang disiapkan" in text_of(await siti_talks.send("/sertifikat"))

    assert await deliver_pending(sessions, AFTER, ONLINE) == 1
    assert await deliver_pending(sessions, AFTER, ONLINE) == 0  # once
    [reply] = await siti_talks.send("/sertifikat")
    assert reply.attachment is not None
    assert reply.attachment.content is not None
    assert reply.attachment.filename == "sertifikat-001.pdf"
    assert "Siti Rahayu" in pdf_text(reply.attachment.content)
    assert pdf_qr_codes(reply.attachment.content) == [
        f"https://bimtek.example.id/sertifikat/{first.code}"
    ]

    # By hand, with a reason, to Budi who does not qualify.
    replies = await boss.press_label(await boss.send("/sertifikat"), "✍️ Terbitkan manual")
    assert "Untuk siapa?" in text_of(replies)
    assert "Tidak ada peserta yang cocok" in text_of(await boss.send("Joko"))
    replies = await boss.send("budi")
    assert "Apa alasannya?" in text_of(replies)
    assert "minimal 5 huruf" in text_of(await boss.send("ok"))
    replies = await boss.send("Hadir daring karena sakit")
    assert "yang belum memenuhi syarat (hadir 3/16 sesi; evaluasi belum diisi)" in text_of(replies)
    done = text_of(await boss.press_label(replies, "✅ Ya, terbitkan"))
    assert "Sertifikat No. 002/BIMTEK-KUKAR2024/2024 diterbitkan untuk Budi Santoso (B)" in done
    replies = await boss.press_label(await boss.send("/sertifikat"), "✍️ Terbitkan manual")
    assert "sudah punya sertifikat No. 002" in text_of(await boss.send("Budi Santoso"))

    # Revoked, with a reason; twice is refused.
    replies = await boss.press_label(await boss.send("/sertifikat"), "⛔ Cabut sertifikat")
    assert 'Tidak ada sertifikat acara ini dengan nomor atau kode "7"' in text_of(
        await boss.send("7")
    )
    await boss.send("2")
    replies = await boss.send("Ternyata tidak hadir sama sekali")
    assert "Cabut sertifikat No. 002/BIMTEK-KUKAR2024/2024 (Budi Santoso)?" in text_of(replies)
    assert "dicabut" in text_of(await boss.press_label(replies, "⛔ Ya, cabut"))
    await boss.press_label(await boss.send("/sertifikat"), "⛔ Cabut sertifikat")
    assert "sudah dicabut sebelumnya" in text_of(await boss.send("002/BIMTEK-KUKAR2024/2024"))
    shown = text_of(await budi_talks.send("/sertifikat"))
    assert "No. 002/BIMTEK-KUKAR2024/2024 telah dicabut" in shown
    assert "Alasan: Ternyata tidak hadir sama sekali" in shown
    certificates = await stored(sessions)
    assert [c.revoked for c in certificates] == [False, True]
    assert certificates[1].manual_reason == "Hadir daring karena sakit"
    summary = text_of(await boss.send("/sertifikat"))
    assert "Terbit 1 · Dicabut 1 · Memenuhi syarat, belum terbit 0 · Belum memenuhi 0" in summary
    assert "🎓 Terbitkan (" not in " ".join(labels(await boss.send("/sertifikat")))


async def on_telegram(sessions: SessionMaker, event: Event, user: TelegramDriver) -> int:
    """``user`` registered for the event in class A, as registration leaves them."""
    async with sessions.begin() as session:
        person = Person(locale="id", full_name="Siti Nur'aini Ṭāhir", registered_at=AFTER)
        session.add(person)
        await session.flush()
        session.add(Enrollment(person_id=id_of(person), event_id=id_of(event), class_name="A"))
        identity = ChannelIdentity(
            person_id=id_of(person), channel="telegram", user_key=user.user_key,
            address=user.user_key, last_inbound_at=AFTER,
        )  # fmt: skip
        session.add(identity)
        await session.flush()
        session.add(Conversation(identity_id=id_of(identity)))
        return id_of(person)


async def test_on_telegram_the_pdf_arrives_by_itself_at_the_end_and_again_when_asked(
    telegram_person: TelegramDriver,
    sessions: SessionMaker,
    demo_event: Event,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    person_id = await on_telegram(sessions, demo_event, telegram_person)
    await given(sessions, demo_event, monkeypatch, {person_id: "A"})
    run = certificate_round(ONLINE)
    assert await run(sessions, DURING) == 0, "nothing before the evaluation and the end"
    await answered(sessions, demo_event, person_id)
    assert await run(sessions, DURING) == 0, "nothing before the end"
    assert await run(sessions, AFTER) == 2  # issued, and sent
    assert await run(sessions, AFTER) == 0
    await telegram_person.until_sent()
    [call] = telegram_person.server.documents(telegram_person.user_id)
    upload = call.params["document"]
    assert upload.filename == "sertifikat-001.pdf"
    assert "Siti Nur'aini Ṭāhir" in pdf_text(upload.content)
    [certificate] = await stored(sessions)
    [arrived] = telegram_person.shown_since(0)
    assert arrived.document == ("sertifikat-001.pdf", upload.content)
    assert arrived.text.startswith("🎓 Sertifikat Bimtek SPP-TIK")
    assert f"Kode verifikasi: {certificate.code}" in arrived.text

    shown = await telegram_person.send("/sertifikat")
    assert shown[-1].document == ("sertifikat-001.pdf", upload.content)


async def test_erasing_ones_data_revokes_the_certificate_and_drops_the_name(
    sessions: SessionMaker, demo_event: Event
) -> None:
    key, person_id = await participant(sessions, demo_event, "Siti Rahayu", "+6281234500001")
    async with sessions.begin() as session:
        [certificate] = await issue(
            session, demo_event, [Holder(person_id, "Siti Rahayu", "A", 33)], AFTER,
            issued_by="cli",
        )  # fmt: skip
    siti = Talker(sessions, key, AFTER)
    await siti.press_label(await siti.send("/hapus"), ID("erase.yes"))
    [kept] = await stored(sessions)
    assert (kept.number, kept.holder_name, kept.person_id, kept.pdf) == (
        certificate.number, "", None, None,
    )  # fmt: skip
    assert kept.revoked
