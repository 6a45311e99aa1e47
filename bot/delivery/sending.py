"""What a channel's sender promises the dispatcher: send one reply to one address, and
say how it went in terms the dispatcher acts on, whatever the platform's errors."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from handlers.types import Reply

Pace = Callable[[], Awaitable[None]]  # awaited before each message the platform counts


class Outcome(StrEnum):
    SENT = "sent"
    RETRY_AFTER = "retry_after"  # the platform asked to wait (Telegram's 429)
    BLOCKED = "blocked"  # the person blocked the bot or left: stop sending to them
    REFUSED = "refused"  # this message can never be sent (a bad request): do not retry
    UNAVAILABLE = "unavailable"  # network trouble or a server error: try again later


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
