"""Certificates read the attendance that check-in and marks by hand record: the rule's
share is taken of the sessions each participant was expected at (their class's and the
plenary ones; breaks and ceremonies left out), on SQLite and PostgreSQL."""

from datetime import UTC, datetime

from bot.db import SessionMaker
from models import Event
from models.attendance import sessions_expected
from models.attendance.marks import Marked, Who, mark, unmark
from models.certificates.rule import Part, Rule, check, facts_of_event, participants
from models.certificates.sources import attendance_source
from tests.factories import enrol, id_of, person_id_of

NOW = datetime(2024, 11, 16, 9, 0, tzinfo=UTC)
ORGANISER = Who(person_id=None, via="cli")


async def present(sessions: SessionMaker, event: Event, person_id: int, ids: list[int]) -> None:
    async with sessions.begin() as session:
        for session_id in ids:
            done = await mark(
                session, event_id=id_of(event), session_id=session_id, person_id=person_id,
                reason="daftar hadir kertas", who=ORGANISER, now=NOW,
            )  # fmt: skip
            assert done is Marked.MARKED


async def verdicts(sessions: SessionMaker, event: Event) -> dict[int, tuple[Part, ...]]:
    rule = Rule(min_attendance=90, evaluation=False)
    async with sessions() as session:
        people = await participants(session, id_of(event))
        facts = await facts_of_event(session, attendance_source(), id_of(event), people)
    return {person: check(rule, fact).missing for person, fact in facts.items()}


async def test_the_rule_counts_what_check_in_recorded(
    sessions: SessionMaker, demo_event: Event
) -> None:
    full = await person_id_of(sessions, await enrol(sessions, demo_event, class_name="A"))
    most = await person_id_of(sessions, await enrol(sessions, demo_event, class_name="A"))
    async with sessions() as session:
        expected = sorted(await sessions_expected(session, id_of(demo_event), class_name="A"))
    assert len(expected) >= 10
    # 90 % of the sessions, rounded up, is the least that qualifies.
    needed = -(-len(expected) * 90 // 100)
    await present(sessions, demo_event, full, expected)
    await present(sessions, demo_event, most, expected[: needed - 1])

    found = await verdicts(sessions, demo_event)
    assert found == {full: (), most: (Part.ATTENDANCE,)}

    await present(sessions, demo_event, most, [expected[needed - 1]])
    assert (await verdicts(sessions, demo_event))[most] == ()

    # A presence taken off by hand no longer counts.
    async with sessions.begin() as session:
        await unmark(
            session, event_id=id_of(demo_event), session_id=expected[0], person_id=most,
            reason="salah tandai", who=ORGANISER, now=NOW,
        )  # fmt: skip
    assert (await verdicts(sessions, demo_event))[most] == (Part.ATTENDANCE,)
