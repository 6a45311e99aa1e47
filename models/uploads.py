"""Files people sent that wait for a decision (an agenda that would remove sessions, say).
The conversation keeps the row's id; the bytes stay here, not in the conversation."""

import hashlib
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Column, Field, SQLModel, col, select

from models.types import UTCDateTime, utcnow


class Upload(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    event_id: int = Field(foreign_key="event.id", ondelete="CASCADE")
    filename: str = Field(max_length=255)
    media_type: str = Field(max_length=255)
    content: bytes = Field(sa_column=Column(sa.LargeBinary, nullable=False))
    sha256: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


def new_upload(
    person_id: int, event_id: int, filename: str, media_type: str, content: bytes, now: datetime
) -> Upload:
    """A file ``person_id`` sent for ``event_id``, not stored yet."""
    return Upload(
        person_id=person_id,
        event_id=event_id,
        filename=filename,
        media_type=media_type,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        created_at=now,
    )


async def keep_upload(session: AsyncSession, upload: Upload) -> Upload:
    """Store ``upload`` as the person's one waiting file, replacing any older one."""
    older = delete(Upload).where(col(Upload.person_id) == upload.person_id)
    if upload.id is not None:
        older = older.where(col(Upload.id) != upload.id)
    await session.execute(older)
    session.add(upload)
    await session.flush()
    return upload


async def forget_upload(session: AsyncSession, upload_id: int | None) -> None:
    if upload_id is not None:
        await session.execute(delete(Upload).where(col(Upload.id) == upload_id))


async def waiting_upload(session: AsyncSession, person_id: int, event_id: int) -> Upload | None:
    """The person's file waiting for a decision about ``event_id``, if any."""
    found = await session.execute(
        select(Upload).where(col(Upload.person_id) == person_id, col(Upload.event_id) == event_id)
    )
    return found.scalars().first()
