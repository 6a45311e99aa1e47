"""Database tables. Importing this package registers every table on ``SQLModel.metadata``."""

from models.agenda import AgendaSession, EventClass
from models.conversation import Conversation, InboundMessage
from models.event import Event
from models.participant import Consent, Enrollment, Participant
from models.roles import Invite, Role, RoleName

__all__ = [
    "AgendaSession",
    "Consent",
    "Conversation",
    "Enrollment",
    "Event",
    "EventClass",
    "InboundMessage",
    "Invite",
    "Participant",
    "Role",
    "RoleName",
]
