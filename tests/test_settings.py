from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.settings import Settings


def test_defaults_need_no_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("DATABASE_URL", "TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    settings = Settings(_env_file=None)
    assert settings.telegram_bot_token is None
    expected = f"sqlite+aiosqlite:///{tmp_path / 'bimtek-bot' / 'bimtek.sqlite3'}"
    assert settings.database_url == expected
    # An empty DATABASE_URL, as .env.example leaves it, is the same default.
    monkeypatch.setenv("DATABASE_URL", "")
    assert Settings(_env_file=None).database_url == expected


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgresql://bimtek@db/bimtek", "postgresql+asyncpg://bimtek@db/bimtek"),
        ("postgres://bimtek@db/bimtek", "postgresql+asyncpg://bimtek@db/bimtek"),
        ("sqlite:///data/bimtek.sqlite3", "sqlite+aiosqlite:///data/bimtek.sqlite3"),
        ("postgresql+asyncpg://x@y/z", "postgresql+asyncpg://x@y/z"),
    ],
)
def test_database_urls_get_the_async_driver(given: str, used: str) -> None:
    assert Settings(_env_file=None, database_url=given).database_url == used


def test_a_placeholder_token_is_refused() -> None:
    with pytest.raises(ValidationError, match="placeholder"):
        Settings(_env_file=None, telegram_bot_token="changeme")


def test_a_webhook_needs_a_strong_secret() -> None:
    url = "https://bot.example.org/telegram/webhook"
    with pytest.raises(ValidationError, match="TELEGRAM_WEBHOOK_SECRET"):
        Settings(_env_file=None, telegram_bot_token="1:x", telegram_webhook_url=url)
    with pytest.raises(ValidationError, match="TELEGRAM_WEBHOOK_SECRET"):
        Settings(
            _env_file=None,
            telegram_bot_token="1:x",
            telegram_webhook_url=url,
            telegram_webhook_secret="short",
        )
    ok = Settings(
        _env_file=None,
        telegram_bot_token="1:x",
        telegram_webhook_url=url,
        telegram_webhook_secret="a-long-enough-secret_123",
    )
    assert ok.telegram_webhook_secret is not None
    assert "a-long-enough" not in repr(ok)


def test_admins_are_read_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_TELEGRAM_IDS", " 12345, 67890 ")
    monkeypatch.setenv("ADMIN_PHONES", "0812-0000-1111")
    monkeypatch.setenv("CONSOLE_USER", "operator")
    settings = Settings(_env_file=None)
    assert settings.admin_telegram_ids == [12345, 67890]
    assert settings.admin_phones == ["+6281200001111"]
    admins = settings.deployment().admins
    assert admins == {
        ("telegram", "12345"),
        ("telegram", "67890"),
        ("whatsapp", "6281200001111"),
        ("console", "operator"),
    }


@pytest.mark.parametrize(
    ("name", "value"),
    [("ADMIN_TELEGRAM_IDS", "12345,abc"), ("ADMIN_PHONES", "not a number")],
)
def test_bad_admin_lists_are_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings(_env_file=None)


def test_the_bot_username_makes_invite_links() -> None:
    settings = Settings(_env_file=None, telegram_bot_username="BimtekBot")
    assert settings.deployment().start_link("K7Q2M9XDPH4T") == (
        "https://t.me/BimtekBot?start=K7Q2M9XDPH4T"
    )
    assert Settings(_env_file=None).deployment().start_link("X") is None


WHATSAPP: dict[str, Any] = {
    "whatsapp_access_token": "EAAGm0PX4ZCpsBAKZAZBexample",
    "whatsapp_phone_number_id": "106540352242922",
    "whatsapp_app_secret": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    "whatsapp_verify_token": "bimtek-verify-2026",
}


def test_the_channels_follow_the_settings_present() -> None:
    assert Settings(_env_file=None).channels == ()
    telegram: dict[str, Any] = {"telegram_bot_token": "123456:ABCdefGhIJKlmNoPQRstuVWxyz"}
    assert Settings(_env_file=None, **telegram).channels == ("telegram",)
    assert Settings(_env_file=None, **WHATSAPP).channels == ("whatsapp",)
    assert Settings(_env_file=None, **telegram, **WHATSAPP).channels == ("telegram", "whatsapp")


@pytest.mark.parametrize(
    "missing", ["whatsapp_app_secret", "whatsapp_verify_token", "whatsapp_phone_number_id"]
)
def test_whatsapp_does_not_start_half_configured(missing: str) -> None:
    given = {**WHATSAPP, missing: ""}
    with pytest.raises(ValidationError, match=missing.upper()):
        Settings(_env_file=None, **given)


def test_whatsapp_templates_are_read_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "WHATSAPP_TEMPLATES",
        '{"reminder": {"name": "bimtek_pengingat", "language": "id"},'
        ' "broadcast": {"name": "bimtek_pengumuman"}}',
    )
    config = Settings(_env_file=None, **WHATSAPP).whatsapp()
    assert config is not None
    assert {kind: (t.name, t.language) for kind, t in config.templates.items()} == {
        "reminder": ("bimtek_pengingat", "id"),
        "broadcast": ("bimtek_pengumuman", "id"),
    }
    monkeypatch.setenv("WHATSAPP_TEMPLATES", '{"reminder": {"name": "Bimtek Pengingat"}}')
    with pytest.raises(ValidationError):
        Settings(_env_file=None, **WHATSAPP)
