"""Typed words pick a button: what people type on a channel without buttons (and often on
WhatsApp, where they have them) must pick the choice they meant, and never its opposite."""

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.matching import Ambiguous, NoMatch, Picked, match
from handlers.turn import Option
from handlers.types import Meaning

CONSENT = [
    Option("agree", "✅ Saya setuju", Meaning.YES),
    Option("decline", "Tidak setuju", Meaning.NO),
]
LIBRARY_TYPES = [
    Option("desa", "Perpustakaan desa"),
    Option("kelurahan", "Perpustakaan kelurahan"),
    Option("tbm", "TBM"),
    Option("sekolah", "Perpustakaan sekolah"),
    Option("umum", "Perpustakaan umum"),
    Option("lainnya", "Lainnya"),
]
SUMMARY = [Option("confirm", "✅ Save", Meaning.YES), Option("fix:name", "✏️ Full name")]


def picked(typed: str, options: list[Option]) -> str | None:
    found = match(typed, options)
    return found.option.value if isinstance(found, Picked) else None


@pytest.mark.parametrize(
    ("typed", "options", "value"),
    [
        ("setuju", CONSENT, "agree"),
        ("Setuju!", CONSENT, "agree"),
        ("saya setuju", CONSENT, "agree"),
        ("ya", CONSENT, "agree"),
        ("iya", CONSENT, "agree"),
        ("OK", CONSENT, "agree"),
        ("tidak", CONSENT, "decline"),
        ("tidak setuju", CONSENT, "decline"),
        ("batal", CONSENT, "decline"),
        ("2", CONSENT, "decline"),
        ("TBM", LIBRARY_TYPES, "tbm"),
        ("tbm", LIBRARY_TYPES, "tbm"),
        ("desa", LIBRARY_TYPES, "desa"),
        ("Perpustakaan Sekolah", LIBRARY_TYPES, "sekolah"),
        ("3", LIBRARY_TYPES, "tbm"),
        ("3.", LIBRARY_TYPES, "tbm"),
        ("save", SUMMARY, "confirm"),
        ("✅ save", SUMMARY, "confirm"),
        ("name", SUMMARY, "fix:name"),
    ],
)
def test_the_choice_people_mean(typed: str, options: list[Option], value: str) -> None:
    assert picked(typed, options) == value


@pytest.mark.parametrize(
    ("typed", "options"),
    [
        ("perpustakaan", LIBRARY_TYPES),  # five labels have it
        ("setuju tidak", [Option("a", "Setuju sekali"), Option("b", "Tidak setuju sekali")][:1]),
    ],
)
def test_words_of_several_labels_or_none_pick_nothing(typed: str, options: list[Option]) -> None:
    found = match(typed, options)
    assert not isinstance(found, Picked)


def test_an_ambiguous_answer_names_the_choices_it_fits() -> None:
    found = match("perpustakaan", LIBRARY_TYPES)
    assert isinstance(found, Ambiguous)
    assert {o.value for o in found.options} == {"desa", "kelurahan", "sekolah", "umum"}


def test_without_loose_matching_only_a_number_or_a_whole_label_picks() -> None:
    assert isinstance(match("desa", LIBRARY_TYPES, loose=False), NoMatch)
    assert isinstance(match("Perpustakaan desa", LIBRARY_TYPES, loose=False), Picked)
    assert isinstance(match("ya", CONSENT, loose=False), NoMatch)


def test_numbers_follow_the_numbers_shown() -> None:
    page = [Option(f"p{n}", f"Provinsi {n}", number=n) for n in range(9, 17)]
    page.append(Option("next", "Berikutnya ›", number=0))
    assert picked("12", page) == "p12"
    assert picked("1", page) is None
    assert picked("0", page) is None
    assert picked("berikutnya", page) == "next"


# --- properties, against expectations written here ---------------------------------------

NEGATIONS = {"tidak", "bukan", "jangan", "belum", "not", "no", "dont"}
WORD = st.text(alphabet=st.characters(categories=("Ll", "Lu")), min_size=2, max_size=8)


def folded_words(text: str) -> list[str]:
    """Words as a person reads them: letters and digits, any case or accent."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).casefold()
    return re.findall(r"[^\W_]+", plain.replace("'", "").replace("’", ""))


@given(
    labels=st.lists(st.lists(WORD, min_size=1, max_size=3), min_size=2, max_size=6),
    index=st.integers(min_value=0, max_value=5),
    decoration=st.sampled_from(["", "✅ ", "👉", "!!", " ?", "  "]),
    upper=st.booleans(),
)
def test_a_whole_label_typed_with_any_decoration_picks_it(
    labels: list[list[str]], index: int, decoration: str, upper: bool
) -> None:
    texts = [" ".join(words) for words in labels]
    keys = [" ".join(folded_words(t)) for t in texts]
    index %= len(texts)
    if keys.count(keys[index]) > 1 or not keys[index]:
        return  # two labels read the same: no typing tells them apart
    options = [Option(str(i), t) for i, t in enumerate(texts)]
    typed = decoration + (texts[index].upper() if upper else texts[index]) + decoration
    assert picked(typed, options) == str(index)


@given(
    subject=st.lists(WORD, min_size=1, max_size=2),
    typed_extra=st.sampled_from(["", "saya ", "ya "]),
)
def test_a_negated_label_is_never_picked_without_a_negation(
    subject: list[str], typed_extra: str
) -> None:
    words = " ".join(subject)
    if NEGATIONS & set(folded_words(words)):
        return
    options = [Option("yes", f"Saya {words}", Meaning.YES), Option("no", f"Tidak {words}")]
    assert picked(typed_extra + words, options) != "no"


@given(typed=st.text(max_size=40), labels=st.lists(st.text(max_size=20), min_size=1, max_size=8))
def test_whatever_is_typed_a_pick_is_explained_by_what_was_typed(
    typed: str, labels: list[str]
) -> None:
    options = [Option(str(i), label) for i, label in enumerate(labels)]
    found = match(typed, options)
    if not isinstance(found, Picked):
        return
    chosen = int(found.option.value)
    said = folded_words(typed)
    by_number = typed.strip().rstrip(".") == str(chosen + 1)
    by_words = bool(said) and set(said) <= set(folded_words(labels[chosen]))
    assert by_number or by_words, (typed, labels, chosen)
