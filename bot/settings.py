"""Typed settings from the environment (and a .env file), built once at start-up."""

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import phonenumbers
import platformdirs
from pydantic import (
    AwareDatetime,
    BaseModel,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from handlers.turn import Deployment

if TYPE_CHECKING:
    from bot.channels.whatsapp_send import WhatsAppConfig

_PLACEHOLDERS = {"", "changeme", "change-me", "your-token-here", "xxx"}


def async_database_url(url: str) -> str:
    """Accept the usual spellings and pick the async driver for each database."""
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url.split("://", 1)[1]
    return url


def default_database_path() -> Path:
    """Where the database lives when DATABASE_URL does not say: the same file whatever
    folder a command runs in (on Linux ~/.local/share/bimtek-bot/bimtek.sqlite3)."""
    return Path(platformdirs.user_data_dir("bimtek-bot", appauthor=False)) / "bimtek.sqlite3"


class WhatsAppTemplate(BaseModel):
    """An approved message template: its name and language as in WhatsApp Manager."""

    name: str = Field(pattern=r"^[a-z0-9_]{1,512}$")
    language: str = Field(default="id", pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(default_factory=lambda: f"sqlite:///{default_database_path()}")

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org"
    telegram_poll_timeout: int = Field(default=25, ge=0, le=50)
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    webhook_listen_host: str = "127.0.0.1"
    webhook_listen_port: int = Field(default=8080, ge=1, le=65535)

    telegram_bot_username: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_]{5,32}$")
    # The WhatsApp business number people write to, for wa.me join links ("+62 811...").
    whatsapp_display_number: str | None = None

    # WhatsApp Cloud API: on when the access token is set; then the phone number id, the
    # app secret (signs the webhook's deliveries) and the verify token are needed too. The
    # webhook is served at /webhooks/whatsapp on WEBHOOK_LISTEN_HOST:WEBHOOK_LISTEN_PORT.
    whatsapp_access_token: SecretStr | None = None
    whatsapp_phone_number_id: str | None = Field(default=None, pattern=r"^[0-9]{5,32}$")
    whatsapp_app_secret: SecretStr | None = None
    whatsapp_verify_token: SecretStr | None = None
    whatsapp_api_base_url: str = "https://graph.facebook.com/v23.0"
    # Cloud API throughput per business number, and a pace for notifications to one
    # person (WhatsApp refuses bursts to one number: error 131056).
    whatsapp_rate: str = "80/second"
    whatsapp_chat_rate: str = "10/minute"
    # Outside the 24 hours after a person's last message, only templates go: one per kind
    # of message, as JSON, e.g. {"reminder": {"name": "bimtek_pengingat", "language": "id"},
    # "broadcast": {"name": "bimtek_pengumuman"}}. A kind without one is held until the
    # person writes, and counted for the organiser.
    whatsapp_templates: dict[str, WhatsAppTemplate] = {}

    # Sending: rates as the limits library writes them ("30/second", "20 per minute").
    # The per-chat rate holds for notifications and broadcasts; replies keep to the
    # bot's. With several processes sending for one bot, keep the windows in Redis
    # (redis://127.0.0.1:6379) so that the rates hold for the bot as a whole.
    telegram_rate: str = "30/second"
    telegram_chat_rate: str = "1/second"
    # Broadcasts as Telegram's paid broadcasts (charged in Stars), at their own rate.
    telegram_paid_broadcast: bool = False
    telegram_paid_broadcast_rate: str = "1000/second"
    rate_limit_storage: str = "memory://"
    # How long a dispatcher holds a message it claimed; after a crash, its messages go
    # out again once this has passed.
    outbox_lease_seconds: float = Field(default=30, gt=0, le=600)

    # Where the bot's web server is reached from outside, e.g. https://bimtek.example.id:
    # certificates carry a QR code of their verification page there (/sertifikat/CODE).
    # Unset, the QR code carries the verification code alone.
    public_base_url: str | None = Field(default=None, pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$")

    # The organisers' web dashboard (/dasbor on the web app): how long a session lasts
    # after signing in, and the key that signs its cookies and forms. Unset, a random key is
    # made when the web app starts (and said in the log): sessions then end with the
    # process, and several web processes cannot share them. Set it in production.
    dashboard_session_hours: int = Field(default=12, ge=1, le=24 * 14)
    dashboard_secret: SecretStr | None = None

    # Comma-separated. Admins may act as organiser of every event. A phone number is
    # trusted only where the channel itself vouches for it (WhatsApp).
    admin_telegram_ids: Annotated[list[int], NoDecode] = []
    admin_phones: Annotated[list[str], NoDecode] = []

    console_user: str = Field(default="console", min_length=1, max_length=64)
    # Whoever types in the console runs the server and acts as an admin; off, the
    # console is a plain participant's chat (python -m bot --as-participant).
    console_admin: bool = True
    # Try the console as if it were this moment, e.g. 2024-11-14T09:00+08:00 (during the
    # demo event); the clock then runs on from there. Never used on Telegram.
    console_now: AwareDatetime | None = None

    # The bot runs the periodic jobs itself; false where `python -m scheduler` runs them
    # (several bot workers). Either way one process at a time runs them (a lock decides).
    scheduler_in_bot: bool = True

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["console", "json"] = "console"

    @field_validator("database_url", mode="before")
    @classmethod
    def _empty_is_the_default(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return f"sqlite:///{default_database_path()}"
        return value

    @field_validator("database_url", mode="after")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        return async_database_url(value)

    @field_validator(
        "telegram_bot_token",
        "telegram_webhook_secret",
        "whatsapp_access_token",
        "whatsapp_app_secret",
        "whatsapp_verify_token",
        "whatsapp_phone_number_id",
        "public_base_url",
        "dashboard_secret",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("whatsapp_display_number")
    @classmethod
    def _wa_me_digits(cls, value: str | None) -> str | None:
        """As a wa.me link writes it: the international number, digits only."""
        if value is None or not value.strip():
            return None
        try:
            number = phonenumbers.parse(value, "ID")
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise ValueError("WHATSAPP_DISPLAY_NUMBER is not a valid phone number")
        return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))[1:]

    @field_validator("admin_telegram_ids", "admin_phones", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("admin_phones")
    @classmethod
    def _e164(cls, value: list[str]) -> list[str]:
        numbers = []
        for typed in value:
            try:
                number = phonenumbers.parse(typed, "ID")
            except phonenumbers.NumberParseException:
                number = None
            if number is None or not phonenumbers.is_valid_number(number):
                raise ValueError("ADMIN_PHONES holds a number that is not a valid phone number")
            numbers.append(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
        return numbers

    def deployment(self) -> Deployment:
        """The core's view of who administers this bot and how to link to it."""
        admins = {("telegram", str(user_id)) for user_id in self.admin_telegram_ids}
        # WhatsApp identifies a person by their number without the "+".
        admins |= {("whatsapp", phone.lstrip("+")) for phone in self.admin_phones}
        # Whoever types in the console runs the server, and may do anything anyway.
        if self.console_admin:
            admins.add(("console", self.console_user))
        return Deployment(
            frozenset(admins),
            self.telegram_bot_username,
            whatsapp_number=self.whatsapp_display_number,
            public_base_url=self.public_base_url,
        )

    @field_validator(
        "telegram_rate",
        "telegram_chat_rate",
        "telegram_paid_broadcast_rate",
        "whatsapp_rate",
        "whatsapp_chat_rate",
    )
    @classmethod
    def _a_rate(cls, value: str) -> str:
        from limits import parse  # a rate the limits library cannot read fails at start

        parse(value)
        return value

    @field_validator("telegram_api_base_url", "whatsapp_api_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _check_secrets(self) -> "Settings":
        token = self.telegram_bot_token
        if token is not None and token.get_secret_value().strip().lower() in _PLACEHOLDERS:
            raise ValueError("TELEGRAM_BOT_TOKEN is still a placeholder")
        if self.telegram_webhook_url:
            secret = self.telegram_webhook_secret
            value = "" if secret is None else secret.get_secret_value()
            if not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", value):
                raise ValueError(
                    "TELEGRAM_WEBHOOK_SECRET must be set (16-256 characters of A-Z, a-z, 0-9, _ "
                    "and -) when TELEGRAM_WEBHOOK_URL is set"
                )
        self._check_whatsapp()
        secret = self.dashboard_secret
        if secret is not None and (
            len(secret.get_secret_value()) < 32
            or secret.get_secret_value().strip().lower() in _PLACEHOLDERS
        ):
            raise ValueError("DASHBOARD_SECRET must be 32 characters or more")
        return self

    def _check_whatsapp(self) -> None:
        """The WhatsApp channel does not start half-configured: without the app secret
        anyone could post to its webhook as WhatsApp."""
        token = self.whatsapp_access_token
        if token is None:
            return
        if token.get_secret_value().strip().lower() in _PLACEHOLDERS:
            raise ValueError("WHATSAPP_ACCESS_TOKEN is still a placeholder")
        if self.whatsapp_phone_number_id is None:
            raise ValueError("WHATSAPP_PHONE_NUMBER_ID must be set with WHATSAPP_ACCESS_TOKEN")
        for name, secret in (
            ("WHATSAPP_APP_SECRET", self.whatsapp_app_secret),
            ("WHATSAPP_VERIFY_TOKEN", self.whatsapp_verify_token),
        ):
            value = "" if secret is None else secret.get_secret_value()
            if len(value) < 8 or value.strip().lower() in _PLACEHOLDERS:
                raise ValueError(f"{name} must be set (8 characters or more) for WhatsApp")

    def whatsapp(self) -> "WhatsAppConfig | None":
        """What the WhatsApp sender needs, when WhatsApp is configured."""
        from bot.channels.whatsapp_send import TemplateRef, WhatsAppConfig

        if self.whatsapp_access_token is None or self.whatsapp_phone_number_id is None:
            return None
        return WhatsAppConfig(
            self.whatsapp_phone_number_id,
            self.whatsapp_access_token.get_secret_value(),
            self.whatsapp_api_base_url,
            {kind: TemplateRef(t.name, t.language) for kind, t in self.whatsapp_templates.items()},
        )

    @property
    def channels(self) -> tuple[str, ...]:
        """The messaging channels the settings configure; none: the console."""
        configured = {
            "telegram": self.telegram_bot_token is not None,
            "whatsapp": self.whatsapp_access_token is not None,
        }
        return tuple(name for name, on in configured.items() if on)
