"""An announcement with a photo on Telegram itself: the real aiogram client against the fake
Bot API, from the organiser's photo to the participants' chats and back to the report."""

from datetime import UTC, datetime

from bot.db import SessionMaker
from models import ChannelIdentity, Conversation, Enrollment, Event, Person, RoleName
from models.roles import create_invite
from tests.drivers import Shown, TelegramDriver
from tests.factories import ID, id_of

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8 + b"\xff\xd9"
CAPTION = "Foto bersama hari pertama. Sesi berikutnya di Ruang Mahakam."


async def participant(sessions: SessionMaker, event: Event, user: TelegramDriver) -> None:
    """``user`` registered for the event, in class A, as registration leaves them."""
    async with sessions.begin() as session:
        person = Person(locale="id", full_name="Siti Rahayu", registered_at=datetime.now(UTC))
        session.add(person)
        await session.flush()
        session.add(Enrollment(person_id=id_of(person), event_id=id_of(event), class_name="A"))
        identity = ChannelIdentity(
            person_id=id_of(person), channel="telegram", user_key=user.user_key,
            address=user.user_key, last_inbound_at=datetime.now(UTC),
        )  # fmt: skip
        session.add(identity)
        await session.flush()
        session.add(Conversation(identity_id=id_of(identity)))


def by_text(shown: list[Shown], start: str) -> Shown:
    return next(s for s in shown if s.text.startswith(start))


async def test_a_photo_announcement_reaches_the_class_and_the_report_counts_a_block(
    telegram_person: TelegramDriver, sessions: SessionMaker, demo_event: Event
) -> None:
    boss = telegram_person
    async with sessions.begin() as session:
        code = await create_invite(
            session, id_of(demo_event), RoleName.ORGANIZER, created_by="cli", now=datetime.now(UTC)
        )
    await boss.send(f"/start {code}")
    readers = [boss.another_person() for _ in range(3)]
    for reader in readers:
        await participant(sessions, demo_event, reader)
    blocked = readers[2]
    boss.server.block_chat(blocked.user_id)

    await boss.send("/umumkan")
    shown = await boss.send_photo(JPEG, caption=CAPTION)
    assert ID("broadcast.ask_audience") in shown[-1].text
    shown = await boss.press("Kelas A")
    # How many (nobody is known to have blocked the bot yet), the photo with its caption as
    # it will arrive, then: when?
    assert shown[0].text == ID("broadcast.preview", count=3, audience="peserta Kelas A")
    message = f"📢 Bimtek SPP-TIK Kabupaten Kutai Kartanegara\n\n{CAPTION}"
    assert shown[1] == Shown(message, document=("photo.jpg", JPEG))
    assert boss.server.outbox(boss.user_id)[-2].method == "sendPhoto"
    await boss.press("Kirim sekarang")
    shown = await boss.press("✅ Ya, kirim")
    assert shown[0].text == "📢 Pengumuman sedang dikirim ke 3 orang."

    for reader in readers:
        await reader.until_sent()
    for reader in readers[:2]:
        assert reader.shown_since(0) == [Shown(message, document=("photo.jpg", JPEG))]
        (call,) = boss.server.outbox(reader.user_id)
        assert (call.method, call.params["caption"]) == ("sendPhoto", message)
    assert boss.server.outbox(blocked.user_id) == []

    shown = await boss.press("🔄 Perbarui laporan")
    report = by_text(shown, "📢 Pengumuman #")
    assert "Terkirim 2 · Menunggu 0 · Gagal 0 · Memblokir bot 1" in report.text
    assert "⛔ Hentikan kirim" not in report.buttons  # nothing waits
    # A participant sending a photo of their own gets the usual answer.
    shown = await readers[0].send_photo(JPEG, caption="Terima kasih")
    assert shown[0].text == ID("invalid.unsupported")
