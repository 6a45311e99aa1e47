"""Files posted to the dashboard (an agenda spreadsheet, an announcement's photo): refused
by their declared size before the body is read, then read no further than the chat's own
limit, so that a file too big costs the server nothing but the answer; and read before
the request's database transaction begins.

A browser always declares a form's length; a body sent in chunks without one is refused
(411), since its size could only be learnt by reading it.

Files the dashboard hands out (the exports, the templates) go as downloads, and the file
writer's refusals become the page's answers."""

import mimetypes
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from bot.dashboard.core import COOKIE, PageError, dashboard_of
from handlers.written_files import XLSX
from models.writer import NotWrittenError, TooLargeError

# Room in a posted form beside its file: the multipart boundaries, the CSRF token, the
# other fields (an announcement's text is at most 4,096 characters, 4 bytes each).
FORM_ROOM = 64 * 1024
NAME_LIMIT = 255  # as models.uploads and models.outbox keep a file's name
XLSX_MEDIA = XLSX
CSV_MEDIA = "text/csv; charset=utf-8"


def upload_body(limit: int) -> Callable[[Request], AsyncIterator[None]]:
    """A route's first dependency where a file is posted: a body declared larger than
    ``limit`` bytes is refused (413), one sent in chunks without a length too (411),
    before any of it is read. Then, for a browser whose cookie bears the dashboard's
    signature, the form is read, before the request touches the database: on SQLite a
    transaction holds the one write lock, and a photo coming over a slow connection
    must not hold it. (Someone without such a cookie is refused next, unread.) The
    form's files, spooled to disk when large, are closed once the request is done."""

    async def read(request: Request) -> AsyncIterator[None]:
        declared = request.headers.get("content-length")
        if declared is None:
            if "chunked" in request.headers.get("transfer-encoding", "").lower():
                raise PageError(411, "length_required")
        elif not declared.isdigit() or int(declared) > limit:
            raise PageError(413, "too_big")
        try:
            cookie = request.cookies.get(COOKIE)
            if cookie is not None and dashboard_of(request).session_id_in(cookie) is not None:
                await request.form()  # kept by the request: CheckedForm reads it from there
            yield
        finally:
            await request.close()

    return read


@dataclass(frozen=True, slots=True)
class Posted:
    """A file as posted: its name (without any folder a browser put before it), the
    media type its name says, and at most ``limit + 1`` bytes of it (enough to know it
    is too big)."""

    filename: str
    media_type: str
    content: bytes


async def posted_file(form: Mapping[str, Any], field: str, limit: int) -> Posted | None:
    """The file of ``field``, or None when none was chosen. Its media type is guessed
    from its name, as the command line does (``bimtek broadcast create --file``), never
    taken from what the browser says."""
    found = form.get(field)
    if not isinstance(found, UploadFile) or not found.filename:
        return None
    name = PureWindowsPath(PurePosixPath(found.filename).name).name.strip()[:NAME_LIMIT]
    content = await found.read(limit + 1)
    media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return Posted(name or "berkas", media_type[:NAME_LIMIT], content)


def text_field(form: Mapping[str, Any], field: str, limit: int) -> str:
    """A text field as posted, cut at ``limit`` characters; "" when missing."""
    value = form.get(field)
    return value[:limit] if isinstance(value, str) else ""


def id_field(form: Mapping[str, Any], field: str) -> int | None:
    """A row id posted in a form; None for anything else."""
    value = form.get(field)
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19:
        return int(value)
    return None


def download(content: bytes, media: str, filename: str) -> Response:
    """A file the browser saves under ``filename`` rather than shows."""
    return Response(
        content,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@contextmanager
def export_refusals(too_large: str = "export_too_large") -> Iterator[None]:
    """The file writer's refusals (models.writer) as the page's answers: a file over the
    chat's budget (413, ``too_large``), or one the writer process failed to write (503)."""
    try:
        yield
    except TooLargeError:
        raise PageError(413, too_large) from None
    except NotWrittenError:
        raise PageError(503, "export_failed") from None
