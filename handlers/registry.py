"""The one registry of what people can do: commands, flows, buttons and file handlers.

Each module of ``handlers.features`` declares its part as a module-level ``FEATURE``; the
registry collects them, so a new feature is one new module (plus its catalog entries),
not an edit in the router, the menu and every channel.
"""

import importlib
import pkgutil
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

from models import Event, RoleName

if TYPE_CHECKING:
    from handlers.flow import Flow
    from handlers.turn import Turn
    from handlers.types import Attachment

Action = Callable[["Turn"], Awaitable[None]]
# A button valid whatever the question: returns False when the value is not one this
# person was offered (forged, or from an event they no longer belong to).
ButtonAction = Callable[["Turn", str], Awaitable[bool]]
# A file someone sent: returns False when it is not for this handler.
FileAction = Callable[["Turn"], Awaitable[bool]]
# Typed words that answer no question and pick no button (an event code, a greeting):
# returns False when they mean nothing to this handler.
TypedAction = Callable[["Turn", str], Awaitable[bool]]


class FileReadAhead(Protocol):
    """The slow part of taking a file in (parsing a spreadsheet), done before the
    message's transaction, so that nobody waits on the database meanwhile."""

    async def wanted(self, turn: "Turn") -> bool:
        """Whether this person's file is for this feature; reads only, and is rolled back."""

    async def read(self, attachment: "Attachment") -> None:
        """Read it with no database held; the file handler then finds the result kept."""


@dataclass(frozen=True, slots=True)
class Situation:
    """What the menu and the help need to know about the person right now."""

    event: Event | None  # the event their look-ups are about
    roles: frozenset[RoleName]  # held in that event
    is_admin: bool
    registered: bool
    has_data: bool  # consented or registered: there is something to erase
    in_flow: bool
    chooses_class: bool  # enrolled in an event that has classes, without a role there
    several_events: bool

    def may(self, needed: RoleName) -> bool:
        if self.is_admin:
            return True
        if needed is RoleName.TRAINER:
            return bool(self.roles)
        return RoleName.ORGANIZER in self.roles


def always(_: Situation) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Command:
    """A command, in both languages, and how the menu and help present it.

    ``key`` names its catalog entries: ``command.<key>`` describes it in the help and
    the channel's command list; ``menu.<key>`` labels its main-menu button.
    """

    key: str
    names: Mapping[str, str]  # locale → the command as typed, without "/"
    action: Action
    order: int  # where the menu and the help list it
    button: bool = False  # offered on the main menu
    in_help: bool = True
    channel_menu: bool = False  # in the channel's own command list (Telegram's "/" menu)
    # The role it needs in the event the person is looking at; organisers may do what
    # trainers may, admins everything. The action checks the event it acts on itself.
    needs: RoleName | None = None
    shown: Callable[[Situation], bool] = always  # when the menu and the help offer it
    aliases: tuple[str, ...] = ()  # more names that work ("mulai" for "start")

    def name(self, locale: str) -> str:
        return self.names.get(locale) or self.names["id"]

    def offered(self, situation: Situation) -> bool:
        if self.needs is not None and (situation.event is None or not situation.may(self.needs)):
            return False
        return self.shown(situation)


@dataclass(frozen=True, slots=True)
class Feature:
    commands: tuple[Command, ...] = ()
    flows: "tuple[Flow[Any], ...]" = ()
    buttons: Mapping[str, ButtonAction] = field(default_factory=dict)
    files: FileAction | None = None
    read_ahead: FileReadAhead | None = None
    typed: TypedAction | None = None


@dataclass(frozen=True, slots=True)
class Registry:
    commands: tuple[Command, ...]  # in menu and help order
    by_name: Mapping[str, Command]  # every name and alias, lower case
    by_key: Mapping[str, Command]
    flows: "Mapping[str, Flow[Any]]"
    buttons: Mapping[str, ButtonAction]
    files: tuple[FileAction, ...]
    read_ahead: tuple[FileReadAhead, ...]
    typed: tuple[TypedAction, ...]


def build(features: list[Feature]) -> Registry:
    commands = sorted((c for f in features for c in f.commands), key=lambda c: c.order)
    by_name: dict[str, Command] = {}
    by_key: dict[str, Command] = {}
    flows: dict[str, Flow[Any]] = {}
    buttons: dict[str, ButtonAction] = {}
    for command in commands:
        if command.key in by_key:
            raise ValueError(f"two commands with the key {command.key!r}")
        by_key[command.key] = command
        for name in {*command.names.values(), *command.aliases}:
            if by_name.setdefault(name.casefold(), command) is not command:
                raise ValueError(f"/{name} names two commands")
    for feature in features:
        for flow in feature.flows:
            if flows.setdefault(flow.name, flow) is not flow:
                raise ValueError(f"two flows named {flow.name!r}")
        for namespace, action in feature.buttons.items():
            if buttons.setdefault(namespace, action) is not action:
                raise ValueError(f"two button namespaces {namespace!r}")
    files = tuple(f.files for f in features if f.files is not None)
    read_ahead = tuple(f.read_ahead for f in features if f.read_ahead is not None)
    typed = tuple(f.typed for f in features if f.typed is not None)
    return Registry(tuple(commands), by_name, by_key, flows, buttons, files, read_ahead, typed)


def discover(package_name: str) -> list[Feature]:
    """Every ``FEATURE`` of the package's modules, in module-name order."""
    package = importlib.import_module(package_name)
    features = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{package_name}.{info.name}")
        feature = getattr(module, "FEATURE", None)
        if isinstance(feature, Feature):
            features.append(feature)
    return features


@cache
def registry() -> Registry:
    """What the bot offers: the features of ``handlers.features``."""
    return build(discover("handlers.features"))
