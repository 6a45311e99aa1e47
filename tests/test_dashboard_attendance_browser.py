"""An organiser runs check-in and certificates in headless Chromium, against the real web
app over a real database, while participants write to the bot (the console driver):
a code opened for a session and shown on the projector view with its QR codes and a
countdown; check-ins appearing on it and on the session's roll without a reload; a mark
by hand with a reason; the daftar hadir downloaded and opened; certificates issued, one
downloaded, one revoked with a reason and the public verification page saying so."""

import base64
import io
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from bot.dashboard.core import PREFIX
from bot.db import SessionMaker
from tests.browser import assert_fits_a_phone, download, signed_in_page, workbook_rows
from tests.certificate_helpers import answered, pdf_text
from tests.dashboard_attendance_helpers import (
    full_app,
    person_named,
    present_at,
    session_ids,
    talker_of,
)
from tests.dashboard_helpers import Clock, link_for, world
from tests.factories import id_of

LIVE = 20_000  # ms to wait for a page to bring itself up to date (it polls every few s)


def qr_text(src: str | None) -> str:
    assert src is not None
    assert src.startswith("data:image/png;base64,")
    picture = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
    [found] = zxingcpp.read_barcodes(picture)
    return found.text


async def test_an_organiser_runs_check_in_from_the_browser(
    sessions: SessionMaker, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    built = await world(sessions)
    event_id = id_of(built.mine)
    strategi = (await session_ids(sessions, event_id))["Strategi Transformasi"]
    budi = await person_named(sessions, "Budi Santoso")
    dewi = await person_named(sessions, "Dewi Lestari")
    token = await link_for(sessions, built.organiser)
    app = full_app(sessions, Clock())
    async with signed_in_page(app, tmp_path, token, request.node.name) as (page, base):
        await page.goto(f"{base}{PREFIX}/acara/{event_id}")
        await page.click("nav.tabs >> text=Presensi")
        await page.wait_for_selector("#sessions")

        # A code for the session on now, shown for the hall.
        await page.click(f"#session-{strategi} .open-button")
        await page.wait_for_selector("#code")
        assert "/presensi/layar?kode=" in page.url
        code = (await page.inner_text("#code")).replace(" ", "")
        assert len(code) == 6
        size = await page.evaluate(
            "parseFloat(getComputedStyle(document.querySelector('#code')).fontSize)"
        )
        assert size >= 100, size  # read from the back of the hall
        telegram = page.locator("#qr-telegram")
        box = await telegram.bounding_box()
        assert box is not None
        assert box["width"] >= 250, box
        link = qr_text(await telegram.get_attribute("src"))
        assert link == f"https://t.me/bimtek_contoh_bot?start=hadir-{code}"
        assert qr_text(await page.get_attribute("#qr-whatsapp", "src")).endswith(code)
        assert "Hadir: 0 dari 3" in await page.inner_text("#count")
        # The countdown runs: 30 minutes, then less.
        assert await page.inner_text("#countdown") in ("30:00", "29:59")
        await page.wait_for_selector("#countdown >> text=/^29:5[0-9]$/")

        # Siti checks in through the chat: the screen counts her by itself.
        await page.evaluate("window.stayed = true")
        siti = await talker_of(sessions, built.participant)
        assert "Kehadiran tercatat" in (await siti.send(code))[0].text
        await page.wait_for_selector("#count >> text=Hadir: 1 dari 3", timeout=LIVE)
        assert await page.evaluate("window.stayed === true")  # no reload
        assert "Siti" not in await page.inner_text("main")  # the hall sees no names

        # The session's roll: Dewi appears as she checks in.
        await page.goto(f"{base}{PREFIX}/acara/{event_id}/presensi/sesi?id={strategi}")
        assert "Siti Rahayu" in await page.inner_text("#present")
        assert "Dewi Lestari" in await page.inner_text("#absent")
        await page.evaluate("window.stayed = true")
        await (await talker_of(sessions, dewi)).send(code)
        await page.wait_for_selector("#present >> text=Dewi Lestari", timeout=LIVE)
        assert await page.evaluate("window.stayed === true")
        assert "Hadir 2 dari 3" in await page.inner_text("#roll-count")

        # Budi signed the paper list: marked by hand, with a reason.
        await page.click(f'#absent li[data-person="{budi}"] a')
        await page.wait_for_selector("#mark-form")
        assert await page.input_value("select[name=sesi]") == str(strategi)
        assert await page.input_value("select[name=orang]") == str(budi)
        await page.click("#save-mark")  # no reason: the form is not sent
        assert "/presensi/tandai" in page.url
        await page.fill("textarea[name=alasan]", "Tanda tangan di daftar hadir kertas")
        await page.click("#save-mark")
        await page.wait_for_selector("#result")
        row = page.locator(f'#present tr[data-person="{budi}"]')
        assert "Budi Santoso" in await row.inner_text()
        assert "manual" in await row.inner_text()

        # The daftar hadir, by session, opened as a workbook.
        await page.click("text=Semua sesi hari itu")
        await page.wait_for_selector("#exports")
        saved = await download(page, "#register-session-xlsx", tmp_path)
        assert saved.name == "daftar-hadir-SMD24.xlsx"
        rows = workbook_rows(saved)[0]
        header = next(r for r in rows if r and r[0] == "No.")
        column = next(i for i, h in enumerate(header) if h and "Strategi" in str(h))
        marks = {r[1]: r[column] for r in rows if r and isinstance(r[0], int)}
        assert marks == {"Budi Santoso": "✓", "Dewi Lestari": "T", "Siti Rahayu": "T"}

        presensi = f"{base}{PREFIX}/acara/{event_id}/presensi"
        pages = ("", f"/sesi?id={strategi}", "/tandai", "/layar")
        await assert_fits_a_phone(page, *(presensi + path for path in pages))
        await page.goto(f"{base}{PREFIX}/acara/{event_id}/presensi")

        # Closing the code, from the day's page.
        await page.click(".close-code")
        await page.wait_for_selector("#sessions")
        assert code[:3] not in await page.inner_text("#sessions")


async def test_an_organiser_issues_and_revokes_certificates_from_the_browser(
    sessions: SessionMaker, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    built = await world(sessions)
    event_id = id_of(built.mine)
    dewi = await person_named(sessions, "Dewi Lestari")
    both = {"Strategi Transformasi", "Advokasi untuk Keberlanjutan"}
    await present_at(sessions, event_id, built.participant, both)
    await answered(sessions, built.mine, built.participant)
    await present_at(sessions, event_id, dewi, {"Strategi Transformasi"})
    token = await link_for(sessions, built.organiser)
    app = full_app(sessions, Clock())
    async with signed_in_page(app, tmp_path, token, request.node.name) as (page, base):
        await page.goto(f"{base}{PREFIX}/acara/{event_id}")
        await page.click("nav.tabs >> text=Sertifikat")
        await page.wait_for_selector("#standings")
        siti_row = page.locator(f'#standings tr[data-person="{built.participant}"]')
        dewi_row = page.locator(f'#standings tr[data-person="{dewi}"]')
        assert "Memenuhi syarat" in await siti_row.inner_text()
        assert "hadir 1/2 sesi; evaluasi belum diisi" in await dewi_row.inner_text()

        await page.click("#issue-all-button")
        await page.wait_for_selector("#result")
        assert "1 sertifikat diterbitkan" in await page.inner_text("#result")
        assert "001/BIMTEK-SMD24/2024" in await siti_row.inner_text()
        assert "SAH" in await siti_row.inner_text()

        # Siti's certificate: its PDF, then revoked with a reason.
        await page.click("#standings >> text=Siti Rahayu")
        await page.wait_for_selector("#certificate")
        saved = await download(page, "#download-pdf", tmp_path)
        assert "Siti Rahayu" in pdf_text(saved.read_bytes())
        await page.click("#revoke-button")  # no reason: the form is not sent
        assert await page.inner_text("#status") == "SAH"
        await page.fill("#revoke-form textarea", "Data ganda, diganti nomor baru")
        await page.click("#revoke-button")
        await page.wait_for_selector("#result")
        assert await page.inner_text("#status") == "DICABUT"
        await page.click("#verify-link")
        await page.wait_for_url("**/sertifikat/*")
        public = await page.inner_text("body")
        assert "DICABUT" in public
        assert "001/BIMTEK-SMD24/2024" in public

        # Dewi, short of the rule, by hand with a reason.
        await page.goto(f"{base}{PREFIX}/acara/{event_id}/sertifikat/{dewi}")
        await page.fill("#issue-form textarea", "Mengikuti sesi susulan hari Jumat")
        await page.click("#issue-button")
        await page.wait_for_selector("#result")
        assert "002/BIMTEK-SMD24/2024" in await page.inner_text("#number")
        assert "Mengikuti sesi susulan hari Jumat" in await page.inner_text("#certificate")

        # On a phone's screen nothing runs off the side.
        certificates = f"{base}{PREFIX}/acara/{event_id}/sertifikat"
        pages = ("", f"/{dewi}", f"/{built.participant}")
        await assert_fits_a_phone(page, *(certificates + path for path in pages))
