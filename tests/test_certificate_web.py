"""The verification page a certificate's QR code opens: whose it is and whether it is
valid or revoked, nothing else; an unknown or forged code is not found."""

from datetime import UTC, datetime

import httpx
from fastapi import FastAPI

from bot.db import SessionMaker
from bot.web_certificates import certificate_pages
from models import Certificate, Event
from models.certificates.store import Holder, issue, revoke
from tests.certificate_helpers import participant

NOW = datetime(2024, 11, 16, 6, tzinfo=UTC)


async def test_valid_revoked_and_unknown(sessions: SessionMaker, demo_event: Event) -> None:
    _, person = await participant(
        sessions, demo_event, "Ni Luh <b>Ayu</b> Dévi", "+6281234500009", "A"
    )
    async with sessions.begin() as session:
        [certificate] = await issue(
            session, demo_event, [Holder(person, "Ni Luh <b>Ayu</b> Dévi", "A", 33)], NOW,
            issued_by="cli",
        )  # fmt: skip
    app = FastAPI()
    app.include_router(certificate_pages(sessions).router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bimtek.test") as client:
        page = await client.get(f"/sertifikat/{certificate.code}")
        assert page.status_code == 200
        assert page.headers["cache-control"] == "no-store"
        body = page.text
        assert "Ni Luh &lt;b&gt;Ayu&lt;/b&gt; Dévi" in body  # as text, never as markup
        for shown in (
            "Bimtek SPP-TIK Kabupaten Kutai Kartanegara",
            "13–16 November 2024",
            "<dd>33</dd>",
            "001/BIMTEK-KUKAR2024/2024",
            "SAH",
        ):
            assert shown in body, shown
        assert "+628" not in body
        assert "Perpustakaan Desa" not in body
        english = await client.get(f"/sertifikat/{certificate.code.lower()}?lang=en")
        assert "VALID" in english.text
        assert "Lesson hours (JP)" in english.text

        async with sessions.begin() as session:
            stored = await session.get(Certificate, certificate.id)
            assert stored is not None
            revoke(session, stored, "Data ganda", NOW, by="cli")
        page = await client.get(f"/sertifikat/{certificate.code}")
        assert page.status_code == 200
        assert "DICABUT" in page.text
        assert "SAH" not in page.text

        # A path that leaves the page's folder is no page of ours at all.
        assert (await client.get("/sertifikat/%2e%2e%2fetc")).status_code == 404
        for forged in ("ZZZZZZZZZZ", "00000", "<script>", "x" * 500):
            missing = await client.get(f"/sertifikat/{forged}")
            assert missing.status_code == 404
            assert "Tidak ada sertifikat dengan kode ini" in missing.text

        # Without a QR reader: the code typed as printed, spaces and lower case and all.
        asked = await client.get("/sertifikat?lang=en")
        assert asked.status_code == 200
        assert 'name="kode"' in asked.text
        assert "Type the code printed under the QR code" in asked.text
        spaced = " ".join(certificate.code.lower())
        typed = await client.get("/sertifikat", params={"kode": spaced}, follow_redirects=True)
        assert typed.status_code == 200
        assert "DICABUT" in typed.text
        assert "001/BIMTEK-KUKAR2024/2024" in typed.text
        wrong = await client.get("/sertifikat", params={"kode": "<b>x"}, follow_redirects=True)
        assert wrong.status_code == 404
        assert 'value="&lt;b&gt;x"' in wrong.text  # offered again to correct, as text
