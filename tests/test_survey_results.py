"""Survey results: every figure checked against numbers worked by hand here.

The stored event (``seed``): classes A (Andi, Budi, Fajar) and B (Citra, Dewi, Eka).
Rounds, in the order they open:
1. session feedback for "Strategi Transformasi Perpustakaan" (class A; speakers Taufik
   and Rachmawati): Andi and Budi submit, Fajar leaves a draft;
2. session feedback for "Advokasi untuk Keberlanjutan" (plenary; Putri Wardhani): Citra;
3. a pre-test: Andi 1/4, Budi 2/4, Citra 3/4, Dewi 4/4, Eka 1/4;
4. a post-test: Andi 4/4, Budi 3/4, Citra 2/4, Dewi 3/4 (Eka does not take it).
"""

import csv
import io
import shutil
import time
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from PIL import Image
from typer.testing import CliRunner

from bot.cli import app
from bot.db import SessionMaker, create_engine, session_maker
from models import Event, Person, RoleName
from models.attendance.store import Attendance
from models.offload import Failed
from models.spreadsheet.writing import safe_text
from models.surveys import charts
from models.surveys.definition import AnswerValue, SurveyDefinition
from models.surveys.exports import event_xlsx, round_csv, sheet_title
from models.surveys.report import EventReport, event_report, trainer_report
from models.surveys.results import (
    Band,
    Comment,
    Hake,
    Index,
    Respondent,
    Response,
    RoundInput,
    RoundResult,
    Tally,
    band_of,
    hake,
    n_gain,
    rate,
    round_half_up,
    round_results,
)
from models.surveys.store import (
    Survey,
    SurveyRound,
    open_round,
    save_answer,
    save_survey,
    start_response,
    submit,
)
from tests.factories import (
    add_session,
    enrol,
    give_role,
    id_of,
    make_event,
    on_database,
    person_id_of,
)

DAY = date(2024, 11, 14)
TAUFIK = "Taufik, S.Sos, M.Si"
SPEAKERS_S1 = f"{TAUFIK}; Rachmawati"
INJECTED = '=HYPERLINK("http://contoh.test","klik")'

# name, phone, regency, class
PEOPLE = {
    "andi": ("Andi Saputra", "+6281100000001", "Kutai Kartanegara", "A"),
    "budi": ("Budi Santoso", "+6281100000002", "Samarinda", "A"),
    "citra": ("Citra Lestari", "+6281100000003", "Kutai Kartanegara", "B"),
    "dewi": ("Dewi Anggraini", "+6281100000004", "Samarinda", "B"),
    "eka": ("Eka Pratiwi", "+6281100000005", "Kutai Kartanegara", "B"),
    "fajar": ("Fajar Nugroho", "+6281100000006", "Samarinda", "A"),
}

FEEDBACK = SurveyDefinition.model_validate(
    {
        "id": "umpan-sesi",
        "purpose": "session_feedback",
        "title": {"id": "Umpan balik sesi", "en": "Session feedback"},
        "questions": [
            {
                "id": "materi",
                "type": "scale",
                "scale": 4,
                "text": {"id": "Materi mudah dipahami", "en": "The content was clear"},
                "element": "Kualitas materi",
            },
            {
                "id": "narasumber",
                "type": "scale",
                "scale": 4,
                "per_speaker": True,
                "text": "Narasumber menguasai materi",
                "element": "Kompetensi pelaksana",
            },
            {"id": "berguna", "type": "yes_no", "text": "Berguna untuk pekerjaan?"},
            {
                "id": "topik",
                "type": "multiple",
                "text": "Bagian yang paling membantu",
                "options": [
                    {"value": "praktik", "text": "Praktik"},
                    {"value": "teori", "text": "Teori"},
                    {"value": "diskusi", "text": "Diskusi"},
                ],
            },
            {"id": "jam", "type": "number", "text": "Berapa jam cukup?", "min": 0, "max": 8},
            {"id": "saran", "type": "text", "text": "Saran", "required": False},
            {
                "id": "format",
                "type": "single",
                "text": "Format yang disukai",
                "options": [
                    {"value": "luring", "text": "Luring"},
                    {"value": "daring", "text": "Daring"},
                ],
            },
        ],
    }
)


def scored_test(key: str, purpose: str, title: str) -> SurveyDefinition:
    single = [{"value": v, "text": v.upper()} for v in ("a", "b", "c")]
    questions: list[dict[str, Any]] = [
        {"id": f"t{n}", "type": "single", "text": f"Soal {n}", "options": single, "answer": "a"}
        for n in (1, 2, 3)
    ]
    questions.append(
        {"id": "t4", "type": "multiple", "text": "Soal 4", "options": single, "answer": ["a", "b"]}
    )
    return SurveyDefinition.model_validate(
        {"id": key, "purpose": purpose, "title": title, "questions": questions}
    )


PRE = scored_test("pre-tes", "pre_test", "Pre-test SPP-TIK")
POST = scored_test("post-tes", "post_test", "Post-test SPP-TIK")
RIGHT: dict[str, AnswerValue] = {"t1": "a", "t2": "a", "t3": "a", "t4": ["a", "b"]}
WRONG: dict[str, AnswerValue] = {"t1": "b", "t2": "c", "t3": "b", "t4": ["a"]}
# Which questions each person has right.
PRE_RIGHT = {
    "andi": {"t1"},
    "budi": {"t1", "t2"},
    "citra": {"t1", "t2", "t3"},
    "dewi": {"t1", "t2", "t3", "t4"},
    "eka": {"t1"},
}
POST_RIGHT = {
    "andi": {"t1", "t2", "t3", "t4"},
    "budi": {"t1", "t2", "t3"},
    "citra": {"t1", "t2"},
    "dewi": {"t1", "t2", "t3"},
}

S1_ANSWERS: dict[str, dict[tuple[str, str], AnswerValue]] = {
    "andi": {
        ("materi", ""): 4,
        ("narasumber", TAUFIK): 4,
        ("narasumber", "Rachmawati"): 3,
        ("berguna", ""): True,
        ("topik", ""): ["praktik", "diskusi"],
        ("jam", ""): 2,
        ("saran", ""): INJECTED,
        ("format", ""): "luring",
    },
    "budi": {
        ("materi", ""): 3,
        ("narasumber", TAUFIK): 3,
        ("narasumber", "Rachmawati"): 2,
        ("berguna", ""): False,
        ("topik", ""): ["praktik"],
        ("jam", ""): 3.5,
        ("saran", ""): "Lebih banyak praktik",
        ("format", ""): "luring",
    },
}
S2_ANSWERS: dict[tuple[str, str], AnswerValue] = {
    ("materi", ""): 2,
    ("narasumber", "Putri Wardhani"): 4,
    ("berguna", ""): True,
    ("topik", ""): ["teori"],
    ("jam", ""): 1,
    ("format", ""): "daring",
}

# 10.00 WITA on the second day; each response a minute after the one before.
FIRST_SUBMIT = datetime(2024, 11, 14, 2, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Seeded:
    event: Event
    people: dict[str, int]  # key → person id
    round_ids: list[int]  # in the order they open
    trainer: int  # the person id of Rachmawati, trainer


async def _survey(sessions: SessionMaker, definition: SurveyDefinition) -> Survey:
    async with sessions.begin() as session:
        survey, _ = await save_survey(session, definition)
        return survey


async def seed(sessions: SessionMaker) -> Seeded:
    event = await make_event(sessions, "KUKAR24", classes=("A", "B"))
    people: dict[str, int] = {}
    for key, (name, phone, regency, class_name) in PEOPLE.items():
        people[key] = await person_id_of(
            sessions, await enrol(sessions, event, class_name=class_name)
        )
        async with sessions.begin() as session:
            row = await session.get(Person, people[key])
            assert row is not None
            row.full_name, row.phone_e164, row.regency = name, phone, regency
            row.library_name = f"Perpustakaan Desa {name.split()[0]}"
    s1 = await add_session(
        sessions, event, DAY, "08.00", "10.00", "Strategi Transformasi Perpustakaan",
        speakers=SPEAKERS_S1, class_name="A",
    )  # fmt: skip
    s2 = await add_session(
        sessions, event, DAY, "10.15", "12.00", "Advokasi untuk Keberlanjutan",
        speakers="Putri Wardhani",
    )  # fmt: skip
    trainer = await give_role(sessions, event, RoleName.TRAINER, "pelatih", speaker="Rachmawati")
    feedback = await _survey(sessions, FEEDBACK)
    pre, post = await _survey(sessions, PRE), await _survey(sessions, POST)
    clock = iter(FIRST_SUBMIT + timedelta(minutes=n) for n in range(100))
    round_ids = []

    async def answer(
        round_id: int, person: str, answers: dict[tuple[str, str], AnswerValue], send: bool = True
    ) -> None:
        now = next(clock)
        async with sessions.begin() as session:
            response = await start_response(session, round_id, people[person], now)
            for (question, subject), value in answers.items():
                await save_answer(session, response, question, subject, value, now)
            if send:
                submit(response, now)

    rounds: list[tuple[Survey, str, int | None, list[str]]] = [
        (feedback, "session:1", id_of(s1), [TAUFIK, "Rachmawati"]),
        (feedback, "session:2", id_of(s2), ["Putri Wardhani"]),
        (pre, "pre_test", None, []),
        (post, "post_test", None, []),
    ]
    for number, (survey, slot, session_id, speakers) in enumerate(rounds):
        async with sessions.begin() as session:
            opened, _ = await open_round(
                session, survey=survey, event_id=id_of(event), slot=slot,
                opens_at=FIRST_SUBMIT - timedelta(hours=4 - number), session_id=session_id,
                speakers=speakers,
            )  # fmt: skip
            assert opened.id is not None
            round_ids.append(opened.id)
    for person, answers in S1_ANSWERS.items():
        await answer(round_ids[0], person, answers)
    await answer(round_ids[0], "fajar", {("materi", ""): 1}, send=False)  # a draft
    await answer(round_ids[1], "citra", S2_ANSWERS)
    for round_id, right in ((round_ids[2], PRE_RIGHT), (round_ids[3], POST_RIGHT)):
        for person, correct in right.items():
            chosen = {(q, ""): (RIGHT if q in correct else WRONG)[q] for q in RIGHT}
            await answer(round_id, person, chosen)
    return Seeded(event, people, round_ids, trainer.person_id)


@pytest.fixture
async def lite(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[SessionMaker]:
    """SQLite only, for what does not depend on the database."""
    path = tmp_path / "results.sqlite3"
    shutil.copyfile(sqlite_template, path)
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    yield session_maker(engine)
    await engine.dispose()


# --- the SKM ----------------------------------------------------------------------------

SKM_SURVEY = SurveyDefinition.model_validate(
    {
        "id": "skm",
        "purpose": "evaluation",
        "title": "Survei Kepuasan Masyarakat",
        "questions": [
            {"id": f"u{n}", "type": "scale", "scale": 4, "text": f"Unsur {n}", "element": f"U{n}"}
            for n in range(1, 10)
        ],
    }
)
AT = datetime(2024, 11, 16, 7, 0, tzinfo=UTC)


def skm_round(rows: list[list[int]], asked: int = 10) -> RoundResult:
    responses = tuple(
        Response(Respondent(n), AT, {(f"u{e}", ""): v for e, v in enumerate(row, start=1)})
        for n, row in enumerate(rows, start=1)
    )
    return round_results(RoundInput(1, "evaluation", SKM_SURVEY, asked, responses))


def with_0_111(element_means: list[Fraction]) -> Decimal:
    """The index as a spreadsheet with the weight typed as 0.111 computes it."""
    total = sum(Decimal(m.numerator) / Decimal(m.denominator) for m in element_means)
    return round_half_up(Fraction(total * Decimal("0.111") * 25))


def test_all_4s_make_100_with_the_exact_weight_not_99_90() -> None:
    result = skm_round([[4] * 9] * 3)
    assert result.skm is not None
    assert result.skm.weight == Fraction(1, 9)
    assert result.skm.index is not None
    assert result.skm.index.value == Decimal("100.00")
    assert result.skm.index.band is Band.A
    assert with_0_111([Fraction(4)] * 9) == Decimal("99.90")


def test_an_index_the_0_111_weight_would_put_in_band_b() -> None:
    # Five people, nine elements: two rate everything 4, one rates U1-U6 4 and U7-U9 3,
    # two rate everything 3. U1-U6: (4+4+4+3+3)/5 = 3.6; U7-U9: (4+4+3+3+3)/5 = 3.4.
    # Sum 6 x 3.6 + 3 x 3.4 = 31.8; x 1/9 x 25 = 88.333... -> 88.33, A.
    # With 0.111: 31.8 x 0.111 x 25 = 88.245 -> 88.25, B.
    result = skm_round([[4] * 9, [4] * 9, [4] * 6 + [3] * 3, [3] * 9, [3] * 9])
    skm = result.skm
    assert skm is not None
    means = [e.mean for e in skm.elements]
    assert means == [Fraction(18, 5)] * 6 + [Fraction(17, 5)] * 3
    assert [e.answered for e in skm.elements] == [5] * 9
    assert [e.name.id for e in skm.elements] == [f"U{n}" for n in range(1, 10)]
    assert skm.index is not None
    assert (skm.index.value, skm.index.band) == (Decimal("88.33"), Band.A)
    assert with_0_111([Fraction(18, 5)] * 6 + [Fraction(17, 5)] * 3) == Decimal("88.25")
    assert band_of(Decimal("88.25")) is Band.B
    assert result.rate == Fraction(5, 10)


@pytest.mark.parametrize(
    ("value", "band"),
    [
        ("100.00", Band.A),
        ("88.31", Band.A),
        ("88.30", Band.B),
        ("76.61", Band.B),
        ("76.60", Band.C),
        ("65.00", Band.C),
        ("64.99", Band.D),
        ("25.00", Band.D),
    ],
)
def test_bands_by_the_rounded_index(value: str, band: Band) -> None:
    assert band_of(Decimal(value)) is band


def test_an_index_is_rounded_half_up_before_it_is_banded() -> None:
    assert Index(Fraction("88.305")).value == Decimal("88.31")
    assert Index(Fraction("88.305")).band is Band.A
    assert Index(Fraction("88.3049")).value == Decimal("88.30")
    assert Index(Fraction("88.3049")).band is Band.B
    assert round_half_up(Fraction(-1, 8)) == Decimal("-0.13")


# --- tests' gains and rates -------------------------------------------------------------


def test_n_gain_and_its_categories() -> None:
    assert n_gain(Fraction(1, 4), Fraction(1)) == 1  # (1 - 0.25) / (1 - 0.25)
    assert n_gain(Fraction(1, 2), Fraction(3, 4)) == Fraction(1, 2)  # 0.25 / 0.5
    assert n_gain(Fraction(3, 4), Fraction(1, 2)) == -1  # -0.25 / 0.25: a loss
    assert n_gain(Fraction(1), Fraction(3, 4)) is None  # full marks already: undefined
    assert n_gain(Fraction(1), Fraction(1)) is None
    assert hake(Fraction(7, 10)) is Hake.HIGH
    assert hake(Fraction(69, 100)) is Hake.MEDIUM
    assert hake(Fraction(3, 10)) is Hake.MEDIUM
    assert hake(Fraction(29, 100)) is Hake.LOW
    assert hake(Fraction(-1)) is Hake.LOW


def test_a_round_nobody_was_asked_has_no_rate() -> None:
    assert rate(0, 0) is None
    assert rate(2, 3) == Fraction(2, 3)
    assert skm_round([[4] * 9], asked=0).rate is None


# --- an event's report ------------------------------------------------------------------


def figures(found: Tally) -> tuple[int, list[tuple[object, int]], Fraction | None]:
    return found.answered, [(c.value, c.count) for c in found.counts], found.mean


def by_key(result: RoundResult) -> dict[tuple[str, str], Tally]:
    return {(t.question.id, t.subject): t for t in result.tallies}


def index_of(result: RoundResult) -> tuple[Decimal, Band]:
    assert result.skm is not None
    assert result.skm.index is not None
    return result.skm.index.value, result.skm.index.band


def speakers_of(result: RoundResult) -> list[tuple[str, Decimal, Band]]:
    return [(s.speaker, s.index.value, s.index.band) for s in result.speakers]


async def test_an_event_s_rounds_add_up_to_the_figures_worked_by_hand(
    sessions: SessionMaker,
) -> None:
    seeded = await seed(sessions)
    async with sessions() as session:
        report = await event_report(session, id_of(seeded.event))
    assert report.names
    s1, s2, pre, post = report.rounds
    # Class A's session asks A's three; the plenary one and the tests all six.
    assert [r.round.asked for r in report.rounds] == [3, 6, 6, 6]
    assert [r.submitted for r in report.rounds] == [2, 1, 5, 4]  # Fajar's draft is none
    assert [r.rate for r in report.rounds] == [
        Fraction(2, 3),
        Fraction(1, 6),
        Fraction(5, 6),
        Fraction(4, 6),
    ]
    assert s1.round.session_title == "Strategi Transformasi Perpustakaan"
    assert s1.round.submitted[0].respondent == Respondent(
        seeded.people["andi"],
        "Andi Saputra",
        "+6281100000001",
        "Perpustakaan Desa Andi",
        "Kutai Kartanegara",
        "A",
    )

    found = by_key(s1)
    assert list(found) == [
        ("materi", ""),
        ("narasumber", TAUFIK),
        ("narasumber", "Rachmawati"),
        ("berguna", ""),
        ("topik", ""),
        ("jam", ""),
        ("saran", ""),
        ("format", ""),
    ]
    assert figures(found["materi", ""]) == (2, [(1, 0), (2, 0), (3, 1), (4, 1)], Fraction(7, 2))
    assert figures(found["narasumber", TAUFIK]) == (
        2,
        [(1, 0), (2, 0), (3, 1), (4, 1)],
        Fraction(7, 2),
    )
    assert figures(found["narasumber", "Rachmawati"]) == (
        2,
        [(1, 0), (2, 1), (3, 1), (4, 0)],
        Fraction(5, 2),
    )
    assert figures(found["berguna", ""]) == (2, [(True, 1), (False, 1)], None)
    assert figures(found["topik", ""]) == (2, [("praktik", 2), ("teori", 0), ("diskusi", 1)], None)
    assert figures(found["jam", ""]) == (2, [], Fraction(11, 4))  # (2 + 3.5) / 2
    assert figures(found["format", ""]) == (2, [("luring", 2), ("daring", 0)], None)
    assert found["saran", ""].comments == (
        Comment(INJECTED, "Andi Saputra"),
        Comment("Lebih banyak praktik", "Budi Santoso"),
    )
    # Elements: Kualitas materi (4 + 3) / 2 = 3.5; Kompetensi pelaksana, both speakers'
    # answers: (4 + 3 + 3 + 2) / 4 = 3. Index (3.5 + 3) / 2 x 25 = 81.25: B.
    assert s1.skm is not None
    elements = [(e.name.id, e.answered, e.mean) for e in s1.skm.elements]
    assert elements == [("Kualitas materi", 2, Fraction(7, 2)), ("Kompetensi pelaksana", 4, 3)]
    assert index_of(s1) == (Decimal("81.25"), Band.B)
    # Taufik 3.5 x 25 = 87.50 (B), Rachmawati 2.5 x 25 = 62.50 (D).
    assert speakers_of(s1) == [
        (TAUFIK, Decimal("87.50"), Band.B),
        ("Rachmawati", Decimal("62.50"), Band.D),
    ]

    assert list(by_key(s2)) == [
        ("materi", ""),
        ("narasumber", "Putri Wardhani"),
        ("berguna", ""),
        ("topik", ""),
        ("jam", ""),
        ("saran", ""),
        ("format", ""),
    ]
    assert figures(by_key(s2)["saran", ""]) == (0, [], None)
    assert index_of(s2) == (Decimal("75.00"), Band.C)  # (2 + 4) / 2 x 25
    assert speakers_of(s2) == [("Putri Wardhani", Decimal("100.00"), Band.A)]

    assert pre.skm is None
    assert [s.percent for s in pre.scores] == [25, 50, 75, 100, 25]  # Andi ... Eka
    assert [s.points for s in post.scores] == [4, 3, 2, 3]
    assert {s.max_points for s in post.scores} == {Fraction(4)}

    tests = report.tests
    assert tests is not None
    gains = {gain.respondent.name: gain.g for gain in tests.gains}
    assert gains == {
        "Andi Saputra": 1,  # 25 -> 100
        "Budi Santoso": Fraction(1, 2),  # 50 -> 75
        "Citra Lestari": -1,  # 75 -> 50
        "Dewi Anggraini": None,  # 100 -> 75: full marks before
    }
    groups = [
        (g.name, g.n, g.mean_pre, g.mean_post, g.mean_g, g.no_g, g.category)
        for g in (tests.overall, *tests.by_class, *tests.by_regency)
    ]
    assert groups == [
        # pre (25 + 50 + 75 + 100) / 4, post (100 + 75 + 50 + 75) / 4, g (1 + 0.5 - 1) / 3
        (None, 4, Fraction(125, 2), 75, Fraction(1, 6), 1, Hake.LOW),
        ("A", 2, Fraction(75, 2), Fraction(175, 2), Fraction(3, 4), 0, Hake.HIGH),
        ("B", 2, Fraction(175, 2), Fraction(125, 2), -1, 1, Hake.LOW),
        ("Kutai Kartanegara", 2, 50, 75, 0, 0, Hake.LOW),  # Andi and Citra
        ("Samarinda", 2, 75, 75, Fraction(1, 2), 1, Hake.MEDIUM),  # Budi and Dewi
    ]
    assert [(i.question_id, i.n, i.right_before, i.right_after) for i in tests.items] == [
        ("t1", 4, 4, 4),
        ("t2", 4, 3, 4),
        ("t3", 4, 2, 3),
        ("t4", 4, 1, 1),
    ]
    assert (tests.only_pre, tests.only_post) == (1, 0)


async def test_where_attendance_was_taken_a_round_asked_those_present(
    sessions: SessionMaker,
) -> None:
    """The plenary session's round asked all six enrolled; once attendance is taken there,
    it asked those present, and Citra, who answered without being marked present."""
    seeded = await seed(sessions)
    async with sessions() as session:
        plenary = await session.get(SurveyRound, seeded.round_ids[1])
        assert plenary is not None
        assert plenary.session_id is not None
    async with sessions.begin() as session:
        for person in ("andi", "dewi"):
            session.add(
                Attendance(
                    event_id=id_of(seeded.event), session_id=plenary.session_id,
                    person_id=seeded.people[person], checked_in_at=FIRST_SUBMIT, channel="cli",
                )
            )  # fmt: skip
        # Marked absent by an organiser afterwards: not present.
        session.add(
            Attendance(
                event_id=id_of(seeded.event), session_id=plenary.session_id,
                person_id=seeded.people["eka"], checked_in_at=FIRST_SUBMIT, channel="cli",
                unmarked_at=FIRST_SUBMIT,
            )
        )  # fmt: skip
    async with sessions() as session:
        report = await event_report(session, id_of(seeded.event))
    assert [r.round.asked for r in report.rounds] == [3, 3, 6, 6]
    assert report.rounds[1].rate == Fraction(1, 3)


async def test_one_survey_s_rounds_and_anonymous_results(lite: SessionMaker) -> None:
    seeded = await seed(lite)
    async with lite() as session:
        report = await event_report(
            session, id_of(seeded.event), survey_key="umpan-sesi", names=False
        )
    assert [r.round.round_id for r in report.rounds] == seeded.round_ids[:2]
    assert report.tests is None
    # Unattributed, and in an order that tells nothing of who answered first.
    assert by_key(report.rounds[0])["saran", ""].comments == (
        Comment(INJECTED, None),
        Comment("Lebih banyak praktik", None),
    )
    for name, phone, _, _ in PEOPLE.values():
        assert name not in repr(report)
        assert phone not in repr(report)


def stored_details(*, regencies: bool = True) -> list[str]:
    found = []
    for name, phone, regency, _ in PEOPLE.values():
        found += [name, phone, f"Perpustakaan Desa {name.split()[0]}"]
        found += [regency] if regencies else []
    return found


def xlsx_text(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return "".join(archive.read(name).decode() for name in archive.namelist())


async def test_a_trainer_sees_only_their_sessions_and_nobody_s_name(lite: SessionMaker) -> None:
    seeded = await seed(lite)
    async with lite() as session:
        report = await trainer_report(session, seeded.trainer, id_of(seeded.event))
    assert report.speakers == ("Rachmawati",)
    assert not report.names
    assert report.tests is None
    # Only the class A session Rachmawati teaches; not Putri Wardhani's, not the tests.
    assert [r.round.round_id for r in report.rounds] == [seeded.round_ids[0]]
    (only,) = report.rounds
    found = by_key(only)
    # Of the per-speaker answers, only those about her.
    assert ("narasumber", TAUFIK) not in found
    assert figures(found["narasumber", "Rachmawati"])[2] == Fraction(5, 2)
    assert speakers_of(only) == [("Rachmawati", Decimal("62.50"), Band.D)]
    assert index_of(only) == (Decimal("75.00"), Band.C)  # (3.5 + 2.5) / 2 x 25
    assert found["saran", ""].comments == (
        Comment(INJECTED, None),
        Comment("Lebih banyak praktik", None),
    )
    files = [
        repr(report),
        xlsx_text(event_xlsx(report)),
        round_csv(report).decode("utf-8-sig"),
    ]
    for shown in files:
        assert "Lebih banyak praktik" in shown
        assert TAUFIK not in shown
        for detail in stored_details():
            assert detail not in shown, detail


# --- files ------------------------------------------------------------------------------


def rows_of(sheet: Any) -> list[list[object]]:
    found = []
    for row in sheet.iter_rows(values_only=True):
        values = list(row)
        while values and values[-1] is None:
            values.pop()
        found.append(values)
    return found


async def seeded_report(sessions: SessionMaker, *, names: bool = True) -> EventReport:
    seeded = await seed(sessions)
    async with sessions() as session:
        return await event_report(session, id_of(seeded.event), names=names)


SESSION_HEADERS = [
    "materi",
    f"narasumber @ {TAUFIK}",
    "narasumber @ Rachmawati",
    "berguna",
    "topik",
    "jam",
    "saran",
    "format",
]
DETAILS = ["name", "phone", "library", "regency", "class"]


async def test_the_workbook_holds_a_summary_and_a_sheet_per_round(lite: SessionMaker) -> None:
    report = await seeded_report(lite)
    book = load_workbook(io.BytesIO(event_xlsx(report)))
    assert book.sheetnames == [
        "Summary",
        "1 Strategi Transformasi Perpust",
        "2 Advokasi untuk Keberlanjutan",
        "3 Pre-test SPP-TIK",
        "4 Post-test SPP-TIK",
    ]
    first = rows_of(book["1 Strategi Transformasi Perpust"])
    assert first == [
        ["submitted at (WITA)", *DETAILS, *SESSION_HEADERS],
        # 02.00 UTC is 10.00 WITA
        # A phone number's + too could start a formula.
        [datetime(2024, 11, 14, 10, 0), "Andi Saputra", "'+6281100000001",
         "Perpustakaan Desa Andi", "Kutai Kartanegara", "A",
         4, 4, 3, "yes", "praktik; diskusi", 2, "'" + INJECTED, "luring"],
        [datetime(2024, 11, 14, 10, 1), "Budi Santoso", "'+6281100000002",
         "Perpustakaan Desa Budi", "Samarinda", "A",
         3, 3, 2, "no", "praktik", 3.5, "Lebih banyak praktik", "luring"],
    ]  # fmt: skip
    assert book["1 Strategi Transformasi Perpust"]["M2"].data_type == "s"  # no formula
    pre = rows_of(book["3 Pre-test SPP-TIK"])
    assert pre[0][-7:] == ["t1", "t2", "t3", "t4", "score", "max score", "score (0-100)"]
    assert len(pre) == 6
    # Andi had only t1 right: 1 of 4, 25.
    assert pre[1][6:] == ["a", "c", "b", "a", 1, 4, 25]
    summary = rows_of(book["Summary"])
    assert [row[3:] for row in summary[5:9]] == [
        [3, 2, 66.7],
        [6, 1, 16.7],
        [6, 5, 83.3],
        [6, 4, 66.7],
    ]
    skm_rows = summary[
        summary.index(["round", "element", "answers", "NRR (1-4)", "weighted NRR", "index", "band"])
        + 1 :
    ][:9]
    assert skm_rows == [
        [1, "Kualitas materi", 2, 3.5, 1.75],
        [1, "Kompetensi pelaksana", 4, 3, 1.5],
        [1, "overall", None, None, None, 81.25, "B"],
        [1, f"speaker: {TAUFIK}", None, None, None, 87.5, "B"],
        [1, "speaker: Rachmawati", None, None, None, 62.5, "D"],
        [2, "Kualitas materi", 1, 2, 1],
        [2, "Kompetensi pelaksana", 1, 4, 2],
        [2, "overall", None, None, None, 75, "C"],
        [2, "speaker: Putri Wardhani", None, None, None, 100, "A"],
    ]
    assert summary[-7:] == [
        ["overall", None, 4, 62.5, 75, 0.17, "low", 1],
        ["class", "A", 2, 37.5, 87.5, 0.75, "high", 0],
        ["class", "B", 2, 87.5, 62.5, -1, "low", 1],
        ["regency", "Kutai Kartanegara", 2, 50, 75, 0, "low", 0],
        ["regency", "Samarinda", 2, 75, 75, 0.5, "medium", 1],
        ["only the pre-test", None, 1],
        ["only the post-test", None, 0],
    ]


async def test_an_anonymous_workbook_names_nobody(lite: SessionMaker) -> None:
    report = await seeded_report(lite, names=False)
    content = event_xlsx(report)
    first = rows_of(load_workbook(io.BytesIO(content)).worksheets[1])
    assert first[0] == ["submitted at (WITA)", *SESSION_HEADERS]
    assert first[1][1:5] == [4, 4, 3, "yes"]
    text = xlsx_text(content)
    # Regencies are in it as the groups of the N-gain table, not beside anyone's answers.
    assert "Samarinda" in text
    for detail in stored_details(regencies=False):
        assert detail not in text, detail


async def test_csv_of_one_round_and_of_all_with_formulas_defused(lite: SessionMaker) -> None:
    report = await seeded_report(lite)
    one = list(
        csv.reader(
            io.StringIO(round_csv(report, report.rounds[0].round.round_id).decode("utf-8-sig"))
        )
    )
    assert one[0] == ["submitted at (WITA)", *DETAILS, *SESSION_HEADERS]
    assert one[1] == [
        "2024-11-14 10:00:00", "Andi Saputra", "'+6281100000001", "Perpustakaan Desa Andi",
        "Kutai Kartanegara", "A", "4", "4", "3", "yes", "praktik; diskusi", "2",
        "'" + INJECTED, "luring",
    ]  # fmt: skip
    assert len(one) == 3
    every = list(csv.reader(io.StringIO(round_csv(report).decode("utf-8-sig"))))
    assert every[0][:3] == ["round", "survey", "submitted at (WITA)"]
    assert [row[:2] for row in every[1:]] == (
        [["1", "umpan-sesi"]] * 2 + [["2", "umpan-sesi"]] + [["3", "pre-tes"]] * 5
        + [["4", "post-tes"]] * 4
    )  # fmt: skip
    assert safe_text("+62 812") == "'+62 812"
    assert safe_text("-5") == "'-5"
    assert safe_text("@SUM(A1)") == "'@SUM(A1)"
    assert safe_text("Bagus = jelas") == "Bagus = jelas"


def test_sheet_titles_excel_accepts() -> None:
    taken: set[str] = set()
    assert sheet_title("Evaluasi: hari [1]/2 *?", taken) == "Evaluasi hari 1 2"
    assert sheet_title("evaluasi hari 1 2", taken) == "evaluasi hari 1 2 (2)"
    assert sheet_title("x" * 40, taken) == "x" * 31
    assert sheet_title("x" * 40, taken) == "x" * 27 + " (2)"
    assert sheet_title("'Kutip'", taken) == "Kutip"
    assert sheet_title("History", taken) == "History (2)"
    assert sheet_title("\\/", taken) == "Sheet"


# --- charts -----------------------------------------------------------------------------


def bar_heights(png: bytes, bars: int) -> list[int]:
    """Each bar's height in pixels: the run of bar-coloured pixels in its middle column,
    which must end just above the axis."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    heights = []
    for index in range(bars):
        width = (charts.PLOT_RIGHT - charts.PLOT_LEFT) / bars
        x = int(charts.PLOT_LEFT + (index + 0.5) * width)
        rows = [y for y in range(image.height) if image.getpixel((x, y)) == charts.BAR_COLOUR]
        if rows:
            assert rows == list(range(rows[0], charts.BASELINE)), "one bar, on the axis"
        assert image.getpixel((x, charts.BASELINE)) == charts.AXIS_COLOUR
        heights.append(len(rows))
    return heights


async def test_a_chart_s_bars_are_as_tall_as_their_counts() -> None:
    png = await charts.chart_png(
        "Materi mudah dipahami", ["1 Tidak setuju", "2", "3", "4 Sangat setuju"], [0, 3, 5, 10]
    )
    image = Image.open(io.BytesIO(png))
    assert (image.format, image.size) == ("PNG", (charts.WIDTH, charts.HEIGHT))
    # The tallest bar is BAR_MAX = 220 px: 3/10 of it 66, 5/10 of it 110.
    assert charts.BAR_MAX == 220
    assert bar_heights(png, 4) == [0, 66, 110, 220]
    # Too slow a drawing is stopped at its time limit, and the next chart is drawn.
    started = time.perf_counter()
    stuck = await charts._DRAWER.run_off_loop(partial(time.sleep, 5), 0.3)
    assert stuck == Failed("too_slow")
    # Sooner than the 5 s it would have slept had the limit not stopped it.
    assert time.perf_counter() - started < 4.5
    again = await charts.chart_png("Berguna?", ["ya", "tidak"], [7, 7])
    assert bar_heights(again, 2) == [220, 220]


@pytest.mark.parametrize(
    ("labels", "counts"),
    [
        ([str(n) for n in range(21)], [1] * 21),
        (["x" * 61], [1]),
        (["1", "2"], [1]),
        (["1"], [-1]),
        ([], []),
    ],
)
async def test_a_chart_over_its_budgets_is_refused_before_drawing(
    labels: list[str], counts: list[int]
) -> None:
    with pytest.raises(charts.ChartError):
        await charts.chart_png("Judul", labels, counts)


# --- the command ------------------------------------------------------------------------


def test_the_command_prints_the_results_and_writes_the_files(
    tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cli.sqlite3"
    shutil.copyfile(sqlite_template, path)

    on_database(f"sqlite+aiosqlite:///{path}", seed)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    xlsx, table = tmp_path / "hasil.xlsx", tmp_path / "hasil.csv"
    ran = CliRunner().invoke(
        app, ["survey", "results", "kukar24", "--xlsx", str(xlsx), "--csv", str(table)]
    )
    assert ran.exit_code == 0, ran.output
    lines = ran.output.splitlines()
    assert lines[0] == "Bimtek KUKAR24 (KUKAR24): 4 survey rounds"
    for expected in [
        "Round 1: Session feedback (session_feedback),"
        " session “Strategi Transformasi Perpustakaan”",
        "  Responses: 2 of 3 asked (66.7%)",
        "  materi (scale 1-4): The content was clear",
        "     2 answered · 1: 0 · 2: 0 · 3: 1 · 4: 1 · mean 3.50",
        "  narasumber @ Rachmawati (scale 1-4): Narasumber menguasai materi",
        "     2 answered · 1: 0 · 2: 1 · 3: 1 · 4: 0 · mean 2.50",
        "     2 answered · yes: 1 · no: 1",
        "     2 answered · praktik: 2 · teori: 0 · diskusi: 1",
        "     2 answered · mean 2.75",
        "     - “Lebih banyak praktik” (Budi Santoso)",
        "     Kualitas materi (materi): NRR 3.50 from 2 answers",
        "     index 81.25, band B (good); each element weighs 1/2",
        f"  Speaker {TAUFIK}: index 87.50, band B (good)",
        "  Speaker Rachmawati: index 62.50, band D (poor)",
        "  Responses: 1 of 6 asked (16.7%)",
        "     index 75.00, band C (fairly poor); each element weighs 1/2",
        "  Scores: mean 55.00 of 100 from 5 people",  # (25 + 50 + 75 + 100 + 25) / 5
        "  Only the pre-test: 1 · only the post-test: 0",
        "     t3: 2 → 3 of 4",
        f"Wrote {xlsx}",
        f"Wrote {table}",
    ]:
        assert expected in lines, expected
    table_rows = {
        " ".join(line.split()[:-6]): line.split()[-6:] for line in lines if line.startswith("  ")
    }
    assert table_rows["overall"] == ["4", "62.50", "75.00", "0.17", "low", "1"]
    assert table_rows["class A"] == ["2", "37.50", "87.50", "0.75", "high", "0"]
    assert table_rows["class B"] == ["2", "87.50", "62.50", "-1.00", "low", "1"]
    assert table_rows["regency Kutai Kartanegara"] == ["2", "50.00", "75.00", "0.00", "low", "0"]
    assert table_rows["regency Samarinda"] == ["2", "75.00", "75.00", "0.50", "medium", "1"]
    assert load_workbook(xlsx).sheetnames[0] == "Summary"
    assert len(table.read_text("utf-8-sig").splitlines()) == 1 + 2 + 1 + 5 + 4

    ran = CliRunner().invoke(app, ["survey", "results", "kukar24", "--survey", "tidak-ada"])
    assert ran.exit_code == 2
    ran = CliRunner().invoke(
        app, ["survey", "results", "KUKAR24", "--survey", "pre-tes", "--anonymous"]
    )
    assert ran.exit_code == 0, ran.output
    assert "Round 1: Pre-test SPP-TIK (pre_test)" in ran.output
    assert "Andi" not in ran.output
