"""What ``/dataku``'s JSON file holds (UU PDP No. 27/2022: access and portability), as
typed, frozen parts: the schema; ``models.privacy.export`` fills it from the database."""

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from models.surveys.definition import AnswerValue

# Raised when a field is added, renamed or changes meaning: whoever reads an older file
# knows what it holds.
SCHEMA_VERSION = 1


class Part(BaseModel):
    model_config = ConfigDict(frozen=True)


class Profile(Part):
    full_name: str | None
    phone_e164: str | None
    library_name: str | None
    library_type: str | None
    regency: str | None
    province: str | None
    library_role: str | None
    registered_at: datetime | None
    first_seen_at: datetime
    updated_at: datetime


class ChannelLink(Part):
    """An app the person writes from: which one, not the app's id for them."""

    channel: str
    linked_at: datetime
    last_message_at: datetime | None
    blocked_at: datetime | None  # the bot found it blocked; nothing is sent there until they write


class EventRef(Part):
    code: str
    name: str
    timezone: str  # the event's times are read in it


class ConsentRecord(Part):
    # The event whose organiser it was given to; None: given before consent was per event.
    event: EventRef | None
    text_version: str
    locale: str
    channel: str
    agreed_at: datetime
    withdrawn_at: datetime | None


class Joined(Part):
    event: EventRef
    starts_on: date
    ends_on: date
    class_name: str | None
    enrolled_at: datetime


class RoleHeld(Part):
    event: EventRef
    role: str
    speaker: str  # the name as the agenda spells it, for a trainer
    granted_at: datetime
    revoked_at: datetime | None


class ManualMark(Part):
    action: str  # mark (present) or unmark (not present)
    reason: str
    via: str  # the channel the organiser used, or "cli"
    at: datetime


class Presence(Part):
    event: EventRef
    session: str
    session_starts_at: datetime
    checked_in_at: datetime | None  # None: only a manual change, and no presence kept
    late: bool
    source: str | None  # code or manual
    channel: str | None
    checked_out_at: datetime | None
    unmarked_at: datetime | None
    manual_marks: list[ManualMark]


class Answer(Part):
    question_id: str
    question: str  # in the person's language, as the survey's version asked it
    subject: str  # the speaker asked about, for a question asked per speaker
    answer: AnswerValue | None
    # The labels of the options picked (a choice, a labelled scale point), as shown.
    answer_labels: list[str]
    answered_at: datetime


class SurveyTaken(Part):
    event: EventRef
    survey: str
    survey_version: int
    title: str
    round: str
    session: str | None
    started_at: datetime
    submitted_at: datetime | None
    answers: list[Answer]


class CertificateHeld(Part):
    event: EventRef
    number: str
    code: str
    holder_name: str
    class_name: str | None
    jp: int
    issued_at: datetime
    status: str  # valid or revoked
    revoked_at: datetime | None
    revoked_reason: str | None


class Queued(Part):
    channel: str
    kind: str
    status: str
    due_at: datetime
    text: str
    file_name: str | None


class ReminderChoices(Part):
    muted_since: datetime | None  # None: reminders on
    notify_channel: str | None  # None: the app written from last


class RosterRow(Part):
    """An organiser's participant list row, linked to the person by its phone number."""

    event: EventRef
    full_name: str
    phone_e164: str
    library_name: str | None
    library_type: str | None
    regency: str | None
    class_name: str | None
    imported_at: datetime


class PersonalData(Part):
    schema_version: int
    generated_at: datetime
    language: str | None
    profile: Profile | None  # None: not registered (or erased)
    channels: list[ChannelLink]
    consents: list[ConsentRecord]
    events: list[Joined]
    roles: list[RoleHeld]
    attendance: list[Presence]
    surveys: list[SurveyTaken]
    certificates: list[CertificateHeld]
    outbox: list[Queued]
    reminders: ReminderChoices
    roster: list[RosterRow]

    @property
    def nothing_stored(self) -> bool:
        """Nothing that says who they are or what they did: the person row alone, as
        at a first message, or as erasure leaves it (a language). Channels and the
        reply queue are how the bot talks to whoever writes, not data about them."""
        return self.profile is None and not any(
            (
                self.consents,
                self.events,
                self.roles,
                self.attendance,
                self.surveys,
                self.certificates,
                self.roster,
            )
        )

    def to_json(self) -> bytes:
        return self.model_dump_json(indent=2).encode()
