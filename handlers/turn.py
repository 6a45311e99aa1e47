"""Everything a handler sees and does for one inbound message."""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

import structlog
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.i18n import Translator, supported
from handlers.registry import Registry, registry
from handlers.types import Choice, Inbound, Meaning, Reply
from models import ChannelIdentity, Conversation, Person

log = structlog.get_logger(__name__)

# A button payload is "<namespace>|<value>": "menu|today", "sesi|12"... for buttons that
# mean the same whenever they are pressed, and "?<question>|<value>" for an answer to
# the question with that number (see handlers.flow).
PAYLOAD_SEPARATOR = "|"
MENU = "menu"

LABEL_LIMIT = 24  # a WhatsApp list row's title; Telegram buttons show about as much

T = TypeVar("T")
S = TypeVar("S", bound=BaseModel)


def short_label(text: str) -> str:
    """``text`` cut to fit a button, with an ellipsis when cut."""
    return text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 1].rstrip() + "…"


@dataclass(frozen=True, slots=True)
class Option:
    value: str
    label: str
    meaning: Meaning = Meaning.NONE
    number: int | None = None  # see Choice.number

    def with_value(self, value: str) -> "Option":
        return Option(value, self.label, self.meaning, self.number)

    def choice(self, payload: str | None = None) -> Choice:
        """As a button whose payload is ``payload``, or the value itself."""
        return Choice(
            self.value if payload is None else payload, self.label, self.meaning, self.number
        )


@dataclass(frozen=True, slots=True)
class Deployment:
    """What the core knows of how it runs: who administers it, how to link to the bot."""

    admins: frozenset[tuple[str, str]] = frozenset()  # (channel, user_key)
    telegram_username: str | None = None
    whatsapp_number: str | None = None  # the business number people write to, digits only
    # Where the bot's web pages are reached from outside ("https://bimtek.example.id"):
    # certificates carry a link to their verification page there.
    public_base_url: str | None = None

    def start_link(self, argument: str) -> str | None:
        """A link that opens the bot with ``/start argument``, where the channel has one."""
        if not self.telegram_username:
            return None
        return f"https://t.me/{self.telegram_username}?start={argument}"

    def whatsapp_link(self, text: str) -> str | None:
        """A link that opens a chat with the bot on WhatsApp with ``text`` typed in,
        ready to send; None without a WhatsApp number."""
        if not self.whatsapp_number:
            return None
        return f"https://wa.me/{self.whatsapp_number}?text={quote(text)}"

    def certificate_link(self, code: str) -> str | None:
        """The verification page of the certificate with ``code``; None without a public
        address."""
        if not self.public_base_url:
            return None
        return f"{self.public_base_url.rstrip('/')}/sertifikat/{code}"


@dataclass(slots=True)
class Turn:
    inbound: Inbound
    identity: ChannelIdentity
    person: Person
    conversation: Conversation
    session: AsyncSession
    now: datetime
    deployment: Deployment = field(default_factory=Deployment)
    registry: Registry = field(default_factory=registry)  # what people can do
    replies: list[Reply] = field(default_factory=list)
    # Look-ups asked several times while answering one message (which events are this
    # person's, which roles they hold). Whatever grants a role or an enrolment forgets it.
    memo: dict[tuple[object, ...], Any] = field(default_factory=dict)
    # Whether these replies ask the current question or answer an answer to it; if not,
    # the router asks it again (after a look-up in the middle of a registration, say).
    asked: bool = False
    # The flows' states read during this turn, written back by save_states().
    states: dict[str, BaseModel] = field(default_factory=dict)
    # Work that needs nothing more from the database (writing a file the turn gathered
    # the figures for): run after the turn's transaction commits, so that nobody else's
    # message waits on the database meanwhile. Each gives replies that follow the turn's.
    later: list[Callable[[], Awaitable[list[Reply]]]] = field(default_factory=list)

    def after_commit(self, work: Callable[[], Awaitable[list[Reply]]]) -> None:
        """Run ``work`` once this turn is stored; its replies follow this turn's own."""
        self.later.append(work)

    @property
    def person_id(self) -> int:
        assert self.person.id is not None
        return self.person.id

    @property
    def argument(self) -> str:
        """What follows a command: "B" in "/kelas B"; empty for anything else."""
        text = self.inbound.text.strip()
        return text.partition(" ")[2].strip() if text.startswith("/") else ""

    @property
    def is_admin(self) -> bool:
        identity = self.identity
        return (identity.channel, identity.user_key) in self.deployment.admins

    @property
    def locale(self) -> str:
        return self.person.locale or supported(self.inbound.language_hint)

    @property
    def t(self) -> Translator:
        return Translator(self.locale)

    def say(self, key: str, /, **values: object) -> None:
        self.replies.append(Reply(self.t(key, **values)))

    def offer(self, text: str, choices: Sequence[Option]) -> None:
        """Buttons whose values are whole payloads, e.g. ``sesi|12``, valid whenever
        they are pressed."""
        self.replies.append(Reply(text, tuple(o.choice() for o in choices)))

    def menu(self, text: str, actions: Sequence[Option]) -> None:
        self.offer(text, [Option(f"{MENU}{PAYLOAD_SEPARATOR}{a.value}", a.label) for a in actions])

    async def cached(self, key: tuple[object, ...], load: Callable[[], Awaitable[T]]) -> T:
        """``load()``, once per turn for the same key."""
        if key not in self.memo:
            self.memo[key] = await load()
        found: T = self.memo[key]
        return found

    def forget_cached(self) -> None:
        """After a change to roles or enrolments: the next look-up reads them again."""
        self.memo.clear()

    def state(self, flow: str, model: type[S]) -> S:
        """The flow's answers so far, checked against its model; a stored state that no
        longer fits (from an older version, or damaged) starts afresh."""
        found = self.states.get(flow)
        if found is None:
            raw = self.conversation.state.get(flow) or {}
            try:
                found = model.model_validate(raw)
            except ValidationError:
                log.warning("flow_state_invalid", flow=flow)
                found = model()
            self.states[flow] = found
        assert isinstance(found, model)
        return found

    def save_states(self) -> None:
        """Write back the states of the flow under way and of the one it paused; any
        other flow is over, and its answers go."""
        conversation = self.conversation
        live = {conversation.flow, conversation.paused_flow} - {None}
        kept = {name: value for name, value in conversation.state.items() if name in live}
        for name, model in self.states.items():
            if name in live:
                kept[name] = model.model_dump(mode="json")
        if kept != conversation.state:
            conversation.state = kept  # a new object, so SQLAlchemy sees the change
