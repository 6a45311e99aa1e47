"""Journeys on WhatsApp itself: Meta's signed deliveries to the bot's web app, the real
engine, dispatcher and sender, the fake Cloud API. The same conversations run against
the engine in test_registration.py; here the channel is under test, end to end."""

from tests.drivers import texts
from tests.test_registration import ID, last
from tests.whatsapp_driver import WhatsAppDriver


async def test_stickers_and_old_buttons_on_whatsapp(whatsapp_person: WhatsAppDriver) -> None:
    person = whatsapp_person
    shown = await person.send("/start")
    assert texts(shown) == ID("ask.language")
    assert shown[0].buttons == ("Bahasa Indonesia", "English")
    shown = await person.press("Bahasa Indonesia")
    for kind in ("sticker", "location", "voice"):
        again = await person.send_unsupported(kind)
        assert again[0].text == ID("invalid.unsupported"), kind
        assert last(again).text == last(shown).text
    stale = await person.press("English", newest=False)
    assert stale[0].text == ID("invalid.stale_button")
