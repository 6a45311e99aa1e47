"""Indonesia's 38 provinces (official names), their time zones, short forms and English names."""

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class Province:
    name: str
    iana_zone: str
    zone_label: str


# Indonesian puts a qualifier after the place and English before it: "Jawa Barat", "West Java".
_QUALIFIERS = {
    "Utara": "North",
    "Selatan": "South",
    "Timur": "East",
    "Barat": "West",
    "Tengah": "Central",
    "Tenggara": "Southeast",
    "Barat Daya": "Southwest",
    "Pegunungan": "Highland",
}
# These narrow a place down but name none: "Barat" alone could be seven provinces.
_QUALIFYING_WORDS = frozenset(
    " ".join([*_QUALIFIERS, *_QUALIFIERS.values(), "Kepulauan", "Islands"]).casefold().split()
)
# English also spells two islands its own way.
_IN_ENGLISH = {"Sumatera": "Sumatra", "Jawa": "Java"}

# Short forms people type, and English names that a word-for-word translation misses.
_ALIASES = {
    "nad": "Aceh",
    "sumut": "Sumatera Utara",
    "sumbar": "Sumatera Barat",
    "kepri": "Kepulauan Riau",
    "kep riau": "Kepulauan Riau",
    "sumsel": "Sumatera Selatan",
    "babel": "Kepulauan Bangka Belitung",
    "bangka belitung": "Kepulauan Bangka Belitung",
    "jakarta": "DKI Jakarta",
    "dki": "DKI Jakarta",
    "jabar": "Jawa Barat",
    "jateng": "Jawa Tengah",
    "diy": "DI Yogyakarta",
    "yogyakarta": "DI Yogyakarta",
    "jogja": "DI Yogyakarta",
    "jatim": "Jawa Timur",
    "kalbar": "Kalimantan Barat",
    "kalteng": "Kalimantan Tengah",
    "kalsel": "Kalimantan Selatan",
    "kaltim": "Kalimantan Timur",
    "kaltara": "Kalimantan Utara",
    "ntb": "Nusa Tenggara Barat",
    "ntt": "Nusa Tenggara Timur",
    "sulut": "Sulawesi Utara",
    "sulteng": "Sulawesi Tengah",
    "sulbar": "Sulawesi Barat",
    "sulsel": "Sulawesi Selatan",
    "sultra": "Sulawesi Tenggara",
    "malut": "Maluku Utara",
    "pabar": "Papua Barat",
    "pbd": "Papua Barat Daya",
    "papua highlands": "Papua Pegunungan",
    "south east sulawesi": "Sulawesi Tenggara",
    "south west papua": "Papua Barat Daya",
    "special capital region of jakarta": "DKI Jakarta",
    "jakarta special capital region": "DKI Jakarta",
    "special region of yogyakarta": "DI Yogyakarta",
    "yogyakarta special region": "DI Yogyakarta",
}


# People mix the languages: "Sumatra Utara", "Java Barat".
_SPELLINGS = {english.casefold(): name.casefold() for name, english in _IN_ENGLISH.items()}

# "Provinsi" (or the old spelling "Propinsi") comes before a name, "Province" before or after.
_PROVINCE_WORD = re.compile(
    r"^(provinsi|propinsi|prov|province of|province) |"
    r" (provinsi|province)$"
)


def normalise(text: str) -> str:
    """``text`` as words in lower case, without accents, punctuation or the word "Provinsi"."""
    text = unicodedata.normalize("NFKD", text).casefold()
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    # "D.I." and "D.K.I." are one word each; any other dot separates words ("Kep.Riau").
    text = re.sub(r"\b(\w)\.", r"\1", text)
    words = (_SPELLINGS.get(word, word) for word in re.sub(r"[\W_]+", " ", text).split())
    return _PROVINCE_WORD.sub("", " ".join(words))


@cache
def all_provinces() -> tuple[Province, ...]:
    with resources.files("models").joinpath("data/provinces.csv").open(encoding="utf-8") as f:
        return tuple(
            Province(row["province"], row["iana_zone"], row["zone_label"])
            for row in csv.DictReader(f)
        )


def english_name(name: str) -> str:
    """The official ``name`` of a province translated word for word: "Riau Islands", "West Java"."""
    name = " ".join(_IN_ENGLISH.get(word, word) for word in name.split())
    # "Kepulauan" comes first in Indonesian but "Islands" last in English.
    if name.startswith("Kepulauan "):
        return f"{name.removeprefix('Kepulauan ')} Islands"
    for qualifier, english in _QUALIFIERS.items():
        if name.endswith(f" {qualifier}"):
            return f"{english} {name.removesuffix(f' {qualifier}')}"
    return name


def _names(province: Province) -> tuple[str, str]:
    return province.name, english_name(province.name)


@cache
def _by_key() -> dict[str, Province]:
    provinces = {normalise(name): p for p in all_provinces() for name in _names(p)}
    for alias, name in _ALIASES.items():
        provinces[normalise(alias)] = provinces[normalise(name)]
    return provinces


@cache
def _names_as_words() -> dict[Province, tuple[tuple[str, ...], ...]]:
    return {p: tuple(tuple(normalise(name).split()) for name in _names(p)) for p in all_provinces()}


def _is_part_of(typed: str, word: str) -> bool:
    # Four letters pin a word down ("Kalim", "Sula"); fewer would match words that were not meant.
    return typed == word or (len(typed) >= 4 and word.startswith(typed))


def _could_mean(typed: list[str], name: tuple[str, ...]) -> bool:
    """Whether every typed word is (the start of) a word of ``name``, one of them a place."""
    parts = [(t, word) for t in typed for word in name if _is_part_of(t, word)]
    return {t for t, _ in parts} == set(typed) and any(
        word not in _QUALIFYING_WORDS for _, word in parts
    )


def find_provinces(text: str) -> list[Province]:
    """Every province ``text`` could mean, in the official order: the one it names or is a short
    form of, else those it names part of ("Kalimantan"), else none."""
    key = normalise(text)
    if (province := _by_key().get(key)) is not None:
        return [province]
    typed = key.split()
    return [
        p for p, names in _names_as_words().items() if any(_could_mean(typed, n) for n in names)
    ]


def find_province(text: str) -> Province | None:
    """The province a person meant by ``text``, or None when it is none or could be several."""
    candidates = find_provinces(text)
    return candidates[0] if len(candidates) == 1 else None
