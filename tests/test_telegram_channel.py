"""Telegram specifics over HTTP: redelivery, the webhook's secret, rate limits, commands.
Translation and rendering are checked by the channel contract (test_channel_contract.py)."""

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import uvicorn
from sqlalchemy import func, select

from bot.channels.telegram import SECRET_HEADER, TelegramChannel, create_bot
from bot.db import SessionMaker, session_maker
from bot.engine import Engine
from bot.web import web_app
from handlers.i18n import Translator
from models import Conversation, Event, InboundMessage
from tests.drivers import TelegramDriver, texts
from tests.fakes.telegram_api import FakeTelegramServer, Fault
from tests.test_registration import agree_in_indonesian

ID = Translator("id")


@pytest.fixture
async def person(
    database_url: str, demo_event: Event, telegram_server: FakeTelegramServer
) -> AsyncIterator[TelegramDriver]:
    driver = await TelegramDriver(telegram_server, database_url).start()
    yield driver
    await driver.close()


async def test_a_redelivered_update_is_handled_once(
    person: TelegramDriver, telegram_server: FakeTelegramServer, sessions: SessionMaker
) -> None:
    await agree_in_indonesian(person)
    update_id, shown = await person.deliver({"message": person._message(text="Budi Santoso")})
    assert texts(shown) == ID("ask.phone_e164")

    # The bot stops before confirming the update; the next process is sent it again.
    await person.close()
    await telegram_server.redeliver(update_id)
    before = len(telegram_server.calls)
    await person.start()
    await telegram_server.wait_handled(update_id)

    assert person.shown_since(before) == [], "the duplicate was answered"
    shown = await person.send("081234567890")  # still at the phone question
    assert texts(shown) == ID("ask.library_name")
    async with sessions() as session:
        seen = await session.execute(select(func.count()).select_from(InboundMessage))
    assert seen.scalar_one() == 5


async def test_rate_limit_answers_are_waited_out(
    person: TelegramDriver, telegram_server: FakeTelegramServer
) -> None:
    telegram_server.fail_next(
        "sendMessage", Fault(429, "Too Many Requests: retry after 1", retry_after=1)
    )
    shown = await person.send("/start")
    assert texts(shown) == ID("ask.language")
    attempts = [c for c in telegram_server.calls if c.method == "sendMessage"]
    assert len(attempts) == 2


async def test_pressed_buttons_are_answered_and_taken_off_the_message(
    person: TelegramDriver, telegram_server: FakeTelegramServer
) -> None:
    await person.send("/start")
    await person.press("English")
    methods = [c.method for c in telegram_server.calls]
    assert "answerCallbackQuery" in methods
    edit = next(c for c in telegram_server.calls if c.method == "editMessageReplyMarkup")
    assert int(edit.params["chat_id"]) == person.user_id
    assert not edit.params.get("reply_markup")


async def test_a_look_up_keeps_its_buttons_to_be_pressed_again(
    person: TelegramDriver, telegram_server: FakeTelegramServer
) -> None:
    await person.send("/bantuan")  # the menu, whose buttons are look-ups
    before = len(telegram_server.calls)
    await person.press(ID("menu.help"))
    pressed = [c.method for c in telegram_server.calls[before:]]
    assert "answerCallbackQuery" in pressed
    assert "editMessageReplyMarkup" not in pressed


async def test_commands_are_registered_in_both_languages(
    person: TelegramDriver, telegram_server: FakeTelegramServer
) -> None:
    await person.send("/start")
    registered = [c.params for c in telegram_server.calls if c.method == "setMyCommands"]
    by_language = {p.get("language_code"): p["commands"] for p in registered}
    assert set(by_language) == {None, "en"}
    assert {"command": "profil", "description": ID("command.profile")} in by_language[None]
    english = Translator("en")("command.delete")
    assert {"command": "delete", "description": english} in by_language["en"]
    assert "hapus" not in {c["command"] for c in by_language["en"]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def test_webhook_checks_the_secret_and_drops_duplicates(
    engine: Any, demo_event: Event, telegram_server: FakeTelegramServer
) -> None:
    secret = "s3cret-token-for-tests-only"
    port = free_port()
    bot = create_bot(telegram_server.token, telegram_server.base_url)
    channel = TelegramChannel(bot, Engine(session_maker(engine)))
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    app = web_app(channel.dispatcher, [channel.webhook(url, secret)])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    )
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.02)
        set_webhook = next(c for c in telegram_server.calls if c.method == "setWebhook")
        assert set_webhook.params["secret_token"] == secret
        assert set_webhook.params["url"] == url

        update = {
            "update_id": 501,
            "message": {
                "message_id": 1,
                "date": 1731465000,
                "chat": {"id": 9001, "type": "private"},
                "from": {"id": 9001, "is_bot": False, "first_name": "P"},
                "text": "/start",
            },
        }
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: secret + "x"}):
                async with http.post(url, json=update, headers=headers) as response:
                    assert response.status == 401
            assert telegram_server.sent(9001) == []
            for _ in range(2):
                async with http.post(url, json=update, headers={SECRET_HEADER: secret}) as response:
                    assert response.status == 200
            async with http.post(url, data=b"{not json", headers={SECRET_HEADER: secret}) as bad:
                assert bad.status == 400
        sent = telegram_server.sent(9001)
        assert [c.params["text"] for c in sent] == [ID("ask.language")]
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await serving
        await bot.session.close()


async def test_the_phone_question_offers_a_contact_button(
    person: TelegramDriver, telegram_server: FakeTelegramServer, sessions: SessionMaker
) -> None:
    await agree_in_indonesian(person)
    shown = await person.send("Budi Santoso")
    assert shown[-1].keyboard == (ID("phone.share"),)
    button = telegram_server.sent(person.user_id)[-1].params["reply_markup"]["keyboard"][0][0]
    assert button["request_contact"] is True

    shown = await person.send_contact("6281234567890", own=False)  # somebody else's card
    assert shown[0].text == ID("invalid.unsupported")
    shown = await person.send("12345")
    assert shown[0].keyboard == (ID("phone.share"),), "the button stays after a mistake"

    shown = await person.send_contact("6281234567890")
    assert [s.text for s in shown] == [ID("ask.library_name")]
    markup = telegram_server.sent(person.user_id)[-1].params["reply_markup"]
    assert markup == {"remove_keyboard": True}
    conversation = await person_answers(sessions)
    assert conversation["phone_e164"] == "+6281234567890"


async def person_answers(sessions: SessionMaker) -> dict[str, str]:
    async with sessions() as session:
        conversation = (await session.execute(select(Conversation))).scalar_one()
    answers: dict[str, str] = conversation.state["registration"]["answers"]
    return answers
