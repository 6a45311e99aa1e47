"""The dashboard refuses everyone who may not see a page, on every route of the app's own
route table: nobody signed in, a participant, a trainer, another event's organiser; a
posted form without its CSRF token; a tampered cookie; a session past its end. Sign-in
links work once, within 10 minutes, and only their digests are stored."""

import csv
import hashlib
import io
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from bot.dashboard.core import COOKIE, PREFIX, SIGN_IN
from bot.db import SessionMaker
from models import AgendaSession, Attendance, Person
from models.audience import InClass
from models.audit import AuditEntry
from models.dashboard import DashboardLink, DashboardSession, digest
from models.outbox import FileToSend
from tests.dashboard_helpers import (
    NOW,
    Clock,
    World,
    cookie_for,
    dashboard_app,
    link_for,
    world,
)
from tests.dashboard_pages import PNG, announce
from tests.dashboard_surveys_world import SurveyWorld, answered_surveys
from tests.factories import enrol, id_of, person_id_of

# Routes anyone may open: the sign-in pages, the stylesheet and script, the bare prefix
# (a redirect to the event list).
PUBLIC = {
    ("GET", SIGN_IN),
    ("GET", SIGN_IN + "/{token}"),
    ("POST", SIGN_IN),
    ("GET", PREFIX + "/static/{name}"),
    ("GET", PREFIX),
}
# Pages of no event, which any organiser or admin may open.
ANY_ORGANISER = {("GET", PREFIX + "/"), ("POST", PREFIX + "/keluar")}
# Downloads of a record the walk's world does not hold (its participant has no
# certificate): refused like every route, and for the organiser "not found" (a 404 page).
RECORDS = {("GET", PREFIX + "/acara/{event_id}/sertifikat/{person_id}/pdf")}


@dataclass
class Site:
    app: FastAPI
    client: httpx.AsyncClient
    clock: Clock
    world: World
    sessions: SessionMaker
    surveys: SurveyWorld
    broadcast: int  # an announcement of the world's event, with a photo


@pytest.fixture
async def site(sessions: SessionMaker) -> AsyncIterator[Site]:
    clock = Clock()
    app = dashboard_app(sessions, clock)
    built = await world(sessions)
    answered = await answered_surveys(sessions, built)
    poster = FileToSend("poster.png", "image/png", PNG)
    broadcast = await announce(
        sessions, built.mine, built.organiser, InClass(name="A"), "Sesi pindah.", file=poster
    )
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://bimtek.test") as client,
    ):
        yield Site(app, client, clock, built, sessions, answered, broadcast)


def dashboard_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) of the dashboard in the app's route table."""
    found = [
        (method, str(route.path))
        for route in iter_route_contexts(app.routes)  # through the included routers
        if str(route.path).startswith(PREFIX)
        for method in sorted(getattr(route, "methods", None) or ())
        if method != "HEAD"
    ]
    assert len(found) >= 8, found  # the walk sees the pages, not an empty table
    return found


def filled(path: str, site: Site) -> str:
    """``path`` with its parameters naming the event and participant of the world."""
    values = {
        "event_id": site.world.mine.id,
        "person_id": site.world.participant,
        "round_id": site.surveys.evaluation,
        "chart": 0,
        "broadcast_id": site.broadcast,
    }
    unknown = set(re.findall(r"{(\w+)}", path)) - set(values)
    assert not unknown, f"a new path parameter to fill: {unknown}"
    return path.format(**values)


def assert_secure_headers(response: httpx.Response) -> None:
    headers = response.headers
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cache-control"] == "no-store"


async def request(
    site: Site, method: str, path: str, cookies: dict[str, str] | None = None, **form: str
) -> httpx.Response:
    site.client.cookies.clear()
    if cookies:
        site.client.cookies.update(cookies)
    if method == "POST":
        return await site.client.post(filled(path, site), data=form)
    return await site.client.get(filled(path, site))


def protected(site: Site) -> list[tuple[str, str]]:
    return [r for r in dashboard_routes(site.app) if r not in PUBLIC]


async def live_sessions(sessions: SessionMaker) -> int:
    async with sessions() as session:
        found = await session.execute(
            select(DashboardSession).where(col(DashboardSession.revoked_at).is_(None))
        )
        return len(found.scalars().all())


async def test_nobody_signed_in_is_sent_to_sign_in(site: Site) -> None:
    for method, path in protected(site):
        response = await request(site, method, path)
        assert response.status_code == 303, (method, path)
        assert response.headers["location"] == SIGN_IN, (method, path)
        assert_secure_headers(response)


async def test_participants_and_trainers_are_refused_everywhere(site: Site) -> None:
    for person in (site.world.participant, site.world.trainer):
        cookies = await cookie_for(site.sessions, site.app, person)
        for method, path in protected(site):
            response = await request(site, method, path, cookies)
            assert response.status_code == 403, (person, method, path)
            assert "Khusus panitia" in response.text
            assert "Siti Rahayu" not in response.text
            assert_secure_headers(response)


async def test_another_events_organiser_is_refused_this_events_pages(site: Site) -> None:
    cookies = await cookie_for(site.sessions, site.app, site.world.other_organiser)
    for method, path in protected(site):
        response = await request(site, method, path, cookies)
        if (method, path) == ("GET", PREFIX + "/"):
            assert response.status_code == 200
            assert "Bimtek BPN24" in response.text
            assert "Bimtek SMD24" not in response.text
            continue
        assert response.status_code == 403, (method, path)
        assert "Siti Rahayu" not in response.text
        assert "Bimtek SMD24" not in response.text
        assert_secure_headers(response)
    # Still signed in: none of it was a sign-out.
    assert await live_sessions(site.sessions) == 1


async def test_a_form_without_its_csrf_token_changes_nothing(site: Site) -> None:
    cookies = await cookie_for(site.sessions, site.app, site.world.organiser)
    posts = [path for method, path in protected(site) if method == "POST"]
    assert f"{PREFIX}/keluar" in posts
    for path in posts:
        for form in ({}, {"csrf": "0" * 64}, {"csrf": ""}, {"csrf": "é" * 64}):
            response = await request(site, "POST", path, cookies, **form)
            assert response.status_code == 403, (path, form)
            assert "Formulir ditolak" in response.text
    assert await live_sessions(site.sessions) == 1
    # With it, the same organiser signs out.
    page = await request(site, "GET", PREFIX + "/", cookies)
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert token is not None
    response = await request(site, "POST", PREFIX + "/keluar", cookies, csrf=token.group(1))
    assert response.status_code == 303
    assert await live_sessions(site.sessions) == 0


# Pages about every event (or none), for admins only.
ADMINS_ONLY = {PREFIX + "/audit"}


async def test_the_organiser_and_an_admin_see_the_event(site: Site) -> None:
    for person in (site.world.organiser, site.world.admin):
        cookies = await cookie_for(site.sessions, site.app, person)
        for method, path in protected(site):
            if method != "GET":
                continue
            response = await request(site, method, path, cookies)
            if (method, path) in RECORDS:
                expected = 404
            elif path in ADMINS_ONLY and person != site.world.admin:
                expected = 403
            else:
                expected = 200
            assert response.status_code == expected, (person, path, response.text[-300:])
    events = await request(site, "GET", PREFIX + "/", await cookie_for(
        site.sessions, site.app, site.world.admin))  # fmt: skip
    assert "Bimtek SMD24" in events.text
    assert "Bimtek BPN24" in events.text  # an admin sees every event


async def test_a_tampered_cookie_is_refused_and_changes_nothing(site: Site) -> None:
    cookies = await cookie_for(site.sessions, site.app, site.world.organiser)
    value = cookies[COOKIE]
    session_id, _, mac = value.rpartition(".")
    forged = [
        f"{session_id}.{'0' * len(mac)}",
        f"{session_id[:-1]}{'A' if session_id[-1] != 'A' else 'B'}.{mac}",
        session_id,
        "",
    ]
    for cookie in forged:
        response = await request(site, "GET", PREFIX + "/", {COOKIE: cookie})
        assert response.status_code in (303, 403), cookie
        if response.status_code == 403:
            assert "Sesi tidak sah" in response.text
        assert "Bimtek SMD24" not in response.text
    assert await live_sessions(site.sessions) == 1


async def test_a_session_ends_after_its_hours(site: Site) -> None:
    cookies = await cookie_for(site.sessions, site.app, site.world.organiser)
    assert (await request(site, "GET", PREFIX + "/", cookies)).status_code == 200
    site.clock.advance(timedelta(hours=12))
    response = await request(site, "GET", PREFIX + "/", cookies)
    assert response.status_code == 303
    assert response.headers["location"] == SIGN_IN + "?habis=1"
    assert f'{COOKIE}=""' in response.headers["set-cookie"]  # the browser forgets it
    ended = await site.client.get(SIGN_IN + "?habis=1")
    assert "Sesi Anda sudah berakhir" in ended.text


async def test_a_link_signs_in_once_and_is_stored_only_as_its_digest(site: Site) -> None:
    token = await link_for(site.sessions, site.world.organiser)
    async with site.sessions() as session:
        [link] = (await session.execute(select(DashboardLink))).scalars().all()
    assert link.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(link.model_dump())
    # Opening the link (as a chat app's preview does) does not use it.
    for _ in range(2):
        page = await site.client.get(f"{SIGN_IN}/{token}")
        assert page.status_code == 200
        assert 'id="sign-in"' in page.text
    signed = await site.client.post(SIGN_IN, data={"token": token})
    assert signed.status_code == 303
    assert signed.headers["location"] == PREFIX + "/"
    set_cookie = signed.headers["set-cookie"]
    for attribute in ("HttpOnly", "SameSite=lax", f"Path={PREFIX}"):
        assert attribute.lower() in set_cookie.lower(), set_cookie
    assert "secure" not in set_cookie.lower()  # over http, as in development
    session_id = signed.cookies[COOKIE].strip('"').rpartition(".")[0]
    async with site.sessions() as session:
        [held] = (await session.execute(select(DashboardSession))).scalars().all()
    assert held.session_sha256 == digest(session_id)
    assert session_id not in repr(held.model_dump())
    async with site.sessions() as session:
        signed_in = select(AuditEntry).where(col(AuditEntry.action) == "dashboard.signed_in")
        [logged] = (await session.execute(signed_in)).scalars().all()
    assert (logged.actor_person_id, logged.target_id) == (site.world.organiser, held.id)
    site.client.cookies.clear()
    again = await site.client.post(SIGN_IN, data={"token": token})
    assert again.status_code == 410
    assert "sudah dipakai" in again.text
    assert COOKIE not in again.headers.get("set-cookie", "")
    assert await live_sessions(site.sessions) == 1


async def test_a_link_posted_from_another_site_signs_nobody_in(site: Site) -> None:
    token = await link_for(site.sessions, site.world.organiser)
    for headers in (
        {"Sec-Fetch-Site": "cross-site", "Origin": "null"},  # a browser today
        {"Origin": "https://elsewhere.example"},  # an older one
    ):
        forged = await site.client.post(SIGN_IN, data={"token": token}, headers=headers)
        assert forged.status_code == 403
        assert COOKIE not in forged.headers.get("set-cookie", "")
        assert await live_sessions(site.sessions) == 0
    own = await site.client.post(
        SIGN_IN, data={"token": token}, headers={"Origin": str(site.client.base_url)}
    )
    assert own.status_code == 303  # the link was not used up by the forged post


async def test_an_expired_or_unknown_link_signs_nobody_in(site: Site) -> None:
    token = await link_for(site.sessions, site.world.organiser, NOW)
    site.clock.advance(timedelta(minutes=10))
    page = await site.client.get(f"{SIGN_IN}/{token}?lang=en")
    assert page.status_code == 410
    assert "has expired" in page.text
    refused = await site.client.post(SIGN_IN, data={"token": token})
    assert refused.status_code == 410
    assert "kedaluwarsa" in refused.text
    unknown = await site.client.post(SIGN_IN, data={"token": "x" * 43})
    assert unknown.status_code == 410
    assert "tidak dikenal" in unknown.text
    assert await live_sessions(site.sessions) == 0


async def test_the_language_is_remembered_in_the_session(site: Site) -> None:
    cookies = await cookie_for(site.sessions, site.app, site.world.organiser)
    assert "Acara Anda" in (await request(site, "GET", PREFIX + "/", cookies)).text
    english = await request(site, "GET", PREFIX + "/?lang=en", cookies)
    assert "Your events" in english.text
    assert 'lang="en"' in english.text
    later = await request(site, "GET", filled(PREFIX + "/acara/{event_id}", site), cookies)
    assert "Overview" in later.text
    back = await request(site, "GET", PREFIX + "/?lang=id", cookies)
    assert "Acara Anda" in back.text


async def test_secure_cookie_behind_https(sessions: SessionMaker) -> None:
    from bot.dashboard.app import dashboard_part
    from bot.web import web_app
    from tests.dashboard_helpers import config

    clock = Clock()
    app = web_app(None, [dashboard_part(sessions, config(clock, secure=True))])
    built = await world(sessions)
    token = await link_for(sessions, built.organiser)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://bimtek.test") as client:
        signed = await client.post(SIGN_IN, data={"token": token})
    assert signed.status_code == 303
    assert "secure" in signed.headers["set-cookie"].lower()


async def test_a_person_of_another_event_is_not_found_here(site: Site) -> None:
    cookies = await cookie_for(site.sessions, site.app, site.world.organiser)
    outsider = await enrol(site.sessions, site.world.other)
    outsider_id = await person_id_of(site.sessions, outsider)
    path = f"{PREFIX}/acara/{site.world.mine.id}/peserta/{outsider_id}"
    response = await request(site, "GET", path, cookies)
    assert response.status_code == 404
    assert "bukan peserta acara ini" in response.text
    # Nor is the organiser of the other event shown this event's participant.
    theirs = await cookie_for(site.sessions, site.app, site.world.other_organiser)
    mine = f"{PREFIX}/acara/{site.world.other.id}/peserta/{site.world.participant}"
    assert (await request(site, "GET", mine, theirs)).status_code == 404


async def test_the_csv_export_is_the_chats_table(site: Site) -> None:
    cookies = await cookie_for(site.sessions, site.app, site.world.organiser)
    async with site.sessions.begin() as session:
        person = await session.get(Person, site.world.participant)
        assert person is not None
        person.library_name = "=HYPERLINK(1)"  # a formula, as someone may type it
    response = await request(
        site, "GET", f"{PREFIX}/acara/{site.world.mine.id}/peserta.csv", cookies
    )
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="peserta-SMD24.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")  # a BOM: spreadsheets read UTF-8
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["No", "Nama", "No. HP"]
    names = {row[1] for row in rows[1:]}
    assert names == {"Siti Rahayu", "Budi Santoso", "Dewi Lestari", "Rina Wulandari"}
    assert "'=HYPERLINK(1)" in {cell for row in rows for cell in row}
    assert_secure_headers(response)
    async with site.sessions() as session:  # the export is in the audit log, as the chat's
        exported = select(AuditEntry).where(col(AuditEntry.action) == "export")
        logged = (await session.execute(exported)).scalars().all()
    assert [(e.actor_person_id, e.action, e.target_kind, e.event_id) for e in logged] == [
        (site.world.organiser, "export", "participants", site.world.mine.id)
    ]
    assert logged[0].details["rows"] == 4


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cookie=st.text(max_size=120), token=st.text(max_size=120))
async def test_any_cookie_or_token_signs_nobody_in(site: Site, cookie: str, token: str) -> None:
    site.client.cookies.clear()
    # As a browser may send it: any byte but the header's own separators.
    raw = cookie.encode("latin-1", "replace").replace(b";", b"").replace(b"\r", b"")
    raw = raw.replace(b"\n", b"").replace(b"\x00", b"")
    headers = {b"cookie": COOKIE.encode() + b"=" + raw}
    response = await site.client.get(PREFIX + "/", headers=headers)
    assert response.status_code in (303, 403)
    assert "Bimtek SMD24" not in response.text
    site.client.cookies.clear()
    signed = await site.client.post(SIGN_IN, data={"token": token})
    assert signed.status_code in (400, 410)  # 400: no token at all
    assert COOKIE not in signed.headers.get("set-cookie", "")
    assert await live_sessions(site.sessions) == 0


async def test_an_address_that_names_nothing_is_a_page_saying_so(site: Site) -> None:
    cookies = await cookie_for(site.sessions, site.app, site.world.organiser)
    for path in (f"{PREFIX}/tidak-ada", f"{PREFIX}/acara/satu", f"{PREFIX}/acara/999999"):
        response = await request(site, "GET", path, cookies)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")
        assert "tidak ditemukan" in response.text
        assert_secure_headers(response)
    # Outside the dashboard the app answers as before.
    elsewhere = await site.client.get("/tidak-ada")
    assert elsewhere.status_code == 404
    assert elsewhere.json() == {"detail": "Not Found"}


async def test_what_people_typed_is_shown_as_text(site: Site) -> None:
    async with site.sessions.begin() as session:
        person = await session.get(Person, site.world.participant)
        assert person is not None
        person.full_name = "<script>alert(1)</script> Siti"
    cookies = await cookie_for(site.sessions, site.app, site.world.organiser)
    for path in ("/peserta", f"/peserta/{site.world.participant}"):
        response = await request(site, "GET", f"{PREFIX}/acara/{site.world.mine.id}{path}", cookies)
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Siti" in response.text, path
        assert "<script>alert" not in response.text, path


async def test_the_overview_counts_and_names_who_is_present_today(site: Site) -> None:
    mine = site.world.mine
    async with site.sessions.begin() as session:
        found = await session.execute(
            select(AgendaSession.id)
            .where(col(AgendaSession.event_id) == mine.id)
            .order_by(col(AgendaSession.starts_at))
        )
        first = found.scalars().first()
        assert first is not None
        budi = await session.execute(
            select(Person.id).where(col(Person.full_name) == "Budi Santoso")
        )
        for person_id, unmarked in ((site.world.participant, None), (budi.scalar_one(), NOW)):
            session.add(
                Attendance(
                    event_id=id_of(mine), session_id=first, person_id=person_id,
                    checked_in_at=NOW, channel="cli", unmarked_at=unmarked,
                )
            )  # fmt: skip
    cookies = await cookie_for(site.sessions, site.app, site.world.organiser)
    page = await request(site, "GET", f"{PREFIX}/acara/{mine.id}", cookies)
    assert page.status_code == 200
    present = page.text[page.text.index('id="present-list"') :]
    present = present[: present.index("</details>")]
    assert "Siti Rahayu" in present
    assert "Budi Santoso" not in present  # taken off by an organiser
    assert "(1)" in present
    assert re.search(r'id="present">\s*<span class="number">1</span>', page.text)


async def test_signing_in_forgets_links_and_sessions_ended_long_ago(site: Site) -> None:
    old = NOW - timedelta(days=40)
    await link_for(site.sessions, site.world.organiser, old)  # expired 40 days ago
    await cookie_for(site.sessions, site.app, site.world.organiser, old)  # ended too
    recent = await cookie_for(site.sessions, site.app, site.world.organiser, NOW)
    token = await link_for(site.sessions, site.world.organiser)
    assert (await site.client.post(SIGN_IN, data={"token": token})).status_code == 303
    async with site.sessions() as session:
        links = (await session.execute(select(DashboardLink))).scalars().all()
        held = (await session.execute(select(DashboardSession))).scalars().all()
    assert [link.created_at for link in links] == [NOW]
    assert len(held) == 2  # the recent one and the new one
    assert (await request(site, "GET", PREFIX + "/", recent)).status_code == 200
