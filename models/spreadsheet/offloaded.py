"""Reading spreadsheets away from the event loop, within a hard time limit.

openpyxl reads a workbook in pure Python. Read on the event loop, a file built to be slow
kept every other person waiting for their answers for seconds. So each file is read by a
worker process of the *spreadsheet reader* (see models/offload.py): started once with the
reading code imported, it forks a worker for each file and kills it at the time limit.
Every kind of file (an agenda, a roster) goes through the one reader, a file at a time.
"""

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Generic, TypeVar

import structlog

from models.offload import Failed, Host
from models.spreadsheet.kind import SheetKind
from models.spreadsheet.problems import Problem, ProblemsError

log = structlog.get_logger(__name__)

T = TypeVar("T")

# Seconds a worker may take over one file. The budgets of the kinds keep any file well
# under it; this stops what they cannot foresee.
TIME_LIMIT = 2.0
# The last files read, by kind, name and content: a file is read once before its
# message's transaction starts (so that nobody waits on the database meanwhile), then
# again inside it, and again when the organiser confirms it; only the first reading does
# the work.
KEEP_READ = 8

# openpyxl is what takes the reader long to start; each kind's code is imported by the
# reader with its first file.
READER = Host("spreadsheet-reader", preload=("models.spreadsheet.files",))


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What became of one file, as the worker sends it back."""

    result: object = None
    problems: tuple[Problem, ...] = ()  # why the file cannot be imported
    failure: str = ""  # why the reading went wrong: "too_slow", how the worker ended...


def _read(parse: Callable[[str, bytes], object], filename: str, content: bytes) -> _Outcome:
    try:
        return _Outcome(result=parse(filename, content))
    except ProblemsError as exc:
        return _Outcome(problems=tuple(exc.problems))
    except Exception as exc:  # a bug, or memory: the bot logs its name, the file is refused
        return _Outcome(failure=type(exc).__name__)


class SheetReader(Generic[T]):
    """One kind's files read in the reader process: ``parse`` (a module-level function,
    so that the job pickles) turns a file into a ``T`` or raises the kind's error."""

    def __init__(self, kind: SheetKind, parse: Callable[[str, bytes], T], result: type[T]) -> None:
        self.kind = kind
        self.parse = parse
        self.result = result
        self.time_limit = TIME_LIMIT
        self._read: OrderedDict[tuple[str, str], _Outcome] = OrderedDict()

    async def read(self, filename: str, content: bytes) -> T:
        """``parse`` in a worker process, within the time limit, while the event loop goes
        on answering everyone else. Raises the kind's error with the file's problems, or
        with one saying the file took too long or could not be read."""
        key = (filename, hashlib.sha256(content).hexdigest())
        outcome = self._read.get(key)
        if outcome is None:
            job = partial(_read, self.parse, filename, content)
            found = await READER.run_off_loop(job, self.time_limit)
            if isinstance(found, Failed):
                found = _Outcome(failure=found.reason)
            assert isinstance(found, _Outcome)
            outcome = found
            if not outcome.failure or outcome.failure == "too_slow":
                self._read[key] = outcome
                while len(self._read) > KEEP_READ:
                    self._read.popitem(last=False)
        else:
            self._read.move_to_end(key)
        if isinstance(outcome.result, self.result):
            return outcome.result
        kind = self.kind
        if outcome.problems:
            raise kind.error(outcome.problems)
        if outcome.failure == "too_slow":
            log.info("spreadsheet_too_slow", kind=kind.prefix, size=len(content))
            raise kind.file_error("too_slow", name=filename)
        log.error("spreadsheet_not_read", kind=kind.prefix, size=len(content), why=outcome.failure)
        raise kind.file_error("reader_failed", name=filename)
