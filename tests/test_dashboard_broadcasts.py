"""The announcements page: a draft written with the chat's functions and checks, its
preview (how many it reaches, the message as it arrives), confirmed into one outbox row per
recipient in the confirming transaction, or scheduled and cancelled; an audience of nobody
refused with nothing stored; a draft is its author's; the report as JSON."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlmodel import col

from bot.db import SessionMaker
from handlers.i18n import Translator
from models import Broadcast, EventClass, OutboxMessage, Person, RoleName
from models.audience import InClass
from models.audit import AuditAction
from models.broadcasts import (
    FILE_LIMIT,
    TEXT_LIMIT,
    BroadcastStatus,
    announcement,
    checked_text,
)
from models.outbox import Status
from tests.audit_helpers import actors_of
from tests.dashboard_pages import PNG, Signed, announce, counted, csrf_of, hidden, signed_site
from tests.factories import give_role, id_of, person_id_of

ID = Translator("id")
TEXT = "Sesi berikutnya pindah ke Ruang Mahakam."


@pytest.fixture
async def site(sessions: SessionMaker) -> AsyncIterator[Signed]:
    async with signed_site(sessions) as signed:
        yield signed


async def compose(
    site: Signed,
    text: str = TEXT,
    audience: str = "class:A",
    *,
    at: str | None = None,
    file: tuple[str, bytes, str] | None = None,
    to: str = "/pengumuman",
) -> httpx.Response:
    page = await site.client.get(site.path("/pengumuman"))
    form = {"csrf": csrf_of(page.text), "teks": text, "penerima": audience}
    form |= {"kapan": "nanti", "waktu": at} if at else {"kapan": "sekarang"}
    files = {"berkas": file} if file else None
    return await site.client.post(site.path(to), data=form, files=files)


async def the_broadcast(site: Signed, broadcast_id: int) -> Broadcast:
    async with site.sessions() as session:
        found = await session.get(Broadcast, broadcast_id)
        assert found is not None
        return found


async def rows_of(site: Signed, broadcast_id: int) -> list[OutboxMessage]:
    async with site.sessions() as session:
        found = await session.execute(
            select(OutboxMessage).where(col(OutboxMessage.broadcast_id) == broadcast_id)
        )
        return list(found.scalars())


def id_in(location: str) -> int:
    return int(location.split("/pengumuman/")[1].split("?")[0].split("/")[0])


async def test_a_class_is_told_once_confirmed(site: Signed) -> None:
    page = await site.client.get(site.path("/pengumuman"))
    # The chat's choices, with how many each reaches.
    for choice in (
        "semua peserta, panitia dan pelatih (5 orang)",
        "peserta Kelas A (2 orang)",
        "peserta Kelas B (1 orang)",
    ):
        assert choice in page.text, choice
    assert "Samarinda" in page.text  # a regency the participants come from
    made = await compose(site)
    assert made.status_code == 303
    broadcast_id = id_in(made.headers["location"])
    draft = await the_broadcast(site, broadcast_id)
    assert (draft.status, draft.author_id, draft.text) == (
        BroadcastStatus.DRAFT, site.world.organiser, TEXT,
    )  # fmt: skip
    assert draft.spec == InClass(name="A")
    assert await rows_of(site, broadcast_id) == []  # nothing goes before the confirmation

    preview = await site.client.get(made.headers["location"])
    assert ID("broadcast.preview", count=2, audience="peserta Kelas A") in preview.text
    assert announcement("Bimtek SMD24", TEXT) in preview.text
    assert ID("broadcast.confirm_now", count=2, audience="peserta Kelas A") in preview.text
    confirm = {"csrf": csrf_of(preview.text), "setuju": hidden(preview.text, "setuju")}
    sent = await site.client.post(site.path(f"/pengumuman/{broadcast_id}/kirim"), data=confirm)
    assert sent.status_code == 303
    assert sent.headers["location"].endswith(f"/pengumuman/{broadcast_id}?dikirim=2")

    rows = await rows_of(site, broadcast_id)
    assert len(rows) == 2
    for row in rows:  # as the chat's confirmation writes them
        assert row.kind == "broadcast"
        assert row.body == {"text": announcement("Bimtek SMD24", TEXT)}
        assert row.status == Status.PENDING
        assert row.key.startswith(f"broadcast:{broadcast_id}:")
    assert (await the_broadcast(site, broadcast_id)).status == BroadcastStatus.SENT
    report = await site.client.get(sent.headers["location"])
    assert ID("broadcast.sending", count=2) in report.text
    assert 'data-count="waiting">2<' in report.text
    figures = (await site.client.get(site.path(f"/pengumuman/{broadcast_id}/laporan.json"))).json()
    assert figures["counts"]["waiting"] == 2
    assert figures["counts"]["total"] == 2
    assert figures["refresh"] == 3
    assert figures["cancellable"] is True
    listed = await site.client.get(site.path("/pengumuman"))
    assert f"#{broadcast_id}" in listed.text
    assert "0 / 2" in listed.text
    # The same form again (a second tab): nothing more is written.
    again = await site.client.post(site.path(f"/pengumuman/{broadcast_id}/kirim"), data=confirm)
    assert again.status_code == 303
    assert len(await rows_of(site, broadcast_id)) == 2


@pytest.mark.parametrize("audience", ["unregistered", "class:C"])
async def test_an_audience_of_nobody_is_refused_and_nothing_is_stored(
    site: Signed, audience: str
) -> None:
    async with site.sessions.begin() as session:  # a class nobody is in
        session.add(EventClass(event_id=id_of(site.world.mine), name="C"))
    refused = await compose(site, audience=audience)
    assert refused.status_code == 422
    who = "peserta Kelas C" if audience == "class:C" else "yang belum selesai mendaftar"
    assert ID("broadcast.nobody", audience=who).replace('"', "&#34;") in refused.text
    assert TEXT in refused.text  # what was typed is kept, to choose again
    assert await counted(site.sessions, Broadcast) == 0
    assert await counted(site.sessions, OutboxMessage) == 0


@pytest.mark.parametrize(
    ("text", "file", "key"),
    [
        ("  \n ", None, "empty"),
        ("x" * (TEXT_LIMIT + 1), None, "too_long"),
        ("Poster.", ("poster.png", b"", "image/png"), "file_empty"),
        ("Poster.", ("poster.jpg", b"x" * (FILE_LIMIT + 1), "image/jpeg"), "file_too_big"),
    ],
)
async def test_what_the_chat_refuses_is_refused_with_its_words(
    site: Signed, text: str, file: tuple[str, bytes, str] | None, key: str
) -> None:
    refused = await compose(site, text, file=file)
    assert refused.status_code == 422
    words = {"too_long": "Pengumuman ini", "file_too_big": "lebih dari 5 MB"}.get(key)
    assert (words or ID(f"broadcast.error.{key}")) in refused.text
    assert await counted(site.sessions, Broadcast) == 0


async def test_an_unknown_audience_is_a_bad_request(site: Signed) -> None:
    refused = await compose(site, audience="regency:Jakarta")
    assert refused.status_code == 400
    assert await counted(site.sessions, Broadcast) == 0


async def test_one_scheduled_goes_at_its_moment_unless_cancelled(site: Signed) -> None:
    past = await compose(site, at="2024-11-13T08:00")  # 08.00 WITA: before 09.10, now
    assert past.status_code == 422
    assert "sudah lewat" in past.text
    assert await counted(site.sessions, Broadcast) == 0

    made = await compose(site, at="2024-11-13T14:30")
    broadcast_id = id_in(made.headers["location"])
    preview = await site.client.get(made.headers["location"])
    when = "Rabu, 13 November 2024 14.30 WITA"
    assert (
        ID("broadcast.confirm_at", count=2, audience="peserta Kelas A", when=when) in preview.text
    )
    confirm = {"csrf": csrf_of(preview.text), "setuju": hidden(preview.text, "setuju")}
    sent = await site.client.post(site.path(f"/pengumuman/{broadcast_id}/kirim"), data=confirm)
    assert sent.status_code == 303
    stored = await the_broadcast(site, broadcast_id)
    assert stored.status == BroadcastStatus.SCHEDULED
    assert stored.send_at == datetime(2024, 11, 13, 6, 30, tzinfo=UTC)
    rows = await rows_of(site, broadcast_id)
    assert {row.due_at for row in rows} == {datetime(2024, 11, 13, 6, 30, tzinfo=UTC)}
    report = await site.client.get(sent.headers["location"])
    assert ID("broadcast.scheduled", count=2, when=when) in report.text
    assert f"Terjadwal {when}" in report.text
    figures = (await site.client.get(site.path(f"/pengumuman/{broadcast_id}/laporan.json"))).json()
    assert figures["refresh"] == 30  # not due for hours

    unsure = {"csrf": csrf_of(report.text)}  # the box saying "yes, stop" not ticked
    kept = await site.client.post(site.path(f"/pengumuman/{broadcast_id}/batal"), data=unsure)
    assert kept.status_code == 400
    assert "Centang kotak" in kept.text
    assert {row.status for row in await rows_of(site, broadcast_id)} == {Status.PENDING}
    cancel = {**unsure, "yakin": "ya"}
    stopped = await site.client.post(site.path(f"/pengumuman/{broadcast_id}/batal"), data=cancel)
    assert stopped.status_code == 303
    assert {row.status for row in await rows_of(site, broadcast_id)} == {Status.CANCELLED}
    assert (await the_broadcast(site, broadcast_id)).status == BroadcastStatus.CANCELLED
    shown = await site.client.get(stopped.headers["location"])
    assert ID("broadcast.cancel_done", number=broadcast_id, rows=2) in shown.text
    assert 'data-count="cancelled">2<' in shown.text
    figures = (await site.client.get(site.path(f"/pengumuman/{broadcast_id}/laporan.json"))).json()
    assert (figures["refresh"], figures["cancellable"]) == (0, False)
    twice = await site.client.post(site.path(f"/pengumuman/{broadcast_id}/batal"), data=cancel)
    shown = await site.client.get(twice.headers["location"])
    assert ID("broadcast.cancel_already", number=broadcast_id) in shown.text
    organiser = ("person", site.world.organiser)  # in the audit log, once each
    assert await actors_of(site.sessions, AuditAction.BROADCAST_SCHEDULED) == [organiser]
    assert await actors_of(site.sessions, AuditAction.BROADCAST_CANCELLED) == [organiser]


async def test_a_draft_changed_in_another_tab_is_not_confirmed_as_it_was(site: Signed) -> None:
    made = await compose(site)
    broadcast_id = id_in(made.headers["location"])
    shown = await site.client.get(made.headers["location"])
    old_confirm = {"csrf": csrf_of(shown.text), "setuju": hidden(shown.text, "setuju")}
    # Changed (set_content, set_audience, set_send_at) from the preview's form.
    changed = await compose(
        site, "Semua ke Ballroom.", "all", at="2024-11-13T13:00",
        to=f"/pengumuman/{broadcast_id}/ubah",
    )  # fmt: skip
    assert changed.status_code == 303
    draft = await the_broadcast(site, broadcast_id)
    assert (draft.text, draft.audience) == ("Semua ke Ballroom.", {"kind": "everyone"})
    assert draft.send_at == datetime(2024, 11, 13, 5, 0, tzinfo=UTC)
    refused = await site.client.post(
        site.path(f"/pengumuman/{broadcast_id}/kirim"), data=old_confirm
    )
    assert refused.status_code == 303
    assert refused.headers["location"].endswith("?berubah=1")
    assert await rows_of(site, broadcast_id) == []
    again = await site.client.get(refused.headers["location"])
    assert ID("broadcast.changed") in again.text
    # Everyone: the three participants, the organiser and the trainer.
    assert (
        ID("broadcast.preview", count=5, audience="semua peserta, panitia dan pelatih")
        in again.text
    )


async def test_a_photo_is_shown_and_kept_when_the_words_change(site: Signed) -> None:
    made = await compose(site, "Foto bersama.", file=("poster.png", PNG, "image/png"))
    broadcast_id = id_in(made.headers["location"])
    preview = await site.client.get(made.headers["location"])
    address = site.path(f"/pengumuman/{broadcast_id}/berkas")
    assert f'<img src="{address}"' in preview.text
    photo = await site.client.get(address)
    assert (photo.status_code, photo.headers["content-type"], photo.content) == (
        200, "image/png", PNG,
    )  # fmt: skip
    await compose(site, "Foto bersama hari pertama.", to=f"/pengumuman/{broadcast_id}/ubah")
    draft = await the_broadcast(site, broadcast_id)
    assert draft.text == "Foto bersama hari pertama."
    assert draft.file_id is not None  # no new file chosen: the photo stays


async def test_a_document_is_only_downloaded(site: Signed) -> None:
    page = b"<html><script>alert(1)</script></html>"
    made = await compose(site, "Materi.", file=("materi.html", page, "text/html"))
    broadcast_id = id_in(made.headers["location"])
    served = await site.client.get(site.path(f"/pengumuman/{broadcast_id}/berkas"))
    assert served.headers["content-type"] == "application/octet-stream"
    assert served.headers["content-disposition"] == 'attachment; filename="materi.html"'


async def test_a_draft_is_its_authors_and_an_announcement_its_events(site: Signed) -> None:
    made = await compose(site)
    broadcast_id = id_in(made.headers["location"])
    await give_role(site.sessions, site.world.mine, RoleName.ORGANIZER, "panitia-smd-2")
    await site.sign_in(await person_id_of(site.sessions, "panitia-smd-2"))
    page = await site.client.get(site.path("/pengumuman"))
    assert f"#{broadcast_id}" not in page.text
    for tail in ("", "/berkas", "/laporan.json"):
        response = await site.client.get(site.path(f"/pengumuman/{broadcast_id}{tail}"))
        assert response.status_code == 404, tail
    form = {"csrf": csrf_of(page.text), "setuju": "x"}
    for action in ("kirim", "buang", "batal"):
        response = await site.client.post(
            site.path(f"/pengumuman/{broadcast_id}/{action}"), data=form
        )
        assert response.status_code in (303, 404), action
    assert (await the_broadcast(site, broadcast_id)).status == BroadcastStatus.DRAFT
    # The other event's announcement, asked for under this event's address: not found.
    theirs = await announce(
        site.sessions, site.world.other, site.world.other_organiser, InClass(name="A"), "x",
        confirm=False,
    )  # fmt: skip
    await site.sign_in(site.world.admin)
    response = await site.client.get(site.path(f"/pengumuman/{theirs}"))
    assert response.status_code == 404


async def test_discarding_a_draft_removes_it_and_its_file(site: Signed) -> None:
    made = await compose(site, file=("poster.png", PNG, "image/png"))
    broadcast_id = id_in(made.headers["location"])
    page = await site.client.get(made.headers["location"])
    listed = await site.client.get(site.path("/pengumuman"))
    assert f"#{broadcast_id}" in listed.text  # among the viewer's drafts
    gone = await site.client.post(
        site.path(f"/pengumuman/{broadcast_id}/buang"), data={"csrf": csrf_of(page.text)}
    )
    assert gone.status_code == 303
    assert await counted(site.sessions, Broadcast) == 0


async def test_an_oversized_announcement_is_refused_before_it_is_read(site: Signed) -> None:
    read: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        for _ in range(100):
            read.append(1)
            yield b"x" * 65536

    declared = {"content-length": str(100 * 65536), "content-type": "multipart/form-data; b=x"}
    for tail in ("/pengumuman", f"/pengumuman/{await one_draft(site)}/ubah"):
        read.clear()
        refused = await site.client.post(site.path(tail), content=body(), headers=declared)
        assert refused.status_code == 413, tail
        assert len(read) <= 1
    assert await counted(site.sessions, Broadcast) == 1


async def one_draft(site: Signed) -> int:
    return await announce(
        site.sessions, site.world.mine, site.world.organiser, InClass(name="A"), TEXT,
        confirm=False,
    )  # fmt: skip


async def test_the_broadcast_file_limit_is_the_chats(site: Signed) -> None:
    """A photo just within the chat's limit is taken (the form's room is not the file's)."""
    photo = PNG + b"\x00" * (FILE_LIMIT - len(PNG))
    made = await compose(site, file=("poster.png", photo, "image/png"))
    assert made.status_code == 303
    draft = await the_broadcast(site, id_in(made.headers["location"]))
    assert draft.file_id is not None


async def test_a_photo_on_a_slow_connection_holds_up_nobody(site: Signed) -> None:
    """The form is read before the request's transaction begins: while the photo is
    still arriving, the bot writes to the database (on SQLite a transaction holds the
    one write lock)."""
    page = await site.client.get(site.path("/pengumuman"))
    boundary = "bimtek-test-boundary"
    fields = {"csrf": csrf_of(page.text), "teks": TEXT, "penerima": "class:A", "kapan": "sekarang"}
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    )
    body += (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="berkas"; '
            'filename="poster.png"\r\nContent-Type: image/png\r\n\r\n'
        ).encode()
        + PNG
        + f"\r\n--{boundary}--\r\n".encode()
    )
    written: list[str] = []

    async def slowly() -> AsyncIterator[bytes]:
        yield body[: len(body) // 2]
        # Meanwhile, someone registers (a write, from the bot's side of the app).
        async with site.sessions.begin() as session:
            person = await session.get(Person, site.world.participant)
            assert person is not None
            person.library_role = "Kepala perpustakaan"
        written.append("registered")
        yield body[len(body) // 2 :]

    headers = {
        "content-type": f"multipart/form-data; boundary={boundary}",
        "content-length": str(len(body)),
    }
    made = await asyncio.wait_for(
        site.client.post(site.path("/pengumuman"), content=slowly(), headers=headers), 20
    )
    assert written == ["registered"]
    assert made.status_code == 303
    draft = await the_broadcast(site, id_in(made.headers["location"]))
    assert draft.file_id is not None


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.text(st.characters(exclude_categories=["Cs"]), max_size=300),
    moment=st.one_of(st.none(), st.text(max_size=25), st.datetimes().map(datetime.isoformat)),
)
async def test_whatever_is_typed_is_kept_as_the_chat_keeps_it_or_refused(
    site: Signed, text: str, moment: str | None
) -> None:
    before = await counted(site.sessions, Broadcast)
    page = await site.client.get(site.path("/pengumuman"))
    form = {"csrf": csrf_of(page.text), "teks": text, "penerima": "class:A"}
    form |= {"kapan": "nanti", "waktu": moment} if moment is not None else {"kapan": "sekarang"}
    response = await site.client.post(site.path("/pengumuman"), data=form)
    assert response.status_code in (303, 422), response.text[-300:]
    if response.status_code == 422:
        assert 'id="refused"' in response.text
        assert await counted(site.sessions, Broadcast) == before
        return
    draft = await the_broadcast(site, id_in(response.headers["location"]))
    assert draft.text == checked_text("Bimtek SMD24", text, has_file=False)
    assert (draft.send_at is None) == (moment is None)
    if draft.send_at is not None:
        assert draft.send_at > site.clock()
