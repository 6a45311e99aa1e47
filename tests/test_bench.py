"""The benchmarks still run (tiny loads; no timing is asserted: figures are for people)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.bench, pytest.mark.subprocess]


def run(command: list[str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", *command],
        cwd=ROOT,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done


@pytest.mark.parametrize(
    "command",
    [
        ["bench.registration_throughput", "--users", "2", "--help-messages", "1"],
        ["bench.schedule_lookups", "--participants", "30", "--lookups", "40", "--concurrency", "4"],
    ],
)
def test_benchmark_runs_and_checks_its_answers(command: list[str]) -> None:
    done = run(command)
    assert "messages/s" in done.stdout
    assert "baseline" in done.stdout


def test_console_start_benchmark() -> None:
    done = run(["bench.console_start", "--runs", "1"])
    assert "first start" in done.stdout
    assert "the console imports the Telegram library: no" in done.stdout
