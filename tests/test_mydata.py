"""``/dataku`` (``/mydata``): a person gets everything stored about them as text and as a
JSON file, over the real channels; nobody else's data ever appears in it.

The values expected are written here, as the rows were stored, not read back through
the export's own code."""

import json
import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.db import SessionMaker
from handlers.features import mydata
from handlers.features.mydata import FILE_BUDGET
from handlers.i18n import Translator
from models import (
    AgendaSession,
    Attendance,
    AttendanceMark,
    Certificate,
    ChannelIdentity,
    Consent,
    Conversation,
    Enrollment,
    Event,
    OutboxMessage,
    Person,
    Role,
    RosterEntry,
    SurveyAnswer,
    SurveyResponse,
)
from models.privacy.export import personal_data
from models.surveys.definition import SurveyDefinition
from models.surveys.store import latest_survey, open_round, save_survey
from tests.drivers import ConsoleDriver, EngineDriver, Shown, TelegramDriver, texts
from tests.factories import add_session, enrol, make_event
from tests.survey_questions import TITLE, TOPICS, USEFUL
from tests.test_registration import agree_in_indonesian, last
from tests.whatsapp_driver import WhatsAppDriver

ID = Translator("id")
EN = Translator("en")

SURVEY: dict[str, Any] = {
    "id": "uji-dataku",
    "purpose": "session_feedback",
    "title": TITLE,
    "questions": [
        USEFUL,
        TOPICS,
        {"id": "saran", "type": "text", "text": {"id": "Saran Anda?", "en": "Suggestions?"}},
        {"id": "again", "type": "yes_no", "text": {"id": "Ikut lagi?", "en": "Come again?"}},
    ],
}

FREE_TEXT = 'Materi "SLiMS" bagus sekali 👍 — terima kasih!'
PROFILE = {
    "full_name": "Dewi Ayu Lestari Ñoño",
    "phone_e164": "+6281255501234",
    "library_name": "Perpustakaan Desa Sukamaju",
    "library_type": "desa",
    "regency": "Kutai Kartanegara",
    "province": "Kalimantan Timur",
    "library_role": "Pustakawan",
}
QUEUED_TEXT = "Pengingat: Evaluasi pukul 14.00 WITA"
MARK_REASON = "Lupa mengirim kode — hadir di ruangan"
# What belongs to the two other people: none of it may appear in the first one's data.
OTHERS = (
    "Bambang Suryadi Pratama",
    "+6281377700999",
    "TBM Cahaya Ilmu",
    "Rahasia orang lain 🙈",
    "Datang dari puskesmas",
    "002/BIMTEK-KUKAR2024/2024",
    "Q9P4TK7M2X",
    "Pesan untuk orang lain",
    "Sri Wahyuningsih",
    "+6285211100777",
    "001/BIMTEK-BLTK25/2024",
    "ZZ9P4TK7M2",
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def setting(sessions: SessionMaker, demo_event: Event) -> dict[str, Any]:
    """The demo event's two sessions and a survey round of the first; a second event."""
    day = date(2024, 11, 14)
    first = await add_session(
        sessions, demo_event, day, "08.30", "10.00", "Strategi Transformasi Perpustakaan"
    )
    second = await add_session(
        sessions, demo_event, day, "10.15", "12.00", "Advokasi untuk Keberlanjutan"
    )
    other_event = await make_event(sessions, "BLTK25")
    async with sessions.begin() as session:
        survey, _ = await save_survey(session, SurveyDefinition.model_validate(SURVEY))
        assert demo_event.id is not None
        assert first.id is not None
        round_, _ = await open_round(
            session,
            survey=survey,
            event_id=demo_event.id,
            slot=f"session:{first.id}",
            session_id=first.id,
            opens_at=at("2024-11-14T02:00:00"),
        )
    return {"first": first, "second": second, "other_event": other_event, "round": round_}


def identity(person_id: int, channel: str, key: str, created: str) -> ChannelIdentity:
    return ChannelIdentity(
        person_id=person_id, channel=channel, user_key=key, address=key, created_at=at(created)
    )


def certificate(
    event: Event,
    person_id: int,
    number: str,
    code: str,
    holder: str,
    *,
    jp: int,
    seq: int = 1,
    class_name: str | None = None,
) -> Certificate:
    """A certificate of ``event`` issued automatically on its last afternoon."""
    assert event.id is not None
    return Certificate(
        event_id=event.id,
        person_id=person_id,
        seq=seq,
        number=number,
        code=code,
        holder_name=holder,
        class_name=class_name,
        jp=jp,
        event_name=event.name,
        starts_on=event.starts_on,
        ends_on=event.ends_on,
        issued_at=at("2024-11-16T08:00:00"),
        issued_by="auto",
    )


def held_reminder(identity_id: int, whose: str, text: str, *, priority: int = 0) -> OutboxMessage:
    """A reminder waiting in the outbox (held) for ``identity_id`` on WhatsApp."""
    return OutboxMessage(
        key=f"test:queued:{whose}",
        identity_id=identity_id,
        channel="whatsapp",
        kind="reminder",
        priority=priority,
        body={"text": text},
        status="held",
        due_at=at("2024-11-16T05:45:00"),
    )


async def rich_person(
    sessions: SessionMaker,
    demo_event: Event,
    where: dict[str, Any],
    *,
    channel: str,
    user_key: str,
    locale: str,
) -> int:
    """Registered in the demo event, trainer in another, present at two sessions (one
    marked by hand), a survey answered, a certificate, a message waiting on WhatsApp,
    on the organisers' roster; linked on ``channel`` and WhatsApp."""
    first: AgendaSession = where["first"]
    second: AgendaSession = where["second"]
    assert demo_event.id
    assert first.id
    assert second.id
    assert where["other_event"].id
    event_id = demo_event.id
    async with sessions.begin() as session:
        person = Person(
            locale=locale,
            full_name=PROFILE["full_name"],
            phone_e164=PROFILE["phone_e164"],
            library_name=PROFILE["library_name"],
            library_type=PROFILE["library_type"],
            regency=PROFILE["regency"],
            province=PROFILE["province"],
            library_role=PROFILE["library_role"],
            registered_at=at("2024-11-01T02:10:00"),
            viewing_event_id=event_id,
            reminders_muted_at=at("2024-11-15T00:00:00"),
            notify_channel="whatsapp",
        )
        session.add(person)
        await session.flush()
        pid = person.id
        assert pid is not None
        own = identity(pid, channel, user_key, "2024-10-01T00:00:00")
        whatsapp = identity(pid, "whatsapp", "6281255501234", "2024-10-02T00:00:00")
        session.add_all([own, whatsapp])
        await session.flush()
        assert own.id is not None
        assert whatsapp.id is not None
        session.add(Conversation(identity_id=own.id))
        session.add_all(
            [
                Consent(
                    person_id=pid,
                    channel="whatsapp",
                    text_version="2024-01",
                    locale="id",
                    text_sha256="a" * 64,
                    agreed_at=at("2024-05-01T01:00:00"),
                    withdrawn_at=at("2024-06-01T01:00:00"),
                ),
                Consent(
                    person_id=pid,
                    channel=channel,
                    event_id=event_id,
                    text_version="2024-10",
                    locale=locale,
                    text_sha256="b" * 64,
                    agreed_at=at("2024-11-01T02:00:00"),
                ),
                Enrollment(
                    person_id=pid,
                    event_id=event_id,
                    class_name="A",
                    enrolled_at=at("2024-11-01T02:10:00"),
                ),
                Role(
                    event_id=where["other_event"].id,
                    person_id=pid,
                    role="trainer",
                    speaker="Dewi Ayu",
                    granted_at=at("2024-10-20T01:00:00"),
                ),
                Attendance(
                    event_id=event_id,
                    session_id=first.id,
                    person_id=pid,
                    checked_in_at=at("2024-11-14T00:47:00"),
                    late=True,
                    source="code",
                    channel="telegram",
                ),
                Attendance(
                    event_id=event_id,
                    session_id=second.id,
                    person_id=pid,
                    checked_in_at=at("2024-11-14T03:00:00"),
                    source="manual",
                    channel="telegram",
                ),
                AttendanceMark(
                    event_id=event_id,
                    session_id=second.id,
                    person_id=pid,
                    action="mark",
                    reason=MARK_REASON,
                    via="telegram",
                    at=at("2024-11-14T03:00:00"),
                ),
                certificate(
                    demo_event,
                    pid,
                    "001/BIMTEK-KUKAR2024/2024",
                    "K7M2QX9P4T",
                    "Dewi Ayu Lestari Ñoño",
                    jp=32,
                    class_name="A",
                ),
                held_reminder(whatsapp.id, "dewi", QUEUED_TEXT, priority=1),
                RosterEntry(
                    event_id=event_id,
                    line=7,
                    full_name="Dewi Ayu Lestari",
                    phone_e164="+6281255501234",
                    library_name="Perpustakaan Desa Sukamaju",
                    library_type="desa",
                    regency="Kutai Kartanegara",
                    class_name="A",
                    person_id=pid,
                    imported_at=at("2024-10-30T03:00:00"),
                ),
            ]
        )
        response = SurveyResponse(
            round_id=where["round"].id,
            person_id=pid,
            started_at=at("2024-11-14T02:05:00"),
            updated_at=at("2024-11-14T02:09:00"),
            submitted_at=at("2024-11-14T02:09:00"),
        )
        session.add(response)
        await session.flush()
        assert response.id is not None
        for question, value, minute in (
            ("useful", 4, 6),
            ("topics", ["sim", "koleksi"], 7),
            ("saran", FREE_TEXT, 8),
            ("again", True, 9),
        ):
            session.add(
                SurveyAnswer(
                    response_id=response.id,
                    question_id=question,
                    value=value,
                    answered_at=at(f"2024-11-14T02:0{minute}:00"),
                )
            )
    return pid


async def other_people(sessions: SessionMaker, demo_event: Event, where: dict[str, Any]) -> None:
    """Someone else in the same event, at the same sessions and survey round, and a third
    person in the other event."""
    first: AgendaSession = where["first"]
    second: AgendaSession = where["second"]
    other_event: Event = where["other_event"]
    assert demo_event.id
    assert first.id
    assert second.id
    assert other_event.id
    async with sessions.begin() as session:
        bambang = Person(
            locale="id",
            full_name="Bambang Suryadi Pratama",
            phone_e164="+6281377700999",
            library_name="TBM Cahaya Ilmu",
            library_type="tbm",
            regency="Samarinda",
            province="Kalimantan Timur",
            library_role="Relawan",
            registered_at=at("2024-11-02T02:10:00"),
        )
        sri = Person(
            locale="en",
            full_name="Sri Wahyuningsih",
            phone_e164="+6285211100777",
            registered_at=at("2024-11-03T02:10:00"),
        )
        session.add_all([bambang, sri])
        await session.flush()
        b, s = bambang.id, sri.id
        assert b is not None
        assert s is not None
        wa = identity(b, "whatsapp", "6281377700999", "2024-10-05T00:00:00")
        session.add_all([wa, identity(s, "telegram", "990001", "2024-10-06T00:00:00")])
        await session.flush()
        assert wa.id is not None
        session.add_all(
            [
                Consent(
                    person_id=b,
                    channel="whatsapp",
                    text_version="2024-10",
                    locale="id",
                    text_sha256="c" * 64,
                    agreed_at=at("2024-11-02T02:00:00"),
                ),
                Enrollment(person_id=b, event_id=demo_event.id, class_name="B"),
                Enrollment(person_id=s, event_id=other_event.id),
                Role(event_id=demo_event.id, person_id=b, role="organizer"),
                Attendance(
                    event_id=demo_event.id,
                    session_id=first.id,
                    person_id=b,
                    checked_in_at=at("2024-11-14T00:31:00"),
                    channel="whatsapp",
                ),
                AttendanceMark(
                    event_id=demo_event.id,
                    session_id=second.id,
                    person_id=b,
                    action="unmark",
                    reason="Datang dari puskesmas",
                    via="whatsapp",
                    at=at("2024-11-14T03:30:00"),
                ),
                certificate(
                    demo_event,
                    b,
                    "002/BIMTEK-KUKAR2024/2024",
                    "Q9P4TK7M2X",
                    "Bambang Suryadi Pratama",
                    jp=32,
                    seq=2,
                ),
                certificate(
                    other_event,
                    s,
                    "001/BIMTEK-BLTK25/2024",
                    "ZZ9P4TK7M2",
                    "Sri Wahyuningsih",
                    jp=24,
                ),
                held_reminder(wa.id, "bambang", "Pesan untuk orang lain"),
                RosterEntry(
                    event_id=demo_event.id,
                    line=8,
                    full_name="Bambang Suryadi Pratama",
                    phone_e164="+6281377700999",
                    library_name="TBM Cahaya Ilmu",
                    person_id=b,
                ),
                RosterEntry(
                    event_id=other_event.id,
                    line=2,
                    full_name="Sri Wahyuningsih",
                    phone_e164="+6285211100777",
                    person_id=s,
                ),
            ]
        )
        response = SurveyResponse(round_id=where["round"].id, person_id=b)
        session.add(response)
        await session.flush()
        assert response.id is not None
        session.add(
            SurveyAnswer(
                response_id=response.id, question_id="saran", value="Rahasia orang lain 🙈"
            )
        )


def expected(locale: str, channel: str, demo_event: Event) -> dict[str, Any]:
    """The file, field by field, as the rows above were written (the channels' last
    message times depend on the run and are checked apart)."""
    en = locale == "en"
    demo = {"code": "KUKAR2024", "name": demo_event.name, "timezone": "Asia/Makassar"}
    other = {"code": "BLTK25", "name": "Bimtek BLTK25", "timezone": "Asia/Makassar"}
    return {
        "schema_version": 1,
        "language": locale,
        "profile": {
            **PROFILE,
            "registered_at": "2024-11-01T02:10:00Z",
        },
        "consents": [
            {
                "event": None,
                "text_version": "2024-01",
                "locale": "id",
                "channel": "whatsapp",
                "agreed_at": "2024-05-01T01:00:00Z",
                "withdrawn_at": "2024-06-01T01:00:00Z",
            },
            {
                "event": demo,
                "text_version": "2024-10",
                "locale": locale,
                "channel": channel,
                "agreed_at": "2024-11-01T02:00:00Z",
                "withdrawn_at": None,
            },
        ],
        "events": [
            {
                "event": demo,
                "starts_on": "2024-11-13",
                "ends_on": "2024-11-16",
                "class_name": "A",
                "enrolled_at": "2024-11-01T02:10:00Z",
            }
        ],
        "roles": [
            {
                "event": other,
                "role": "trainer",
                "speaker": "Dewi Ayu",
                "granted_at": "2024-10-20T01:00:00Z",
                "revoked_at": None,
            }
        ],
        "attendance": [
            {
                "event": demo,
                "session": "Strategi Transformasi Perpustakaan",
                "session_starts_at": "2024-11-14T00:30:00Z",
                "checked_in_at": "2024-11-14T00:47:00Z",
                "late": True,
                "source": "code",
                "channel": "telegram",
                "checked_out_at": None,
                "unmarked_at": None,
                "manual_marks": [],
            },
            {
                "event": demo,
                "session": "Advokasi untuk Keberlanjutan",
                "session_starts_at": "2024-11-14T02:15:00Z",
                "checked_in_at": "2024-11-14T03:00:00Z",
                "late": False,
                "source": "manual",
                "channel": "telegram",
                "checked_out_at": None,
                "unmarked_at": None,
                "manual_marks": [
                    {
                        "action": "mark",
                        "reason": MARK_REASON,
                        "via": "telegram",
                        "at": "2024-11-14T03:00:00Z",
                    }
                ],
            },
        ],
        "surveys": [
            {
                "event": demo,
                "survey": "uji-dataku",
                "survey_version": 1,
                "title": "Session feedback" if en else "Umpan balik sesi",
                "session": "Strategi Transformasi Perpustakaan",
                "started_at": "2024-11-14T02:05:00Z",
                "submitted_at": "2024-11-14T02:09:00Z",
                "answers": [
                    {
                        "question_id": "useful",
                        "question": "How useful?" if en else "Seberapa bermanfaat?",
                        "subject": "",
                        "answer": 4,
                        "answer_labels": ["Very" if en else "Sangat"],
                        "answered_at": "2024-11-14T02:06:00Z",
                    },
                    {
                        "question_id": "topics",
                        "question": "Useful topics?" if en else "Topik yang berguna?",
                        "subject": "",
                        "answer": ["sim", "koleksi"],
                        "answer_labels": ["MIS", "Collections"] if en else ["SIM", "Koleksi"],
                        "answered_at": "2024-11-14T02:07:00Z",
                    },
                    {
                        "question_id": "saran",
                        "question": "Suggestions?" if en else "Saran Anda?",
                        "subject": "",
                        "answer": FREE_TEXT,
                        "answer_labels": [],
                        "answered_at": "2024-11-14T02:08:00Z",
                    },
                    {
                        "question_id": "again",
                        "question": "Come again?" if en else "Ikut lagi?",
                        "subject": "",
                        "answer": True,
                        "answer_labels": [],
                        "answered_at": "2024-11-14T02:09:00Z",
                    },
                ],
            }
        ],
        "certificates": [
            {
                "event": demo,
                "number": "001/BIMTEK-KUKAR2024/2024",
                "code": "K7M2QX9P4T",
                "holder_name": "Dewi Ayu Lestari Ñoño",
                "class_name": "A",
                "jp": 32,
                "issued_at": "2024-11-16T08:00:00Z",
                "status": "valid",
                "revoked_at": None,
                "revoked_reason": None,
            }
        ],
        "outbox": [
            {
                "channel": "whatsapp",
                "kind": "reminder",
                "status": "held",
                "due_at": "2024-11-16T05:45:00Z",
                "text": QUEUED_TEXT,
                "file_name": None,
            }
        ],
        "reminders": {"muted_since": "2024-11-15T00:00:00Z", "notify_channel": "whatsapp"},
        "roster": [
            {
                "event": demo,
                "full_name": "Dewi Ayu Lestari",
                "phone_e164": "+6281255501234",
                "library_name": "Perpustakaan Desa Sukamaju",
                "library_type": "desa",
                "regency": "Kutai Kartanegara",
                "class_name": "A",
                "imported_at": "2024-10-30T03:00:00Z",
            }
        ],
    }


def check_file(shown: list[Shown], locale: str, channel: str, demo_event: Event) -> dict[str, Any]:
    files = [s.document for s in shown if s.document is not None]
    assert len(files) == 1, "one file"
    name, content = files[0]
    prefix = "my-data-" if locale == "en" else "data-saya-"
    assert re.fullmatch(rf"{prefix}\d{{4}}-\d{{2}}-\d{{2}}\.json", name), name
    data: dict[str, Any] = json.loads(content)
    want = expected(locale, channel, demo_event)
    # Internal ids stay out; the channel's user ids too.
    assert set(data) == {*want, "generated_at", "channels"}
    for part, value in want.items():
        if part == "profile":
            assert {k: v for k, v in data[part].items() if k in value} == value
            assert set(data[part]) == {*value, "first_seen_at", "updated_at"}
        elif part == "surveys":
            # The round's slot names the session by its id: the session's title says it.
            assert [s.pop("round").startswith("session:") for s in data[part]] == [True]
            assert data[part] == value
        else:
            assert data[part] == value, part
    channels = data["channels"]
    assert [(c["channel"], c["linked_at"], c["blocked_at"]) for c in channels] == [
        (channel, "2024-10-01T00:00:00Z", None),
        ("whatsapp", "2024-10-02T00:00:00Z", None),
    ]
    assert channels[0]["last_message_at"] is not None  # they wrote just now
    assert channels[1]["last_message_at"] is None
    raw = content.decode()
    for theirs in OTHERS:
        assert theirs not in raw, theirs
    return data


def check_text(shown: list[Shown], locale: str) -> str:
    text = texts(shown)
    en = locale == "en"
    t = EN if en else ID
    wanted = [
        "Dewi Ayu Lestari Ñoño",
        "+6281255501234",
        "Perpustakaan Desa Sukamaju",
        t("library_type.desa"),
        "Kutai Kartanegara",
        "Kalimantan Timur",
        "Pustakawan",
        "Telegram",
        "WhatsApp",
        "2024-01",
        "2024-10",
        "Bimtek SPP-TIK Kabupaten Kutai Kartanegara (KUKAR2024)",
        ("class A" if en else "kelas A"),
        f"{t('role.trainer')} {'in' if en else 'di'} Bimtek BLTK25",
        "Strategi Transformasi Perpustakaan",
        "08.47 WITA (late)" if en else "08.47 WITA (terlambat)",
        "Advokasi untuk Keberlanjutan",
        "11.00 WITA",
        MARK_REASON,
        "Session feedback" if en else "Umpan balik sesi",
        ("How useful?: Very" if en else "Seberapa bermanfaat?: Sangat"),
        ("Useful topics?: MIS, Collections" if en else "Topik yang berguna?: SIM, Koleksi"),
        f"{'Suggestions?' if en else 'Saran Anda?'}: {FREE_TEXT}",
        ("Come again?: Yes" if en else "Ikut lagi?: Ya"),
        "001/BIMTEK-KUKAR2024/2024",
        "K7M2QX9P4T",
        "32 JP",
        QUEUED_TEXT,
        "Dewi Ayu Lestari, +6281255501234",
    ]
    for part in wanted:
        assert part in text, part
    assert t("mydata.reminders_muted", since="")[:12] in text
    assert t("mydata.notify_channel", channel="WhatsApp") in text
    for theirs in OTHERS:
        assert theirs not in text, theirs
    return text


@pytest.mark.parametrize(("locale", "command"), [("id", "/dataku"), ("en", "/mydata")])
async def test_everything_stored_over_telegram(
    telegram_person: TelegramDriver,
    sessions: SessionMaker,
    demo_event: Event,
    locale: str,
    command: str,
) -> None:
    where = await setting(sessions, demo_event)
    await rich_person(
        sessions,
        demo_event,
        where,
        channel="telegram",
        user_key=telegram_person.user_key,
        locale=locale,
    )
    await other_people(sessions, demo_event, where)
    shown = await telegram_person.send(command)
    check_file(shown, locale, "telegram", demo_event)
    check_text(shown, locale)
    t = EN if locale == "en" else ID
    assert [s.text for s in shown if s.document] == [t("mydata.file_caption")]
    # Every message within Telegram's limit: nothing was cut by the channel.
    assert all(len(s.text.encode("utf-16-le")) // 2 <= 4096 for s in shown)
    assert shown[-1].text == t("menu.title")  # nothing under way: the menu


async def test_everything_stored_over_whatsapp(
    whatsapp_person: WhatsAppDriver, sessions: SessionMaker, demo_event: Event
) -> None:
    """WhatsApp takes documents of a few kinds only: the file goes as text, named .json."""
    where = await setting(sessions, demo_event)
    await rich_person(
        sessions,
        demo_event,
        where,
        channel="whatsapp",
        user_key=whatsapp_person.user_key,
        locale="id",
    )
    await other_people(sessions, demo_event, where)
    shown = await whatsapp_person.send("/dataku")
    check_file(shown, "id", "whatsapp", demo_event)
    check_text(shown, "id")


async def test_everything_stored_over_the_console(
    database_url: str, sessions: SessionMaker, demo_event: Event
) -> None:
    where = await setting(sessions, demo_event)
    await rich_person(
        sessions, demo_event, where, channel="console", user_key="console", locale="id"
    )
    await other_people(sessions, demo_event, where)
    console = ConsoleDriver(database_url)
    try:
        shown = await console.send("/dataku")
    finally:
        await console.close()
    check_file(shown, "id", "console", demo_event)
    check_text(shown, "id")


async def test_the_command_is_listed_for_whoever_has_data(driver: EngineDriver) -> None:
    shown = await driver.send("/bantuan")
    assert "/dataku" not in texts(shown)  # nothing stored yet
    await agree_in_indonesian(driver)
    shown = await driver.send("/bantuan")
    assert "/dataku — " + ID("command.mydata") in texts(shown)


async def test_trainer_without_registering_gets_their_role(
    database_url: str, sessions: SessionMaker, demo_event: Event
) -> None:
    """A trainer who took an invite and never registered: the role is what is stored."""
    assert demo_event.id is not None
    async with sessions.begin() as session:
        person = Person(locale="en")
        session.add(person)
        await session.flush()
        assert person.id is not None
        session.add(identity(person.id, "engine", "pelatih-1", "2024-10-01T00:00:00"))
        session.add(
            Role(
                event_id=demo_event.id,
                person_id=person.id,
                role="trainer",
                speaker="Rachmawati",
                granted_at=at("2024-11-10T01:00:00"),
            )
        )
    trainer = EngineDriver(database_url, "pelatih-1")
    try:
        shown = await trainer.send("/help")
        assert "/mydata — " + EN("command.mydata") in texts(shown)
        shown = await trainer.send("/mydata")
    finally:
        await trainer.close()
    assert "Trainer in Bimtek SPP-TIK Kabupaten Kutai Kartanegara" in texts(shown)
    files = [s.document for s in shown if s.document]
    data = json.loads(files[0][1])
    assert data["profile"] is None
    assert [(r["role"], r["speaker"], r["event"]["code"]) for r in data["roles"]] == [
        ("trainer", "Rachmawati", "KUKAR2024")
    ]


async def test_a_file_over_its_budget_is_not_sent(
    driver: EngineDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over the budget the text still comes, and says that the file does not."""
    await agree_in_indonesian(driver)
    monkeypatch.setattr(mydata, "FILE_BUDGET", 200)
    shown = await driver.send("/dataku")
    assert all(s.document is None for s in shown)
    assert ID("mydata.too_large") in texts(shown)
    assert ID("mydata.consents_title") in texts(shown)


async def test_nothing_stored_never_registered(driver: EngineDriver) -> None:
    for command in ("/dataku", "/mydata"):
        shown = await driver.send(command)
        assert shown[0].text == ID("mydata.nothing")
        assert all(s.document is None for s in shown)


async def test_nothing_stored_after_erasure(
    database_url: str, sessions: SessionMaker, demo_event: Event
) -> None:
    key = await enrol(sessions, demo_event, channel="engine")
    person = EngineDriver(database_url, key)
    try:
        shown = await person.send("/dataku")
        assert any(s.document for s in shown)
        await person.send("/hapus")
        await person.press(ID("erase.yes"))
        shown = await person.send("/dataku")
    finally:
        await person.close()
    assert shown[0].text == ID("mydata.nothing")
    assert all(s.document is None for s in shown)


async def test_mid_registration_answers_and_asks_again(driver: EngineDriver) -> None:
    # Before consenting: nothing stored, and the consent question comes back.
    first = await driver.send("/start")
    shown = await driver.send("/dataku")
    assert shown[0].text == ID("mydata.nothing")
    assert last(shown).text == last(first).text
    # Consented, name and phone given: the consent is stored, the profile is not yet.
    await agree_in_indonesian(driver)
    await driver.send("Budi Santoso")
    await driver.send("0812-3456-7890")
    shown = await driver.send("/dataku")
    assert last(shown).text == ID("ask.library_name")
    data = json.loads(next(s.document for s in shown if s.document)[1])
    assert data["profile"] is None
    assert [c["channel"] for c in data["consents"]] == ["engine"]
    assert data["consents"][0]["withdrawn_at"] is None
    shown = await driver.send("Perpustakaan Desa Maju")  # the registration goes on
    assert last(shown).text != ID("ask.library_name")


async def test_mid_survey_answers_and_asks_again(
    database_url: str, sessions: SessionMaker, demo_event: Event
) -> None:
    now = at("2024-11-14T02:30:00")
    where = await setting(sessions, demo_event)
    key = await enrol(sessions, demo_event, channel="engine", class_name="A")
    person = EngineDriver(database_url, key, clock=lambda: now)
    try:
        await person.send("/survei")
        question = last(await person.press("Umpan balik sesi"))
        assert "Seberapa bermanfaat?" in question.text
        await person.press("4 Sangat")
        shown = await person.send("/dataku")
        assert "Topik yang berguna?" in last(shown).text  # the survey's next question
        assert last(shown).buttons[:3] == ("SIM", "Advokasi", "Koleksi")
        data = json.loads(next(s.document for s in shown if s.document)[1])
        [taken] = data["surveys"]
        assert (taken["submitted_at"], taken["round"]) == (None, f"session:{where['first'].id}")
        assert [(a["question_id"], a["answer"]) for a in taken["answers"]] == [("useful", 4)]
        assert ID("mydata.draft") in texts(shown)
        await person.send("1")  # the survey goes on where it was
        shown = await person.press("✅ Selesai")
        assert "Saran Anda?" in last(shown).text
    finally:
        await person.close()


# Names and library details as people type them: accents, quotes, emoji, right-to-left.
# Control characters never reach a profile (the questions clean them off), and
# PostgreSQL refuses a NUL in text.
_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=100)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=_TEXT, library=_TEXT, role=_TEXT.filter(lambda text: len(text) <= 80))
@example(name='Ni Luh Putu "Ayu" Ñoño 🌺', library="TBM “Cahaya” ‘Ilmu’ \\ / 📚", role="Ketua")
@example(name="عبد الله bin Ahmad", library="Pustaka\u200dDesa\u202e", role="🧕🏽 Relawan")
async def test_profile_values_round_trip_exactly(
    sessions: SessionMaker, name: str, library: str, role: str
) -> None:
    async with sessions.begin() as session:
        person = Person(
            full_name=name,
            library_name=library,
            library_role=role,
            registered_at=at("2024-11-01T02:10:00"),
        )
        session.add(person)
        await session.flush()
        assert person.id is not None
        data = await personal_data(session, person.id)
        assert data is not None
        loaded = json.loads(data.to_json())
        await session.delete(person)
    assert loaded["profile"]["full_name"] == name
    assert loaded["profile"]["library_name"] == library
    assert loaded["profile"]["library_role"] == role


async def test_file_budget_is_far_above_a_full_record(
    sessions: SessionMaker, demo_event: Event
) -> None:
    """Forty rounds answered with the longest text a question takes still make a file
    far under the budget: the budget guards, nobody meets it."""
    where = await setting(sessions, demo_event)
    pid = await rich_person(
        sessions, demo_event, where, channel="engine", user_key="x", locale="id"
    )
    assert demo_event.id is not None
    async with sessions.begin() as session:
        survey = await latest_survey(session, "uji-dataku")
        assert survey is not None
        for n in range(40):
            survey_round, _ = await open_round(
                session,
                survey=survey,
                event_id=demo_event.id,
                slot=f"general:{n}",
                opens_at=at("2024-11-14T02:00:00"),
            )
            assert survey_round.id is not None
            response = SurveyResponse(round_id=survey_round.id, person_id=pid)
            session.add(response)
            await session.flush()
            assert response.id is not None
            session.add(
                SurveyAnswer(response_id=response.id, question_id="saran", value="é" * 4000)
            )
    async with sessions() as session:
        data = await personal_data(session, pid)
    assert data is not None
    assert len(data.surveys) == 41
    size = len(data.to_json())
    assert 40 * 8000 < size < FILE_BUDGET // 10  # "é" is two bytes in UTF-8
