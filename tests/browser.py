"""Browser tests' parts: the real web app served by uvicorn on 127.0.0.1 (a free port),
Debian's headless Chromium driven by Playwright (never a downloaded browser), and a
screenshot of the page kept in tests/artifacts/ when a journey fails."""

import asyncio
import contextlib
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import openpyxl
import pytest
import uvicorn
from fastapi import FastAPI

from bot.dashboard.core import PREFIX
from models.dashboard import sign_in_url

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Page, ViewportSize

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
PHONE: "ViewportSize" = {"width": 360, "height": 740}
DESKTOP: "ViewportSize" = {"width": 1280, "height": 800}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextlib.asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    """``app`` on 127.0.0.1 at a free port, in this event loop; its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("the web app stopped while starting")
            await asyncio.sleep(0.02)
        [listening] = server.servers
        port = listening.sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def require_chromium() -> None:
    """Without Debian's Chromium the test is skipped, unless CI is set: there .ci/run
    installs it, and its absence is a failure."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing (apt-get install chromium chromium-driver)")
        pytest.skip(f"{CHROMIUM} is missing: the browser tests need Debian's chromium")


@contextlib.asynccontextmanager
async def chromium(profile: Path) -> AsyncIterator["BrowserContext"]:
    """Debian's Chromium, headless, with a fresh profile (see ``require_chromium``)."""
    require_chromium()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            accept_downloads=True,
        )
        try:
            yield context
        finally:
            await context.close()


@contextlib.asynccontextmanager
async def screenshot_on_failure(page: "Page", name: str) -> AsyncIterator[None]:
    """Keep what the page showed when the journey failed: tests/artifacts/<name>.png."""
    try:
        yield
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
        with contextlib.suppress(Exception):
            await page.screenshot(path=str(ARTIFACTS / f"{safe}.png"), full_page=True)
        raise


async def sign_in(page: "Page", base: str, token: str) -> None:
    """Through the sign-in link's page and its button, as an organiser does; on the list
    of their events after."""
    await page.goto(sign_in_url(base, token))
    await page.click("#sign-in")
    await page.wait_for_url(f"{base}{PREFIX}/")


async def assert_fits_a_phone(page: "Page", *urls: str) -> None:
    """On a phone's screen nothing runs off the side of the pages at ``urls`` (of the page
    shown when none are given): wide tables scroll inside. A desktop's size after."""
    await page.set_viewport_size(PHONE)
    for url in urls or (None,):
        if url is not None:
            await page.goto(url)
        overflow = await page.evaluate("document.documentElement.scrollWidth - innerWidth")
        assert overflow <= 0, (url or page.url, overflow)
    await page.set_viewport_size(DESKTOP)


async def download(page: "Page", selector: str, folder: Path) -> Path:
    """What clicking ``selector`` downloads, saved in ``folder`` under the name the server
    suggested."""
    async with page.expect_download() as started:
        await page.click(selector)
    got = await started.value
    saved = folder / got.suggested_filename
    await got.save_as(saved)
    return saved


def workbook_rows(path: Path) -> list[list[list[Any]]]:
    """An XLSX file's cells: its sheets' rows, in order."""
    book = openpyxl.load_workbook(str(path), read_only=True)
    try:
        return [[list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book]
    finally:
        book.close()


@contextlib.asynccontextmanager
async def signed_in_page(
    app: FastAPI, folder: Path, token: str, name: str
) -> AsyncIterator[tuple["Page", str]]:
    """``app`` served, Debian's Chromium (its profile in ``folder``) on a desktop's screen
    with one page signed in by the link of ``token``, and that page's screenshot kept as
    ``name`` when the journey fails; the page and the app's base URL."""
    async with served(app) as base, chromium(folder / "profile") as browser:
        page = await browser.new_page()
        await page.set_viewport_size(DESKTOP)
        async with screenshot_on_failure(page, name):
            await sign_in(page, base, token)
            yield page, base
