"""What the ``bimtek`` commands share: the settings, a database session per command, the
language of the output, the event a code names, a yes/no question that never hangs, and
writing the files they make."""

import selectors
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.db import create_engine, session_maker, upgrade
from bot.logging import configure_logging
from bot.settings import Settings
from handlers.i18n import LOCALES, Translator
from models import Event
from models.event import event_by_code

T = TypeVar("T")

Lang = Annotated[str, typer.Option("--lang", help="language of the output: id or en")]


def cli_settings() -> Settings:
    settings = Settings()
    configure_logging("WARNING", settings.log_format)
    return settings


async def on_engine(work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    engine = create_engine(cli_settings().database_url)
    try:
        return await work(engine)
    finally:
        await engine.dispose()


async def in_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Upgrade the schema, then run ``work`` in one committed transaction."""

    async def go(engine: AsyncEngine) -> T:
        await upgrade(engine)
        async with session_maker(engine).begin() as session:
            return await work(session)

    return await on_engine(go)


def translator(lang: str) -> Translator:
    if lang not in LOCALES:
        typer.echo(f"--lang must be one of {', '.join(LOCALES)}", err=True)
        raise typer.Exit(2)
    return Translator(lang)


async def event_or_exit(session: AsyncSession, code: str) -> Event:
    event = await event_by_code(session, code)
    if event is None:
        typer.echo(f"no event with code {code}", err=True)
        raise typer.Exit(2)
    return event


def _input_waiting() -> bool:
    try:
        stdin = sys.stdin.fileno()
    except (AttributeError, OSError, ValueError):  # no real file: reading cannot block
        return True
    with selectors.DefaultSelector() as selector:
        selector.register(stdin, selectors.EVENT_READ)
        return bool(selector.select(timeout=0.5))


def ask(question: str) -> bool | None:
    """The answer typed to ``question``; None when none can come: input ended, or is a
    pipe or file with nothing waiting in it (a script must not hang on the question)."""
    if not sys.stdin.isatty() and not _input_waiting():
        return None
    try:
        return typer.confirm(question, default=False)
    except typer.Abort:  # end of input, or Ctrl-C
        return None


def write_file(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` and say so; a path that cannot be written is exit code 2."""
    try:
        path.write_bytes(content)
    except OSError as exc:
        typer.echo(f"cannot write {path}: {exc.strerror}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"Wrote {path}")


def write_template(path: Path, xlsx: Callable[[], bytes], csv: Callable[[], bytes]) -> None:
    """A template: Excel when ``path`` ends in .xlsx, otherwise CSV."""
    path.write_bytes(xlsx() if path.suffix.lower() == ".xlsx" else csv())
    typer.echo(f"template written to {path}")
