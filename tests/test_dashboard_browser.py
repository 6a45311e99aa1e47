"""An organiser's journey through the dashboard in headless Chromium, against the real web
app over a real database: sign in from a link, the overview, the participants filtered,
a person's record, the XLSX export opened, English, signing out, the link refused again."""

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from bot.dashboard.core import PREFIX
from bot.db import SessionMaker
from bot.logging import configure_logging
from models.dashboard import sign_in_url
from tests.browser import chromium, screenshot_on_failure, served
from tests.dashboard_helpers import Clock, dashboard_app, link_for, world


@pytest.fixture
def debug_logs() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging("DEBUG", "json", stream)
    # On, as a deployment's own logging may have it (the bot's keeps it at WARNING).
    logging.getLogger("uvicorn.access").setLevel(logging.INFO)
    yield stream
    configure_logging("INFO", "console")


async def test_an_organisers_journey(
    sessions: SessionMaker,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    debug_logs: io.StringIO,
) -> None:
    built = await world(sessions)
    token = await link_for(sessions, built.organiser)
    app = dashboard_app(sessions, Clock())
    async with served(app) as base, chromium(tmp_path / "profile") as browser:
        page = await browser.new_page()
        async with screenshot_on_failure(page, request.node.name):
            # Signing in: the link's page, its button, then the event list without the token.
            link = sign_in_url(base, token)
            await page.goto(link)
            await page.click("#sign-in")
            await page.wait_for_url(f"{base}{PREFIX}/")
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
            # On a phone's screen nothing runs off the side (wide tables scroll inside).
            await page.set_viewport_size({"width": 360, "height": 740})
            for path in ("", "/peserta"):
                await page.goto(f"{base}{PREFIX}/acara/{built.mine.id}{path}")
                overflow = await page.evaluate(
                    "document.documentElement.scrollWidth - window.innerWidth"
                )
                assert overflow <= 0, (path, overflow)
            await page.set_viewport_size({"width": 1280, "height": 800})
            await page.goto(f"{base}{PREFIX}/acara/{built.mine.id}")

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
            async with page.expect_download() as download_info:
                await page.click("#export-xlsx")
            download = await download_info.value
            assert download.suggested_filename == "peserta-SMD24.xlsx"
            saved = tmp_path / download.suggested_filename
            await download.save_as(saved)
            workbook = openpyxl.load_workbook(str(saved), read_only=True)
            rows = workbook.worksheets[0].iter_rows(values_only=True)
            cells = {cell for row in rows for cell in row}
            workbook.close()
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
            response = await page.goto(link)
            assert response is not None
            assert response.status == 410
            assert "sudah dipakai" in await page.inner_text("#refused")

    # Even at DEBUG, with uvicorn's access log on: ids, never names, numbers or the link.
    logs = debug_logs.getvalue()
    assert "dashboard_signed_in" in logs
    assert "/dasbor/masuk/" in logs  # the link's page was logged, without its token
    for secret in (token, "Siti", "Dewi", "Budi", "budi", "Rahayu", "81234500"):
        assert secret not in logs, f"{secret!r} leaked into the logs"
