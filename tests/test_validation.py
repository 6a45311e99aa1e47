"""What people type: phone numbers, names and free text are cleaned or refused, never crash."""

import re
import unicodedata
from functools import partial
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.validation import InvalidInputError, free_text, full_name, phone_e164
from models.provinces import (
    Province,
    all_provinces,
    english_name,
    find_province,
    find_provinces,
)


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("0812-3456-7890", "+6281234567890"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
        ("62 812-3456-7890", "+6281234567890"),
        ("0811.5401.234", "+628115401234"),
    ],
)
def test_phone_numbers_in_the_usual_spellings_become_e164(typed: str, e164: str) -> None:
    assert phone_e164(typed) == e164


@pytest.mark.parametrize("typed", ["12345", "0812", "", "+62", "0812-3456-7890-1234-5678", "abc"])
def test_impossible_phone_numbers_are_refused(typed: str) -> None:
    with pytest.raises(InvalidInputError, match=r"^invalid\.phone$"):
        phone_e164(typed)


@pytest.mark.parametrize("typed", ["(0541) 741234", "021-1234567", "+62 21 1234 567"])
def test_landlines_are_refused_with_their_own_reason(typed: str) -> None:
    with pytest.raises(InvalidInputError, match=r"^invalid\.phone_landline$"):
        phone_e164(typed)


@given(
    prefix=st.sampled_from(["811", "812", "813", "821", "852", "857", "878", "896"]),
    rest=st.text(alphabet="0123456789", min_size=8, max_size=8),
    style=st.sampled_from(["0{p}-{a}-{b}", "+62 {p} {a} {b}", "62{p}{a}{b}", "0{p} {a}{b}"]),
)
def test_every_spelling_of_a_mobile_number_gives_the_same_e164(
    prefix: str, rest: str, style: str
) -> None:
    typed = style.format(p=prefix, a=rest[:4], b=rest[4:])
    assert phone_e164(typed) == f"+62{prefix}{rest}"


# Text as people type it, and as they should not: letters of several scripts, digits,
# punctuation, spaces of every kind, emoji, controls and invisible characters.
typed = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from("aéÖß ñ漢字ﻉ .,'-’()/&:;\"#+0123456789\t\n\u00a0\u200b\u202e😀\x00\x85"),
    ),
    max_size=120,
)
INVISIBLE = set("\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066")
INVISIBLE |= set("\u2067\u2068\u2069\ufeff\u061c")


def as_kept(text: str) -> str:
    """What a typed line is stored as: any whitespace one space, no invisible or control
    characters, no space at either end, in NFC."""
    kept = "".join(
        " " if ch.isspace() else ch
        for ch in text
        if ch not in INVISIBLE and (ch.isspace() or unicodedata.category(ch) != "Cc")
    )
    return unicodedata.normalize("NFC", " ".join(kept.split()))


def letters(text: str) -> int:
    return sum(1 for ch in text if unicodedata.category(ch).startswith("L"))


def expected_name(text: str) -> str:
    """The name to store, or the reason it is refused, from the rules people are told:
    at most 100 characters, letters with their accents, spaces and . , ' - ’ ( ), and at
    least two letters."""
    name = as_kept(text)
    if len(name) > 100:
        return "invalid.name_long"
    if any(not (unicodedata.category(ch)[0] in "LM" or ch in " .,'-’()") for ch in name):
        return "invalid.name_chars"
    if letters(name) < 2:
        return "invalid.name_short"
    return name


def expected_free_text(text: str, max_len: int) -> str:
    value = as_kept(text)
    if len(value) > max_len:
        return "invalid.text_long"
    allowed = " .,'-’()/&:;\"#+"
    if any(
        not (
            unicodedata.category(ch)[0] in "LM" or unicodedata.category(ch) == "Nd" or ch in allowed
        )
        for ch in value
    ):
        return "invalid.text_chars"
    if letters(value) < 2:
        return "invalid.text_short"
    return value


def outcome(check: Any, text: str) -> str:
    try:
        return str(check(text))
    except InvalidInputError as exc:
        return exc.key


@given(typed)
def test_any_text_as_a_name_is_stored_or_refused_as_the_rules_say(text: str) -> None:
    assert outcome(full_name, text) == expected_name(text)


@given(typed)
def test_any_free_text_is_stored_or_refused_as_the_rules_say(text: str) -> None:
    check = partial(free_text, max_len=80)
    assert outcome(check, text) == expected_free_text(text, 80)


@given(st.text(max_size=60))
def test_any_text_as_a_phone_is_refused_or_a_mobile_number_it_spells(text: str) -> None:
    result = outcome(phone_e164, text)
    digits = re.sub(r"\D", "", text)
    if re.search(r"[^+\d\s().\-]", text) or len(text.strip()) > 32:
        assert result == "invalid.phone", "anything but digits and their separators"
        return
    if result.startswith("invalid."):
        assert result in {"invalid.phone", "invalid.phone_landline"}
        return
    assert re.fullmatch(r"\+[1-9]\d{7,14}", result)
    national = result[3:] if result.startswith("+62") else result[1:]
    assert digits.endswith(national), "every digit stored was typed"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Kalimantan Timur", "Kalimantan Timur"),
        ("kaltim", "Kalimantan Timur"),
        ("Provinsi Jawa Barat", "Jawa Barat"),
        ("DKI", "DKI Jakarta"),
        ("sumatra utara", "Sumatera Utara"),
        ("D.I. Yogyakarta", "DI Yogyakarta"),
        ("D.K.I. Jakarta", "DKI Jakarta"),
        ("Kep.Riau", "Kepulauan Riau"),
        ("Prov. Kaltim", "Kalimantan Timur"),
        ("Propinsi Jawa Timur", "Jawa Timur"),
        ("Kalimantan Timur Province", "Kalimantan Timur"),
        ("  BÂLI !! ", "Bali"),
        ("jawa-tengah", "Jawa Tengah"),
        ("Nusa  Tenggara\tBarat.", "Nusa Tenggara Barat"),
    ],
)
def test_provinces_are_found_by_name_and_short_form(name: str, expected: str) -> None:
    province = find_province(name)
    assert province is not None
    assert province.name == expected


# The usual English name of every province, as an English speaker would type it.
ENGLISH_NAMES = [
    ("Aceh", "Aceh"),
    ("North Sumatra", "Sumatera Utara"),
    ("West Sumatra", "Sumatera Barat"),
    ("Riau", "Riau"),
    ("Riau Islands", "Kepulauan Riau"),
    ("Jambi", "Jambi"),
    ("South Sumatra", "Sumatera Selatan"),
    ("Bangka Belitung Islands", "Kepulauan Bangka Belitung"),
    ("Bengkulu", "Bengkulu"),
    ("Lampung", "Lampung"),
    ("Jakarta Special Capital Region", "DKI Jakarta"),
    ("West Java", "Jawa Barat"),
    ("Banten", "Banten"),
    ("Central Java", "Jawa Tengah"),
    ("Special Region of Yogyakarta", "DI Yogyakarta"),
    ("East Java", "Jawa Timur"),
    ("West Kalimantan", "Kalimantan Barat"),
    ("Central Kalimantan", "Kalimantan Tengah"),
    ("South Kalimantan", "Kalimantan Selatan"),
    ("East Kalimantan", "Kalimantan Timur"),
    ("North Kalimantan", "Kalimantan Utara"),
    ("Bali", "Bali"),
    ("West Nusa Tenggara", "Nusa Tenggara Barat"),
    ("East Nusa Tenggara", "Nusa Tenggara Timur"),
    ("North Sulawesi", "Sulawesi Utara"),
    ("Gorontalo", "Gorontalo"),
    ("Central Sulawesi", "Sulawesi Tengah"),
    ("West Sulawesi", "Sulawesi Barat"),
    ("South Sulawesi", "Sulawesi Selatan"),
    ("Southeast Sulawesi", "Sulawesi Tenggara"),
    ("Maluku", "Maluku"),
    ("North Maluku", "Maluku Utara"),
    ("Papua", "Papua"),
    ("West Papua", "Papua Barat"),
    ("Southwest Papua", "Papua Barat Daya"),
    ("South Papua", "Papua Selatan"),
    ("Central Papua", "Papua Tengah"),
    ("Highland Papua", "Papua Pegunungan"),
]


@pytest.mark.parametrize(("name", "expected"), ENGLISH_NAMES)
def test_provinces_are_found_by_their_english_name(name: str, expected: str) -> None:
    province = find_province(name)
    assert province is not None
    assert province.name == expected


def test_every_province_has_an_english_name_and_the_translation_gives_it() -> None:
    assert sorted(official for _, official in ENGLISH_NAMES) == sorted(
        p.name for p in all_provinces()
    )
    # The special regions keep their Indonesian abbreviation; their English names are aliases.
    expected = {official: english for english, official in ENGLISH_NAMES} | {
        "DKI Jakarta": "DKI Jakarta",
        "DI Yogyakarta": "DI Yogyakarta",
    }
    assert {p.name: english_name(p.name) for p in all_provinces()} == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("North Sumatera", "Sumatera Utara"),
        ("Special Capital Region of Jakarta", "DKI Jakarta"),
        ("Yogyakarta Special Region", "DI Yogyakarta"),
        ("Papua Highlands", "Papua Pegunungan"),
        ("South-East Sulawesi", "Sulawesi Tenggara"),
        ("South West Papua", "Papua Barat Daya"),
        ("East Kalimantan Province", "Kalimantan Timur"),
        ("Province of East Kalimantan", "Kalimantan Timur"),
        ("Provinsi Kalimantan Timur", "Kalimantan Timur"),
        ("  east   KALIMANTAN. ", "Kalimantan Timur"),
        ("West-Java", "Jawa Barat"),
        ("Java Barat", "Jawa Barat"),
        ("Bangka-Belitung Islands", "Kepulauan Bangka Belitung"),
        ("Riau Islands Province", "Kepulauan Riau"),
    ],
)
def test_english_names_are_found_in_their_other_spellings(name: str, expected: str) -> None:
    province = find_province(name)
    assert province is not None
    assert province.name == expected


def test_the_official_list_has_38_provinces_with_their_zones() -> None:
    provinces = all_provinces()
    assert len(provinces) == 38
    assert {p.zone_label for p in provinces} == {"WIB", "WITA", "WIT"}
    assert all(find_province(p.name.upper()) == p for p in provinces)


KALIMANTAN = [
    "Kalimantan Barat",
    "Kalimantan Tengah",
    "Kalimantan Selatan",
    "Kalimantan Timur",
    "Kalimantan Utara",
]
JAWA = ["Jawa Barat", "Jawa Tengah", "Jawa Timur"]
SUMATERA = ["Sumatera Utara", "Sumatera Barat", "Sumatera Selatan"]
# A part is matched against names, not islands: Gorontalo is on Sulawesi as Banten is on Jawa.
SULAWESI = [
    "Sulawesi Utara",
    "Sulawesi Tengah",
    "Sulawesi Barat",
    "Sulawesi Selatan",
    "Sulawesi Tenggara",
]
PAPUA = [
    "Papua",
    "Papua Barat",
    "Papua Barat Daya",
    "Papua Selatan",
    "Papua Tengah",
    "Papua Pegunungan",
]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Kalimantan", KALIMANTAN),
        ("kalimantan province", KALIMANTAN),
        ("Kalim", KALIMANTAN),
        ("Papua", ["Papua"]),
        ("Papu", PAPUA),
        ("Papua Bara", ["Papua Barat", "Papua Barat Daya"]),
        ("Maluku", ["Maluku"]),
        ("Malu", ["Maluku", "Maluku Utara"]),
        ("Riau", ["Riau"]),
        ("Sulawesi", SULAWESI),
        ("Provinsi Sulawesi", SULAWESI),
        ("Nusa Tenggara", ["Nusa Tenggara Barat", "Nusa Tenggara Timur"]),
        ("Nusa", ["Nusa Tenggara Barat", "Nusa Tenggara Timur"]),
        ("Jawa", JAWA),
        ("Java", JAWA),
        ("Sumatera", SUMATERA),
        ("Sumatra", SUMATERA),
        ("Bangka", ["Kepulauan Bangka Belitung"]),
        ("Yogya", ["DI Yogyakarta"]),
        ("Kalimantan East", ["Kalimantan Timur"]),
        ("Timur Kalimantan", ["Kalimantan Timur"]),
        ("Kalimantan Timur", ["Kalimantan Timur"]),
        ("East Kalimantan", ["Kalimantan Timur"]),
        ("Barat", []),
        ("West", []),
        ("Barat Daya", []),
        ("Utara", []),
        ("Tenggara", []),
        ("Kepulauan", []),
        ("Islands", []),
        ("K", []),
        ("a", []),
        ("Kal", []),
        ("Jaw", []),
        ("Kalimantan Barat Timur", []),
        ("East Kalimantan Timur", []),
        ("Atlantis", []),
        ("Kutai Kartanegara", []),
        ("Jakarta Timur", []),
        ("Provinsi", []),
        ("", []),
        ("  ... ", []),
    ],
)
def test_a_part_of_a_name_offers_the_provinces_it_could_be(typed: str, expected: list[str]) -> None:
    assert [p.name for p in find_provinces(typed)] == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Kalimantan", None),
        ("Jawa", None),
        ("Papua", "Papua"),
        ("Bangka", "Kepulauan Bangka Belitung"),
    ],
)
def test_one_province_is_found_only_when_the_text_means_no_other(
    typed: str, expected: str | None
) -> None:
    province = find_province(typed)
    assert (province and province.name) == expected


# Words and beginnings of words of the names, so that examples often come near a province.
WORDS = sorted(
    {word for names in ENGLISH_NAMES for name in names for word in name.split()}
    | {"Provinsi", "Province", "of", "Java", "Sumatra", "Kep.", "D.I."}
)
word_starts = st.builds(lambda word, n: word[:n], st.sampled_from(WORDS), st.integers(1, 12))
typed_texts = st.one_of(
    st.text(max_size=100),
    st.lists(st.one_of(word_starts, st.text(max_size=4)), max_size=4).map(" ".join),
)


@given(typed_texts)
def test_any_text_offers_official_provinces_in_order_without_repeats(text: str) -> None:
    official = all_provinces()
    found = find_provinces(text)
    assert all(p in official for p in found)
    positions = [official.index(p) for p in found]
    assert positions == sorted(set(positions))
    assert len(found) <= 6, "no text could mean more provinces than the six Papua ones"


@given(typed_texts)
def test_one_province_is_found_exactly_when_one_is_offered(text: str) -> None:
    found = find_provinces(text)
    province = find_province(text)
    assert (province is not None) == (len(found) == 1)
    if province is not None:
        assert found == [province]


@given(province=st.sampled_from(all_provinces()), data=st.data())
def test_an_official_name_in_any_case_and_spacing_finds_itself(
    province: Province, data: st.DataObject
) -> None:
    name = province.name
    upper = data.draw(st.lists(st.booleans(), min_size=len(name), max_size=len(name)))
    cased = "".join(ch.upper() if up else ch.lower() for ch, up in zip(name, upper, strict=True))
    words = cased.split()
    after = data.draw(st.lists(st.integers(0, 3), min_size=len(words), max_size=len(words)))
    before = data.draw(st.integers(0, 3))
    typed = " " * before + " ".join(word + " " * n for word, n in zip(words, after, strict=True))
    assert find_provinces(typed) == [province]
    assert find_province(typed) == province
