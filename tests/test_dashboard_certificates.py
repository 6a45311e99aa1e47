"""Certificates from the dashboard, through its routes over a real database (SQLite and
PostgreSQL): who qualifies and what the others lack, as /sertifikat shows it; issuing to
all, by hand (a reason for someone short, the chat's rule), revoking with a reason; the
public verification page then saying so; a certificate's PDF. Refusals of anyone else
are the route walk's (tests/test_dashboard_routes.py)."""

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import col, select

from bot.dashboard.core import PREFIX
from bot.db import SessionMaker
from handlers.turn import Deployment
from models.audit import AuditAction
from models.certificates.store import Certificate
from tests.audit_helpers import actors_of
from tests.certificate_helpers import answered, pdf_qr_codes, pdf_text
from tests.dashboard_attendance_helpers import (
    DEPLOYMENT,
    csrf_in,
    full_app,
    person_named,
    present_at,
)
from tests.dashboard_helpers import Clock, World, cookie_for, world
from tests.factories import id_of


@dataclass
class Office:
    app: FastAPI
    client: httpx.AsyncClient
    world: World
    sessions: SessionMaker
    dewi: int
    budi: int

    @property
    def base(self) -> str:
        return f"{PREFIX}/acara/{self.world.mine.id}/sertifikat"

    async def post(self, path: str, **form: str) -> httpx.Response:
        token = csrf_in((await self.client.get(self.base)).text)
        return await self.client.post(self.base + path, data={"csrf": token, **form})


async def office_of(
    sessions: SessionMaker, deployment: Deployment = DEPLOYMENT
) -> AsyncIterator[Office]:
    app = full_app(sessions, Clock(), deployment)
    built = await world(sessions)
    event_id = id_of(built.mine)
    dewi, budi = (
        await person_named(sessions, "Dewi Lestari"),
        await person_named(sessions, "Budi Santoso"),
    )
    both = {"Strategi Transformasi", "Advokasi untuk Keberlanjutan"}
    await present_at(sessions, event_id, built.participant, both)  # Siti: qualifies
    await answered(sessions, built.mine, built.participant)
    await present_at(sessions, event_id, dewi, {"Strategi Transformasi"})  # one of two
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://bimtek.test") as client,
    ):
        client.cookies.update(await cookie_for(sessions, app, built.organiser))
        yield Office(app, client, built, sessions, dewi, budi)


@pytest.fixture
async def office(sessions: SessionMaker) -> AsyncIterator[Office]:
    async for found in office_of(sessions):
        yield found


async def certificates(sessions: SessionMaker) -> list[Certificate]:
    async with sessions() as session:
        found = await session.execute(select(Certificate).order_by(col(Certificate.seq)))
        return list(found.scalars())


def row_of(html: str, person_id: int) -> str:
    return html.split(f'<tr data-person="{person_id}">')[1].split("</tr>")[0]


async def test_the_list_says_who_qualifies_and_what_the_others_lack(office: Office) -> None:
    page = await office.client.get(office.base)
    assert page.status_code == 200
    assert "Syarat sertifikat: hadir minimal 90 % sesi · mengisi evaluasi kegiatan" in page.text
    assert "Memenuhi syarat" in row_of(page.text, office.world.participant)
    assert "2/2 (100 %)" in row_of(page.text, office.world.participant)
    assert "hadir 1/2 sesi; evaluasi belum diisi" in row_of(page.text, office.dewi)
    assert "hadir 0/2 sesi; evaluasi belum diisi" in row_of(page.text, office.budi)
    waiting = page.text.split('id="count-waiting"')[1].split("</div>")[0]
    short = page.text.split('id="count-short"')[1].split("</div>")[0]
    assert ">1<" in waiting
    assert ">2<" in short
    assert "Terbitkan untuk 1 orang yang memenuhi syarat" in page.text


async def test_issuing_to_all_who_qualify_twice_issues_once(office: Office) -> None:
    done = await office.post("/terbitkan")
    assert done.status_code == 303
    assert done.headers["location"] == f"{office.base}?terbit=1"
    [issued] = await certificates(office.sessions)
    assert issued.person_id == office.world.participant
    assert issued.number == "001/BIMTEK-SMD24/2024"
    assert issued.issued_by == f"person:{office.world.organiser}"
    assert issued.manual_reason is None
    page = await office.client.get(done.headers["location"])
    assert "1 sertifikat diterbitkan" in page.text
    assert "001/BIMTEK-SMD24/2024" in row_of(page.text, office.world.participant)
    assert f'href="/sertifikat/{issued.code}"' in page.text
    again = await office.post("/terbitkan")
    assert again.headers["location"] == f"{office.base}?terbit=0"
    assert len(await certificates(office.sessions)) == 1


async def test_issuing_by_hand_to_someone_short_needs_a_reason(office: Office) -> None:
    for reason in ("", "ok", "😀😀😀😀😀", "x" * 501):
        refused = await office.post(f"/{office.dewi}/terbitkan", alasan=reason)
        assert refused.status_code == 400, reason
        assert 'id="error"' in refused.text
    assert await certificates(office.sessions) == []
    done = await office.post(f"/{office.dewi}/terbitkan", alasan="Ikut sesi susulan hari Jumat")
    assert done.status_code == 303
    [issued] = await certificates(office.sessions)
    assert (issued.person_id, issued.manual_reason) == (office.dewi, "Ikut sesi susulan hari Jumat")
    page = await office.client.get(done.headers["location"])
    assert "Sertifikat diterbitkan" in page.text
    assert "Ikut sesi susulan hari Jumat" in page.text
    twice = await office.post(f"/{office.dewi}/terbitkan", alasan="Ikut sesi susulan hari Jumat")
    assert twice.status_code == 409
    assert "sudah punya sertifikat" in twice.text
    # Someone who qualifies gets it as the rule would: no reason asked, none kept.
    qualifies = await office.post(f"/{office.world.participant}/terbitkan")
    assert qualifies.status_code == 303
    assert [c.manual_reason for c in await certificates(office.sessions)] == [
        "Ikut sesi susulan hari Jumat",
        None,
    ]
    # Not a participant of this event: not found.
    stranger = await office.post(f"/{office.world.other_organiser}/terbitkan", alasan="Salah orang")
    assert stranger.status_code == 404


async def test_revoking_needs_a_reason_and_the_verification_page_says_revoked(
    office: Office,
) -> None:
    await office.post("/terbitkan")
    [issued] = await certificates(office.sessions)
    siti = office.world.participant
    page = await office.client.get(f"{office.base}/{siti}")
    assert f'id="verify-link">/sertifikat/{issued.code}<' in page.text
    assert "SAH" in (await office.client.get(f"/sertifikat/{issued.code}")).text
    for reason in ("", "    ", "ok"):
        refused = await office.post(f"/{siti}/cabut", alasan=reason)
        assert refused.status_code == 400
    [still] = await certificates(office.sessions)
    assert still.revoked_at is None
    done = await office.post(f"/{siti}/cabut", alasan="Data ganda, diganti nomor 002")
    assert done.status_code == 303
    page = await office.client.get(done.headers["location"])
    assert "Sertifikat dicabut" in page.text
    assert "Data ganda, diganti nomor 002" in page.text
    public = await office.client.get(f"/sertifikat/{issued.code}")
    assert "DICABUT" in public.text
    twice = await office.post(f"/{siti}/cabut", alasan="Alasan lain sama sekali")
    assert twice.status_code == 409
    [revoked] = await certificates(office.sessions)
    assert revoked.revoked_reason == "Data ganda, diganti nomor 002"
    assert revoked.revoked_by == f"person:{office.world.organiser}"
    organiser_acted = [("person", office.world.organiser)]
    assert await actors_of(office.sessions, AuditAction.CERTIFICATE_ISSUED) == organiser_acted
    assert await actors_of(office.sessions, AuditAction.CERTIFICATE_REVOKED) == organiser_acted
    # A revoked certificate is not handed out any more.
    assert (await office.client.get(f"{office.base}/{siti}/pdf")).status_code == 404


async def test_a_certificates_pdf_is_drawn_for_the_download_and_not_kept(office: Office) -> None:
    await office.post("/terbitkan")
    response = await office.client.get(f"{office.base}/{office.world.participant}/pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert 'filename="sertifikat-001.pdf"' in response.headers["content-disposition"]
    [issued] = await certificates(office.sessions)
    text = pdf_text(response.content)
    assert "Siti Rahayu" in text
    assert issued.number in text
    assert pdf_qr_codes(response.content) == [issued.code]  # no public address: the code
    assert issued.pdf is None  # the round draws it, keeps it and sends it to Siti
    # Someone without a certificate has no PDF.
    assert (await office.client.get(f"{office.base}/{office.dewi}/pdf")).status_code == 404


async def test_with_a_public_address_the_link_is_the_one_on_the_paper(
    sessions: SessionMaker,
) -> None:
    public = Deployment(public_base_url="https://bimtek.example.id")
    async for office in office_of(sessions, public):
        await office.post("/terbitkan")
        [issued] = await certificates(office.sessions)
        page = await office.client.get(f"{office.base}/{office.world.participant}")
        assert f"https://bimtek.example.id/sertifikat/{issued.code}" in page.text
        pdf = await office.client.get(f"{office.base}/{office.world.participant}/pdf")
        assert pdf_qr_codes(pdf.content) == [f"https://bimtek.example.id/sertifikat/{issued.code}"]
