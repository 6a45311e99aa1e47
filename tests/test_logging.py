"""Logs carry ids, never names, phone numbers or what people typed."""

import io
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

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


async def test_database_errors_do_not_carry_the_values(engine: AsyncEngine) -> None:
    """An exception logged by the engine must not quote the names it tried to store."""
    statement = text(
        "INSERT INTO participant (locale, full_name, created_at, updated_at)"
        " VALUES ('id', :name, NULL, NULL)"
    )
    with pytest.raises(DBAPIError) as caught:
        async with engine.begin() as connection:
            await connection.execute(statement, {"name": "Siti Rahmawati"})
    assert "NULL" in str(caught.value) or "null" in str(caught.value)
    assert "Siti" not in str(caught.value)
