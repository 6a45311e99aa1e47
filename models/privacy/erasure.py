"""Erasing a person completely (UU PDP No. 27/2022: the right to have one's data erased).

``erase_person`` leaves no table holding the person's name, phone number, channel ids
or addresses, or anything they wrote:

- deleted: their channel identities with their conversations, link codes and messages
  (waiting ones are so called off: reminders, survey prompts, certificates, broadcasts),
  enrolments, uploads, attendance with the hand-made changes about it and wrong-code
  counts, live result messages, roles (a trainer's speaker name with them), the
  organisers' roster rows matched to them or carrying their number, and WhatsApp
  deliveries not yet handled that hold their number;
- kept without them: submitted survey answers as anonymous figures (models/privacy/
  anonymous.py); certificates, revoked, without name, reason or paper; consent records,
  withdrawn, unlinked, their times cut to the day; rows they made as an organiser (an
  announcement, a check-in code, a survey round), no longer pointing at them;
- their name and number are taken out of text other people own (models/privacy/
  redaction.py): announcements, attendance reasons, messages sent to others,
  others' unfinished answers, and as a trainer the agenda's speaker cells and the
  survey questions asked about them.

Attendance is deleted, not kept anonymous: a row says who was in which session at which
minute, and the session's other rows and its survey round make a lone anonymous row easy
to put a name to again. Their presence leaves the per-session counts; their anonymous
answers still count as answers (models/surveys/report.py counts each as one person).

The person's last reply ("your data are erased") must still reach them, and a reply
needs the address: with ``reply_to`` that one identity stays, with its conversation
emptied, and the person row stays empty with ``erased_at`` set. ``finish_erasures``
deletes both once the reply is sent (or after ``GIVE_UP``), which the privacy job does
each minute; until then the address is the only thing left.

Without ``reply_to`` (an event's retention purge) the person row goes at once.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from models.agenda import AgendaSession
from models.attendance.store import (
    Attendance,
    AttendanceMark,
    AttendanceOpening,
    AttendanceTries,
)
from models.broadcasts import Broadcast
from models.certificates.store import Certificate
from models.conversation import Conversation
from models.dashboard import DashboardLink, DashboardSession
from models.linking import LinkCode, move_deeds
from models.outbox import OutboxFile, OutboxMessage, SentMessage, Status
from models.people import PROFILE_FIELDS, ChannelIdentity, Consent, Enrollment, Person
from models.privacy.anonymous import anonymise_responses, day_of
from models.privacy.redaction import REDACTED, Needles, redact_columns
from models.roles import Invite, Role, name_key, split_speakers
from models.roster.entry import RosterEntry
from models.surveys.store import SurveyAnswer, SurveyResponse, SurveyRound, SurveyWatch
from models.uploads import Upload
from models.webhook_inbox import WebhookInbox

# How long the last reply may take before the person's row goes without it being sent.
GIVE_UP = timedelta(hours=1)
# Settled outbox rows: their files are needed no more.
_SETTLED = (Status.SENT, Status.EXPIRED, Status.CANCELLED)

# Every table an erasure may change: what a PostgreSQL VACUUM goes over afterwards.
TOUCHED = (
    "person", "channel_identity", "conversation", "consent", "enrollment", "role",
    "invite", "upload", "outbox", "outbox_file", "sent_message", "notification",
    "broadcast", "link_code", "webhook_inbox", "roster_entry", "attendance",
    "attendance_mark", "attendance_tries", "attendance_opening", "certificate",
    "survey_response", "survey_answer", "survey_watch",
    "survey_round", "agenda_session", "dashboard_link", "dashboard_session", "audit_entry",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Erasure:
    """What one erasure did, in numbers (for the logs and the purge's report)."""

    answers_kept: int = 0  # anonymous responses
    answers_dropped: int = 0  # free text, drafts
    attendance: int = 0
    certificates: int = 0
    uploads: int = 0
    messages: int = 0  # outbox rows of theirs
    roster: int = 0
    mentions: int = 0  # rows of others' text their name or number was taken out of


def _count(result: Any) -> int:
    return int(result.rowcount or 0)


async def has_personal_data(session: AsyncSession, person: Person) -> bool:
    """Whether erasing would take anything away beyond the channel identity they write
    from: a profile, consent, enrolment, role, answer, attendance, certificate, upload."""
    if person.is_registered or any(getattr(person, name) for name in PROFILE_FIELDS):
        return True
    pid = person.id
    for column in (
        Consent.person_id, Enrollment.person_id, Role.person_id, Attendance.person_id,
        Certificate.person_id, Upload.person_id, RosterEntry.person_id,
    ):  # fmt: skip
        found = await session.execute(select(sa.exists().where(col(column) == pid)))
        if found.scalar():
            return True
    found = await session.execute(select(sa.exists().where(col(SurveyResponse.person_id) == pid)))
    return bool(found.scalar())


async def erase_person(
    session: AsyncSession, person_id: int, now: datetime, *, reply_to: int | None = None
) -> Erasure | None:
    """Erase everything about the person (see the module's notes); None when there is no
    such person. ``reply_to``: the identity (theirs) their last reply goes to, kept until
    it is sent."""
    person = await session.get(Person, person_id)
    if person is None:
        return None
    identities = list(
        (
            await session.execute(
                select(ChannelIdentity).where(col(ChannelIdentity.person_id) == person_id)
            )
        ).scalars()
    )
    identity_ids = [i.id for i in identities]
    roles = list(
        (await session.execute(select(Role).where(col(Role.person_id) == person_id))).scalars()
    )
    needles = Needles()
    needles.add_name(person.full_name)
    needles.add_phone(person.phone_e164)
    matched = select(RosterEntry).where(col(RosterEntry.person_id) == person_id)
    for entry in (await session.execute(matched)).scalars():
        needles.add_name(entry.full_name)
        needles.add_phone(entry.phone_e164)
    for identity in identities:
        if identity.channel == "whatsapp":
            needles.add_phone(identity.user_key)

    kept, dropped = await anonymise_responses(session, person_id)
    attendance = _count(
        await session.execute(delete(Attendance).where(col(Attendance.person_id) == person_id))
    )
    await session.execute(delete(AttendanceMark).where(col(AttendanceMark.person_id) == person_id))
    await session.execute(
        delete(AttendanceTries).where(col(AttendanceTries.person_id) == person_id)
    )
    certificates = await _forget_certificates(session, person_id, now)
    uploads = _count(
        await session.execute(delete(Upload).where(col(Upload.person_id) == person_id))
    )
    await session.execute(delete(Enrollment).where(col(Enrollment.person_id) == person_id))
    await session.execute(delete(SurveyWatch).where(col(SurveyWatch.person_id) == person_id))
    await session.execute(
        delete(LinkCode).where(
            (col(LinkCode.person_id) == person_id) | col(LinkCode.identity_id).in_(identity_ids)
        )
    )
    roster = await _forget_roster(session, person_id, person.phone_e164)
    await _withdraw_consents(session, person_id, now)
    await _unlink_organiser_rows(session, person_id, identity_ids)
    await _end_dashboard_access(session, person_id)
    await _forget_trainer(session, roles)
    messages = await _forget_messages(session, identity_ids)
    await _forget_deliveries(session, [i.user_key for i in identities if i.channel == "whatsapp"])
    mentions = await _redact_mentions(session, needles)

    # Rows deleted by statement (or by cascade) leave the session too: a row inserted
    # later in the same transaction may be given a deleted one's id.
    for gone in (*roles, *(i for i in identities if i.id != reply_to)):
        session.expunge(gone)
    if reply_to is None or reply_to not in identity_ids:
        await session.execute(delete(Person).where(col(Person.id) == person_id))
        session.expunge(person)
        for left in identities:
            if left in session:
                session.expunge(left)
    else:
        others = [i for i in identity_ids if i != reply_to]
        await session.execute(delete(ChannelIdentity).where(col(ChannelIdentity.id).in_(others)))
        await session.execute(
            update(Conversation)
            .where(col(Conversation.identity_id) == reply_to)
            .values(flow=None, step=None, paused_flow=None, paused_step=None, state={}, offered=[])
        )
        for name in PROFILE_FIELDS:
            setattr(person, name, None)
        person.registered_at = person.viewing_event_id = person.event_chosen_at = None
        person.reminders_muted_at = None
        person.notify_channel = None
        person.erased_at = person.updated_at = now
    await session.flush()
    return Erasure(
        answers_kept=kept,
        answers_dropped=dropped,
        attendance=attendance,
        certificates=certificates,
        uploads=uploads,
        messages=messages,
        roster=roster,
        mentions=mentions,
    )


async def _forget_certificates(session: AsyncSession, person_id: int, now: datetime) -> int:
    """Revoked, and kept with neither name nor paper nor a reason that may name them:
    the number still verifies, as revoked."""
    result = await session.execute(
        update(Certificate)
        .where(col(Certificate.person_id) == person_id)
        .values(
            holder_name="",
            pdf=None,
            person_id=None,
            manual_reason=None,
            revoked_at=sa.func.coalesce(col(Certificate.revoked_at), day_of(now)),
            revoked_reason="erased",
            revoked_by="erased",
        )
    )
    return _count(result)


async def _forget_roster(session: AsyncSession, person_id: int, phone: str | None) -> int:
    """The organiser's roster rows that are this person: the one matched to them, and
    any (in other events) with their number. Deleted rather than blanked: a blank row is
    nobody, and the number is what a row is (one per number per event)."""
    theirs = col(RosterEntry.person_id) == person_id
    if phone:
        theirs = theirs | (col(RosterEntry.phone_e164) == phone)
    return _count(await session.execute(delete(RosterEntry).where(theirs)))


async def _withdraw_consents(session: AsyncSession, person_id: int, now: datetime) -> None:
    """Kept as the record that consent was given and withdrawn, linked to nobody; times
    cut to the day, so that no other row's instant points back at them."""
    found = await session.execute(select(Consent).where(col(Consent.person_id) == person_id))
    for consent in found.scalars():
        consent.person_id = None
        consent.agreed_at = day_of(consent.agreed_at)
        consent.withdrawn_at = day_of(consent.withdrawn_at or now)


async def _end_dashboard_access(session: AsyncSession, person_id: int) -> None:
    """Their sign-in links and web sessions end now."""
    await session.execute(delete(DashboardLink).where(col(DashboardLink.person_id) == person_id))
    await session.execute(
        delete(DashboardSession).where(col(DashboardSession.person_id) == person_id)
    )


async def _unlink_organiser_rows(
    session: AsyncSession, person_id: int, identity_ids: list[int | None]
) -> None:
    """What they did as an organiser stays the event's (the audit log keeps it too), by
    nobody."""
    await move_deeds(session, person_id, None)
    await session.execute(
        update(AttendanceOpening)
        .where(col(AttendanceOpening.status_identity_id).in_(identity_ids))
        .values(status_identity_id=None, status_outbox_id=None)
    )


async def _forget_trainer(session: AsyncSession, roles: list[Role]) -> None:
    """Roles go; a trainer's name goes from the invite that made them one, from the
    agenda's speaker cells of that event and from the survey questions about them
    (replaced by one pseudonym, so that the figures about them stay together)."""
    for role in roles:
        speaker = role.speaker.strip()
        if role.invite_id is not None:
            await session.execute(
                update(Invite).where(col(Invite.id) == role.invite_id).values(speaker="")
            )
        await session.execute(delete(Role).where(col(Role.id) == role.id))
        if speaker:
            await _replace_speaker(session, role.event_id, speaker)


async def _replace_speaker(session: AsyncSession, event_id: int, speaker: str) -> None:
    alias = f"{REDACTED[:-1]} {secrets.token_hex(2)}]"
    wanted = name_key(speaker)

    def swapped(names: list[str]) -> list[str]:
        return [alias if name_key(n) == wanted else n for n in names]

    sessions = await session.execute(
        select(AgendaSession).where(col(AgendaSession.event_id) == event_id)
    )
    for row in sessions.scalars():
        names = split_speakers(row.speakers)
        if any(name_key(n) == wanted for n in names):
            row.speakers = "; ".join(swapped(names))
    rounds = await session.execute(select(SurveyRound).where(col(SurveyRound.event_id) == event_id))
    for round_ in rounds.scalars():
        if any(name_key(n) == wanted for n in round_.speakers):
            round_.speakers = swapped(list(round_.speakers))
            answers = await session.execute(
                select(SurveyAnswer)
                .join(SurveyResponse, col(SurveyResponse.id) == col(SurveyAnswer.response_id))
                .where(col(SurveyResponse.round_id) == round_.id)
            )
            for answer in answers.scalars():
                if name_key(answer.subject) == wanted:
                    answer.subject = alias


async def _forget_messages(session: AsyncSession, identity_ids: list[int | None]) -> int:
    """Their outbox rows, sent or waiting (waiting: so called off), with the files only
    they used; then the files of every row already settled, which nothing needs again
    (an organiser's participant list names them too)."""
    outbox = OutboxMessage.__table__  # type: ignore[attr-defined]
    files = OutboxFile.__table__  # type: ignore[attr-defined]
    broadcasts = Broadcast.__table__  # type: ignore[attr-defined]
    await session.execute(
        delete(SentMessage).where(
            col(SentMessage.outbox_id).in_(
                select(outbox.c.id).where(outbox.c.identity_id.in_(identity_ids))
            )
        )
    )
    removed = _count(
        await session.execute(delete(outbox).where(outbox.c.identity_id.in_(identity_ids)))
    )
    await session.execute(
        update(outbox)
        .where(outbox.c.status.in_(_SETTLED), outbox.c.file_id.is_not(None))
        .values(file_id=None)
    )
    used = sa.union(
        select(outbox.c.file_id).where(outbox.c.file_id.is_not(None)),
        select(broadcasts.c.file_id).where(broadcasts.c.file_id.is_not(None)),
    ).subquery()
    await session.execute(delete(files).where(files.c.id.not_in(select(used.c.file_id))))
    return removed


async def _forget_deliveries(session: AsyncSession, numbers: list[str]) -> None:
    """WhatsApp deliveries still in the inbox that carry their number (messages not yet
    handled, status reports): the raw payload holds number, name and text."""
    if not numbers:
        return
    needles = [n.encode() for n in numbers]
    found = await session.execute(select(WebhookInbox.id, WebhookInbox.body))
    theirs = [row_id for row_id, body in found.all() if any(n in body for n in needles)]
    if theirs:
        await session.execute(delete(WebhookInbox).where(col(WebhookInbox.id).in_(theirs)))


async def _redact_mentions(session: AsyncSession, needles: Needles) -> int:
    if not needles:
        return 0
    return await redact_columns(
        session,
        [
            Broadcast.__table__.c.text,  # type: ignore[attr-defined]
            AttendanceMark.__table__.c.reason,  # type: ignore[attr-defined]
            Certificate.__table__.c.revoked_reason,  # type: ignore[attr-defined]
            Certificate.__table__.c.manual_reason,  # type: ignore[attr-defined]
            Invite.__table__.c.speaker,  # type: ignore[attr-defined]
            OutboxMessage.__table__.c.body,  # type: ignore[attr-defined]
            Conversation.__table__.c.state,  # type: ignore[attr-defined]
        ],
        needles,
    )


async def finish_erasures(session: AsyncSession, now: datetime) -> int:
    """Delete the people erased whose last reply went (or who waited ``GIVE_UP``), with
    the identity it went to; how many. Someone who wrote again and consented anew is
    somebody new: their row stays and stops being an erasure."""
    people = Person.__table__  # type: ignore[attr-defined]
    identity = ChannelIdentity.__table__  # type: ignore[attr-defined]
    outbox = OutboxMessage.__table__  # type: ignore[attr-defined]
    waiting = (
        select(outbox.c.id)
        .join(identity, identity.c.id == outbox.c.identity_id)
        .where(
            identity.c.person_id == people.c.id,
            outbox.c.status.in_((Status.PENDING, Status.SENDING)),
        )
    )
    erased = select(people.c.id).where(people.c.erased_at.is_not(None))
    came_back = erased.where(sa.exists().where(col(Consent.person_id) == people.c.id))
    await session.execute(update(people).where(people.c.id.in_(came_back)).values(erased_at=None))
    done = erased.where(~sa.exists(waiting) | (people.c.erased_at <= now - GIVE_UP))
    return _count(await session.execute(delete(people).where(people.c.id.in_(done))))
