"""What people send first when they mean "let me in": a greeting ("halo", "selamat
pagi", "assalamualaikum", the bare "p" of Indonesian chats) or a word asking to join.
Someone not registered who sends one is answered as /start answers, on every channel.

A message is such an opening when its first words are one of ``OPENINGS``: letters
compared without case, accents, apostrophes or repeats ("Haloooo", "Assalamu'alaikum").
"""

import re
import unicodedata

# One phrase a line, as people write them. New ones go here, nowhere else.
OPENINGS = (
    # greetings
    "halo", "hallo", "helo", "hello", "hai", "hay", "hi", "hey", "hei", "p", "ping",
    "assalamualaikum", "assalamu alaikum", "asalamualaikum", "salam", "salam sejahtera",
    "selamat pagi", "selamat siang", "selamat sore", "selamat malam",
    "pagi", "siang", "sore", "malam", "met pagi", "met siang", "met sore", "met malam",
    "good morning", "good afternoon", "good evening", "om swastiastu", "shalom",
    # asking to join
    "daftar", "mau daftar", "ingin daftar", "saya mau daftar", "saya ingin daftar",
    "mulai", "start", "register", "join",
)  # fmt: skip


def _words(text: str) -> list[str]:
    """Letters only, lower case, accents and apostrophes gone, repeats made single:
    "Assalamu'alaikum!!" → ["asalamualaikum"], "Haloooo kak" → ["halo", "kak"]."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    letters = re.sub(r"['’`]", "", letters)
    words = re.sub(r"[^a-z]+", " ", letters).split()
    return [re.sub(r"(.)\1+", r"\1", word) for word in words]


_PHRASES = frozenset(tuple(_words(phrase)) for phrase in OPENINGS)
_LONGEST = max(len(phrase) for phrase in _PHRASES)


def is_opening(text: str) -> bool:
    """Whether ``text`` begins with a greeting or a wish to join."""
    words = _words(text[:200])
    return any(tuple(words[:n]) in _PHRASES for n in range(1, _LONGEST + 1))
