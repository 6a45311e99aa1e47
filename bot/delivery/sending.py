"""What a channel's sender promises the dispatcher: send one reply to one address, and
say how it went in terms the dispatcher acts on, whatever the platform's errors. A channel
that can change a message already sent (Telegram) is also an ``Editor``; the dispatcher
sends the update of a live message anew on any other."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Literal, Protocol, runtime_checkable

from handlers.types import Reply

Pace = Callable[[], Awaitable[None]]  # awaited before each message the platform counts


class Outcome(StrEnum):
    SENT = "sent"
    RETRY_AFTER = "retry_after"  # the platform asked to wait (Telegram's 429)
    BLOCKED = "blocked"  # the person blocked the bot or left: stop sending to them
    REFUSED = "refused"  # this message can never be sent (a bad request): do not retry
    UNAVAILABLE = "unavailable"  # network trouble or a server error: try again later
    # Of an edit only: the message is gone or can no longer be changed; send it anew.
    NOT_EDITABLE = "not_editable"
    # The platform takes only an approved template now (WhatsApp, 24 hours after the
    # person's last message): send it again as one.
    WINDOW_CLOSED = "window_closed"
    # A template is needed and none is configured for this kind of message: held, and
    # reported to the organiser, until the person writes again.
    NEEDS_TEMPLATE = "needs_template"


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: Outcome
    parts_sent: int  # of the reply's messages, those sent (also before a failure)
    message_ids: tuple[str, ...] = ()
    retry_after: float = 0.0
    error: str = ""  # short and free of personal data: it is stored and logged


class Sender(Protocol):
    channel: str

    async def send(
        self, address: str, reply: Reply, *, skip: int, pace: Pace, bulk: bool = False
    ) -> SendResult:
        """Send ``reply``'s messages after the first ``skip`` (sent by an earlier try),
        awaiting ``pace`` before each. ``bulk``: one copy of a broadcast."""
        ...


@runtime_checkable
class Editor(Sender, Protocol):
    async def edit(self, address: str, message_id: str, reply: Reply, *, pace: Pace) -> SendResult:
        """Show ``reply`` (its text and choices) in place of the message ``message_id``
        sent earlier, awaiting ``pace`` first. Content the message shows already counts as
        sent; a reply that one message cannot show (a file, a text too long) is
        ``NOT_EDITABLE``, as is a message the platform no longer lets change."""
        ...


@runtime_checkable
class WindowedSender(Sender, Protocol):
    """A channel that takes free-form messages only for a while after the person's last
    message (WhatsApp: 24 hours); after it, only approved templates."""

    window: timedelta

    async def send_template(
        self, address: str, kind: str, reply: Reply, *, pace: Pace
    ) -> SendResult:
        """``reply`` as the template configured for ``kind`` of message (reminder,
        digest, broadcast...), its text the template's parameter, awaiting ``pace``
        first; ``NEEDS_TEMPLATE`` when no template is configured for ``kind``."""
        ...


@runtime_checkable
class ReportingSender(Sender, Protocol):
    """A channel that reports later what became of each message it took (WhatsApp's
    status callbacks): the dispatcher keeps the message ids to find the rows by."""

    reports_status: Literal[True]
