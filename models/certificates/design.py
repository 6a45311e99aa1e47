"""What an organiser may put on a certificate: the body's template, the logo, the texts.
Each check raises ``DesignError`` with a catalog key saying what is wrong."""

import io
import string

from PIL import Image, UnidentifiedImageError

# What the body may name: {name} {event} {organizer} {dates} {place} {jp}.
PLACEHOLDERS = frozenset({"name", "event", "organizer", "dates", "place", "jp"})
MAX_BODY = 1000
MAX_TITLE = 120
LOGO_LIMIT = 512 * 1024  # bytes: a logo prints a few centimetres wide
LOGO_SIDE = 3000  # pixels, either side
LOGO_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}


class DesignError(ValueError):
    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


def check_body(template: str) -> str:
    """The body's template, checked: known placeholders only, braces in pairs."""
    text = template.strip()
    if len(text) > MAX_BODY:
        raise DesignError("certificate.design.body_long", limit=MAX_BODY)
    try:
        fields = [
            (name, spec, conversion)
            for _, name, spec, conversion in string.Formatter().parse(text)
            if name is not None
        ]
    except ValueError:
        raise DesignError("certificate.design.body_braces") from None
    for name, spec, conversion in fields:
        if name not in PLACEHOLDERS or spec or conversion:
            raise DesignError(
                "certificate.design.body_unknown",
                field="{" + name + "}",
                known=" ".join("{" + p + "}" for p in sorted(PLACEHOLDERS)),
            )
    return text


def fill_body(template: str, values: dict[str, str]) -> str:
    """A checked template with its placeholders filled."""
    return template.format_map({name: values.get(name, "") for name in PLACEHOLDERS})


def check_line(text: str, limit: int) -> str:
    """One line of the paper (a name, a position, a place), spaces tidied."""
    line = " ".join(text.split())
    if len(line) > limit:
        raise DesignError("certificate.design.text_long", text=line[:40], limit=limit)
    return line


def check_title(title: str) -> str:
    return check_line(title, MAX_TITLE)


def check_logo(content: bytes) -> str:
    """The logo's media type, once it is a PNG or JPEG picture within the limits."""
    if len(content) > LOGO_LIMIT:
        raise DesignError("certificate.design.logo_large", limit=LOGO_LIMIT // 1024)
    try:
        with Image.open(io.BytesIO(content)) as image:
            kind = image.format or ""
            width, height = image.size
            if kind not in LOGO_TYPES:
                raise DesignError("certificate.design.logo_kind")
            if width > LOGO_SIDE or height > LOGO_SIDE:
                raise DesignError("certificate.design.logo_side", limit=LOGO_SIDE)
            image.load()  # a picture that does not decode is no picture
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError):
        raise DesignError("certificate.design.logo_kind") from None
    return LOGO_TYPES[kind]
