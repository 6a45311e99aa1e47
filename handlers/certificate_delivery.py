"""A certificate's PDF to its holder: as a document through the outbox, once (its key
is the certificate's), in the holder's language, to the channel their messages go to."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.i18n import Translator, supported
from handlers.outgoing import body_of
from handlers.types import Reply
from models import Person, outbox
from models.certificates.store import Certificate
from models.outbox import FileToSend, Outgoing, Priority
from models.people import preferred_identity

KIND = "certificate"
PDF = "application/pdf"


def caption(t: Translator, certificate: Certificate) -> str:
    return t(
        "certificate.sent",
        event=certificate.event_name,
        number=certificate.number,
        code=certificate.code,
    )


def document(certificate: Certificate) -> FileToSend:
    assert certificate.pdf is not None
    return FileToSend(f"sertifikat-{certificate.seq:03d}.pdf", PDF, certificate.pdf)


async def send_certificate(session: AsyncSession, certificate: Certificate, now: datetime) -> bool:
    """Write the certificate's PDF to its holder's outbox; False when there is nobody to
    send it to (gone, or never reachable): it waits for them to ask (``/sertifikat``)."""
    person = await session.get(Person, certificate.person_id) if certificate.person_id else None
    identity = await preferred_identity(session, person) if person is not None else None
    if person is None or identity is None or identity.id is None:
        return False
    t = Translator(supported(person.locale))
    message = Outgoing(
        key=f"{KIND}:{certificate.id}",
        identity_id=identity.id,
        channel=identity.channel,
        kind=KIND,
        body=body_of(Reply(caption(t, certificate))),
        due_at=now,
        priority=Priority.NOTICE,
        file=document(certificate),
    )
    await session.run_sync(outbox.enqueue, [message])
    certificate.sent_at = now
    return True
