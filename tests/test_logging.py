"""Logs carry ids, never names, phone numbers or what people typed."""

import io
from collections.abc import Iterator

import pytest

from bot.logging import configure_logging
from models import Event
from tests.drivers import TelegramDriver
from tests.fakes.telegram_api import FakeTelegramServer
from tests.test_registration import register_in_indonesian


@pytest.fixture
def debug_logs() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging("DEBUG", "json", stream)
    yield stream
    configure_logging("INFO", "console")


async def test_no_personal_data_in_logs(
    debug_logs: io.StringIO,
    database_url: str,
    demo_event: Event,
    telegram_server: FakeTelegramServer,
) -> None:
    person = await TelegramDriver(telegram_server, database_url).start()
    try:
        await register_in_indonesian(person)
        await person.send("/profil")
    finally:
        await person.close()
    logs = debug_logs.getvalue()
    assert '"event": "inbound_handled"' in logs
    assert '"conversation_id": 1' in logs
    for secret in (
        "Siti",
        "Rahmawati",
        "81234567890",
        "812 3456",
        "Sukamaju",
        "Kutai",
        str(person.user_id),
    ):
        assert secret not in logs, f"{secret!r} leaked into the logs"
