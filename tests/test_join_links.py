"""Join links: with a WhatsApp business number configured, ``bimtek event create`` and
``bimtek demo`` print a wa.me link that fills in the event's code, with its QR code in the
terminal (and in a picture on request); invites made in the chat carry one too."""

import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import segno
from PIL import Image
from pydantic import ValidationError
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli import app
from bot.db import SessionMaker
from bot.settings import Settings
from handlers.turn import Deployment
from models import Role, RoleName
from tests.factories import ID, Talker, give_role, make_event, text_of

NOW = datetime(2024, 11, 13, 0, 30, tzinfo=UTC)
QR_BLOCKS = set("█▀▄ ")


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'admin.sqlite3'}")
    for name in ("WHATSAPP_DISPLAY_NUMBER", "TELEGRAM_BOT_USERNAME"):
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


@pytest.mark.parametrize(
    ("typed", "digits"),
    [
        ("+62 811-5400-1234", "6281154001234"),
        ("0811 5400 1234", "6281154001234"),
        ("6281154001234", "6281154001234"),
        ("  ", None),
    ],
)
def test_the_whatsapp_number_is_kept_as_wa_me_writes_it(typed: str, digits: str | None) -> None:
    deployment = Settings(_env_file=None, whatsapp_display_number=typed).deployment()
    assert deployment.whatsapp_number == digits
    expected = f"https://wa.me/{digits}?text=KUKAR2024" if digits else None
    assert deployment.whatsapp_link("KUKAR2024") == expected


@pytest.mark.parametrize("typed", ["12345", "nomor kantor", "+62 21 1234"])
def test_a_number_that_is_none_is_refused_at_start(typed: str) -> None:
    with pytest.raises(ValidationError):
        Settings(_env_file=None, whatsapp_display_number=typed)


def qr_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if len(line) > 20 and set(line) <= QR_BLOCKS]


def test_demo_prints_both_links_and_the_qr_code(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    without = runner.invoke(app, ["demo"])
    assert without.exit_code == 0, without.output
    assert "https://wa.me" not in without.output
    assert "WHATSAPP_DISPLAY_NUMBER" in without.output
    assert qr_lines(without.output) == []
    refused = runner.invoke(app, ["demo", "--qr", str(tmp_path / "none.png")])
    assert refused.exit_code == 2
    assert not (tmp_path / "none.png").exists()

    monkeypatch.setenv("WHATSAPP_DISPLAY_NUMBER", "+62 811-5400-1234")
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "BimtekDemoBot")
    picture = tmp_path / "kukar.png"
    shown = runner.invoke(app, ["demo", "--qr", str(picture)])
    assert shown.exit_code == 0, shown.output
    assert "Telegram: https://t.me/BimtekDemoBot?start=KUKAR2024" in shown.output
    assert "WhatsApp: https://wa.me/6281154001234?text=KUKAR2024" in shown.output
    lines = qr_lines(shown.output)
    assert len(lines) >= 12, "a QR code drawn in the terminal"
    assert f"saved to {picture}" in shown.output
    assert decoded_matrix(picture) == matrix_of("https://wa.me/6281154001234?text=KUKAR2024")


def matrix_of(link: str) -> list[list[bool]]:
    return [[bool(cell) for cell in row] for row in segno.make(link, error="m").matrix]


def decoded_matrix(path: Path, scale: int = 8, border: int = 4) -> list[list[bool]]:
    """The modules of a saved QR code, read back from its pixels (dark: True)."""
    with Image.open(path) as image:
        grey = image.convert("L")
        side = grey.width // scale - 2 * border
        return [
            [
                grey.getpixel(((x + border) * scale + scale // 2, (y + border) * scale + 1)) < 128  # type: ignore[operator]
                for x in range(side)
            ]
            for y in range(side)
        ]


def test_event_create_prints_the_wa_me_link_of_its_code(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WHATSAPP_DISPLAY_NUMBER", "0811 5400 1234")
    created = runner.invoke(
        app,
        [
            "event", "create", "--code", "KALTIM25", "--name", "Bimtek Kaltim",
            "--timezone", "Asia/Makassar", "--starts", "2025-07-15", "--ends", "2025-07-18",
            "--organizer", "Dinas Perpustakaan Provinsi Kalimantan Timur",
        ],
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    link = re.search(r"WhatsApp: (\S+)", created.output)
    assert link is not None
    parts = urlsplit(link.group(1))
    assert (parts.netloc, parts.path) == ("wa.me", "/6281154001234")
    assert parse_qs(parts.query) == {"text": ["KALTIM25"]}
    assert qr_lines(created.output)


async def test_an_invite_made_in_the_chat_carries_a_wa_me_link_that_works(
    sessions: SessionMaker,
) -> None:
    event = await make_event(sessions, "SMD24")
    await give_role(sessions, event, RoleName.ORGANIZER, "panitia")
    deployment = Deployment(whatsapp_number="6281154001234")
    boss = Talker(sessions, "panitia", NOW, deployment=deployment)
    replies = await boss.send("/undang")
    replies = await boss.press_label(replies, ID("invite.other_speaker"))
    replies = await boss.send("Rachmawati")
    message = replies[-2].text
    link = re.search(r"https://wa\.me/\S+", message)
    assert link is not None, message
    parts = urlsplit(link.group(0))
    assert parts.path == "/6281154001234"
    (typed,) = parse_qs(parts.query)["text"]
    assert re.fullmatch(r"/start [0-9A-Z]{12}", typed), typed

    # What the link fills in, sent from WhatsApp, makes them the trainer.
    trainer = Talker(sessions, "6281200000123", NOW, channel="whatsapp", deployment=deployment)
    assert "Rachmawati" in text_of(await trainer.send(typed))
    async with sessions() as session:
        roles = (await session.execute(select(Role.role))).scalars().all()
    assert sorted(roles) == [RoleName.ORGANIZER, RoleName.TRAINER]
