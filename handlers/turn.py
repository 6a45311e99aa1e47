"""Everything a handler sees and does for one inbound message."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.i18n import Translator, supported
from handlers.types import Choice, Inbound, Reply
from models import Conversation, Event, Participant

# A button payload is "<step>|<value>" for an answer to the question of that step, or
# "menu|<action>" for a main-menu action that is valid at any time.
PAYLOAD_SEPARATOR = "|"
MENU = "menu"


LABEL_LIMIT = 24  # a WhatsApp list row's title; Telegram buttons show about as much


def short_label(text: str) -> str:
    """``text`` cut to fit a button, with an ellipsis when cut."""
    return text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 1].rstrip() + "…"


@dataclass(frozen=True, slots=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True, slots=True)
class Deployment:
    """What the core knows of how it runs: who administers it, how to link to the bot."""

    admins: frozenset[tuple[str, str]] = frozenset()  # (channel, user_key)
    telegram_username: str | None = None

    def start_link(self, argument: str) -> str | None:
        """A link that opens the bot with ``/start argument``, where the channel has one."""
        if not self.telegram_username:
            return None
        return f"https://t.me/{self.telegram_username}?start={argument}"


@dataclass(slots=True)
class Turn:
    inbound: Inbound
    conversation: Conversation
    session: AsyncSession
    now: datetime
    deployment: Deployment = field(default_factory=Deployment)
    replies: list[Reply] = field(default_factory=list)
    # Look-ups asked several times while answering one message (which events are this
    # person's, which roles they hold). Whatever grants a role or an enrolment forgets it.
    memo: dict[tuple[object, ...], Any] = field(default_factory=dict)
    # Whether these replies ask the current question or answer an answer to it; if not,
    # the router asks it again (after a look-up in the middle of a registration, say).
    asked: bool = False

    @property
    def argument(self) -> str:
        """What follows a command: "B" in "/kelas B"; empty for anything else."""
        text = self.inbound.text.strip()
        return text.partition(" ")[2].strip() if text.startswith("/") else ""

    @property
    def is_admin(self) -> bool:
        conversation = self.conversation
        return (conversation.channel, conversation.user_key) in self.deployment.admins

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

    def offer(self, text: str, choices: Sequence[Option]) -> None:
        """Buttons whose values are whole payloads, e.g. ``sesi|12`` (see the router)."""
        self.replies.append(Reply(text, tuple(Choice(o.value, o.label) for o in choices)))

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
