"""The text of a CSV file. Excel writes UTF-8 (with or without a byte-order mark) or,
as "Unicode Text", UTF-16; older Excel on Indonesian and Western Windows writes
Windows-1252. Any other encoding (Shift-JIS, GBK, Big5, KOI8-R, Windows-1251...) would
be stored as mojibake ("Ñòðàòåãèÿ" for "Стратегия"), so it is refused instead."""

import codecs
import re

# A UTF-8 sequence read as Windows-1252 ("CafÃ©"): a UTF-8 file damaged somewhere.
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
# Three characters beyond ASCII in a row: Cyrillic, Chinese or Japanese bytes read as
# Windows-1252 ("Ñòðàòåãèÿ", "Í¼Êé¹Ý"). Western words carry one or two accented letters
# between plain ones ("Désa", "Größe", "informação", "–" between spaces).
_FOREIGN_RUN = re.compile(r"[^\x00-\x7f\s]{3,}")
# Bytes Windows-1252 leaves undefined (shown as U+FFFD), and signs nobody writes in an
# agenda that Shift-JIS lead bytes turn into: "ƒeƒXƒg" is テスト.
_NEVER_WRITTEN = re.compile("[\ufffdƒ†‡ˆ‰‹›˜]")


def decode(content: bytes) -> tuple[str, bool]:
    """The text, and whether it is in an encoding that reads right. The text is there
    either way, for telling a binary file from text in another encoding."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if content.startswith(bom):
            try:
                return content.decode(encoding), True
            except UnicodeDecodeError:
                return content.decode(encoding, errors="replace"), False
    try:
        return content.decode("utf-8"), True
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")
        return text, _readable_cp1252(content, text)


def _readable_cp1252(content: bytes, text: str) -> bool:
    """Whether ``content``, read as Windows-1252 into ``text``, is text in a Western
    language rather than another encoding read wrong."""
    return not (
        _NEVER_WRITTEN.search(text) or _FOREIGN_RUN.search(text) or _UTF8_SEQUENCE.search(content)
    )
