"""Asking for a sign-in link: /dasbor in the chat (organisers and admins, in their
language) and ``bimtek dashboard-link`` on the server; the link then signs that person in."""

import asyncio
import os
import re
import signal
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.dashboard.core import PREFIX, SIGN_IN
from bot.db import SessionMaker, create_engine, session_maker, upgrade
from handlers.turn import Deployment
from tests.dashboard_helpers import NOW, Clock, dashboard_app, world
from tests.factories import Talker, text_of
from tests.whatsapp_harness import free_port

BASE = "https://bimtek.example.id"
LINK = re.compile(re.escape(BASE) + r"/dasbor/masuk/([A-Za-z0-9_-]{43})")


async def signs_in(sessions: SessionMaker, token: str) -> str:
    """The event list the link's person sees after signing in with it."""
    app = dashboard_app(sessions, Clock())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bimtek.test") as client:
        signed = await client.post(SIGN_IN, data={"token": token}, follow_redirects=True)
    assert str(signed.url).endswith(f"{PREFIX}/")
    return signed.text


async def test_an_organiser_asks_for_a_link_in_the_chat(sessions: SessionMaker) -> None:
    built = await world(sessions)
    deployment = Deployment(public_base_url=BASE)
    organiser = Talker(sessions, "panitia-smd", NOW, deployment=deployment)
    await organiser.press(f"acara|{built.mine.id}")
    shown = text_of(await organiser.send("/dasbor"))
    assert "10 menit" in shown
    found = LINK.search(shown)
    assert found is not None, shown
    assert "Bimtek SMD24" in await signs_in(sessions, found.group(1))
    english = text_of(await organiser.send("/dashboard"))
    assert LINK.search(english) is not None
    # Without the server's address there is no link to give.
    organiser.deployment = Deployment()
    assert "PUBLIC_BASE_URL" in text_of(await organiser.send("/dasbor"))


async def test_an_admin_gets_a_link_without_an_event_in_view(sessions: SessionMaker) -> None:
    await world(sessions)
    deployment = Deployment(admins=frozenset({("telegram", "900001")}), public_base_url=BASE)
    admin = Talker(sessions, "900001", NOW, channel="telegram", deployment=deployment)
    found = LINK.search(text_of(await admin.send("/dasbor")))
    assert found is not None
    events = await signs_in(sessions, found.group(1))
    assert "Bimtek SMD24" in events
    assert "Bimtek BPN24" in events


async def test_a_participant_gets_no_link(sessions: SessionMaker) -> None:
    await world(sessions)
    deployment = Deployment(public_base_url=BASE)
    trainer = Talker(sessions, "pelatih-smd", NOW, deployment=deployment)
    shown = text_of(await trainer.send("/dasbor"))
    assert "hanya untuk panitia" in shown
    assert LINK.search(shown) is None


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'admin.sqlite3'}")
    monkeypatch.setenv("PUBLIC_BASE_URL", BASE)
    return CliRunner()


def test_the_command_line_prints_a_link_for_an_organiser(runner: CliRunner, tmp_path: Path) -> None:
    async def build() -> tuple[int, int, str]:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'admin.sqlite3'}")
        try:
            await upgrade(engine)
            built = await world(session_maker(engine))
            return built.organiser, built.participant, "+6281234500001"
        finally:
            await engine.dispose()

    organiser, participant, phone = asyncio.run(build())
    result = runner.invoke(cli, ["dashboard-link", "--person", str(organiser)])
    assert result.exit_code == 0, result.output
    assert LINK.search(result.stdout) is not None
    refused = runner.invoke(cli, ["dashboard-link", "--person", str(participant)])
    assert refused.exit_code == 2
    assert "organises no event" in refused.output
    by_phone = runner.invoke(cli, ["dashboard-link", "--phone", "0812-3450-0001"])
    assert by_phone.exit_code == 2  # that number is the participant's
    assert phone not in by_phone.output
    nobody = runner.invoke(cli, ["dashboard-link", "--person", "9999"])
    assert nobody.exit_code == 2


@pytest.mark.subprocess
async def test_the_pages_alone_with_python_m_bot_web(tmp_path: Path) -> None:
    """``python -m bot.web`` serves the dashboard without any channel, and stops on
    SIGTERM."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bimtek.sqlite3'}",
        "TELEGRAM_BOT_TOKEN": "",
        "WHATSAPP_ACCESS_TOKEN": "",
        "WEBHOOK_LISTEN_PORT": str(port),
        "DASHBOARD_SECRET": "",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.web", env=env, cwd=tmp_path, stderr=asyncio.subprocess.PIPE
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(200):
                try:
                    page = await client.get(SIGN_IN + "?lang=en")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            else:
                raise AssertionError("python -m bot.web did not answer")
            assert page.status_code == 200
            assert "Sign in to the dashboard" in page.text
            assert (await client.get(f"{PREFIX}/")).status_code == 303
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=20)
    assert process.returncode == 0, stderr.decode()
    assert b"dashboard_secret_generated" in stderr  # said, since DASHBOARD_SECRET is unset


def test_the_dashboard_secret_is_checked_and_made_when_unset() -> None:
    from pydantic import ValidationError

    from bot.dashboard.config import config_from
    from bot.settings import Settings

    with pytest.raises(ValidationError, match="DASHBOARD_SECRET"):
        Settings(dashboard_secret="too-short")
    unset = Settings(dashboard_secret="", public_base_url="https://bimtek.example.id")
    assert unset.dashboard_secret is None
    first, second = config_from(unset), config_from(unset)
    assert len(first.secret) == 32
    assert first.secret != second.secret  # made at each start, never a fixed default
    assert first.secure_cookies
    # Workers of one deployment share the bot's token: they sign cookies alike.
    workers = [Settings(dashboard_secret="", telegram_bot_token="123:abc") for _ in range(2)]
    assert config_from(workers[0]).secret == config_from(workers[1]).secret
    assert b"123:abc" not in config_from(workers[0]).secret
    other_bot = Settings(dashboard_secret="", telegram_bot_token="456:def")
    assert config_from(other_bot).secret != config_from(workers[0]).secret
    given = Settings(dashboard_secret="s" * 40, dashboard_session_hours=8)
    made = config_from(given)
    assert made.secret == b"s" * 40
    assert made.session_length == timedelta(hours=8)
    assert not made.secure_cookies
