"""Agenda files through the reader process: how long each file takes to be read or
refused, and the worst delay a light coroutine on the event loop sees meanwhile, beside
a baseline (the same coroutine with nothing else running). Run from the project root:

    python -m bench.agenda_files --repeat 5

The hostile files are those measured on the running bot (tests/hostile_files.py): a
2 MB CSV on one line, 19 MB of cell styles in a small workbook, 19,000 blank rows; 50,000
sessions in a CSV and 5,000 in a workbook (refused for their rows); and a row too wide for
any budget, which only the time limit stops.
"""

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.logging import configure_logging
from models.agenda_import import (
    AgendaFileError,
    Sheet,
    read_file,
    read_file_off_loop,
    template_csv,
    template_xlsx,
)
from models.spreadsheet.offloaded import TIME_LIMIT
from tests.hostile_files import (
    HOSTILE,
    fifty_thousand_rows,
    five_thousand_rows_xlsx,
    one_wide_row,
)

TICK = 0.01  # the light coroutine asks to run again every 10 ms


@dataclass
class Figures:
    outcome: str
    size: int
    read_ms: list[float]  # the file, through the reader
    worst_ms: list[float]  # the loop's worst delay meanwhile
    baseline_ms: list[float]  # the same, with nothing else running
    on_loop_ms: float | None = None  # the file read on the loop, as before the reader


async def worst_delay(work: Callable[[], Awaitable[object]]) -> tuple[object, float, float]:
    """What ``work`` gave (or raised), how long it took and the ticker's worst delay
    meanwhile, in ms."""
    delays: list[float] = []
    done = asyncio.Event()

    async def tick() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(TICK)
            now = time.perf_counter()
            delays.append(now - last - TICK)
            last = now

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(2 * TICK)
    started = time.perf_counter()
    try:
        outcome: object = await work()
    except AgendaFileError as exc:
        outcome = exc
    elapsed = time.perf_counter() - started
    done.set()
    await ticker
    return outcome, elapsed * 1000, max(delays, default=0.0) * 1000


def described(outcome: object) -> str:
    if isinstance(outcome, Sheet):
        return f"read, {len(outcome.rows)} rows"
    if isinstance(outcome, AgendaFileError):
        return "refused: " + ", ".join(
            p.key.removeprefix("agenda_import.") for p in outcome.problems
        )
    return repr(outcome)


async def measure(name: str, content: bytes, repeat: int, on_loop: bool) -> Figures:
    figures = Figures("", len(content), [], [], [])
    for _ in range(repeat):
        outcome, read_ms, worst_ms = await worst_delay(lambda: read_file_off_loop(name, content))
        figures.outcome = described(outcome)
        figures.read_ms.append(read_ms)
        figures.worst_ms.append(worst_ms)

        async def nothing(seconds: float = read_ms / 1000) -> None:
            await asyncio.sleep(seconds)

        figures.baseline_ms.append((await worst_delay(nothing))[2])
    if on_loop:

        async def in_process() -> Sheet:
            return read_file(name, content)

        figures.on_loop_ms = (await worst_delay(in_process))[2]
    return figures


def report(rows: dict[str, Figures], start: tuple[float, float], repeat: int) -> None:
    print(f"Agenda files through the reader process: {repeat} runs each, times in ms.")
    print(f"Reader start-up (once a process): {start[0]:.0f} ms; loop's worst delay {start[1]:.1f}")
    print(f"Time limit {TIME_LIMIT:.1f} s. 'worst' and 'baseline': the loop's worst delay")
    print("while the file is read, and with nothing running; 'on loop': read on the loop.")
    print()
    header = (
        f"{'file':<20}{'KiB':>7}  {'outcome':<26}{'p50':>7}{'max':>7}"
        f"{'worst':>8}{'baseline':>9}{'ratio':>7}{'on loop':>9}"
    )
    print(header)
    for name, f in rows.items():
        worst, baseline = max(f.worst_ms), max(f.baseline_ms)
        on_loop = "-" if f.on_loop_ms is None else f"{f.on_loop_ms:.0f}"
        print(
            f"{name:<20}{f.size / 1024:>7.0f}  {f.outcome:<26}"
            f"{statistics.median(f.read_ms):>7.0f}{max(f.read_ms):>7.0f}"
            f"{worst:>8.1f}{baseline:>9.1f}{worst / max(baseline, 0.1):>7.1f}{on_loop:>9}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each file")
    parser.add_argument(
        "--no-on-loop",
        dest="on_loop",
        action="store_false",
        help="skip reading each file on the loop too (the slowest part)",
    )
    parser.add_argument(
        "--wide-cells",
        type=int,
        default=800_000,
        help="cells in the one wide row (800,000 take openpyxl over 3 s on a 2-core machine)",
    )
    args = parser.parse_args()
    if args.repeat < 1 or args.wide_cells < 1:
        parser.error("--repeat and --wide-cells must be at least 1")
    configure_logging("ERROR")
    files = {
        "template.csv": template_csv(),
        "template.xlsx": template_xlsx(),
        **{name: make() for name, (make, _) in HOSTILE.items()},
        "50k-rows.csv": fifty_thousand_rows(),
        "5k-rows.xlsx": five_thousand_rows_xlsx(),
        "wide-row.xlsx": one_wide_row(args.wide_cells),
    }

    async def run() -> tuple[dict[str, Figures], tuple[float, float]]:
        _, start_ms, start_worst = await worst_delay(
            lambda: read_file_off_loop("template.csv", template_csv())
        )
        rows = {
            name: await measure(name, content, args.repeat, args.on_loop)
            for name, content in files.items()
        }
        return rows, (start_ms, start_worst)

    rows, start = asyncio.run(run())
    report(rows, start, args.repeat)


if __name__ == "__main__":
    main()
