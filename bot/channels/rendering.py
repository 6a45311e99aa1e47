"""Rendering helpers shared by channels."""

import re

from handlers.types import Reply


def numbered(reply: Reply) -> str:
    """Choices as numbered lines under the text: the fallback every channel can show. A
    choice numbered 0 (a page button among numbered items) gets a mark, not a number."""
    if not reply.choices:
        return reply.text
    lines = []
    for place, choice in enumerate(reply.choices, 1):
        number = place if choice.number is None else choice.number
        lines.append(f"  {number}. {choice.label}" if number else f"  • {choice.label}")
    return reply.text + "\n" + "\n".join(lines)


def split_text(text: str, limit: int) -> list[str]:
    """Split a long text into parts of at most ``limit`` characters, at line breaks
    where possible."""
    parts: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = text.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip("\n ")
    parts.append(text.rstrip())
    return [p for p in parts if p]


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
