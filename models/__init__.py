"""Database tables, and the queries over them that take a session and ids. Importing this
package registers every table on ``SQLModel.metadata``."""

from models.agenda import AgendaSession, EventClass
from models.attendance import (
    Attendance,
    AttendanceMark,
    AttendanceOpening,
    AttendanceSettings,
    AttendanceTries,
)
from models.audit import AuditEntry
from models.broadcasts import Broadcast
from models.certificates.store import Certificate, CertificateSettings
from models.conversation import Conversation, InboundMessage
from models.dashboard import DashboardLink, DashboardSession
from models.event import Event
from models.linking import LinkCode
from models.notifications import Notification
from models.outbox import OutboxFile, OutboxMessage, SentMessage
from models.people import ChannelIdentity, Consent, Enrollment, Person
from models.reminders import ReminderSettings
from models.roles import Invite, Role, RoleName
from models.roster.entry import RosterEntry
from models.surveys.store import (
    Survey,
    SurveyAnswer,
    SurveyResponse,
    SurveyRound,
    SurveyWatch,
)
from models.uploads import Upload
from models.webhook_inbox import WebhookInbox

__all__ = [
    "AgendaSession",
    "Attendance",
    "AttendanceMark",
    "AttendanceOpening",
    "AttendanceSettings",
    "AttendanceTries",
    "AuditEntry",
    "Broadcast",
    "Certificate",
    "CertificateSettings",
    "ChannelIdentity",
    "Consent",
    "Conversation",
    "DashboardLink",
    "DashboardSession",
    "Enrollment",
    "Event",
    "EventClass",
    "InboundMessage",
    "Invite",
    "LinkCode",
    "Notification",
    "OutboxFile",
    "OutboxMessage",
    "Person",
    "ReminderSettings",
    "Role",
    "RoleName",
    "RosterEntry",
    "SentMessage",
    "Survey",
    "SurveyAnswer",
    "SurveyResponse",
    "SurveyRound",
    "SurveyWatch",
    "Upload",
    "WebhookInbox",
]
