"""Message catalogs (gettext .po files, read with Babel). Message ids are stable keys."""

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from babel.messages.pofile import read_po

LOCALES = ("id", "en")
DEFAULT_LOCALE = "id"


@cache
def catalog(locale: str) -> Mapping[str, str]:
    """Every .po file of the locale (one per feature), merged; a key defined twice is a bug."""
    merged: dict[str, str] = {}
    folder = resources.files("handlers").joinpath(f"locales/{locale}/LC_MESSAGES")
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if not path.name.endswith(".po"):
            continue
        with path.open("rb") as f:
            po = read_po(f, locale=locale)
        for message in po:
            if message.id and isinstance(message.id, str):
                if message.id in merged:
                    raise ValueError(f"{locale}: {message.id!r} is defined twice ({path.name})")
                merged[message.id] = str(message.string)
    return merged


def supported(locale: str | None) -> str:
    if locale:
        short = locale.split("-")[0].split("_")[0].lower()
        if short in LOCALES:
            return short
    return DEFAULT_LOCALE


@dataclass(frozen=True, slots=True)
class Translator:
    locale: str

    def __call__(self, key: str, /, **values: Any) -> str:
        text = catalog(self.locale)[key]
        return text.format(**values) if values else text
