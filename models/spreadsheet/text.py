"""Cell text: cleaned as typed text is, and folded for comparing what people write."""

import re
import unicodedata

from models.text import clean_text


def fold(text: str) -> str:
    """Lower case without accents, for comparing what people write."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def words(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z#]+", " ", fold(text)).split())


def clean(value: object, *, multiline: bool = False) -> str:
    """A cell as text, cleaned as typed text is (models/text.py)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_text(str(value), multiline=multiline)


def blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not clean(value))
