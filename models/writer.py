"""The files the bot writes for the chat (workbooks, certificates' PDFs), written in one
worker process (models/offload.py) within each kind of file's budget and time limit, while
the event loop goes on answering everyone else.

One host writes every kind: a host is a process of its own, and one that has imported
openpyxl, reportlab or both holds about the same memory (some 55 MB of its own, most of
it the models package the jobs bring along), so a host per kind cost that for nothing.
Jobs take turns: a round of certificates sends its papers one after another (a tenth of
a second each), so a download waits for the paper being drawn, not for the round.
"""

from collections.abc import Callable

from models.offload import Failed, Host

# Bytes of a pickled job: far above the largest cell budget of text, and a logo.
_INPUT_LIMIT = 64 * 1024 * 1024
# The modules whose jobs the host runs, imported once as it starts rather than at the
# first file of each kind (inside that file's time to answer).
_WRITERS = (
    "models.attendance.files",
    "models.certificates.document",
    "models.spreadsheet.writing",
    "models.surveys.exports",
)

WRITER = Host("file-writer", preload=_WRITERS, input_limit=_INPUT_LIMIT)


class NotWrittenError(RuntimeError):
    """No file came back (too slow, or the worker failed): why, for the logs."""


class TooLargeError(NotWrittenError):
    """Over the budget of a file written for the chat: the command line writes it."""


async def write_off_loop(
    job: Callable[[], bytes], *, time_limit: float, cells: int = 0, max_cells: int = 0
) -> bytes:
    """What ``job`` writes, written by the writer process within ``time_limit`` seconds.

    ``cells`` is how many cells the file will hold and ``max_cells`` how many it may
    (a certificate, laid out to one page, has neither): over that it is not written
    at all. Raises TooLargeError over the budget (checked first) or when the job is too
    large to hand over, NotWrittenError when no file came back."""
    if cells > max_cells:
        raise TooLargeError(f"{cells} cells, more than {max_cells}")
    result = await WRITER.run_off_loop(job, time_limit)
    if isinstance(result, bytes):
        return result
    reason = result.reason if isinstance(result, Failed) else type(result).__name__
    if reason == "too_large":
        raise TooLargeError("too large to hand to the writer")
    raise NotWrittenError(reason)
