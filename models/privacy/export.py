"""Everything stored about one person, taken out (UU PDP No. 27/2022: the right of access
and of data portability): a typed structure that serialises to JSON, versioned.

It reads only rows that point at the person (their id, or their identities), never
another person's: an organiser's roster row is shown only where it is linked to them,
a manual attendance mark without the organiser who made it (that is the organiser's
data), a certificate as its paper says. Internal ids stay out: they mean nothing to
the person and are no data about them.
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.agenda import AgendaSession
from models.attendance.store import Attendance, AttendanceMark
from models.certificates.store import Certificate
from models.event import Event
from models.outbox import UNSENT, OutboxFile, OutboxMessage, Status
from models.people import ChannelIdentity, Consent, Enrollment, Person, profile_values
from models.privacy.export_schema import (
    SCHEMA_VERSION,
    Answer,
    CertificateHeld,
    ChannelLink,
    ConsentRecord,
    EventRef,
    Joined,
    ManualMark,
    PersonalData,
    Presence,
    Profile,
    Queued,
    ReminderChoices,
    RoleHeld,
    RosterRow,
    SurveyTaken,
)
from models.roles import Role
from models.roster.entry import RosterEntry
from models.surveys.definition import AnswerValue, QuestionDef, QuestionType, SurveyDefinition
from models.surveys.store import Survey, SurveyAnswer, SurveyResponse, SurveyRound
from models.types import utcnow

# Not yet sent: waiting, being sent, or held for a template (WhatsApp's 24-hour window).
QUEUED = (*UNSENT, Status.HELD)


def _ref(event: Event) -> EventRef:
    return EventRef(code=event.code, name=event.name, timezone=event.timezone)


# The tables whose rows of the person are read by _theirs, and those read with each row's
# event by _with_events: constrained, so that mypy checks the helpers with each table.
_Own = TypeVar("_Own", ChannelIdentity, AttendanceMark, Certificate, RosterEntry)
_OfEvent = TypeVar("_OfEvent", Enrollment, Role)


async def _theirs(
    session: AsyncSession, table: type[_Own], person_id: int, at: Any
) -> Sequence[_Own]:
    """The person's rows of ``table``, in the order of ``at``, then of id."""
    found = await session.execute(
        select(table).where(col(table.person_id) == person_id).order_by(col(at), col(table.id))
    )
    return found.scalars().all()


async def _with_events(
    session: AsyncSession, table: type[_OfEvent], person_id: int, *order: Any
) -> list[tuple[_OfEvent, Event]]:
    """The person's rows of ``table``, each with its event, in ``order``."""
    found = await session.execute(
        select(table, Event)
        .join(Event, col(Event.id) == col(table.event_id))
        .where(col(table.person_id) == person_id)
        .order_by(*(col(c) for c in order))
    )
    return [(row, event) for row, event in found.all()]


async def personal_data(
    session: AsyncSession, person_id: int, now: datetime | None = None
) -> PersonalData | None:
    """Everything stored about the person; None when there is no such person."""
    person = await session.get(Person, person_id)
    if person is None:
        return None
    events = await _events(session, person_id)
    locale = person.locale or "id"
    return PersonalData(
        schema_version=SCHEMA_VERSION,
        generated_at=now or utcnow(),
        language=person.locale,
        profile=_profile(person),
        channels=await _channels(session, person_id),
        consents=await _consents(session, person_id),
        events=await _joined(session, person_id),
        roles=await _roles(session, person_id),
        attendance=await _attendance(session, person_id, events),
        surveys=await _surveys(session, person_id, locale),
        certificates=await _certificates(session, person_id, events),
        outbox=await _outbox(session, person_id),
        reminders=ReminderChoices(
            muted_since=person.reminders_muted_at, notify_channel=person.notify_channel
        ),
        roster=await _roster(session, person_id, events),
    )


def _profile(person: Person) -> Profile | None:
    values = profile_values(person)
    if person.registered_at is None and all(value is None for value in values.values()):
        return None
    return Profile(
        **values,
        registered_at=person.registered_at,
        first_seen_at=person.created_at,
        updated_at=person.updated_at,
    )


async def _events(session: AsyncSession, person_id: int) -> dict[int, EventRef]:
    """Every event any of the person's rows points at, by id, read once."""
    pointers = (
        (Enrollment.event_id, Enrollment.person_id),
        (Role.event_id, Role.person_id),
        (Attendance.event_id, Attendance.person_id),
        (AttendanceMark.event_id, AttendanceMark.person_id),
        (Certificate.event_id, Certificate.person_id),
        (RosterEntry.event_id, RosterEntry.person_id),
    )
    ids: set[int] = set()
    for event_id, owner in pointers:
        found = await session.execute(select(col(event_id)).where(col(owner) == person_id))
        ids.update(found.scalars())
    if not ids:
        return {}
    rows = await session.execute(select(Event).where(col(Event.id).in_(ids)))
    return {event.id: _ref(event) for event in rows.scalars() if event.id is not None}


async def _channels(session: AsyncSession, person_id: int) -> list[ChannelLink]:
    found = await _theirs(session, ChannelIdentity, person_id, ChannelIdentity.created_at)
    return [
        ChannelLink(
            channel=i.channel,
            linked_at=i.created_at,
            last_message_at=i.last_inbound_at,
            blocked_at=i.unreachable_at,
        )
        for i in found
    ]


async def _consents(session: AsyncSession, person_id: int) -> list[ConsentRecord]:
    found = await session.execute(
        select(Consent, Event)
        .outerjoin(Event, col(Event.id) == col(Consent.event_id))
        .where(col(Consent.person_id) == person_id)
        .order_by(col(Consent.agreed_at), col(Consent.id))
    )
    return [
        ConsentRecord(
            event=_ref(event) if event is not None else None,
            text_version=c.text_version,
            locale=c.locale,
            channel=c.channel,
            agreed_at=c.agreed_at,
            withdrawn_at=c.withdrawn_at,
        )
        for c, event in found.all()
    ]


async def _joined(session: AsyncSession, person_id: int) -> list[Joined]:
    found = await _with_events(session, Enrollment, person_id, Event.starts_on, Event.id)
    return [
        Joined(
            event=_ref(event),
            starts_on=event.starts_on,
            ends_on=event.ends_on,
            class_name=joined.class_name,
            enrolled_at=joined.enrolled_at,
        )
        for joined, event in found
    ]


async def _roles(session: AsyncSession, person_id: int) -> list[RoleHeld]:
    found = await _with_events(session, Role, person_id, Role.granted_at, Role.id)
    return [
        RoleHeld(
            event=_ref(event),
            role=role.role,
            speaker=role.speaker,
            granted_at=role.granted_at,
            revoked_at=role.revoked_at,
        )
        for role, event in found
    ]


async def _attendance(
    session: AsyncSession, person_id: int, events: dict[int, EventRef]
) -> list[Presence]:
    present = await session.execute(
        select(Attendance).where(col(Attendance.person_id) == person_id)
    )
    by_session = {a.session_id: a for a in present.scalars()}
    marked = await _theirs(session, AttendanceMark, person_id, AttendanceMark.at)
    marks: dict[int, list[ManualMark]] = defaultdict(list)
    event_of: dict[int, int] = {a.session_id: a.event_id for a in by_session.values()}
    for mark in marked:
        marks[mark.session_id].append(
            ManualMark(action=mark.action, reason=mark.reason, via=mark.via, at=mark.at)
        )
        event_of.setdefault(mark.session_id, mark.event_id)
    if not event_of:
        return []
    found = await session.execute(
        select(AgendaSession).where(col(AgendaSession.id).in_(set(event_of)))
    )
    agenda = {s.id: s for s in found.scalars()}
    presences: list[Presence] = []
    for session_id, event_id in event_of.items():
        item = agenda[session_id]
        row = by_session.get(session_id)
        presences.append(
            Presence(
                event=events[event_id],
                session=item.title,
                session_starts_at=item.starts_at,
                checked_in_at=row.checked_in_at if row else None,
                late=row.late if row else False,
                source=row.source if row else None,
                channel=row.channel if row else None,
                checked_out_at=row.checked_out_at if row else None,
                unmarked_at=row.unmarked_at if row else None,
                manual_marks=marks.get(session_id, []),
            )
        )
    presences.sort(key=lambda p: (p.session_starts_at, p.session))
    return presences


def _labels(question: QuestionDef | None, value: AnswerValue | None, locale: str) -> list[str]:
    """What the person saw beside the answer they gave: the option texts, a scale's
    label; nothing for free text, numbers and yes/no (the value says it all)."""
    if question is None or value is None:
        return []
    if question.options and question.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        texts = {c.value: c.text.get(locale) for c in question.options}
        picked = value if isinstance(value, list) else [value]
        return [texts[p] for p in picked if isinstance(p, str) and p in texts]
    labels = question.labels if question.type is QuestionType.SCALE else None
    # bool is an int in Python: a yes/no is no scale point.
    point = value if isinstance(value, int) and not isinstance(value, bool) else 0
    if labels and 1 <= point <= len(labels):
        return [labels[point - 1].get(locale)]
    return []


async def _surveys(session: AsyncSession, person_id: int, locale: str) -> list[SurveyTaken]:
    found = await session.execute(
        select(SurveyResponse, SurveyRound, Survey, Event)
        .join(SurveyRound, col(SurveyRound.id) == col(SurveyResponse.round_id))
        .join(Survey, col(Survey.id) == col(SurveyRound.survey_id))
        .join(Event, col(Event.id) == col(SurveyRound.event_id))
        .where(col(SurveyResponse.person_id) == person_id)
        .order_by(col(SurveyResponse.started_at), col(SurveyResponse.id))
    )
    responses = found.all()
    if not responses:
        return []
    response_ids = [response.id for response, *_ in responses]
    answered = await session.execute(
        select(SurveyAnswer)
        .where(col(SurveyAnswer.response_id).in_(response_ids))
        .order_by(col(SurveyAnswer.id))
    )
    answers: dict[int, list[SurveyAnswer]] = defaultdict(list)
    for answer in answered.scalars():
        answers[answer.response_id].append(answer)
    session_ids = {round_.session_id for _, round_, _, _ in responses if round_.session_id}
    titles: dict[int | None, str] = {}
    if session_ids:
        rows = await session.execute(
            select(col(AgendaSession.id), col(AgendaSession.title)).where(
                col(AgendaSession.id).in_(session_ids)
            )
        )
        titles = {session_id: title for session_id, title in rows.all()}
    taken: list[SurveyTaken] = []
    for response, round_, survey, event in responses:
        definition = SurveyDefinition.model_validate(survey.definition)
        order = {q.id: n for n, q in enumerate(definition.questions)}
        given = sorted(
            answers.get(response.id or 0, []),
            key=lambda a: (order.get(a.question_id, len(order)), a.subject),
        )
        taken.append(
            SurveyTaken(
                event=_ref(event),
                survey=survey.key,
                survey_version=survey.version,
                title=definition.title_in(locale),
                round=round_.slot,
                session=titles.get(round_.session_id),
                started_at=response.started_at,
                submitted_at=response.submitted_at,
                answers=[_answer(definition, a, locale) for a in given],
            )
        )
    return taken


def _answer(definition: SurveyDefinition, answer: SurveyAnswer, locale: str) -> Answer:
    question = definition.question(answer.question_id)
    return Answer(
        question_id=answer.question_id,
        question=question.text.get(locale) if question else answer.question_id,
        subject=answer.subject,
        answer=answer.value,
        answer_labels=_labels(question, answer.value, locale),
        answered_at=answer.answered_at,
    )


async def _certificates(
    session: AsyncSession, person_id: int, events: dict[int, EventRef]
) -> list[CertificateHeld]:
    # Not the PDF: /sertifikat sends the paper itself, and it would swell the file.
    found = await _theirs(session, Certificate, person_id, Certificate.issued_at)
    return [
        CertificateHeld(
            event=events[c.event_id],
            number=c.number,
            code=c.code,
            holder_name=c.holder_name,
            class_name=c.class_name,
            jp=c.jp,
            issued_at=c.issued_at,
            status="revoked" if c.revoked else "valid",
            revoked_at=c.revoked_at,
            revoked_reason=c.revoked_reason,
        )
        for c in found
    ]


async def _outbox(session: AsyncSession, person_id: int) -> list[Queued]:
    found = await session.execute(
        select(OutboxMessage, col(OutboxFile.filename))
        .join(ChannelIdentity, col(ChannelIdentity.id) == col(OutboxMessage.identity_id))
        .outerjoin(OutboxFile, col(OutboxFile.id) == col(OutboxMessage.file_id))
        .where(
            col(ChannelIdentity.person_id) == person_id,
            col(OutboxMessage.status).in_(QUEUED),
        )
        .order_by(col(OutboxMessage.due_at), col(OutboxMessage.id))
    )
    return [
        Queued(
            channel=message.channel,
            kind=message.kind,
            status=message.status,
            due_at=message.due_at,
            text=str(message.body.get("text", "")),
            file_name=filename,
        )
        for message, filename in found.all()
    ]


async def _roster(
    session: AsyncSession, person_id: int, events: dict[int, EventRef]
) -> list[RosterRow]:
    found = await _theirs(session, RosterEntry, person_id, RosterEntry.imported_at)
    return [
        RosterRow(
            event=events[r.event_id],
            full_name=r.full_name,
            phone_e164=r.phone_e164,
            library_name=r.library_name,
            library_type=r.library_type,
            regency=r.regency,
            class_name=r.class_name,
            imported_at=r.imported_at,
        )
        for r in found
    ]
