"""The count under a check-in code, kept up to date for whoever opened it: a live message
(models/live_message.py) where a message can change; on WhatsApp, where each change
would be one more message, the count is refreshed by its button instead."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.attendance_texts import opener_translator, status_reply
from handlers.channel_names import APPEND_ONLY_CHANNELS
from handlers.outgoing import body_of
from handlers.turn import Turn
from models import ChannelIdentity
from models.attendance.store import AttendanceOpening
from models.live_message import start_live, update_live

LIVE_KIND = "attendance_status"


async def show_status(turn: Turn, opening: AttendanceOpening, *, live: bool) -> None:
    """The count, as a live message for the opener of a new code (where it can change),
    or as a reply."""
    status = await status_reply(turn.session, opening, turn.t, turn.now)
    channel = turn.identity.channel
    if not live or channel in APPEND_ONLY_CHANNELS:
        turn.replies.append(status)
        return
    assert turn.identity.id is not None
    opening.status_identity_id = turn.identity.id
    opening.status_outbox_id = await start_live(
        turn.session, key=f"{LIVE_KIND}:o{opening.id}", identity_id=turn.identity.id,
        channel=channel, body=body_of(status), now=turn.now, kind=LIVE_KIND,
    )  # fmt: skip


async def refresh_status(turn: Turn, opening: AttendanceOpening) -> None:
    """Bring the opener's live count up to date, in the opener's language."""
    await refresh_opener(turn.session, opening, turn.now)


async def refresh_opener(session: AsyncSession, opening: AttendanceOpening, now: datetime) -> None:
    """``refresh_status`` outside a conversation (the dashboard closing a code opened in
    the chat)."""
    if opening.status_outbox_id is None or opening.status_identity_id is None:
        return
    identity = await session.get(ChannelIdentity, opening.status_identity_id)
    if identity is None:
        return
    t = await opener_translator(session, opening)
    status = await status_reply(session, opening, t, now)
    await update_live(
        session, original_id=opening.status_outbox_id, identity_id=opening.status_identity_id,
        channel=identity.channel, body=body_of(status), now=now, key_prefix=LIVE_KIND,
    )  # fmt: skip
