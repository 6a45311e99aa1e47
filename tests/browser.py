"""Browser tests' parts: the real web app served by uvicorn on 127.0.0.1 (a free port),
Debian's headless Chromium driven by Playwright (never a downloaded browser), and a
screenshot of the page kept in tests/artifacts/ when a journey fails."""

import asyncio
import contextlib
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import uvicorn
from fastapi import FastAPI

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Page

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
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
