"""Indonesia's 38 provinces (official names), their time zones and common short forms."""

import csv
import re
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


def normalise(text: str) -> str:
    text = re.sub(r"^(provinsi|prov\.?|province( of)?)\s+", "", text.strip().casefold())
    text = text.replace("sumatra", "sumatera")
    return " ".join(text.replace(".", "").split())


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


def find_provinces(text: str) -> list[Province]:
    """Every province ``text`` could mean, in the official order."""
    found = find_province(text)
    return [found] if found is not None else []
