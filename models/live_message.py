"""A live message: one message that changes in place as things happen (a trainer's
quick-feedback results, updated as participants answer).

The live message starts as an ordinary outbox row (``start_live``); its id names it. Each
update is a row whose body is the whole new content (text and choices, as any reply's)
plus ``"edit_of": <that id>``. The dispatcher shows an update in place of the message the
chain (the original and its updates) last put in the chat: the newest of its rows that
was sent records that message's id. Where there is none (the original failed, or was
never sent), where the channel cannot edit, or where the platform refuses (the message is
gone, too old to change), the update goes as a new message, and later updates change that
one.

Updates coalesce: while one waits unclaimed, a newer one replaces its content, and a new
update row waits a moment (``UPDATE_DELAY``) for others to join it; so a burst of forty
answers makes a few edits, not forty. An original not sent yet simply takes the newer
content itself.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from models.outbox import UNSENT, OutboxMessage, Outgoing, Priority, Status, enqueue

EDIT_OF = "edit_of"  # in an update's body: the outbox id of the live message it changes
KIND = "live"  # the original's kind, unless the caller names another
UPDATE_KIND = "live_update"
UPDATE_DELAY = timedelta(seconds=1.5)  # an update waits this long for others to join it
KEY_LIMIT = 160  # OutboxMessage.key


def edit_of(body: dict[str, Any]) -> int | None:
    """The live message that a row's body updates, if it is an update."""
    original = body.get(EDIT_OF)
    return int(original) if original is not None else None


async def start_live(
    session: AsyncSession,
    *,
    key: str,
    identity_id: int,
    channel: str,
    body: dict[str, Any],
    now: datetime,
    kind: str = KIND,
    priority: int = Priority.REPLY,
) -> int:
    """Write the live message's first content (due ``now``), in the caller's transaction;
    its outbox id, which ``update_live`` takes. The same ``key`` again (a message handled
    twice) writes nothing and gives the same id."""
    message = Outgoing(
        key=key,
        identity_id=identity_id,
        channel=channel,
        kind=kind,
        body=body,
        due_at=now,
        priority=priority,
    )
    written = await session.run_sync(enqueue, [message])
    if written:
        return written[0]
    outbox = _outbox()
    found = await session.execute(select(outbox.c.id).where(outbox.c.key == key))
    return int(found.scalar_one())


async def update_live(
    session: AsyncSession,
    *,
    original_id: int,
    identity_id: int,
    channel: str,
    body: dict[str, Any],
    now: datetime,
    key_prefix: str,
    priority: int = Priority.NOTICE,
    delay: timedelta = UPDATE_DELAY,
) -> int:
    """Have the live message ``original_id`` (of ``identity_id`` on ``channel``) show
    ``body`` (a reply's body: text and choices), in the caller's transaction. The id of
    the row that will show it: the original itself when it is not sent yet, an update
    still waiting unclaimed, or a new update row due at ``now + delay``, written under a
    key of its own that starts with ``key_prefix``."""
    return await session.run_sync(
        _update,
        original_id=original_id,
        identity_id=identity_id,
        channel=channel,
        body=body,
        now=now,
        key_prefix=key_prefix,
        priority=priority,
        delay=delay,
    )


def _update(
    session: Session,
    *,
    original_id: int,
    identity_id: int,
    channel: str,
    body: dict[str, Any],
    now: datetime,
    key_prefix: str,
    priority: int,
    delay: timedelta,
) -> int:
    content = {k: v for k, v in body.items() if k != EDIT_OF}
    outbox = _outbox()
    # Each statement changes only a row still pending: one a dispatcher claimed meanwhile
    # (on PostgreSQL the statement waits for that claim) is left alone.
    replaced = session.execute(
        update(outbox)
        .where(outbox.c.id == original_id, outbox.c.status == Status.PENDING)
        .values(body=content)
        .returning(outbox.c.id)
    ).scalar()
    if replaced is not None:
        return int(replaced)
    edit = {**content, EDIT_OF: original_id}
    waiting = session.execute(
        update(outbox)
        .where(
            outbox.c.identity_id == identity_id,
            outbox.c.status == Status.PENDING,
            _edit_of_column() == original_id,
        )
        .values(body=edit)
        .returning(outbox.c.id)
    ).scalars()
    latest = max(waiting, default=None)
    if latest is not None:
        return int(latest)
    suffix = f":{original_id}:{uuid.uuid4().hex}"
    message = Outgoing(
        key=key_prefix[: KEY_LIMIT - len(suffix)] + suffix,
        identity_id=identity_id,
        channel=channel,
        kind=UPDATE_KIND,
        body=edit,
        due_at=now + delay,
        priority=priority,
    )
    [row_id] = enqueue(session, [message])
    return row_id


@dataclass(frozen=True, slots=True)
class Target:
    """Where an update goes: the message to change, or (None) a new one."""

    message_id: str | None
    # An earlier row of the chain is not sent yet: the update waits for it, or it would
    # be overtaken by older content.
    waiting: bool = False


async def target_of(
    session: AsyncSession, *, identity_id: int, original_id: int, update_id: int
) -> Target:
    """The message that the update row ``update_id`` of ``original_id`` is to change: the
    first channel id of the newest sent row among those before it in the chain."""
    outbox = _outbox()
    found = await session.execute(
        select(outbox.c.status, outbox.c.external_ids)
        .where(
            outbox.c.identity_id == identity_id,
            outbox.c.id < update_id,
            or_(outbox.c.id == original_id, _edit_of_column() == original_id),
        )
        .order_by(outbox.c.id.desc())
    )
    for status, external_ids in found.all():
        if status in UNSENT:
            return Target(None, waiting=True)
        if status == Status.SENT and external_ids:
            return Target(external_ids.split(",")[0])
        # Failed, expired, blocked: it showed nothing; an older row may have.
    return Target(None)


def _edit_of_column() -> Any:
    return _outbox().c.body[EDIT_OF].as_integer()


def _outbox() -> Any:
    return OutboxMessage.__table__  # type: ignore[attr-defined]
