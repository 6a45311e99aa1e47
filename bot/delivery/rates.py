"""Send rates, held with the ``limits`` library: a moving window per channel for the
bot as a whole and one per chat, in memory or in Redis (then the limits hold across
every process that sends for the same bot).

Places are handed out evenly over the window (see ``HEADROOM``). Who waits is decided
here too: when the bot-wide window is full, the waiting send with
the lowest priority number goes first, so a reply never waits behind a broadcast.
"""

import asyncio
import heapq
import itertools
import time
from collections.abc import Mapping

from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

# Shortest nap while a window is full: the window's own reset time decides the rest.
_NAP = 0.002


def storage_uri(configured: str) -> str:
    """``memory://`` or ``redis://host:port`` as the settings say them, in the form of
    ``limits``'s asynchronous storages."""
    return configured if configured.startswith("async+") else "async+" + configured


# Places in the bot-wide window are handed out evenly, a little slower than the rate:
# sent in bursts, or at exactly the rate, messages reach the server with the network's
# jitter and some land in a window already full (a 429 each).
HEADROOM = 0.015


class RateGate:
    """Waits, before each message, until the channel's rates allow it."""

    def __init__(
        self,
        bot_rates: Mapping[str, str],
        chat_rates: Mapping[str, str | None] | None = None,
        storage: str = "memory://",
        namespace: str = "bimtek",
    ) -> None:
        found = storage_from_string(storage_uri(storage))
        assert isinstance(found, Storage), "an asynchronous storage"
        self._storage = found
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._bot: dict[str, RateLimitItem] = {c: parse(r) for c, r in bot_rates.items()}
        self._chat: dict[str, RateLimitItem] = {
            c: parse(r) for c, r in (chat_rates or {}).items() if r
        }
        self._namespace = namespace
        self._spacing = {
            c: item.get_expiry() / item.amount * (1 + HEADROOM) for c, item in self._bot.items()
        }
        self._next: dict[str, float] = {}  # when the next place may be handed out
        self._waiting: dict[str, list[tuple[int, int, asyncio.Future[None]]]] = {}
        self._pumps: dict[str, asyncio.Task[None]] = {}
        self._order = itertools.count()

    async def wait(self, channel: str, chat: str, priority: int, *, per_chat: bool) -> None:
        """Until one more message to ``chat`` may go. ``per_chat``: also keep to the
        channel's rate for one chat (notifications; a reply to someone who just wrote
        keeps only to the bot's)."""
        chat_rate = self._chat.get(channel) if per_chat else None
        if chat_rate is not None:
            await self._take(chat_rate, channel, "chat", chat)
        if channel not in self._bot:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting.setdefault(channel, []), (priority, next(self._order), future))
        pump = self._pumps.get(channel)
        if pump is None or pump.done():
            self._pumps[channel] = asyncio.create_task(self._pump(channel))
        await future

    async def _pump(self, channel: str) -> None:
        """Hand the bot-wide window's places out, lowest priority number first."""
        waiting = self._waiting[channel]
        while waiting:
            spacing = self._spacing[channel]
            due = self._next.get(channel, 0.0)
            pause = due - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
            await self._take(self._bot[channel], channel, "bot")
            # Planned from when it was due, not from when the sleep ended: the loop's
            # lateness (a millisecond a sleep) would otherwise add up.
            self._next[channel] = max(due, time.monotonic() - spacing) + spacing
            while waiting:
                _, _, future = heapq.heappop(waiting)
                if not future.done():  # a waiter cancelled (at a stop) gives its place on
                    future.set_result(None)
                    break

    async def _take(self, rate: RateLimitItem, *identifiers: str) -> None:
        keys = (self._namespace, *identifiers)
        while not await self._limiter.hit(rate, *keys):
            stats = await self._limiter.get_window_stats(rate, *keys)
            await asyncio.sleep(max(stats.reset_time - time.time(), _NAP))

    def has_lane(self, lane: str) -> bool:
        """Whether ``lane`` has a bot-wide rate of its own (paid broadcasts, say)."""
        return lane in self._bot

    async def close(self) -> None:
        for pump in self._pumps.values():
            pump.cancel()
        await asyncio.gather(*self._pumps.values(), return_exceptions=True)
        self._pumps.clear()
        # A Redis storage keeps a client (behind the limits library's bridge to it);
        # its connections are closed here rather than left to the garbage collector.
        bridge = getattr(self._storage, "bridge", None)
        pool = getattr(getattr(bridge, "storage", None), "connection_pool", None)
        if pool is not None:
            pool.disconnect()
            await asyncio.sleep(0.01)  # the sockets close on the loop's next turns
