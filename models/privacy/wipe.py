"""After an erasure commits: the old values out of the database files too.

SQLite: every connection runs with ``secure_delete`` (bot/sqlite_driver.py), so a deleted
or overwritten row's bytes are zeroed in its page; but the write-ahead log still holds
the pages as they were until a checkpoint, and keeps its old frames on disk until it is
cut. ``wipe`` checkpoints with TRUNCATE: the log is copied in and cut to nothing. When
another process holds a read open the checkpoint cannot finish; it is then tried again
by the next erasure job round (scheduler/retention.py), and any later checkpoint does
it too.

PostgreSQL: a best effort only. ``VACUUM`` of the tables touched marks the dead row
versions' space free for reuse and drops their index entries; it does not zero the bytes
(they stay in the data files until overwritten), and the server's own write-ahead log and
any base backup or replica keep the old rows until they are recycled under the server's
retention settings. ``VACUUM FULL`` would rewrite the tables but locks them for everyone
meanwhile, so it is left to the operator.
"""

from collections.abc import Iterable
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

log = structlog.get_logger()


async def wipe(bind: Any, tables: Iterable[str]) -> bool:
    """Clear the freed space after an erasure that has committed (``bind``: the engine
    its session used); whether it got all the way. Never raises: the erasure is done and
    answered whatever happens here, and the next round tries again."""
    try:
        return await _wipe(bind, tables)
    except Exception:
        log.warning("wipe_failed", exc_info=True)
        return False


async def _wipe(bind: Any, tables: Iterable[str]) -> bool:
    if not isinstance(bind, AsyncEngine):
        return False
    if bind.dialect.name == "sqlite":
        async with bind.connect() as connection:
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection
            checkpoint = getattr(driver, "checkpoint", None)
            done = bool(await checkpoint()) if checkpoint is not None else False
        if not done:
            log.info("wipe_deferred", reason="checkpoint_busy")
        return done
    if bind.dialect.name == "postgresql":
        names = sorted(set(tables))
        if not names:
            return True
        async with bind.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            # Names are the models' own table names, never input: safe to interpolate.
            await autocommit.exec_driver_sql("VACUUM " + ", ".join(f'"{n}"' for n in names))
        return True
    return False
