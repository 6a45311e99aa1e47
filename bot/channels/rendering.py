"""Rendering helpers shared by channels."""

from handlers.types import Reply


def numbered(reply: Reply) -> str:
    """Choices as numbered lines under the text: the fallback every channel can show."""
    if not reply.choices:
        return reply.text
    lines = [f"  {i}. {choice.label}" for i, choice in enumerate(reply.choices, 1)]
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
