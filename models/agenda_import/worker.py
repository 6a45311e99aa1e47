"""Reading agenda files away from the event loop, within a hard time limit.

openpyxl reads a workbook in pure Python. Read on the event loop, a file built to be slow
kept every other person waiting for their answers for seconds. So each file is read in a
process of its own:

- the *reader*, started once (multiprocessing "spawn") with the reading code imported,
  waits for files for as long as the bot runs;
- for each file it forks a *worker*, which reads that one file and sends back the sheet
  or the problems. At the time limit the reader kills it; either way the reader reaps
  it, so nothing of a file outlives its reading and a crash costs only that file.

multiprocessing's "forkserver" would be a ready-made reader, but in Python 3.11 every
process it forks imports the main module again first (under the ``bimtek`` script, the
whole command line: 1.6 s a file). The reader does that once.
"""

import asyncio
import hashlib
import math
import multiprocessing
import os
import pickle
import signal
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

import structlog

from models.agenda_import.problems import AgendaFileError, Problem, file_error
from models.agenda_import.rows import Sheet, read_file

log = structlog.get_logger(__name__)

# Seconds a worker may take over one file. The budgets of limits.py keep any file well
# under it; this stops what they cannot foresee.
TIME_LIMIT = 2.0
# The reader answers within the time limit; this much later it is stuck, and replaced.
_ANSWER_GRACE = 5.0
# Starting the reader imports the reading code: a second or two, more on a busy machine.
_START_LIMIT = 60.0


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


def _read_in_worker(
    filename: str, content: bytes, time_limit: float, reader_end: Connection
) -> bytes:
    """Fork a worker to read the file; its outcome, pickled."""
    receiving, sending = multiprocessing.Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # the worker
        # Killed at the limit by the reader, or by this alarm should the reader be gone.
        signal.alarm(math.ceil(time_limit) + 1)
        receiving.close()
        reader_end.close()  # the bot must see the reader's end close when the reader ends
        try:
            sending.send_bytes(pickle.dumps(_read(filename, content)))
        finally:
            os._exit(0)
    sending.close()
    try:
        if not receiving.poll(time_limit):
            return pickle.dumps(_Outcome(failure="too_slow"))
        try:
            return receiving.recv_bytes()
        except EOFError:
            pass
    finally:
        receiving.close()
        os.kill(pid, signal.SIGKILL)  # too slow, or done already
        _, status = os.waitpid(pid, 0)
    return pickle.dumps(_Outcome(failure=f"worker ended: {_ending(status)}"))


def _ending(status: int) -> str:
    if os.WIFSIGNALED(status):
        return signal.Signals(os.WTERMSIG(status)).name
    return f"exit {os.waitstatus_to_exitcode(status)}"


def _serve(connection: Connection) -> None:
    """The reader: one file at a time, each read by a worker of its own, until the bot
    closes its end of the connection (or ends)."""
    # Ctrl-C in a terminal reaches the whole process group; the bot decides when the
    # reader stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    connection.send_bytes(b"ready")
    while True:
        try:
            filename, content, time_limit = connection.recv()
        except EOFError:
            return
        connection.send_bytes(_read_in_worker(filename, content, time_limit, connection))


class _Reader:
    """The reader process as the bot sees it; used from one thread at a time."""

    def __init__(self) -> None:
        self._process: BaseProcess | None = None
        self._connection: Connection | None = None

    def read(self, filename: str, content: bytes, time_limit: float) -> _Outcome:
        try:
            connection = self._running()
            connection.send((filename, content, time_limit))
            if connection.poll(time_limit + _ANSWER_GRACE):
                outcome = connection.recv()
                if isinstance(outcome, _Outcome):
                    return outcome
            failure = "reader did not answer"
        except (OSError, EOFError) as exc:
            failure = f"reader gone: {type(exc).__name__}"
        self.stop()  # the next file gets a new reader
        return _Outcome(failure=failure)

    def _running(self) -> Connection:
        if self._process is not None and self._process.is_alive() and self._connection:
            return self._connection
        self.stop()
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        process = context.Process(target=_serve, args=(theirs,), name="agenda-reader", daemon=True)
        process.start()
        theirs.close()
        self._process, self._connection = process, ours
        if not ours.poll(_START_LIMIT) or ours.recv_bytes() != b"ready":
            raise OSError("the agenda reader did not start")
        return ours

    def stop(self) -> None:
        if self._connection is not None:
            self._connection.close()
        if self._process is not None:
            self._process.kill()
            self._process.join()
            self._process.close()
        self._process = self._connection = None


_READER = _Reader()
# The one thread that talks to the reader: files are read one after another.
_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="agenda-reader")


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
        loop = asyncio.get_running_loop()
        outcome = await loop.run_in_executor(_THREAD, _READER.read, filename, content, TIME_LIMIT)
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
