"""Database tables. Importing this package registers every table on ``SQLModel.metadata``."""

from models.conversation import Conversation, InboundMessage
from models.event import Event
from models.participant import Consent, Enrollment, Participant

__all__ = ["Consent", "Conversation", "Enrollment", "Event", "InboundMessage", "Participant"]
