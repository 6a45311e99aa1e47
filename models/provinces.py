"""Indonesia's 38 provinces (official names), their time zones and common short forms."""

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


# Short forms people type; keys are compared after normalise().
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
}


# English spells the islands differently; "Sumatra Utara" and "West Java" are common.
_SPELLINGS = {"sumatra": "sumatera", "java": "jawa"}

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


@cache
def _by_key() -> dict[str, Province]:
    provinces = {normalise(p.name): p for p in all_provinces()}
    for alias, name in _ALIASES.items():
        provinces[alias] = provinces[normalise(name)]
    return provinces


def find_province(text: str) -> Province | None:
    """The province a person meant by ``text``, or None when it is not clear."""
    return _by_key().get(normalise(text))
