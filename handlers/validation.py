"""Checks of what people type: a person's details (models/profile_checks.py, which files
are checked with too), and what buttons carry."""

from models.profile_checks import InvalidInputError, free_text, full_name, phone_e164

__all__ = ["InvalidInputError", "free_text", "full_name", "phone_e164", "row_id"]


def row_id(text: str) -> int | None:
    """A database id carried by a button, or None for anything a button never carries
    (superscript digits, signs, numbers beyond a 32-bit integer column)."""
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    number = int(text)
    return number if 0 < number < 2**31 else None
