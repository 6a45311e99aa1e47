"""Checks and normalisation of a person's details, typed in the chat or read from an
organiser's file. Each returns the clean value or raises; invisible characters (direction
overrides, zero-width spaces) are removed, not refused."""

import re
import unicodedata

import phonenumbers

from models.text import clean_text

# What kinds of library a participant may run (their catalog labels: ``library_type.<v>``).
LIBRARY_TYPES = ("desa", "kelurahan", "tbm", "sekolah", "umum", "lainnya")


class InvalidInputError(ValueError):
    """The input cannot be used; ``key`` names the catalog message that says why and
    ``values`` fill its placeholders."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


_NAME_PUNCTUATION = set(".,'-’()")
_FREE_TEXT_PUNCTUATION = set(".,'-’()/&:;\"#+")


def _letters(text: str) -> int:
    return sum(1 for ch in text if ch.isalpha())


def _is_plain(ch: str, extra: set[str], digits: bool) -> bool:
    if ch == " " or ch in extra:
        return True
    category = unicodedata.category(ch)
    return category[0] in "LM" or (digits and category == "Nd")


def full_name(text: str) -> str:
    name = clean_text(text)
    if len(name) > 100:
        raise InvalidInputError("invalid.name_long")
    if not all(_is_plain(ch, _NAME_PUNCTUATION, digits=False) for ch in name):
        raise InvalidInputError("invalid.name_chars")
    if _letters(name) < 2:
        raise InvalidInputError("invalid.name_short")
    return name


def free_text(text: str, *, max_len: int) -> str:
    """A library name, a regency, a role: letters needed, digits and some punctuation allowed."""
    value = clean_text(text)
    if len(value) > max_len:
        raise InvalidInputError("invalid.text_long", max_len=max_len)
    if not all(_is_plain(ch, _FREE_TEXT_PUNCTUATION, digits=True) for ch in value):
        raise InvalidInputError("invalid.text_chars")
    if _letters(value) < 2:
        raise InvalidInputError("invalid.text_short")
    return value


_MOBILE = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


def phone_e164(text: str) -> str:
    """A mobile number (Indonesian or international) as E.164, e.g. ``+6281234567890``.

    Mobile only: reminders go to WhatsApp and SMS, which a landline cannot receive.
    """
    raw = text.strip()
    if len(raw) > 32 or not re.fullmatch(r"[+\d\s().\-]+", raw):
        raise InvalidInputError("invalid.phone")
    digits = re.sub(r"\D", "", raw)
    if not raw.startswith("+") and digits.startswith("62"):
        raw = "+" + digits
    try:
        number = phonenumbers.parse(raw, "ID")
    except phonenumbers.NumberParseException as exc:
        raise InvalidInputError("invalid.phone") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidInputError("invalid.phone")
    kind = phonenumbers.number_type(number)
    if kind == phonenumbers.PhoneNumberType.FIXED_LINE:
        raise InvalidInputError("invalid.phone_landline")
    if kind not in _MOBILE:
        raise InvalidInputError("invalid.phone")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
