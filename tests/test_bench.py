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
    ("command", "printed"),
    [
        (
            ["bench.registration_throughput", "--users", "2", "--help-messages", "1"],
            ["messages/s", "baseline", "CPU ms/message, bot process", "CPU beyond the echo"],
        ),
        (
            [
                "bench.schedule_lookups",
                *("--participants", "30", "--lookups", "40", "--concurrency", "4"),
            ],
            [
                "messages/s",
                "baseline",
                "CPU ms/message, bot process",
                "CPU ms/message, fake API and people",
                "CPU beyond the echo",
                "look-ups without the expected answer: 0",
            ],
        ),
        (
            ["bench.agenda_files", "--repeat", "1", "--no-on-loop", "--wide-cells", "1000"],
            ["baseline", "refused: unpacks_too_big", "refused: too_many_cells", "read, 4 rows"],
        ),
        (
            ["bench.console_start", "--runs", "1"],
            ["first start", "the console imports the Telegram library: no"],
        ),
        (
            ["bench.broadcast", "--n", "40", "--rate", "100", "--no-ceiling"],
            ["ratio", "429s received", "lost                  0", "duplicates            0"],
        ),
        (
            ["bench.whatsapp_broadcast", "--n", "30", "--rate", "200"],
            ["ratio", "lost 0 · duplicates 0"],
        ),
        (
            ["bench.reminders", "--participants", "20", "--every", "60"],
            ["round s", "reminder", "digest", "lateness s (ready)", "lateness s (sent at 30/s)"],
        ),
    ],
    ids=[
        "registration_throughput",
        "schedule_lookups",
        "agenda_files",
        "console_start",
        "broadcast",
        "whatsapp_broadcast",
        "reminders",
    ],
)
def test_benchmark_runs_and_checks_its_answers(command: list[str], printed: list[str]) -> None:
    done = run(command)
    for expected in printed:
        assert expected in done.stdout, expected
