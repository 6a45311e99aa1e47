"""A file written for the person who asked (a workbook, the daftar hadir), sent as a
document: the figures are read in the message's transaction, the file is written by the
file writer after it commits (``Turn.after_commit``), so that nobody else's message waits
on the database meanwhile."""

from collections.abc import Awaitable, Callable

import structlog

from handlers.turn import Turn
from handlers.types import Attachment, Reply
from models.writer import NotWrittenError, TooLargeError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

log = structlog.get_logger(__name__)


def send_written_file(
    turn: Turn,
    write: Callable[[], Awaitable[bytes]],
    *,
    filename: str,
    caption: str,
    too_large: str,
    failed: str,
    media_type: str = XLSX,
) -> None:
    """Send what ``write`` writes as ``filename`` with ``caption``; ``too_large`` or
    ``failed`` (texts in the person's language) when it is over its budget or no file
    came back."""

    async def deliver() -> list[Reply]:
        try:
            content = await write()
        except TooLargeError:
            return [Reply(too_large)]
        except NotWrittenError as exc:
            log.error("file_not_written", filename=filename, reason=str(exc))
            return [Reply(failed)]
        return [Reply(caption, attachment=Attachment(filename, media_type, content, len(content)))]

    turn.after_commit(deliver)
