"""Survey rounds opened on the event's clock and the prompts they send: the demo event
(WITA, 13–16 November 2024) with its agenda and classes A/B, small surveys stored here,
the job run at chosen instants. Expected moments and texts are written out by hand
(WITA is UTC+8, WIB UTC+7, WIT UTC+9)."""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from bot.db import SessionMaker
from handlers.survey_prompts import OpenRound, prompts, schedule
from models import ChannelIdentity, Event, OutboxMessage, Person
from models.agenda import AgendaItem, agenda
from models.notifications import Recipient, event_counts
from models.survey_prompts import PlanAnswer
from models.surveys.definition import Localized, SurveyDefinition
from models.surveys.store import latest_survey as stored_survey
from models.surveys.store import (
    open_round,
    rounds_of_event,
    save_answer,
    save_survey,
    start_response,
    submit,
)
from scheduler.survey_rounds import plan_survey_prompts
from tests.factories import add_session, enrol, id_of, make_event, person_id_of

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
EVENT_NAME = "Bimtek SPP-TIK Kabupaten Kutai Kartanegara"
FOOTER_ID = f"{EVENT_NAME} · matikan pesan seperti ini: /pengingat"
FOOTER_EN = f"{EVENT_NAME} · to turn messages like this off: /reminders"


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def nov(day: int, hour: int, minute: int = 0) -> datetime:
    return utc(2024, 11, day, hour, minute)


def scale(ident: str, text: str, **more: Any) -> dict[str, Any]:
    return {"id": ident, "type": "scale", "scale": 5, "text": text, **more}


def text_question(ident: str, text: dict[str, str]) -> dict[str, Any]:
    return {"id": ident, "type": "text", "text": text}


TEST_QUESTION = {
    "id": "q1",
    "type": "single",
    "text": "Apa kepanjangan TPBIS?",
    "options": [
        {"value": "a", "text": "Transformasi Perpustakaan Berbasis Inklusi Sosial"},
        {"value": "b", "text": "Tata Perpustakaan Berbasis Informasi Sekolah"},
    ],
    "answer": "a",
}
SURVEYS: dict[str, dict[str, Any]] = {
    "session-feedback": {
        "purpose": "session_feedback",
        "title": {"id": "Umpan balik sesi", "en": "Session feedback"},
        "questions": [
            scale("manfaat", "Seberapa bermanfaat sesi ini?"),
            scale("narasumber", "Bagaimana narasumber menyampaikan materi?", per_speaker=True),
            {**text_question("saran", {"id": "Saran"}), "required": False},
        ],
    },
    "evaluation": {
        "purpose": "evaluation",
        "title": {"id": "Evaluasi kegiatan", "en": "Event evaluation"},
        "questions": [
            scale("puas", "Kepuasan"),
            scale("narasumber", "Penguasaan materi oleh narasumber", per_speaker=True),
        ],
    },
    "action-plan": {
        "purpose": "action_plan",
        "title": {"id": "Rencana tindak lanjut", "en": "Action plan"},
        "questions": [
            text_question("kegiatan", {"id": "Kegiatan utama", "en": "Main activity"}),
            scale("yakin", "Seberapa yakin Anda?"),
            text_question("waktu", {"id": "Kapan", "en": "When"}),
        ],
    },
    "pre-test": {
        "purpose": "pre_test",
        "title": {"id": "Pre-test", "en": "Pre-test"},
        "questions": [TEST_QUESTION, scale("siap", "Seberapa siap Anda?")],
    },
    "post-test": {
        "purpose": "post_test",
        "title": {"id": "Post-test"},
        "questions": [TEST_QUESTION],
    },
    "rtl-followup": {
        "purpose": "rtl_followup",
        "title": {"id": "Tindak lanjut RTL", "en": "Action plan follow-up"},
        "questions": [scale("jalan", "Sejauh mana rencana berjalan?")],
    },
}


async def store_surveys(sessions: SessionMaker, *keys: str) -> None:
    async with sessions.begin() as session:
        for key in keys or SURVEYS:
            await save_survey(session, SurveyDefinition.model_validate({"id": key, **SURVEYS[key]}))


@dataclass(frozen=True)
class Prompt:
    user_key: str
    text: str
    payload: str
    label: str
    due_at: datetime
    expires_at: datetime | None


async def prompts_sent(sessions: SessionMaker) -> list[Prompt]:
    async with sessions() as session:
        found = await session.execute(
            select(OutboxMessage, ChannelIdentity.user_key)
            .join(ChannelIdentity, col(ChannelIdentity.id) == col(OutboxMessage.identity_id))
            .where(col(OutboxMessage.kind) == "survey")
            .order_by(col(OutboxMessage.id))
        )
        rows = found.all()
    found_prompts = []
    for row, user_key in rows:
        [[payload, label, _, _]] = row.body["choices"]
        found_prompts.append(
            Prompt(user_key, row.body["text"], payload, label, row.due_at, row.expires_at)
        )
    return found_prompts


async def round_ids(sessions: SessionMaker, event: Event) -> dict[str, int]:
    async with sessions() as session:
        return {r.slot: r.id for r in await rounds_of_event(session, id_of(event)) if r.id}


async def session_ids(sessions: SessionMaker, event: Event) -> dict[tuple[str, str | None], int]:
    async with sessions() as session:
        whole = await agenda(session, event)
    return {(i.title, i.class_name): i.id for i in whole.items}


async def mute(sessions: SessionMaker, user_key: str) -> None:
    person_id = await person_id_of(sessions, user_key)
    async with sessions.begin() as session:
        await session.execute(
            update(Person).where(col(Person.id) == person_id).values(reminders_muted_at=nov(1, 0))
        )


async def answer(
    sessions: SessionMaker, round_id: int, user_key: str, answers: dict[str, Any]
) -> None:
    person_id = await person_id_of(sessions, user_key)
    async with sessions.begin() as session:
        response = await start_response(session, round_id, person_id, nov(16, 4))
        for question, value in answers.items():
            await save_answer(session, response, question, "", value, nov(16, 4))
        submit(response, nov(16, 4))


@dataclass(frozen=True)
class People:
    ana: str  # class A, Indonesian
    ben: str  # class B, English
    cici: str  # no class chosen
    dedi: str  # class A, reminders muted


async def people_of(sessions: SessionMaker, event: Event) -> People:
    people = People(
        await enrol(sessions, event, class_name="A"),
        await enrol(sessions, event, class_name="B", locale="en"),
        await enrol(sessions, event),
        await enrol(sessions, event, class_name="A"),
    )
    await mute(sessions, people.dedi)
    return people


def to(found: list[Prompt], payload: str) -> set[str]:
    return {p.user_key for p in found if p.payload == payload}


# --- when rounds open -------------------------------------------------------------------


@SQLITE
async def test_the_demo_agenda_opens_its_rounds_on_wita_time(
    sessions: SessionMaker, demo_event: Event
) -> None:
    async with sessions() as session:
        whole = await agenda(session, demo_event)
    openings = {o.slot: o for o in schedule(demo_event, whole.items)}
    ids = {(i.title, i.class_name): i.id for i in whole.items}

    # 18 sessions that teach: not the breaks (coffee, ISHOMA, "ISHOMA dan shalat Jumat")
    # nor registration, the opening, the evaluation session and the closing.
    feedback = [o for o in openings.values() if o.survey_key == "session-feedback"]
    assert len(feedback) == 18
    for title in ("Rehat kopi", "Registrasi peserta dan pembagian kelas", "Pembukaan",
                  "Evaluasi kegiatan: post-test dan kuesioner kepuasan",
                  "Penutupan dan penyerahan sertifikat"):  # fmt: skip
        assert f"session:{ids[title, None]}" not in openings
    # The last session (the plans presented) ends at 10.00 WITA on Saturday 16th; every
    # session's feedback closes with Tuesday 19th, 00.00 WITA on the 20th.
    last = openings[f"session:{ids['Presentasi RTL peserta', None]}"]
    assert (last.opens_at, last.closes_at) == (nov(16, 2), nov(19, 16))
    practice_b = openings[f"session:{ids['Praktik: memetakan kebutuhan masyarakat desa', 'B']}"]
    assert practice_b.opens_at == nov(13, 9)  # 17.00 WITA
    assert practice_b.speakers == ("Rachmawati",)
    # The first session, 09.45-12.00 on the 13th: the day before at 09.45 until 12.30.
    pre = openings["pre-test"]
    assert (pre.opens_at, pre.closes_at) == (nov(12, 1, 45), nov(13, 4, 30))
    # The last session begins 08.00 WITA on the 16th: evaluation until the 23rd, action
    # plan until the 30th (both to midnight WITA).
    evaluation = openings["evaluation"]
    assert (evaluation.opens_at, evaluation.closes_at) == (nov(16, 0), nov(23, 16))
    assert evaluation.speakers == (
        "Taufik, S.Sos, M.Si",
        "Rachmawati",
        "Putri Wardhani",
        "Tim Pelatih Ahli",
    )
    plan = openings["action-plan"]
    assert (plan.opens_at, plan.closes_at) == (nov(16, 0), nov(30, 16))
    post = openings["post-test"]
    assert (post.opens_at, post.closes_at) == (nov(16, 2), nov(23, 2))
    # 09.00 WITA, 30/60/90 days after 16 November; open 14 days.
    assert openings["rtl:30"].opens_at == utc(2024, 12, 16, 1)
    assert openings["rtl:60"].opens_at == utc(2025, 1, 15, 1)
    assert openings["rtl:90"].opens_at == utc(2025, 2, 14, 1)
    assert openings["rtl:90"].closes_at == utc(2025, 2, 28, 1)
    assert len(openings) == 18 + 7


async def test_the_pre_test_and_sessions_prompt_each_person_once_in_their_language(
    sessions: SessionMaker, demo_event: Event
) -> None:
    await store_surveys(sessions)
    people = await people_of(sessions, demo_event)

    assert await plan_survey_prompts(sessions, nov(12, 1, 44)) == 0  # 09.44 WITA on the 12th
    assert await round_ids(sessions, demo_event) == {}

    # 09.45 WITA on the 12th, a day before the first session: the pre-test.
    assert await plan_survey_prompts(sessions, nov(12, 1, 45)) == 3
    rounds = await round_ids(sessions, demo_event)
    assert set(rounds) == {"pre-test"}
    payload = f"survei|r{rounds['pre-test']}"
    ana, ben, cici = await prompts_sent(sessions)
    assert (ana.user_key, ben.user_key, cici.user_key) == (people.ana, people.ben, people.cici)
    assert ana.text == (
        "📝 Pre-test\n"
        "2 pertanyaan singkat, bisa diisi sampai Rabu, 13 November 2024 12.30 WITA.\n"
        f"{FOOTER_ID}"
    )
    assert (ana.payload, ana.label) == (payload, "Isi sekarang")
    assert ben.text == (
        "📝 Pre-test\n"
        "2 short questions, open until Wednesday, 13 November 2024 12.30 WITA.\n"
        f"{FOOTER_EN}"
    )
    assert (ben.payload, ben.label) == (payload, "Answer now")
    assert cici.text == ana.text
    assert (ana.due_at, ana.expires_at) == (nov(12, 1, 45), nov(13, 4, 30))

    # Run again, at once and later: nothing new.
    assert await plan_survey_prompts(sessions, nov(12, 1, 45)) == 0
    assert await plan_survey_prompts(sessions, nov(12, 10)) == 0

    # 12.00 WITA on the 13th: the first session ended (registration and the opening
    # before it teach nothing: no feedback on them).
    assert await plan_survey_prompts(sessions, nov(13, 4)) == 3
    rounds = await round_ids(sessions, demo_event)
    ids = await session_ids(sessions, demo_event)
    opening = rounds[f"session:{ids['Strategi Transformasi Perpustakaan', None]}"]
    found = await prompts_sent(sessions)
    assert to(found, f"survei|r{opening}") == {people.ana, people.ben, people.cici}
    [english] = [p for p in found if p.payload == f"survei|r{opening}" and p.user_key == people.ben]
    # One speaker: 1 + 1 per speaker + 1 optional = 3; open until the 19th, 23.59 WITA.
    assert english.text == (
        "📝 Session feedback\n"
        "About the session “Strategi Transformasi Perpustakaan”, at 09.45 WITA.\n"
        "3 short questions, open until Tuesday, 19 November 2024 23.59 WITA.\n"
        f"{FOOTER_EN}"
    )
    [indonesian] = [
        p for p in found if p.payload == f"survei|r{opening}" and p.user_key == people.ana
    ]
    assert indonesian.text == (
        "📝 Umpan balik sesi\n"
        "Tentang sesi “Strategi Transformasi Perpustakaan”, pukul 09.45 WITA.\n"
        "3 pertanyaan singkat, bisa diisi sampai Selasa, 19 November 2024 23.59 WITA.\n"
        f"{FOOTER_ID}"
    )
    # Sent no later than six hours after the session: 18.00 WITA.
    assert (indonesian.due_at, indonesian.expires_at) == (nov(13, 4), nov(13, 10))

    # The muted participant got nothing at all; every prompt is linked to the event.
    assert people.dedi not in {p.user_key for p in found}
    async with sessions() as session:
        assert await event_counts(session, id_of(demo_event)) == {"survey": {"pending": 6}}


@SQLITE
async def test_a_class_sessions_feedback_goes_to_that_class_only(
    sessions: SessionMaker, demo_event: Event
) -> None:
    await store_surveys(sessions, "session-feedback")
    people = await people_of(sessions, demo_event)
    # 17.00 WITA on the 13th: both classes' practice ends (and, within six hours, the
    # strategy and advocacy sessions).
    await plan_survey_prompts(sessions, nov(13, 9))
    ids = await session_ids(sessions, demo_event)
    rounds = await round_ids(sessions, demo_event)
    practice = "Praktik: memetakan kebutuhan masyarakat desa"
    class_a = rounds[f"session:{ids[practice, 'A']}"]
    class_b = rounds[f"session:{ids[practice, 'B']}"]
    found = await prompts_sent(sessions)
    assert to(found, f"survei|r{class_a}") == {people.ana}
    assert to(found, f"survei|r{class_b}") == {people.ben}
    advocacy = rounds[f"session:{ids['Advokasi untuk Keberlanjutan', None]}"]
    assert to(found, f"survei|r{advocacy}") == {people.ana, people.ben, people.cici}
    assert f"session:{ids['Registrasi peserta dan pembagian kelas', None]}" not in rounds
    assert len([p for p in found if p.user_key == people.ana]) == 3  # 12.00, 15.00, 17.00
    assert len([p for p in found if p.user_key == people.cici]) == 2  # plenary ones only
    # Nothing but session feedback is stored: no other round opened.
    assert all(slot.startswith("session:") for slot in rounds)


async def test_whoever_submitted_is_not_prompted(sessions: SessionMaker, demo_event: Event) -> None:
    await store_surveys(sessions, "evaluation")
    people = await people_of(sessions, demo_event)
    # The evaluation was opened by hand before its time, and Ana answered it already.
    async with sessions.begin() as session:
        survey = await stored_survey(session, "evaluation")
        assert survey is not None
        round_, _ = await open_round(
            session,
            survey=survey,
            event_id=id_of(demo_event),
            slot="evaluation",
            opens_at=nov(15, 23),
            closes_at=nov(23, 16),
        )
    assert round_.id is not None
    await answer(sessions, round_.id, people.ana, {"puas": 4})

    assert await plan_survey_prompts(sessions, nov(15, 23, 59)) == 0  # 07.59 WITA
    # 08.00 WITA, the last session begins: the round kept is prompted for, Ana left out.
    assert await plan_survey_prompts(sessions, nov(16, 0)) == 2
    assert await round_ids(sessions, demo_event) == {"evaluation": round_.id}
    found = await prompts_sent(sessions)
    assert to(found, f"survei|r{round_.id}") == {people.ben, people.cici}
    # Opened by hand without speakers: the per-speaker question is asked once.
    assert found[0].text.startswith("📝 Event evaluation\n2 short questions, open until")
    assert await plan_survey_prompts(sessions, nov(16, 0, 1)) == 0
    # Someone who joins while it is open is prompted at the next run.
    late = await enrol(sessions, demo_event, locale="en")
    assert await plan_survey_prompts(sessions, nov(20, 3)) == 1
    assert to(await prompts_sent(sessions), f"survei|r{round_.id}") == {
        people.ben,
        people.cici,
        late,
    }
    # Once the round closes (midnight WITA after the 23rd), nobody more.
    await enrol(sessions, demo_event)
    assert await plan_survey_prompts(sessions, nov(23, 16)) == 0


@SQLITE
async def test_wib_and_wit_events_open_at_their_own_local_times(sessions: SessionMaker) -> None:
    day = date(2024, 11, 14)
    jakarta = await make_event(sessions, "JKT24", timezone="Asia/Jakarta")
    jayapura = await make_event(sessions, "JYP24", timezone="Asia/Jayapura")
    for event in (jakarta, jayapura):
        await add_session(sessions, event, day, "10.00", "11.00", "Tata kelola koleksi")
    west, east = await enrol(sessions, jakarta), await enrol(sessions, jayapura)
    # Only session feedback is stored: the pre-test, evaluation, action plan, post-test
    # and follow-ups of these one-session events have no survey and do not open.
    await store_surveys(sessions, "session-feedback")

    # 01.59 UTC: 08.59 WIB, 10.59 WIT.
    assert await plan_survey_prompts(sessions, nov(14, 1, 59)) == 0
    # 02.00 UTC: 11.00 WIT, the Jayapura session is over; 09.00 WIB, Jakarta's is not.
    assert await plan_survey_prompts(sessions, nov(14, 2)) == 1
    [wit] = await prompts_sent(sessions)
    assert wit.user_key == east
    assert "Tentang sesi “Tata kelola koleksi”, pukul 10.00 WIT." in wit.text
    assert "bisa diisi sampai Selasa, 19 November 2024 23.59 WIT." in wit.text
    assert await round_ids(sessions, jakarta) == {}
    assert await plan_survey_prompts(sessions, nov(14, 3, 59)) == 0  # 10.59 WIB
    # 04.00 UTC: 11.00 WIB.
    assert await plan_survey_prompts(sessions, nov(14, 4)) == 1
    wib = (await prompts_sent(sessions))[-1]
    assert wib.user_key == west
    assert "pukul 10.00 WIB." in wib.text
    assert "sampai Selasa, 19 November 2024 23.59 WIB." in wib.text
    assert wib.expires_at == nov(14, 10)  # six hours after the session
    for event in (jakarta, jayapura):
        assert list(await round_ids(sessions, event)) == [
            f"session:{id_of(await first_session(sessions, event))}"
        ]
    # The day of the event's follow-ups (09.00 WIB, 30 days on): still nothing stored.
    assert await plan_survey_prompts(sessions, utc(2024, 12, 16, 2)) == 0


async def first_session(sessions: SessionMaker, event: Event) -> Any:
    async with sessions() as session:
        return (await agenda(session, event)).items[0]


@SQLITE
async def test_an_action_plan_follow_up_quotes_the_plan_to_those_who_wrote_one(
    sessions: SessionMaker, demo_event: Event
) -> None:
    await store_surveys(sessions, "evaluation", "action-plan", "rtl-followup")
    people = await people_of(sessions, demo_event)
    # 08.00 WITA on the 16th, the last session begins: the evaluation and the action plan.
    assert await plan_survey_prompts(sessions, nov(16, 0)) == 6
    opened = await round_ids(sessions, demo_event)
    plan_round = opened["action-plan"]
    evaluation = [p for p in await prompts_sent(sessions) if p.user_key == people.ana]
    # Four speakers teach, one question each, and one about the event.
    assert [p.text for p in evaluation] == [
        "📝 Evaluasi kegiatan\n"
        "5 pertanyaan singkat, bisa diisi sampai Sabtu, 23 November 2024 23.59 WITA.\n"
        f"{FOOTER_ID}",
        "📝 Rencana tindak lanjut\n"
        "3 pertanyaan singkat, bisa diisi sampai Sabtu, 30 November 2024 23.59 WITA.\n"
        f"{FOOTER_ID}",
    ]
    await answer(
        sessions,
        plan_round,
        people.ana,
        {"kegiatan": "Membuat pojok baca anak di balai desa", "yakin": 4, "waktu": "Januari"},
    )
    await answer(sessions, plan_round, people.ben, {"kegiatan": "Storytelling for kids"})
    await answer(sessions, plan_round, people.dedi, {"kegiatan": "Pelatihan kader"})  # muted
    # Cici started one and never submitted it.
    async with sessions.begin() as session:
        await start_response(
            session, plan_round, await person_id_of(sessions, people.cici), nov(16, 4)
        )

    # 08.59 WITA on 16 December, 30 days on: not yet.
    assert await plan_survey_prompts(sessions, utc(2024, 12, 16, 0, 59)) == 0
    assert await plan_survey_prompts(sessions, utc(2024, 12, 16, 1)) == 2
    rounds = await round_ids(sessions, demo_event)
    assert set(rounds) == {"evaluation", "action-plan", "rtl:30"}
    follow_up = f"survei|r{rounds['rtl:30']}"
    ana, ben = [p for p in await prompts_sent(sessions) if p.payload == follow_up]
    assert (ana.user_key, ben.user_key) == (people.ana, people.ben)
    assert ana.text == (
        "📝 Tindak lanjut RTL\n"
        f"Sudah 30 hari sejak {EVENT_NAME} selesai.\n"
        "Rencana tindak lanjut (RTL) yang Anda tulis:\n"
        "▪️ Kegiatan utama: “Membuat pojok baca anak di balai desa”\n"
        "▪️ Kapan: “Januari”\n"
        "Bagaimana pelaksanaannya sejauh ini?\n"
        "1 pertanyaan singkat, bisa diisi sampai Senin, 30 Desember 2024 09.00 WITA.\n"
        f"{FOOTER_ID}"
    )
    assert ben.text == (
        "📝 Action plan follow-up\n"
        f"It has been 30 days since {EVENT_NAME} ended.\n"
        "The action plan (RTL) you wrote:\n"
        "▪️ Main activity: “Storytelling for kids”\n"
        "How is it going so far?\n"
        "1 short question, open until Monday, 30 December 2024 09.00 WITA.\n"
        f"{FOOTER_EN}"
    )
    assert (ana.label, ben.label) == ("Isi sekarang", "Answer now")
    assert await plan_survey_prompts(sessions, utc(2024, 12, 20, 1)) == 0
    # 60 days on, the same two again, in a round of its own.
    assert await plan_survey_prompts(sessions, utc(2025, 1, 15, 1)) == 2
    assert to(
        await prompts_sent(sessions), f"survei|r{(await round_ids(sessions, demo_event))['rtl:60']}"
    ) == {people.ana, people.ben}


def test_a_long_plan_is_quoted_short_enough_for_one_whatsapp_message() -> None:
    event = Event(
        id=1,
        code="KUKAR2024",
        name=EVENT_NAME,
        timezone="Asia/Makassar",
        starts_on=date(2024, 11, 13),
        ends_on=date(2024, 11, 16),
    )
    definition = SurveyDefinition.model_validate({"id": "rtl-followup", **SURVEYS["rtl-followup"]})
    [opening] = [o for o in schedule(event, [last_session()]) if o.slot == "rtl:30"]
    round_ = OpenRound(9, opening, opening.opens_at, opening.closes_at, definition, ())
    question = Localized(id="Kegiatan utama")
    plan = [PlanAnswer(question, "pojok baca " * 80), PlanAnswer(question, "tidak muat")]
    [prompt] = prompts(event, round_, [SOMEONE], opening.opens_at, plans={7: plan})
    text = prompt.body["text"]
    assert len(text) <= 1024
    assert "▪️ Kegiatan utama: “pojok baca pojok baca" in text
    assert "…”" in text
    assert "tidak muat" not in text
    assert prompt.body["choices"] == [["survei|r9", "Isi sekarang", "", None]]
    assert prompt.key == "survey:9:p7"
    # Someone without a plan gets no follow-up at all.
    assert prompts(event, round_, [SOMEONE], opening.opens_at, plans={}) == []


SOMEONE = Recipient(person_id=7, identity_id=3, channel="console", locale="id", class_name="A")


def last_session() -> AgendaItem:
    return AgendaItem(
        id=5,
        event_id=1,
        day=date(2024, 11, 16),
        starts_at=nov(16, 3, 15),
        ends_at=nov(16, 4),
        title="Presentasi RTL peserta",
        speakers="",
        room="Ballroom",
        class_name=None,
        description="",
        updated_at=nov(1, 0),
    )
