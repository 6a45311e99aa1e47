"""An organiser's journey through the dashboard in headless Chromium, against the real web
app over a real database: sign in from a link, the overview, the participants filtered,
a person's record, the XLSX export opened, English, signing out, the link refused again."""

import io
from pathlib import Path

import pytest

from bot.dashboard.core import PREFIX
from bot.db import SessionMaker
from models.dashboard import sign_in_url
from tests.browser import assert_fits_a_phone, download, signed_in_page, workbook_rows
from tests.dashboard_helpers import Clock, dashboard_app, link_for, world


async def test_an_organisers_journey(
    sessions: SessionMaker,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    web_debug_logs: io.StringIO,
) -> None:
    built = await world(sessions)
    token = await link_for(sessions, built.organiser)
    app = dashboard_app(sessions, Clock())
    # Signing in: the link's page, its button, then the event list without the token.
    async with signed_in_page(app, tmp_path, token, request.node.name) as (page, base):
        assert token not in page.url
        assert await page.inner_text("h1") == "Acara Anda"
        assert "Bimtek BPN24" not in await page.inner_text("main")

        # The overview: figures, what is on now.
        await page.click("text=Bimtek SMD24")
        await page.wait_for_url(f"{base}{PREFIX}/acara/{built.mine.id}")
        main = await page.inner_text("main")
        assert "Ringkasan" in main
        assert "Sedang berlangsung" in main
        assert "Strategi Transformasi" in main
        assert (await page.inner_text("#registered .number")).strip() == "3"
        overview = f"{base}{PREFIX}/acara/{built.mine.id}"
        await assert_fits_a_phone(page, overview, f"{overview}/peserta")
        await page.goto(overview)

        # The participants, filtered by class, then searched by name.
        await page.click("nav.tabs >> text=Peserta")
        await page.wait_for_selector("#participants")
        assert "Rina Wulandari" in await page.inner_text("#participants")  # roster only
        await page.select_option("select[name=kelas]", "A")
        await page.click("#apply-filters")
        await page.wait_for_selector("#found >> text=2 orang")
        listed = await page.inner_text("#participants")
        assert "Siti Rahayu" in listed
        assert "Dewi Lestari" in listed
        assert "Budi Santoso" not in listed
        await page.select_option("select[name=kelas]", "")
        await page.fill("input[name=q]", "budi")
        await page.click("#apply-filters")
        await page.wait_for_selector("#found >> text=1 orang")
        assert "budi" not in page.url.lower()  # a name never goes in the address
        assert "Budi Santoso" in await page.inner_text("#participants")
        await page.fill("input[name=q]", "")
        await page.select_option("select[name=kabupaten]", "Samarinda")
        await page.select_option("select[name=jenis]", "kelurahan")
        await page.click("#apply-filters")
        await page.wait_for_selector("#found >> text=1 orang")
        assert "Dewi Lestari" in await page.inner_text("#participants")

        # A person's record.
        await page.click("#participants >> text=Dewi Lestari")
        await page.wait_for_selector("#person-name")
        assert await page.inner_text("#person-name") == "Dewi Lestari"
        assert "+6281234500003" in await page.inner_text("main")
        await page.click("text=Kembali ke daftar peserta")

        # The export, opened as a workbook.
        saved = await download(page, "#export-xlsx", tmp_path)
        assert saved.name == "peserta-SMD24.xlsx"
        cells = {cell for row in workbook_rows(saved)[0] for cell in row}
        for name in ("Siti Rahayu", "Budi Santoso", "Dewi Lestari", "Rina Wulandari"):
            assert name in cells, name

        # English, remembered from page to page.
        await page.click("#language")
        await page.wait_for_selector("h1 >> text=Participants")
        await page.click(".brand")
        assert await page.inner_text("h1") == "Your events"

        # Signing out; the pages then send to the sign-in page.
        await page.click("#sign-out")
        await page.wait_for_selector("#note")
        assert "signed out" in await page.inner_text("#note")
        await page.goto(f"{base}{PREFIX}/acara/{built.mine.id}")
        assert page.url.startswith(f"{base}{PREFIX}/masuk")
        assert "Siti Rahayu" not in await page.content()

        # The link again: used.
        response = await page.goto(sign_in_url(base, token))
        assert response is not None
        assert response.status == 410
        assert "sudah dipakai" in await page.inner_text("#refused")

    # Even at DEBUG, with uvicorn's access log on: ids, never names, numbers or the link.
    logs = web_debug_logs.getvalue()
    assert "dashboard_signed_in" in logs
    assert "/dasbor/masuk/" in logs  # the link's page was logged, without its token
    for secret in (token, "Siti", "Dewi", "Budi", "budi", "Rahayu", "81234500"):
        assert secret not in logs, f"{secret!r} leaked into the logs"
