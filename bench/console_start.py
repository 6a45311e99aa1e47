"""Console start-up: time from launching ``python -m bot`` (no token) to its first prompt,
next to a bare Python that prints a prompt, on this machine.

    python -m bench.console_start            # 5 runs each
    python -m bench.console_start --runs 10

Two cases for the bot: the very first start (a new database: migrations and the demo
event are created) and a later start (the database is there). Each run is a new process
with its own data folder (XDG_DATA_HOME), stdin closed after the prompt appears. Also
reports whether the Telegram library is imported on the way (it must not be), from one
more start with Python's import log (which slows that start, so it is not timed).
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PROMPT = b"> "
WITHIN = 60.0


@dataclass(frozen=True)
class Run:
    seconds: float
    imported_aiogram: bool


def time_to_prompt(command: list[str], env: dict[str, str]) -> Run:
    # The import log goes to a file: a pipe nobody reads would fill and stall the process.
    with tempfile.TemporaryFile() as imports:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=imports, env=env
        )
        assert process.stdout is not None
        assert process.stdin is not None
        seen = b""
        while PROMPT not in seen:
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                raise RuntimeError(f"{command} ended before its prompt: {seen[-500:]!r}")
            seen += chunk
            if time.perf_counter() - started > WITHIN:
                process.kill()
                raise RuntimeError(f"no prompt within {WITHIN} s")
        seconds = time.perf_counter() - started
        process.stdin.close()
        process.stdout.read()
        process.wait(timeout=WITHIN)
        imports.seek(0)
        return Run(seconds, b"aiogram" in imports.read())


def bot_env(data_home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env.update(
        XDG_DATA_HOME=str(data_home),
        TELEGRAM_BOT_TOKEN="",
        PYTHONIOENCODING="utf-8",
        LOG_LEVEL="WARNING",
    )
    return env


def measure(runs: int) -> dict[str, list[Run]]:
    python = sys.executable
    bot = [python, "-m", "bot"]
    bare = [python, "-c", "print('> ', end='', flush=True); input()"]
    results: dict[str, list[Run]] = {"first start": [], "later start": [], "bare python": []}
    for _ in range(runs):
        folder = Path(tempfile.mkdtemp(prefix="bimtek-start-"))
        try:
            env = bot_env(folder)
            results["first start"].append(time_to_prompt(bot, env))
            results["later start"].append(time_to_prompt(bot, env))
            results["bare python"].append(time_to_prompt(bare, env))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return results


def imports_telegram() -> bool:
    """One more start, with Python's import log, to see what the console imports."""
    folder = Path(tempfile.mkdtemp(prefix="bimtek-start-"))
    try:
        return time_to_prompt(
            [sys.executable, "-X", "importtime", "-m", "bot"], bot_env(folder)
        ).imported_aiogram
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def report(results: dict[str, list[Run]], telegram: bool) -> None:
    baseline = statistics.median(r.seconds for r in results["bare python"])
    print(f"{'to the first prompt':<20} {'median':>8} {'max':>8} {'vs bare':>8}")
    for name, runs in results.items():
        median = statistics.median(r.seconds for r in runs)
        worst = max(r.seconds for r in runs)
        print(f"{name:<20} {median:>7.2f}s {worst:>7.2f}s {median / baseline:>7.1f}x")
    print(f"the console imports the Telegram library: {'yes' if telegram else 'no'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    results = measure(args.runs)
    telegram = imports_telegram()
    report(results, telegram)
    if telegram:
        raise SystemExit("the console imported the Telegram library")


if __name__ == "__main__":
    main()
