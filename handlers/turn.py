"""Everything a handler sees and does for one inbound message."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.i18n import Translator, supported
from handlers.types import Choice, Inbound, Reply
from models import Conversation, Event, Participant

# A button payload is "<step>|<value>" for an answer to the question of that step, or
# "menu|<action>" for a main-menu action that is valid at any time.
PAYLOAD_SEPARATOR = "|"
MENU = "menu"


@dataclass(frozen=True, slots=True)
class Option:
    value: str
    label: str


@dataclass(slots=True)
class Turn:
    inbound: Inbound
    conversation: Conversation
    session: AsyncSession
    now: datetime
    replies: list[Reply] = field(default_factory=list)

    @property
    def locale(self) -> str:
        return self.conversation.locale or supported(self.inbound.language_hint)

    @property
    def t(self) -> Translator:
        return Translator(self.locale)

    def say(self, key: str, /, **values: object) -> None:
        self.replies.append(Reply(self.t(key, **values)))

    def ask(self, text: str, step: str, options: Sequence[Option]) -> None:
        choices = tuple(Choice(f"{step}{PAYLOAD_SEPARATOR}{o.value}", o.label) for o in options)
        self.replies.append(Reply(text, choices))

    def menu(self, text: str, actions: Sequence[Option]) -> None:
        self.ask(text, MENU, actions)

    async def participant(self) -> Participant | None:
        pid = self.conversation.participant_id
        return None if pid is None else await self.session.get(Participant, pid)

    async def event(self) -> Event | None:
        eid = self.conversation.event_id
        return None if eid is None else await self.session.get(Event, eid)

    def set_step(self, flow: str | None, step: str | None) -> None:
        self.conversation.flow = flow
        self.conversation.step = step

    def end_flow(self) -> None:
        self.set_step(None, None)
        self.conversation.data = {}

    def data_set(self, key: str, value: object) -> None:
        # Reassign so SQLAlchemy sees the JSON column change.
        self.conversation.data = {**self.conversation.data, key: value}
