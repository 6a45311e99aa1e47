"""Answering a survey in the chat: one question at a time with its progress, follow-ups
that come and go with the answer they follow, back one question, stop and resume after a
restart, submit once and change while open; and every bad answer refused with nothing
stored changed."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.db import SessionMaker
from handlers.types import InboundKind
from models import SurveyAnswer, SurveyResponse
from models.surveys.definition import SurveyDefinition
from models.surveys.store import open_round, save_survey
from tests.drivers import EngineDriver, Shown
from tests.factories import add_session, enrol, make_event
from tests.survey_questions import TITLE, TOPICS, USEFUL

NOW = datetime(2024, 11, 14, 3, 0, tzinfo=UTC)  # 11.00 WITA on the second day

DEFINITION: dict[str, Any] = {
    "id": "uji-sesi",
    "purpose": "session_feedback",
    "title": TITLE,
    "questions": [
        USEFUL,
        {
            "id": "why",
            "type": "text",
            "max_length": 20,
            "text": {"id": "Mengapa?", "en": "Why?"},
            "show_if": {"question": "useful", "in": [1, 2]},
        },
        {
            "id": "clarity",
            "type": "scale",
            "scale": 5,
            "per_speaker": True,
            "text": {"id": "Kejelasan penyampaian?", "en": "Clarity?"},
        },
        TOPICS,
        {
            "id": "hours",
            "type": "number",
            "min": 0,
            "max": 40,
            "text": {"id": "Berapa jam belajar mandiri?", "en": "Hours of self-study?"},
        },
        {
            "id": "again",
            "type": "yes_no",
            "required": False,
            "text": {"id": "Ikut lagi?", "en": "Come again?"},
        },
    ],
}


@pytest.fixture
async def setting(sessions: SessionMaker) -> dict[str, Any]:
    event = await make_event(sessions, "SURV", classes=("A", "B"))
    item = await add_session(
        sessions,
        event,
        NOW.date(),
        "08.00",
        "10.00",
        "Advokasi",
        speakers="Rachmawati; Taufik",
        class_name="A",
    )
    async with sessions.begin() as session:
        survey, _ = await save_survey(session, SurveyDefinition.model_validate(DEFINITION))
        assert event.id is not None
        assert item.id is not None
        round_, _ = await open_round(
            session,
            survey=survey,
            event_id=event.id,
            slot=f"session:{item.id}",
            session_id=item.id,
            speakers=["Rachmawati", "Taufik"],
            opens_at=NOW - timedelta(hours=1),
            closes_at=NOW + timedelta(days=1),
        )
    return {"event": event, "round": round_}


@pytest.fixture
async def person(
    database_url: str, sessions: SessionMaker, setting: dict[str, Any]
) -> AsyncIterator[EngineDriver]:
    key = await enrol(sessions, setting["event"], channel="engine", class_name="A")
    driver = EngineDriver(database_url, key, clock=lambda: NOW)
    yield driver
    await driver.close()


async def stored(sessions: SessionMaker) -> dict[tuple[str, str], Any]:
    async with sessions() as session:
        found = await session.execute(select(SurveyAnswer))
        return {(a.question_id, a.subject): a.value for a in found.scalars()}


async def responses(sessions: SessionMaker) -> list[SurveyResponse]:
    async with sessions() as session:
        return list((await session.execute(select(SurveyResponse))).scalars())


def last(shown: list[Shown]) -> Shown:
    return shown[-1]


async def test_the_whole_survey_with_follow_ups_back_and_resume(
    person: EngineDriver, sessions: SessionMaker
) -> None:
    listed = await person.send("/survei")
    assert "Umpan balik sesi: belum diisi" in listed[-1].text
    first = last(await person.press("Umpan balik sesi"))
    assert first.text.startswith("📝 Umpan balik sesi · 1/6")
    assert "Sesi: Advokasi" in first.text
    assert first.buttons[:4] == ("1 Tidak", "2 Kurang", "3 Cukup", "4 Sangat")
    assert "⬅️ Kembali" not in first.buttons  # nothing to go back to

    # A rating of 1 brings the follow-up: one more question in all.
    why = last(await person.press("1 Tidak"))
    assert "2/7" in why.text
    assert "Mengapa?" in why.text
    too_long = await person.send("x" * 21)
    assert "20" in too_long[-1].text  # the limit, in the complaint
    assert ("why", "") not in await stored(sessions)
    await person.send("Terlalu cepat")
    assert (await stored(sessions))[("why", "")] == "Terlalu cepat"

    # Back to the rating, changed to 4: the follow-up and its answer go.
    await person.press("⬅️ Kembali")
    back = last(await person.press("⬅️ Kembali"))
    assert "1/7" in back.text
    assert "Jawaban Anda sekarang: 1 Tidak" in back.text
    speaker = last(await person.press("4 Sangat"))
    assert "2/6" in speaker.text
    assert "Narasumber: Rachmawati" in speaker.text
    answers = await stored(sessions)
    assert answers[("useful", "")] == 4
    assert ("why", "") not in answers

    # A button of an earlier question changes nothing.
    stale = await person.press("1 Tidak", newest=False)
    assert "Narasumber: Rachmawati" in stale[-1].text
    assert (await stored(sessions))[("useful", "")] == 4

    await person.press("5")
    await person.press("3")  # Taufik
    assert (await stored(sessions))[("clarity", "Rachmawati")] == 5
    assert (await stored(sessions))[("clarity", "Taufik")] == 3

    # Stop, restart the bot, come back: at the first question not answered.
    paused = await person.press("⏸ Lanjut nanti")
    assert "/survei" in paused[-1].text
    await person.restart()
    assert "belum selesai" in (await person.send("/survei"))[-1].text
    resumed = await person.press("Umpan balik sesi")
    assert "Selamat datang kembali" in resumed[0].text
    assert "4/6" in resumed[-1].text
    assert "Topik yang berguna?" in resumed[-1].text

    refused = await person.send("1, 7")
    assert "Ketik nomor pilihan" in refused[0].text
    assert "4/6" in refused[-1].text  # the question again, where it was
    assert ("topics", "") not in await stored(sessions)
    await person.send("1, 3")
    assert (await stored(sessions))[("topics", "")] == ["sim", "koleksi"]

    over = await person.send("41")
    assert "0" in over[-1].text
    assert "40" in over[-1].text
    assert ("hours", "") not in await stored(sessions)
    await person.send("12,5")
    skipped = await person.press("Lewati")
    assert "Terima kasih" in skipped[-1].text
    assert (await stored(sessions))[("hours", "")] == 12.5
    assert ("again", "") not in await stored(sessions)
    (response,) = await responses(sessions)
    assert response.submitted_at == NOW

    # Submitted: listed as such; answering again changes, and keeps the first time.
    assert "sudah dikirim" in (await person.send("/survei"))[-1].text
    again = await person.press("Umpan balik sesi")
    assert "sudah mengirim" in again[0].text
    await person.press("3 Cukup")
    await person.press("⏸ Lanjut nanti")
    assert (await stored(sessions))[("useful", "")] == 3
    (response,) = await responses(sessions)
    assert response.submitted_at == NOW


async def test_english_and_a_closed_survey(
    database_url: str, sessions: SessionMaker, setting: dict[str, Any]
) -> None:
    key = await enrol(sessions, setting["event"], channel="engine", locale="en", class_name="A")
    clock = {"now": NOW}
    person = EngineDriver(database_url, key, clock=lambda: clock["now"])
    try:
        assert "Session feedback: not answered yet" in (await person.send("/surveys"))[-1].text
        first = last(await person.press("Session feedback"))
        assert first.text.startswith("📝 Session feedback · 1/6")
        assert "Session: Advokasi" in first.text
        assert "4 Very" in first.buttons
        typed = last(await person.send("very"))  # typed words pick a labelled point
        assert "Speaker: Rachmawati" in typed.text
        clock["now"] = NOW + timedelta(days=2)
        late = await person.press("5")
        assert "closed on" in late[-1].text
        assert ("clarity", "Rachmawati") not in await stored(sessions)
        assert "No survey is waiting" in (await person.send("/surveys"))[-1].text
    finally:
        await person.close()


async def test_a_survey_of_another_event_or_class_is_refused(
    database_url: str, sessions: SessionMaker, setting: dict[str, Any]
) -> None:
    other = await make_event(sessions, "LAIN")
    outsider = EngineDriver(database_url, await enrol(sessions, other, channel="engine"))
    class_b = EngineDriver(
        database_url,
        await enrol(sessions, setting["event"], channel="engine", class_name="B"),
        clock=lambda: NOW,
    )
    round_id = setting["round"].id
    try:
        for driver in (outsider, class_b):
            # A forged button naming the round: its session is class A's, and the
            # outsider is not in the event at all.
            shown = await driver._deliver(kind=InboundKind.CHOICE, choice=f"survei|r{round_id}")
            assert "bukan untuk Anda" in shown[-1].text
        assert await responses(sessions) == []
    finally:
        await outsider.close()
        await class_b.close()
