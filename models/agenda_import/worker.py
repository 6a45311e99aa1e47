"""Reading agenda files away from the event loop, within a hard time limit.

openpyxl reads a workbook in pure Python. Read on the event loop, a file built to be slow
kept every other person waiting for their answers for seconds. So each file is read by a
worker process of the *agenda reader* (see models/offload.py): started once with the
reading code imported, it forks a worker for each file and kills it at the time limit.
"""

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from functools import partial

import structlog

from models.agenda_import.problems import AgendaFileError, Problem, file_error
from models.agenda_import.rows import Sheet, read_file
from models.offload import Failed, Host

log = structlog.get_logger(__name__)

# Seconds a worker may take over one file. The budgets of limits.py keep any file well
# under it; this stops what they cannot foresee.
TIME_LIMIT = 2.0


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What became of one file, as the worker sends it back."""

    sheet: Sheet | None = None
    problems: tuple[Problem, ...] = ()  # why the file cannot be imported
    failure: str = ""  # why the reading went wrong: "too_slow", how the worker ended...


def _read(filename: str, content: bytes) -> _Outcome:
    try:
        return _Outcome(sheet=read_file(filename, content))
    except AgendaFileError as exc:
        return _Outcome(problems=tuple(exc.problems))
    except Exception as exc:  # a bug, or memory: the bot logs its name, the file is refused
        return _Outcome(failure=type(exc).__name__)


_READER = Host("agenda-reader", preload=("models.agenda_import.worker",))


# The last files read, by name and content: a file is read once before its message's
# transaction starts (so that nobody waits on the database meanwhile), then again inside
# it, and again when the organiser confirms it; only the first reading does the work.
_READ: "OrderedDict[tuple[str, str], _Outcome]" = OrderedDict()
KEEP_READ = 8


async def read_file_off_loop(filename: str, content: bytes) -> Sheet:
    """``read_file`` in a worker process, within TIME_LIMIT, while the event loop goes on
    answering everyone else. Raises AgendaFileError with the file's problems, or with one
    saying the file took too long or could not be read."""
    key = (filename, hashlib.sha256(content).hexdigest())
    outcome = _READ.get(key)
    if outcome is None:
        result = await _READER.run_off_loop(partial(_read, filename, content), TIME_LIMIT)
        if isinstance(result, Failed):
            result = _Outcome(failure=result.reason)
        assert isinstance(result, _Outcome)
        outcome = result
        if not outcome.failure or outcome.failure == "too_slow":
            _READ[key] = outcome
            while len(_READ) > KEEP_READ:
                _READ.popitem(last=False)
    else:
        _READ.move_to_end(key)
    if outcome.sheet is not None:
        return outcome.sheet
    if outcome.problems:
        raise AgendaFileError(outcome.problems)
    if outcome.failure == "too_slow":
        log.info("agenda_file_too_slow", size=len(content), seconds=TIME_LIMIT)
        raise file_error("agenda_import.too_slow", name=filename)
    log.error("agenda_file_not_read", size=len(content), reason=outcome.failure)
    raise file_error("agenda_import.reader_failed", name=filename)
