"""``/umumkan`` through the engine, in both languages: what the organiser sees at each
step, what is stored, and every bad input answered with nothing changed."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, update
from sqlmodel import col, select

from bot.db import SessionMaker
from handlers.i18n import Translator
from models import Broadcast, ChannelIdentity, Event, OutboxMessage, Person, Role, RoleName
from models.agenda import agenda_of
from models.broadcasts import BroadcastStatus, room_for_text
from models.roles import create_invite
from tests.drivers import EngineDriver, Shown, texts
from tests.factories import enrol, id_of, make_event, person_id_of

NOW = datetime(2024, 11, 13, 1, 0, tzinfo=UTC)  # Wednesday, 09.00 WITA
ID, EN = Translator("id"), Translator("en")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200 + b"\xff\xd9"
ROOM_CHANGE = "Sesi Advokasi pindah ke Ruang Mahakam pukul 10.15."


@pytest.fixture
async def event(sessions: SessionMaker) -> Event:
    return await make_event(sessions, "SMD24", classes=("A", "B"))


@pytest.fixture
async def organisers(
    database_url: str, sessions: SessionMaker, event: Event
) -> AsyncIterator[dict[str, EngineDriver]]:
    """An organiser of the event reading Indonesian, and one reading English."""
    found = {}
    for locale in ("id", "en"):
        async with sessions.begin() as session:
            code = await create_invite(
                session, id_of(event), RoleName.ORGANIZER, created_by="cli", now=NOW
            )
        boss = EngineDriver(database_url, f"panitia-{locale}", lambda: NOW, language_code=locale)
        await boss.send(f"/start {code}")
        found[locale] = boss
    yield found
    for boss in found.values():
        await boss.close()


async def participants(sessions: SessionMaker, event: Event) -> dict[str, str]:
    """Two in class A, one in class B from another province; their user keys."""
    a1 = await enrol(sessions, event, class_name="A")
    a2 = await enrol(sessions, event, class_name="A", locale="en")
    b1 = await enrol(sessions, event, class_name="B")
    async with sessions.begin() as session:
        await session.execute(
            update(Person)
            .where(col(Person.id) == await person_id_of(sessions, b1))
            .values(province="Kalimantan Selatan", regency="Kota Banjarmasin")
        )
    return {"a1": a1, "a2": a2, "b1": b1}


async def broadcasts(sessions: SessionMaker) -> list[Broadcast]:
    async with sessions() as session:
        return list((await session.execute(select(Broadcast))).scalars())


async def sent_to(sessions: SessionMaker) -> dict[str, tuple[str, str]]:
    """Each broadcast row: the recipient's user key, the row's status and text."""
    async with sessions() as session:
        found = await session.execute(
            select(ChannelIdentity.user_key, OutboxMessage.status, OutboxMessage.body)
            .join(ChannelIdentity, col(ChannelIdentity.id) == col(OutboxMessage.identity_id))
            .where(col(OutboxMessage.kind) == "broadcast")
        )
        return {key: (status, body["text"]) for key, status, body in found.all()}


def last(shown: list[Shown]) -> Shown:
    assert shown
    return shown[-1]


async def test_an_organiser_announces_a_room_change_to_a_class(
    sessions: SessionMaker, event: Event, organisers: dict[str, EngineDriver]
) -> None:
    people = await participants(sessions, event)
    boss = organisers["id"]
    shown = await boss.send("/umumkan")
    assert texts(shown) == ID("broadcast.ask_text", event="Bimtek SMD24", limit=4079)
    shown = await boss.send(ROOM_CHANGE)
    assert last(shown).buttons == (
        "Semua peserta & tim", "Kelas A", "Kelas B", "Per wilayah…", "Belum selesai daftar"
    )  # fmt: skip
    asked = last(shown).text
    assert "• semua peserta, panitia dan pelatih: 5 orang" in asked  # 3 and the 2 organisers
    assert "• peserta Kelas A: 2 orang" in asked
    assert "• yang belum selesai mendaftar: 0 orang" in asked

    shown = await boss.press("Kelas A")
    assert [s.text for s in shown] == [
        ID("broadcast.preview", count=2, audience="peserta Kelas A"),
        f"📢 Bimtek SMD24\n\n{ROOM_CHANGE}",  # exactly as it will arrive
        ID("broadcast.ask_when", zone="WITA"),
    ]
    shown = await boss.press("Kirim sekarang")
    assert texts(shown) == "Kirim pengumuman ini sekarang ke 2 orang (peserta Kelas A)?"
    assert last(shown).buttons == ("✅ Ya, kirim", "✏️ Ubah", "Jangan kirim")
    assert await sent_to(sessions) == {}, "nothing before the confirmation"

    shown = await boss.press("✅ Ya, kirim")
    assert shown[0].text == "📢 Pengumuman sedang dikirim ke 2 orang."
    (stored,) = await broadcasts(sessions)
    assert shown[1].text == (
        f"📢 Pengumuman #{stored.id} · Bimtek SMD24\n"
        "Dikirim Rabu, 13 November 2024 09.00 WITA\n"
        "Penerima: peserta Kelas A, 2 orang\n"
        "Terkirim 0 · Menunggu 2 · Gagal 0 · Memblokir bot 0\n"
        f"«{ROOM_CHANGE}»"
    )
    assert shown[1].buttons == (
        "🔄 Perbarui laporan", "⛔ Hentikan kirim", "📢 Semua pengumuman"
    )  # fmt: skip
    announcement = f"📢 Bimtek SMD24\n\n{ROOM_CHANGE}"
    assert await sent_to(sessions) == {
        people["a1"]: ("pending", announcement),
        people["a2"]: ("pending", announcement),
    }
    assert (stored.status, stored.send_at, stored.audience) == (
        BroadcastStatus.SENT, NOW, {"kind": "class", "name": "A"}
    )  # fmt: skip
    assert stored.author_id == await person_id_of(sessions, boss.user_key)

    # The confirm button pressed again: no longer applies, and nothing is written twice.
    shown = await boss.press("✅ Ya, kirim")
    assert shown[0].text == ID("invalid.stale_button")
    assert len(await sent_to(sessions)) == 2
    # The report, again; and the event's list.
    shown = await boss.press("🔄 Perbarui laporan")
    assert "Menunggu 2" in shown[0].text
    shown = await boss.press("📢 Semua pengumuman")
    assert shown[0].text.startswith("Pengumuman Bimtek SMD24, terbaru dulu:\n")
    assert shown[0].buttons == (f"#{stored.id} Sesi Advokasi pindah…",)
    assert "Kelas A" in texts(await boss.send("/pengumuman"))


async def test_a_photo_for_a_region_tomorrow_morning_in_english_then_stopped(
    sessions: SessionMaker, event: Event, organisers: dict[str, EngineDriver]
) -> None:
    people = await participants(sessions, event)
    boss = organisers["en"]
    await boss.send("/announce")
    shown = await boss.send_photo(JPEG, caption="Today's group photo, for the report.")
    assert "Who is the announcement for?" in last(shown).text
    shown = await boss.press("By region…")
    assert last(shown).text == EN("broadcast.ask_region")
    assert last(shown).buttons == (
        "Kalimantan Timur (2)", "Kalimantan Selatan (1)", "Kutai Kartanegara (2)",
        "Kota Banjarmasin (1)",
    )  # fmt: skip
    shown = await boss.send("Kaltim")  # a province's short form
    assert shown[0].text == EN(
        "broadcast.preview", count=2, audience="participants from Kalimantan Timur"
    )
    assert shown[1].text == "📢 Bimtek SMD24\n\nToday's group photo, for the report."
    assert shown[1].document == ("photo.jpg", JPEG)
    shown = await boss.send("tomorrow 07.00")
    assert texts(shown) == (
        "Send this announcement on Thursday, 14 November 2024 07.00 WITA to 2 people "
        "(participants from Kalimantan Timur)?"
    )
    shown = await boss.press("✅ Yes, send it")
    assert shown[0].text == (
        "📢 The announcement is scheduled for 2 people on Thursday, 14 November 2024 07.00 WITA."
    )
    assert "Scheduled for Thursday, 14 November 2024 07.00 WITA" in shown[1].text
    tomorrow = datetime(2024, 11, 13, 23, 0, tzinfo=UTC)
    (stored,) = await broadcasts(sessions)
    assert (stored.status, stored.send_at) == (BroadcastStatus.SCHEDULED, tomorrow)
    assert stored.file_id is not None
    async with sessions() as session:
        found = await session.execute(
            select(OutboxMessage).where(col(OutboxMessage.kind) == "broadcast")
        )
        rows = found.scalars().all()
    assert {(r.due_at, r.file_id) for r in rows} == {(tomorrow, stored.file_id)}
    assert set(await sent_to(sessions)) == {people["a1"], people["a2"]}

    shown = await boss.press("⛔ Stop sending")
    assert shown[0].text == EN("broadcast.confirm_cancel", number=stored.id, waiting=2)
    shown = await boss.press("Yes, stop it")
    assert shown[0].text == f"Announcement #{stored.id} stopped: 2 messages will not be sent."
    assert "Sent 0 · Waiting 0 · Failed 0 · Blocked the bot 0 · Cancelled 2" in shown[1].text
    assert "⛔ Stop sending" not in shown[1].buttons
    assert {status for status, _ in (await sent_to(sessions)).values()} == {"cancelled"}
    shown = await boss.press("Yes, stop it")  # pressed again
    assert shown[0].text == f"Announcement #{stored.id} was stopped before."


@pytest.mark.parametrize("locale", ["id", "en"])
async def test_bad_input_is_answered_and_changes_nothing(
    sessions: SessionMaker, event: Event, organisers: dict[str, EngineDriver], locale: str
) -> None:
    await enrol(sessions, event, class_name="A")
    boss, t = organisers[locale], Translator(locale)
    ask_text = t("broadcast.ask_text", event="Bimtek SMD24", limit=room_for_text("Bimtek SMD24"))
    await boss.send("/umumkan")
    # Nothing to say.
    shown = await boss.send(" \u200b ")
    assert [s.text for s in shown] == [t("broadcast.error.empty"), ask_text]
    # More than one message holds.
    shown = await boss.send("x" * 4081)
    assert shown[0].text == t("broadcast.error.too_long", length=4081, limit=4079)
    assert shown[1].text == ask_text
    # A file the channel could not fetch.
    shown = await boss.send_file("poster.pdf", b"", size=9_000_000)
    assert shown[0].text == t("broadcast.file_unreadable", limit=5)
    assert await broadcasts(sessions) == []

    await boss.send(ROOM_CHANGE)
    # An audience of nobody: said, and the same question again.
    shown = await boss.press(t("class.option", name="B"))
    nobody = t("broadcast.nobody", audience=t("broadcast.audience.class", name="B"))
    assert shown[0].text == nobody
    assert t("broadcast.ask_audience") in shown[1].text
    (draft,) = await broadcasts(sessions)
    assert draft.audience == {"kind": "everyone"}

    await boss.press(t("class.option", name="A"))
    # Times that are gone, or no time at all.
    now_text = t("broadcast.time.past", now=now_in(locale)).split("(")[0]
    shown = await boss.send("08.00")
    assert shown[0].text.startswith(now_text)
    assert shown[1].text == t("broadcast.ask_when", zone="WITA")
    await boss.press(t("broadcast.send_later"))
    shown = await boss.send("2024-11-12 10.00")
    assert shown[0].text == t("broadcast.time.past", now=now_in(locale))
    shown = await boss.send("nanti sore")
    assert shown[0].text == t("broadcast.time.unreadable")
    shown = await boss.send("besok 07.00 WIB")
    assert shown[0].text == t("broadcast.time.zone", zone="WITA")
    (draft,) = await broadcasts(sessions)
    assert (draft.status, draft.send_at) == (BroadcastStatus.DRAFT, None)
    assert await sent_to(sessions) == {}

    # Left with /batal: nothing sent, the draft gone.
    shown = await boss.send(f"/{'batal' if locale == 'id' else 'cancel'}")
    assert shown[0].text == t("broadcast.cancelled")
    assert await broadcasts(sessions) == []


def now_in(locale: str) -> str:
    day = {"id": "Rabu", "en": "Wednesday"}[locale]
    return f"{day}, 13 November 2024 09.00 WITA"


async def test_a_confirm_button_of_a_changed_draft_sends_nothing(
    sessions: SessionMaker, event: Event, organisers: dict[str, EngineDriver]
) -> None:
    await enrol(sessions, event, class_name="A")
    boss = organisers["id"]
    await boss.send("/umumkan")
    await boss.send(ROOM_CHANGE)
    await boss.press("Semua peserta & tim")
    await boss.press("Kirim sekarang")
    async with sessions.begin() as session:  # changed meanwhile (by another chat, say)
        await session.execute(update(Broadcast).values(text="Sesi dibatalkan."))
    shown = await boss.press("✅ Ya, kirim")
    assert shown[0].text == ID("broadcast.changed")
    assert shown[1].text.startswith("Kirim pengumuman ini sekarang ke 3 orang")
    assert await sent_to(sessions) == {}
    shown = await boss.press("✅ Ya, kirim")  # the button shown with the change
    assert shown[0].text == "📢 Pengumuman sedang dikirim ke 3 orang."
    assert {text for _, text in (await sent_to(sessions)).values()} == {
        "📢 Bimtek SMD24\n\nSesi dibatalkan."
    }


async def test_a_new_text_after_the_preview_goes_back_to_the_preview(
    sessions: SessionMaker, event: Event, organisers: dict[str, EngineDriver]
) -> None:
    await enrol(sessions, event, class_name="A")
    boss = organisers["id"]
    await boss.send("/umumkan")
    await boss.send(ROOM_CHANGE)
    await boss.press("Kelas A")
    await boss.press("Ubah teks")
    shown = await boss.send("Sesi Advokasi pindah ke Ruang Kutai.")
    assert shown[1].text == "📢 Bimtek SMD24\n\nSesi Advokasi pindah ke Ruang Kutai."
    assert last(shown).text == ID("broadcast.ask_when", zone="WITA")
    await boss.press("Kirim sekarang")
    shown = await boss.press("Jangan kirim")
    assert shown[0].text == ID("broadcast.discarded")
    assert await broadcasts(sessions) == []


async def test_people_still_registering_can_be_reminded(
    sessions: SessionMaker, database_url: str, event: Event, organisers: dict[str, EngineDriver]
) -> None:
    await enrol(sessions, event, class_name="A")
    joining = EngineDriver(database_url, "baru", lambda: NOW)
    await joining.send("/start SMD24")  # stops at the language question
    await joining.close()
    boss = organisers["id"]
    await boss.send("/umumkan")
    shown = await boss.send("Pendaftaran ditutup besok; selesaikan hari ini ya.")
    assert "• yang belum selesai mendaftar: 1 orang" in last(shown).text
    await boss.press("Belum selesai daftar")
    await boss.press("Kirim sekarang")
    await boss.press("✅ Ya, kirim")
    assert set(await sent_to(sessions)) == {"baru"}


async def test_photos_elsewhere_are_still_not_read(
    sessions: SessionMaker, database_url: str, event: Event, organisers: dict[str, EngineDriver]
) -> None:
    participant = EngineDriver(database_url, "peserta-foto", lambda: NOW)
    shown = await participant.send_photo(JPEG, caption="Budi Santoso")
    assert shown[0].text == ID("invalid.unsupported")
    await participant.close()
    boss = organisers["id"]
    await boss.send("/umumkan")
    await boss.send(ROOM_CHANGE)
    shown = await boss.send_photo(JPEG)  # the audience is asked now, not a picture
    assert shown[0].text == ID("invalid.unsupported")
    assert ID("broadcast.ask_audience") in shown[1].text
    (draft,) = await broadcasts(sessions)
    assert draft.file_id is None


async def test_a_document_sent_while_writing_is_the_announcement_not_an_agenda(
    sessions: SessionMaker, event: Event, organisers: dict[str, EngineDriver]
) -> None:
    await enrol(sessions, event, class_name="A")
    agenda = b"Tanggal,Mulai,Selesai,Materi\n13/11/2024,08.00,09.00,Pembukaan\n"
    boss = organisers["id"]
    await boss.send("/umumkan")
    shown = await boss.send_file("jadwal.csv", agenda, caption="Jadwal terbaru terlampir.")
    assert ID("broadcast.ask_audience") in last(shown).text
    shown = await boss.press("Kelas A")
    assert shown[1] == Shown(
        "📢 Bimtek SMD24\n\nJadwal terbaru terlampir.", document=("jadwal.csv", agenda)
    )
    async with sessions() as session:
        assert (await agenda_of(session, event.id)) == []  # not imported


async def test_a_role_revoked_midway_ends_the_announcement(
    sessions: SessionMaker, event: Event, organisers: dict[str, EngineDriver]
) -> None:
    await enrol(sessions, event, class_name="A")
    boss = organisers["id"]
    await boss.send("/umumkan")
    await boss.send(ROOM_CHANGE)
    async with sessions.begin() as session:
        await session.execute(
            update(Role)
            .where(col(Role.person_id) == await person_id_of(sessions, boss.user_key))
            .values(revoked_at=NOW)
        )
    shown = await boss.press("Semua peserta & tim")
    assert shown[0].text == ID("staff.organizer_only", event="Bimtek SMD24")
    assert await broadcasts(sessions) == []
    assert await sent_to(sessions) == {}


async def test_an_organiser_of_several_events_picks_one(
    sessions: SessionMaker, event: Event, organisers: dict[str, EngineDriver]
) -> None:
    other = await make_event(sessions, "BPN24")
    await enrol(sessions, other)
    boss = organisers["id"]
    async with sessions.begin() as session:
        code = await create_invite(
            session, id_of(other), RoleName.ORGANIZER, created_by="cli", now=NOW
        )
    await boss.send(f"/start {code}")  # now looking at BPN24
    shown = await boss.send("/umumkan")
    assert texts(shown) == ID("broadcast.ask_event")
    assert shown[0].buttons == ("BPN24 · Bimtek BPN24", "SMD24 · Bimtek SMD24")
    shown = await boss.press("SMD24 · Bimtek SMD24")
    assert texts(shown).startswith("Tulis pengumuman untuk Bimtek SMD24")
    async with sessions() as session:
        count = await session.execute(select(func.count()).select_from(Broadcast))
        assert count.scalar() == 0


@pytest.mark.parametrize("t", [ID, EN], ids=["id", "en"])
def test_the_buttons_fit_whatsapp_and_telegram(t: Translator) -> None:
    keys = ["audience_all", "audience_region", "audience_unregistered", "send_now"]
    keys += ["send_later", "edit_text", "edit_audience", "yes_send", "change", "discard"]
    keys += ["refresh", "cancel", "list", "yes_cancel", "keep"]
    labels = [t(f"broadcast.{key}") for key in keys] + [t("menu.broadcast")]
    assert all(len(label) <= 20 for label in labels), [x for x in labels if len(x) > 20]
