"""Rendering helpers shared by channels."""

import re
import unicodedata
from collections.abc import Callable

from handlers.types import Choice, Reply

# How a platform measures a message's text against its limit.
Length = Callable[[str], int]


def numbered(reply: Reply) -> str:
    """Choices as numbered lines under the text: the fallback every channel can show. A
    choice numbered 0 (a page button among numbered items) gets a mark, not a number."""
    if not reply.choices:
        return reply.text
    lines = [choice_line(place, choice) for place, choice in enumerate(reply.choices, 1)]
    return reply.text + "\n" + "\n".join(lines)


def choice_line(place: int, choice: Choice) -> str:
    """The line that offers ``choice``, ``place``-th of its reply, to be picked by typing
    its number (or, for a choice numbered 0, its label)."""
    number = place if choice.number is None else choice.number
    return f"  {number}. {choice.label}" if number else f"  • {choice.label}"


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts: a character beyond U+FFFF (most
    emoji) counts twice."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int, length: Length = len) -> list[str]:
    """Split a long text into parts of at most ``limit`` as ``length`` counts, at line
    breaks where possible, then at spaces, and never inside a character as people see it
    (an emoji sequence, a letter with its accents) unless one alone is over the limit.
    The whitespace at a cut is dropped; no part is empty."""
    parts: list[str] = []
    while length(text) > limit:
        cut = _cut(text, _fitting(text, limit, length))
        parts.append(text[:cut].rstrip())
        text = text[_after_spaces(text, cut) :]
    parts.append(text.rstrip())
    return [p for p in parts if p]


def _fitting(text: str, limit: int, length: Length) -> int:
    """How many characters from the start fit in ``limit`` (at least one, so that
    splitting always moves on). Every character counts at least one unit, so no more than
    ``limit`` of them can fit."""
    low, high = 1, min(len(text), limit)
    while low < high:
        middle = (low + high + 1) // 2
        if length(text[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    return low


def _cut(text: str, end: int) -> int:
    """Where to end a part that may hold ``text[:end]``. A line break or a space just past
    the end is as good as one inside: the part then ends right before it."""
    for separator in ("\n", " "):
        at = text.rfind(separator, 1, end + 1)
        while at > 0:
            if separator == "\n" and text[at - 1] == "\r":
                return at - 1
            if grapheme_boundary(text, at):
                return at
            at = text.rfind(separator, 1, at)
    for at in range(end, 0, -1):
        if grapheme_boundary(text, at):
            return at
    return end  # one character as people see it, alone longer than the limit


def _after_spaces(text: str, cut: int) -> int:
    """Where the next part starts: past the line breaks and spaces at the cut, but not so
    far that it would start with an accent or a joiner that belongs to the space before."""
    start = cut
    while start < len(text) and text[start] in "\r\n ":
        start += 1
    if cut < start < len(text) and not grapheme_boundary(text, start):
        start -= 1
    return start


_ZWJ = "\u200d"
# Characters that extend the one before them without being combining marks by category:
# zero-width non-joiner and joiner, emoji skin tones, tag characters (subdivision flags),
# halfwidth katakana sound marks.
_EXTENDERS = (
    (0x200C, 0x200D),
    (0x1F3FB, 0x1F3FF),
    (0xE0020, 0xE007F),
    (0xFF9E, 0xFF9F),
)
_MARKS = frozenset({"Mn", "Mc", "Me"})  # Mn also holds the variation selectors


def grapheme_boundary(text: str, at: int) -> bool:
    """Whether ``text`` may be cut before ``text[at]`` without breaking what people see
    as one character. Close to Unicode's extended grapheme clusters (UAX #29) for what a
    chat carries: marks and joiners stay with what they extend, a flag's two letters
    stay together, a Hangul syllable's jamo too; emoji joined by a ZWJ are never parted."""
    if at <= 0 or at >= len(text):
        return True
    before, after = text[at - 1], text[at]
    if before == "\r" and after == "\n":
        return False
    if before == _ZWJ or _extends(after):
        return False
    if _regional(before) and _regional(after):
        run = 0
        while at - 1 - run >= 0 and _regional(text[at - 1 - run]):
            run += 1
        return run % 2 == 0
    return not _hangul_joined(before, after)


def _extends(char: str) -> bool:
    code = ord(char)
    if any(low <= code <= high for low, high in _EXTENDERS):
        return True
    return unicodedata.category(char) in _MARKS


def _regional(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def _hangul_joined(before: str, after: str) -> bool:
    first, second = _jamo(before), _jamo(after)
    if first == "L":
        return second in ("L", "V", "LV", "LVT")
    if first in ("LV", "V"):
        return second in ("V", "T")
    if first in ("LVT", "T"):
        return second == "T"
    return False


def _jamo(char: str) -> str:
    """The Hangul syllable type of ``char`` (L, V, T, LV, LVT), or "" when not Hangul."""
    code = ord(char)
    if 0x1100 <= code <= 0x115F or 0xA960 <= code <= 0xA97C:
        return "L"
    if 0x1160 <= code <= 0x11A7 or 0xD7B0 <= code <= 0xD7C6:
        return "V"
    if 0x11A8 <= code <= 0x11FF or 0xD7CB <= code <= 0xD7FB:
        return "T"
    if 0xAC00 <= code <= 0xD7A3:
        return "LV" if (code - 0xAC00) % 28 == 0 else "LVT"
    return ""


# Characters that some file system or a multipart header cannot take.
_UNSAFE_IN_NAME = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_RESERVED_ON_WINDOWS = {"CON", "PRN", "AUX", "NUL"} | {
    f"{p}{n}" for p in ("COM", "LPT") for n in range(1, 10)
}
FILE_NAME_LIMIT = 200  # bytes; leaves room for a "-2" suffix under the usual 255


def safe_filename(name: str, fallback: str = "file") -> str:
    """A file name, without folders, that every file system and an upload accept.

    A name that arrives from a person, or from data, must never reach a folder it was
    not meant for ("../.."), hide itself (".name") or break on Windows.
    """
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_IN_NAME.sub("_", name).strip(" .")
    stem, suffix = split_extension(name)
    if stem.split(".")[0].upper() in _RESERVED_ON_WINDOWS:
        stem = f"_{stem}"
    if len(suffix.encode()) > FILE_NAME_LIMIT // 2:
        stem, suffix = stem + suffix, ""
    room = FILE_NAME_LIMIT - len(suffix.encode())
    stem = stem.encode()[:room].decode(errors="ignore").rstrip(" .")
    return stem + suffix if stem else fallback + suffix


def split_extension(name: str) -> tuple[str, str]:
    """``("agenda", ".xlsx")`` for ``"agenda.xlsx"``; ``(name, "")`` without one."""
    stem, dot, extension = name.rpartition(".")
    return (stem, f".{extension}") if dot and stem else (name, "")
