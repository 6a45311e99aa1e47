"""A trainer's quick feedback on Telegram itself (the real aiogram client against the fake
Bot API): /umpanbalik after their session prompts its participants at once; each
answers from the prompt's button, in their own language; the trainer's one results
message updates in place; /hasil shows the figures and a bar chart, and no names."""

import io
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from PIL import Image
from sqlalchemy import update
from sqlmodel import col, select

from bot.db import SessionMaker
from handlers.types import InboundKind
from models import ChannelIdentity, Event, OutboxMessage, Person, Role, RoleName
from models.outbox import Status
from models.surveys.definition import SurveyDefinition
from models.surveys.store import save_survey
from tests.drivers import EngineDriver, Shown, TelegramDriver
from tests.factories import id_of, someone
from tests.fakes.telegram_api import FakeTelegramServer
from tests.test_broadcast_telegram import participant

# 15.05 WITA on the first day: Rachmawati's advocacy session (13.00-15.00) is over, her
# practice session (15.30) has not begun.
START = datetime(2024, 11, 13, 7, 5, tzinfo=UTC)

FEEDBACK: dict[str, Any] = {
    "id": "session-feedback",
    "purpose": "session_feedback",
    "title": {"id": "Umpan balik sesi", "en": "Session feedback"},
    "questions": [
        {
            "id": "useful",
            "type": "scale",
            "scale": 5,
            "text": {"id": "Seberapa bermanfaat sesi ini?", "en": "How useful was it?"},
        },
        {
            "id": "comment",
            "type": "text",
            "required": False,
            "text": {"id": "Komentar?", "en": "Any comment?"},
        },
    ],
}


def moving_clock() -> Any:
    """The event's afternoon, running at the pace of the test (updates are due a moment
    after the answer that caused them)."""
    began = time.monotonic()
    return lambda: START + timedelta(seconds=time.monotonic() - began)


def pressed(shown: list[Shown], label: str) -> bool:
    return any(label in s.buttons for s in shown)


async def test_quick_feedback_live_results_and_the_chart(
    database_url: str,
    sessions: SessionMaker,
    demo_event: Event,
    telegram_server: FakeTelegramServer,
) -> None:
    async with sessions.begin() as session:
        await save_survey(session, SurveyDefinition.model_validate(FEEDBACK))
    trainer = await TelegramDriver(telegram_server, database_url, clock=moving_clock()).start()
    siti, john = trainer.another_person(), trainer.another_person("en")
    try:
        trainer_id = await someone(sessions, trainer.user_key, "telegram")
        async with sessions.begin() as session:
            session.add(
                Role(
                    event_id=id_of(demo_event), person_id=trainer_id, role=RoleName.TRAINER,
                    speaker="Rachmawati", granted_at=START,
                )
            )  # fmt: skip
        await participant(sessions, demo_event, siti)
        await participant(sessions, demo_event, john)
        async with sessions.begin() as session:
            found = await session.execute(
                select(Person)
                .join(ChannelIdentity)
                .where(col(ChannelIdentity.user_key) == john.user_key)
            )
            found.scalars().one().locale = "en"

        shown = await trainer.send("/umpanbalik")
        assert shown[0].text.startswith("⚡ Umpan balik untuk “Advokasi untuk Keberlanjutan”")
        assert "dikirim ke 2 peserta" in shown[0].text
        await trainer.until_sent()
        live = trainer.server.chat(trainer.user_id)[-1]
        assert live.startswith("📊 Umpan balik sesi — Advokasi untuk Keberlanjutan")
        assert "Menjawab: 0 dari 2 (0%)" in live

        for person in (siti, john):
            await person.until_sent()
        prompt = siti.shown_since(0)[-1]
        assert "Advokasi untuk Keberlanjutan" in prompt.text
        assert prompt.buttons == ("Isi sekarang",)
        assert john.shown_since(0)[-1].buttons == ("Answer now",)

        first = await siti.press("Isi sekarang")
        assert "1/2" in first[-1].text
        await siti.press("5")
        done = await siti.press("Lewati")
        assert "Terima kasih" in done[-1].text
        await john.press("Answer now")
        await john.press("3")
        thanks = await john.send("More practice, please")
        assert "Thank you" in thanks[-1].text

        # One message, edited in place as the answers came.
        deadline = time.monotonic() + 10
        while "Menjawab: 2 dari 2" not in trainer.server.chat(trainer.user_id)[-1]:
            assert time.monotonic() < deadline, trainer.server.chat(trainer.user_id)[-1]
            await trainer.until_sent()
        live = trainer.server.chat(trainer.user_id)[-1]
        assert "Menjawab: 2 dari 2 (100%)" in live
        assert "Seberapa bermanfaat sesi ini? (n=2) · rata-rata 4,0 dari 5" in live
        assert "  5 ▇▇▇▇▇▇▇▇▇▇ 1" in live
        assert "  1  0" in live
        assert "“More practice, please”" in live
        assert trainer.server.edits(trainer.user_id)
        assert "Siti Rahayu" not in live

        listed = await trainer.send("/hasil")
        assert "Advokasi untuk Keberlanjutan: 2 jawaban" in listed[-1].text
        assert "📥 Unduh semua (XLSX)" not in listed[-1].buttons  # organisers only
        shown = await trainer.press("Advokasi untuk Keberlanjutan")
        assert "rata-rata 4,0 dari 5" in shown[0].text
        [photo] = [c for c in trainer.server.outbox(trainer.user_id) if c.method == "sendPhoto"]
        assert photo.params["caption"] == "Seberapa bermanfaat sesi ini?"
        chart = Image.open(io.BytesIO(shown[1].document[1] if shown[1].document else b""))
        assert chart.format == "PNG"
        assert all("Siti Rahayu" not in s.text for s in shown)
    finally:
        await trainer.close()


class WhatsAppTrainer(EngineDriver):
    """A trainer on WhatsApp as the core sees them (the channel is tested apart)."""

    channel = "whatsapp"


class TelegramParticipant(EngineDriver):
    channel = "telegram"


async def test_on_whatsapp_live_results_gather_answers_for_a_minute(
    database_url: str, sessions: SessionMaker, demo_event: Event
) -> None:
    """WhatsApp cannot change a message: each update arrives as a new one, so there the
    results wait a minute for more answers rather than a moment."""
    clock = moving_clock()
    async with sessions.begin() as session:
        await save_survey(session, SurveyDefinition.model_validate(FEEDBACK))
    trainer = WhatsAppTrainer(database_url, user_key="6281200005001", clock=clock)
    siti = TelegramParticipant(database_url, user_key="700555", clock=clock)
    try:
        trainer_id = await someone(sessions, trainer.user_key, "whatsapp")
        async with sessions.begin() as session:
            session.add(
                Role(
                    event_id=id_of(demo_event), person_id=trainer_id, role=RoleName.TRAINER,
                    speaker="Rachmawati", granted_at=START,
                )
            )  # fmt: skip
        await participant(sessions, demo_event, siti)  # type: ignore[arg-type]
        await trainer.send("/umpanbalik")
        async with sessions.begin() as session:
            # The results message went out (no dispatcher runs here): what follows updates it.
            await session.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.kind) == "live_results")
                .values(status=Status.SENT, external_ids="wamid.HBgNLIVE")
            )
        async with sessions() as session:
            prompt = (
                await session.execute(
                    select(OutboxMessage).where(col(OutboxMessage.kind) == "survey")
                )
            ).scalar_one()
        [[payload, label, *_]] = prompt.body["choices"]
        assert label == "Isi sekarang"
        await siti._deliver(kind=InboundKind.CHOICE, choice=payload)
        await siti.press("5")
        answered = clock()
        await siti.press("Lewati")
        async with sessions() as session:
            updates = (
                (
                    await session.execute(
                        select(OutboxMessage).where(col(OutboxMessage.kind) == "live_update")
                    )
                )
                .scalars()
                .all()
            )
        assert [u.channel for u in updates] == ["whatsapp"]
        assert updates[0].due_at >= answered + timedelta(seconds=59)
    finally:
        await trainer.close()
        await siti.close()
