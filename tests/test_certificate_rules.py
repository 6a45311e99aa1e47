"""Who earns a certificate and for how many JP: the count of lesson hours against a
hand-worked agenda, the rule against explicit attendance sets, and the facts gathered
from the database (evaluations and post-tests answered)."""

from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from bot.db import SessionMaker
from models.certificates.jp import jp_of, lesson_minutes
from models.certificates.rule import Facts, Part, Rule, check, facts_of_event, participants
from tests.certificate_helpers import GivenAttendance, answered, person_of
from tests.factories import enrol, id_of, make_event


@dataclass(frozen=True)
class Item:
    starts_at: datetime
    ends_at: datetime
    title: str
    class_name: str | None = None


def at(day: int, hhmm: str) -> datetime:
    hours, minutes = (int(x) for x in hhmm.split("."))
    return datetime(2024, 11, day, hours, minutes, tzinfo=UTC)


# Two days; the times are plain (one zone), the titles as organisers write them.
AGENDA = [
    Item(at(13, "08.00"), at(13, "09.30"), "Pembukaan dan Strategi Transformasi"),  # 90
    Item(at(13, "09.30"), at(13, "09.45"), "Rehat kopi"),
    Item(at(13, "09.45"), at(13, "12.00"), "Advokasi untuk Keberlanjutan"),  # 135
    Item(at(13, "12.00"), at(13, "13.00"), "ISHOMA"),
    Item(at(13, "13.00"), at(13, "14.30"), "Praktik SLiMS", "A"),  # 90
    Item(at(13, "13.00"), at(13, "15.00"), "Praktik SLiMS", "B"),  # 120
    Item(at(14, "08.00"), at(14, "10.15"), "Sistem Informasi Manajemen"),  # 135
    Item(at(14, "10.15"), at(14, "10.30"), "Coffee break"),
    Item(at(14, "10.30"), at(14, "11.15"), "Penutupan"),  # 45
]


def test_jp_of_a_hand_worked_agenda() -> None:
    # Class A: 90 + 135 + 90 + 135 + 45 = 495 minutes = 11 × 45: 11 JP exactly.
    assert lesson_minutes(AGENDA, "A") == 495
    assert jp_of(495) == 11
    # Class B: 90 + 135 + 120 + 135 + 45 = 525 minutes = 11 × 45 + 30: 11 JP (down).
    assert lesson_minutes(AGENDA, "B") == 525
    assert jp_of(525) == 11
    # No class: every session, 13.00-15.00 counted once (A's 13.00-14.30 lies inside).
    assert lesson_minutes(AGENDA, None) == 525
    # An event that counts 40 minutes a JP: 495 / 40 = 12.375, 12 JP.
    assert jp_of(495, 40) == 12
    # Breaks alone are no lessons.
    assert lesson_minutes([AGENDA[1], AGENDA[3], AGENDA[7]], "A") == 0


def test_the_rule_names_each_part_missing() -> None:
    everything = Facts(frozenset(range(10)), frozenset(range(9)), evaluation=True, post_test=True)
    assert check(Rule(), everything).qualifies  # 9 of 10 is 90 %
    eight = Facts(frozenset(range(10)), frozenset(range(8)), evaluation=False, post_test=False)
    assert check(Rule(), eight).missing == (Part.ATTENDANCE, Part.EVALUATION)
    strict = Rule(post_test=True)
    assert check(strict, eight).missing == (Part.ATTENDANCE, Part.EVALUATION, Part.POST_TEST)
    # Sessions attended that nobody expected of them (another class's) do not count.
    elsewhere = Facts(frozenset({1, 2}), frozenset({1, 7, 8}), evaluation=True, post_test=False)
    assert check(Rule(), elsewhere).missing == (Part.ATTENDANCE,)
    assert check(Rule(min_attendance=50), elsewhere).qualifies
    # Nothing expected: nothing attended either; only a rule of 0 % is met.
    nothing = Facts(frozenset(), frozenset(), evaluation=True, post_test=False)
    assert check(Rule(), nothing).missing == (Part.ATTENDANCE,)
    assert check(Rule(min_attendance=0), nothing).qualifies


@given(
    expected=st.integers(min_value=1, max_value=60),
    present=st.integers(min_value=0, max_value=60),
    percent=st.integers(min_value=0, max_value=100),
)
def test_attendance_is_compared_as_exact_shares(expected: int, present: int, percent: int) -> None:
    present = min(present, expected)
    facts = Facts(
        frozenset(range(expected)), frozenset(range(present)), evaluation=True, post_test=True
    )
    met = Fraction(present, expected) >= Fraction(percent, 100)
    assert check(Rule(min_attendance=percent), facts).qualifies is met


async def test_facts_come_from_attendance_given_and_surveys_answered(
    sessions: SessionMaker,
) -> None:
    event = await make_event(sessions, "FAKTA", classes=("A", "B"))
    siti = await person_of(sessions, await enrol(sessions, event, class_name="A"))
    budi = await person_of(sessions, await enrol(sessions, event, class_name="B"))
    await answered(sessions, event, siti, "evaluation")
    await answered(sessions, event, budi, "post-test")
    source = GivenAttendance(
        attended={siti: {1, 2, 3, 4, 5, 6, 7, 8, 9}, budi: {1, 2, 11}},
        expected={"A": set(range(1, 11)), "B": {1, 2, 11, 12}},
    )
    async with sessions() as session:
        people = await participants(session, id_of(event))
        facts = await facts_of_event(session, source, id_of(event), people)
    assert facts[siti] == Facts(
        frozenset(range(1, 11)), frozenset(range(1, 10)), evaluation=True, post_test=False
    )
    assert facts[budi].present == 3
    assert (facts[budi].evaluation, facts[budi].post_test) == (False, True)
    assert check(Rule(), facts[siti]).qualifies
    assert check(Rule(), facts[budi]).missing == (Part.ATTENDANCE, Part.EVALUATION)
    assert check(Rule(min_attendance=75, evaluation=False, post_test=True), facts[budi]).qualifies
