"""The dashboard's audit log: an event's organisers read their event's entries (worded as
the chat's /audit words them), filtered and a page at a time; admins read every event's;
nobody else reads any."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete

from bot.dashboard.core import PREFIX
from bot.db import SessionMaker
from models.audit import CLI, Actor, AuditAction, AuditEntry, record
from tests.dashboard_helpers import Clock, World, cookie_for, dashboard_app, world


@dataclass
class Log:
    """The dashboard's audit pages over the world below, read as someone signed in."""

    sessions: SessionMaker
    app: FastAPI
    client: httpx.AsyncClient
    built: World

    async def page_as(self, person_id: int, path: str) -> httpx.Response:
        self.client.cookies.clear()
        self.client.cookies.update(await cookie_for(self.sessions, self.app, person_id))
        return await self.client.get(path)

    async def mine(self, query: str = "") -> httpx.Response:
        """The organiser's own event's log, with ``query``."""
        path = f"{PREFIX}/acara/{self.built.mine.id}/audit{query}"
        return await self.page_as(self.built.organiser, path)


@pytest.fixture
async def logged(sessions: SessionMaker) -> AsyncIterator[Log]:
    """The dashboard over a world where each event's organiser did things, by hand."""
    app = dashboard_app(sessions, Clock())
    built = await world(sessions)
    mine, other = built.mine.id, built.other.id
    at = datetime(2024, 11, 13, 1, 0, tzinfo=UTC)  # 09:00 WITA
    async with sessions.begin() as session:
        await session.execute(delete(AuditEntry))  # setting the world up: not this test's
        for n in range(55):  # more than a page
            record(
                session, Actor.person(built.organiser), AuditAction.BROADCAST_SENT,
                event_id=mine, target="broadcast", target_id=n + 1,
                at=at + timedelta(minutes=n), recipients=3,
            )  # fmt: skip
        record(
            session, CLI, AuditAction.EXPORT, event_id=mine, target="participants",
            at=at - timedelta(days=1), rows=4, format="xlsx",
        )  # fmt: skip
        record(
            session, Actor.person(built.other_organiser), AuditAction.ROSTER_IMPORTED,
            event_id=other, target="roster", at=at, added=7,
        )  # fmt: skip
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bimtek.test"
        ) as client,
    ):
        yield Log(sessions, app, client, built)


def rows_of(page: httpx.Response) -> list[str]:
    body = page.text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [row for row in body.split("<tr>")[1:]]


async def test_an_organiser_reads_their_events_log_newest_first_a_page_at_a_time(
    logged: Log,
) -> None:
    first = await logged.mine()
    assert first.status_code == 200
    rows = rows_of(first)
    assert len(rows) == 50
    # The newest: the 55th announcement, at 09:54 WITA, worded as the chat words it.
    assert "2024-11-13 09:54 WITA" in rows[0]
    assert "mengirim pengumuman #55 ke 3 peserta" in rows[0]
    assert "panitia" in rows[0]
    assert "Rina" not in first.text
    assert "BPN24" not in first.text
    assert 'id="audit-older"' in first.text
    assert 'id="audit-newer"' not in first.text
    second = await logged.mine("?halaman=2")
    rows = rows_of(second)
    assert len(rows) == 6  # 5 announcements and the export, a day before
    assert "2024-11-12 09:00 WITA" in rows[-1]
    assert "(CLI)" in rows[-1]
    assert 'id="audit-older"' not in second.text
    assert 'id="audit-newer"' in second.text


async def test_filters_by_action_and_days_in_the_events_zone(logged: Log) -> None:
    exports = await logged.mine("?aksi=export")
    assert len(rows_of(exports)) == 1
    day = await logged.mine("?dari=2024-11-12&sampai=2024-11-12")
    assert len(rows_of(day)) == 1  # the export; the announcements were the day after
    none = await logged.mine("?aksi=certificate.revoked")
    assert 'id="audit-empty"' in none.text
    english = await logged.mine("?aksi=export&lang=en")
    assert "Audit log" in english.text
    assert "server operator (CLI)" in english.text


async def test_admins_read_every_events_log_and_nobody_else_does(logged: Log) -> None:
    built = logged.built
    every = f"{PREFIX}/audit?aksi=roster.imported"
    admin = await logged.page_as(built.admin, every)
    assert admin.status_code == 200
    [row] = rows_of(admin)
    assert "BPN24" in row
    refused = {
        who: await logged.page_as(who, every)
        for who in (built.organiser, built.trainer, built.participant)
    }
    assert {who: page.status_code for who, page in refused.items()} == {
        built.organiser: 403, built.trainer: 403, built.participant: 403
    }  # fmt: skip
    assert "BPN24" not in "".join(page.text for page in refused.values())
    theirs = f"{PREFIX}/acara/{built.other.id}/audit"
    assert (await logged.page_as(built.organiser, theirs)).status_code == 403
