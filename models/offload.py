"""Work that must not hold up the event loop (reading an uploaded file, drawing a chart),
done in a worker process within a hard time limit.

Pure-Python work done on the event loop keeps every other person waiting for their
answers; input built to be slow keeps them waiting for seconds. So each job runs in a
process of its own:

- a *host*, started once (multiprocessing "spawn") with the job's code imported, waits
  for jobs for as long as the bot runs;
- for each job it forks a *worker*, which does that one job and sends back its result.
  At the time limit the host kills it; either way the host reaps it, so nothing of a job
  outlives it and a crash costs only that job.

multiprocessing's "forkserver" would be a ready-made host, but in Python 3.11 every
process it forks imports the main module again first (under the ``bimtek`` script, the
whole command line: 1.6 s a job). The host does that once.

A job is a picklable callable without arguments (a module-level function, or a
``functools.partial`` of one) whose result pickles; it should turn its own expected
errors into its result. Each host runs one job at a time, from one thread of its own.
"""

import asyncio
import importlib
import math
import multiprocessing
import os
import pickle
import signal
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

# The host answers within the time limit; this much later it is stuck, and replaced.
_ANSWER_GRACE = 5.0
# Starting a host imports the job's code: a second or two, more on a busy machine.
_START_LIMIT = 60.0

Job = Callable[[], object]


@dataclass(frozen=True, slots=True)
class Failed:
    """Why a job gave no result: "too_slow", "too_large" (its input), or how the worker
    or the host ended."""

    reason: str


def _run_in_worker(job: Job, time_limit: float, host_end: Connection) -> bytes:
    """Fork a worker to do the job; its result (or a Failed), pickled."""
    receiving, sending = multiprocessing.Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # the worker
        # Killed at the limit by the host, or by this alarm should the host be gone.
        signal.alarm(math.ceil(time_limit) + 1)
        receiving.close()
        host_end.close()  # the bot must see the host's end close when the host ends
        try:
            try:
                result: object = job()
            except Exception as exc:  # a bug, or memory: the caller logs its name
                result = Failed(type(exc).__name__)
            sending.send_bytes(pickle.dumps(result))
        finally:
            os._exit(0)
    sending.close()
    try:
        if not receiving.poll(time_limit):
            return pickle.dumps(Failed("too_slow"))
        try:
            return receiving.recv_bytes()
        except EOFError:
            pass
    finally:
        receiving.close()
        os.kill(pid, signal.SIGKILL)  # too slow, or done already
        _, status = os.waitpid(pid, 0)
    return pickle.dumps(Failed(f"worker ended: {_ending(status)}"))


def _ending(status: int) -> str:
    if os.WIFSIGNALED(status):
        return signal.Signals(os.WTERMSIG(status)).name
    return f"exit {os.waitstatus_to_exitcode(status)}"


def _serve(connection: Connection, preload: tuple[str, ...]) -> None:
    """The host: one job at a time, each done by a worker of its own, until the bot
    closes its end of the connection (or ends)."""
    # Ctrl-C in a terminal reaches the whole process group; the bot decides when the
    # host stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for module in preload:
        importlib.import_module(module)
    connection.send_bytes(b"ready")
    while True:
        try:
            job, time_limit = connection.recv()
        except EOFError:
            return
        connection.send_bytes(_run_in_worker(job, time_limit, connection))


class Host:
    """A host process as the bot sees it: started at its first job, replaced when it
    stops answering."""

    def __init__(
        self, name: str, preload: tuple[str, ...] = (), input_limit: int | None = None
    ) -> None:
        self.name = name
        self._preload = preload  # modules the jobs need, imported once at the start
        self._input_limit = input_limit  # bytes of a job, pickled with its arguments
        self._process: BaseProcess | None = None
        self._connection: Connection | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)

    def run(self, job: Job, time_limit: float) -> object:
        """The job's result, or a Failed; blocks (see ``run_off_loop``)."""
        data = pickle.dumps((job, time_limit))
        if self._input_limit is not None and len(data) > self._input_limit:
            return Failed("too_large")
        try:
            connection = self._running()
            connection.send_bytes(data)
            if connection.poll(time_limit + _ANSWER_GRACE):
                return connection.recv()
            failure = f"{self.name} did not answer"
        except (OSError, EOFError) as exc:
            failure = f"{self.name} gone: {type(exc).__name__}"
        self.stop()  # the next job gets a new host
        return Failed(failure)

    async def run_off_loop(self, job: Job, time_limit: float) -> object:
        """``run`` from the host's own thread, while the event loop goes on."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, self.run, job, time_limit)

    def _running(self) -> Connection:
        if self._process is not None and self._process.is_alive() and self._connection:
            return self._connection
        self.stop()
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        process = context.Process(
            target=_serve, args=(theirs, self._preload), name=self.name, daemon=True
        )
        process.start()
        theirs.close()
        self._process, self._connection = process, ours
        if not ours.poll(_START_LIMIT) or ours.recv_bytes() != b"ready":
            raise OSError(f"the {self.name} did not start")
        return ours

    def stop(self) -> None:
        if self._connection is not None:
            self._connection.close()
        if self._process is not None:
            self._process.kill()
            self._process.join()
            self._process.close()
        self._process = self._connection = None
