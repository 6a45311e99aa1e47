"""Channels as people read their names ("WhatsApp", "Telegram"), and the phone number a
channel itself vouches for."""

import phonenumbers

from handlers.i18n import Translator, catalog
from models.people import NUMBER_CHANNELS

# Channels where a message already sent cannot change: each update of a live message
# arrives as a new one, so updates there are gathered for longer.
APPEND_ONLY_CHANNELS = frozenset({"whatsapp"})


def channel_name(t: Translator, channel: str) -> str:
    key = f"channel.{channel}"
    return t(key) if key in catalog(t.locale) else channel


def vouched_phone(channel: str, user_key: str) -> str | None:
    """The E.164 number ``user_key`` is on a channel that identifies people by number;
    None elsewhere, or for a key that is no valid number."""
    if channel not in NUMBER_CHANNELS or not (user_key.isascii() and user_key.isdigit()):
        return None
    try:
        number = phonenumbers.parse("+" + user_key)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
