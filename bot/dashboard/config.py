"""What the dashboard needs from the settings, read once when the web app is built."""

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import structlog

from bot.settings import Settings
from handlers.turn import Deployment
from models.types import utcnow

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class DashboardConfig:
    secret: bytes  # signs the session cookie and derives each session's CSRF token
    session_length: timedelta
    secure_cookies: bool  # behind HTTPS: the browser sends the cookie over HTTPS only
    admins: frozenset[tuple[str, str]]  # (channel, user key), as the chat reads them
    clock: Callable[[], datetime] = utcnow
    # How to link to the bot and to the public pages: check-in codes' QR codes, the
    # certificates' verification links.
    deployment: Deployment = field(default_factory=Deployment)
    # Where PUBLIC_BASE_URL says the pages are, as host[:port]: behind a proxy that does
    # not pass the Host header on, a form's Origin is this rather than the request's host.
    public_host: str | None = None


def derived_secret(settings: Settings) -> bytes | None:
    """Without DASHBOARD_SECRET, a key every worker of the deployment computes alike from
    a secret they already share (the bot token, else WhatsApp's app secret), so a session
    started on one is known to the others and outlives a restart. Changing that secret
    signs everyone out."""
    for shared in (settings.telegram_bot_token, settings.whatsapp_app_secret):
        if shared is not None:
            key = shared.get_secret_value().encode()
            return hmac.new(key, b"bimtek-bot dashboard sessions", hashlib.sha256).digest()
    return None


def config_from(settings: Settings, clock: Callable[[], datetime] = utcnow) -> DashboardConfig:
    """The dashboard's settings. Without DASHBOARD_SECRET the key is derived from the
    channel's secret; with no channel either, a random key is made now (when the web app
    is built, never at import) and the log says so: sessions then end with the process."""
    if settings.dashboard_secret is not None:
        secret = settings.dashboard_secret.get_secret_value().encode()
    elif (derived := derived_secret(settings)) is not None:
        secret = derived
    else:
        secret = secrets.token_bytes(32)
        log.warning("dashboard_secret_generated", reason="DASHBOARD_SECRET is not set")
    return DashboardConfig(
        secret=secret,
        session_length=timedelta(hours=settings.dashboard_session_hours),
        secure_cookies=(settings.public_base_url or "").startswith("https://"),
        admins=settings.deployment().admins,
        clock=clock,
        deployment=settings.deployment(),
        public_host=urlsplit(settings.public_base_url).netloc if settings.public_base_url else None,
    )
