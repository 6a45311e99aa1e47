"""Scheduler lateness: the reminder planner over a four-day event with many participants.

    python -m bench.reminders                       # 10,000 participants, the demo event
    python -m bench.reminders --participants 2000 --every 5

The demo event (13–16 November 2024, WITA, 32 sessions, classes A and B) gets N
registered participants (45 % class A, 45 % B, 10 % no class), stored in bulk in a fresh
SQLite file (or ``DATABASE_URL``). Then the periodic job ``plan_notifications`` runs as
the scheduler runs it, once a simulated minute (``--every``) from 05.00 WITA on the first
day to 18.00 on the last, on a clock the benchmark moves: only the job's own work is
timed, minute by minute, on this machine.

Printed: how long a round takes (p50, p99, max: a round that took longer than its minute
would make the next one late), the notifications written, and their lateness: how long
after its due moment a notification was in the outbox, ready to send, taking the round
to end when its real run time has passed after its simulated minute (0 when it was
written ahead, as the planner plans five minutes ahead). Then, for the same rows, when
they would go out at Telegram's 30 messages a second, everyone due at once queueing
behind each other (the rate, not the scheduler, sets that part).
"""

import argparse
import asyncio
import os
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlmodel import col

from bench.crowd import database, seed
from bot.logging import configure_logging
from models import OutboxMessage
from scheduler.notifications import plan_notifications

# 05.00 WITA on 13 November 2024 to 18.00 WITA on the 16th.
FIRST = datetime(2024, 11, 12, 21, 0, tzinfo=UTC)
LAST = datetime(2024, 11, 16, 10, 0, tzinfo=UTC)


def percentile(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else 0


async def run(participants: int, every: int) -> None:
    async with database(os.environ.get("DATABASE_URL") or None) as sessions:
        await seed(sessions, participants, FIRST - timedelta(days=7), classes=True)
        rounds: list[float] = []
        ready_at: dict[int, datetime] = {}  # outbox row → when its round ended
        moment = FIRST
        seen = 0
        while moment <= LAST:
            started = time.perf_counter()
            await plan_notifications(sessions, moment)
            took = time.perf_counter() - started
            rounds.append(took)
            async with sessions() as session:
                found = await session.execute(
                    select(col(OutboxMessage.id)).where(col(OutboxMessage.id) > seen)
                )
                for row_id in found.scalars():
                    if row_id is not None:
                        ready_at[row_id] = moment + timedelta(seconds=took)
                        seen = max(seen, row_id)
            moment += timedelta(minutes=every)
        async with sessions() as session:
            rows = (
                await session.execute(
                    select(
                        col(OutboxMessage.id), col(OutboxMessage.kind), col(OutboxMessage.due_at)
                    )
                )
            ).all()
    late = [max((ready_at[i] - due).total_seconds(), 0.0) for i, _, due in rows if i is not None]
    kinds = Counter(kind for _, kind, _ in rows)
    sent_late = sending_lateness([due for _, _, due in rows], rate=30)
    print(
        f"{participants} participants, the demo event's four days, a round every {every} "
        f"simulated minute(s): {len(rounds)} rounds"
    )
    print(
        f"  round s               p50 {percentile(rounds, 50):.3f}  p99 "
        f"{percentile(rounds, 99):.3f}  max {max(rounds):.3f}"
    )
    print(
        f"  written               {len(rows)} ({', '.join(f'{k} {n}' for k, n in kinds.items())})"
    )
    print(
        f"  lateness s (ready)    p50 {percentile(late, 50):.1f}  p99 {percentile(late, 99):.1f}"
        f"  max {max(late, default=0):.1f}"
    )
    print(
        f"  lateness s (sent at 30/s)  p50 {percentile(sent_late, 50):.1f}  p99 "
        f"{percentile(sent_late, 99):.1f}  max {max(sent_late, default=0):.1f}"
    )


def sending_lateness(dues: list[datetime], rate: float) -> list[float]:
    """When each row would be sent at ``rate`` a second, in due order, one after another."""
    late: list[float] = []
    free = datetime.min.replace(tzinfo=UTC)
    for due in sorted(dues):
        start = max(due, free)
        late.append((start - due).total_seconds())
        free = start + timedelta(seconds=1 / rate)
    return late


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--every", type=int, default=1, help="simulated minutes a round")
    args = parser.parse_args()
    configure_logging("WARNING", "console")
    asyncio.run(run(args.participants, args.every))


if __name__ == "__main__":
    main()
