"""Text as it is kept, whether typed in the chat or read from a file."""

import unicodedata

# Invisible characters that change how text reads without showing: bidirectional
# overrides, embeddings, isolates and marks can make a stored name display reversed or
# spoof another ("Trojan Source"); zero-width characters make two names that look the
# same compare different. Nobody types them on purpose.
INVISIBLE = frozenset(
    [
        *map(chr, range(0x202A, 0x202F)),  # LRE, RLE, PDF, LRO, RLO
        *map(chr, range(0x2066, 0x206A)),  # LRI, RLI, FSI, PDI
        "\u200e",  # LRM
        "\u200f",  # RLM
        "\u061c",  # ALM
        *map(chr, range(0x200B, 0x200E)),  # zero-width space, non-joiner, joiner
        "\u2060",  # word joiner
        "\ufeff",  # zero-width no-break space, the byte-order mark
    ]
)
_REMOVED = dict.fromkeys(map(ord, INVISIBLE))


def clean_text(text: str, *, multiline: bool = False) -> str:
    """``text`` without invisible characters and control characters, each run of spaces
    made one and none at either end, in NFC. Line breaks, tabs and other whitespace
    controls count as spaces, unless ``multiline`` keeps the line breaks."""
    text = text.translate(_REMOVED)
    if multiline:
        text = "\n".join(_one_line(line) for line in text.splitlines()).strip()
    else:
        text = _one_line(text)
    # Last: a character dropped between a letter and its accent would leave them apart.
    return unicodedata.normalize("NFC", text)


def _one_line(text: str) -> str:
    shown = "".join(ch for ch in text if ch.isspace() or unicodedata.category(ch) != "Cc")
    return " ".join(shown.split())


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts a message against its limit: a
    character beyond U+FFFF (most emoji) counts twice."""
    return len(text.encode("utf-16-le")) // 2
