"""Typed words that pick a button. On a channel that shows choices as numbered text (and
on WhatsApp, where many people type rather than tap) this is how people answer.

Labels and what was typed are compared without emoji, case, accents and punctuation.
A typed number picks the choice with that number; the whole label picks it; a common
yes or no word answers a yes/no question; words that belong to exactly one label pick
it. A label that says no ("Tidak setuju") is never picked by words that do not.
"""

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from handlers.turn import Option
from handlers.types import Meaning

YES_WORDS = frozenset(
    {"ya", "iya", "yaa", "y", "ok", "oke", "okay", "okey", "yes", "yep", "yup", "boleh", "betul",
     "benar", "setuju", "sip", "siap", "lanjut", "sure"}
)  # fmt: skip
NO_WORDS = frozenset(
    {"tidak", "tdk", "ga", "gak", "nggak", "enggak", "ngga", "no", "nope", "n", "jangan",
     "batal", "bukan", "belum", "cancel", "stop"}
)  # fmt: skip
# Words that turn a label into its opposite: such a label needs one of them typed.
NEGATIONS = frozenset({"tidak", "tdk", "bukan", "jangan", "belum", "no", "not", "dont", "never"})


def words(text: str) -> tuple[str, ...]:
    """Letters and digits only, folded: "✅ Saya Setuju!" → ("saya", "setuju")."""
    # Upper case first: a dotless "ı" typed as "I", or "ᾀ" as "ἈΙ", is the same letter.
    decomposed = unicodedata.normalize("NFKD", text.upper().casefold())
    kept = []
    for ch in decomposed:
        if unicodedata.combining(ch):
            continue
        category = unicodedata.category(ch)
        if category[0] in "LN":
            kept.append(ch.casefold())
        elif ch == "'" or ch == "’":
            continue  # "don't" is one word
        else:
            kept.append(" ")
    return tuple("".join(kept).split())


@dataclass(frozen=True, slots=True)
class Picked:
    option: Option


@dataclass(frozen=True, slots=True)
class Ambiguous:
    options: tuple[Option, ...]  # the choices the words fit, to offer again


@dataclass(frozen=True, slots=True)
class NoMatch:
    pass


Match = Picked | Ambiguous | NoMatch


def by_number(typed: str, options: Sequence[Option]) -> Option | None:
    """The option shown with the number typed: its own number, or its place."""
    text = typed.strip().rstrip(".")
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        return None
    wanted = int(text)
    if wanted < 1:
        return None
    for place, option in enumerate(options, 1):
        if (option.number if option.number is not None else place) == wanted:
            return option
    return None


def match(typed: str, options: Sequence[Option], *, loose: bool = True) -> Match:
    """The option ``typed`` picks. Without ``loose`` only a number or a whole label
    counts (the question takes typed text as an answer of its own)."""
    if not options:
        return NoMatch()
    numbered = by_number(typed, options)
    if numbered is not None:
        return Picked(numbered)
    said = words(typed)
    if not said:
        return NoMatch()
    exact = [o for o in options if words(o.label) == said]
    if len(exact) == 1:
        return Picked(exact[0])
    if not loose:
        return NoMatch()
    phrase = " ".join(said)
    for meaning, vocabulary in ((Meaning.YES, YES_WORDS), (Meaning.NO, NO_WORDS)):
        if phrase in vocabulary:
            meant = [o for o in options if o.meaning is meaning]
            if len(meant) == 1:
                return Picked(meant[0])
    negated = bool(NEGATIONS.intersection(said))
    fitting = []
    for option in options:
        label = words(option.label)
        if negated != bool(NEGATIONS.intersection(label)):
            continue
        if set(said) <= set(label):
            fitting.append(option)
    if len(fitting) == 1:
        return Picked(fitting[0])
    if fitting:
        return Ambiguous(tuple(fitting))
    return NoMatch()
