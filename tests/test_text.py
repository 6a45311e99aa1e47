"""Text kept from the chat or from a file carries no invisible characters that could
make it read differently from what is stored."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.validation import InvalidInputError, free_text, full_name
from models.agenda_import import read_agenda
from models.text import clean_text

# Written out here rather than taken from models/text.py, so that a character dropped
# from the list there makes these tests fail.
BIDI = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x61C)]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
FORBIDDEN = {*BIDI, *ZERO_WIDTH}

# Any text, with the invisible characters and controls far more often than chance (a
# list of pieces: as an alphabet, hypothesis would draw them as rarely as any other).
TEXT = st.lists(
    st.one_of(
        st.characters(),
        st.sampled_from(sorted(FORBIDDEN)),
        st.sampled_from(["\t", "\n", "\r", "\x00", "\x1b", "\x85", "\u2028", " ", "\xa0"]),
        st.sampled_from(["e", "\u0301", "\u00e9", "A", "ḥ"]),
    ),
    max_size=60,
).map("".join)


@given(TEXT, st.booleans())
def test_any_text_cleaned_has_no_invisible_or_control_characters(
    text: str, multiline: bool
) -> None:
    cleaned = clean_text(text, multiline=multiline)
    assert not FORBIDDEN & set(cleaned)
    allowed_controls = {"\n"} if multiline else set()
    assert all(unicodedata.category(ch) != "Cc" or ch in allowed_controls for ch in cleaned), (
        cleaned
    )
    assert unicodedata.is_normalized("NFC", cleaned)
    for line in cleaned.split("\n"):
        assert line == " ".join(line.split())
    assert cleaned == cleaned.strip()
    assert clean_text(cleaned, multiline=multiline) == cleaned


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("Budi\u202e Santoso", "Budi Santoso"),
        ("\u2067Siti\u2069 Rahma\u200by\u200dani", "Siti Rahmayani"),
        ("\ufeffJos\u0065\u0301  \u200eMaria", "José Maria"),
        ("Budi\nSantoso", "Budi Santoso"),
        ("Ali\tBin\x00 Abu", "Ali Bin Abu"),
    ],
)
def test_typed_names_lose_invisible_characters_instead_of_being_refused(
    typed: str, kept: str
) -> None:
    assert full_name(typed) == kept


def test_typed_library_names_lose_them_too_and_other_checks_stay() -> None:
    assert free_text("Perpustakaan\u200b Desa \u202eMaju", max_len=80) == "Perpustakaan Desa Maju"
    assert free_text("Kab.\u2066 Kutai\u2069 Kartanegara", max_len=80) == "Kab. Kutai Kartanegara"
    with pytest.raises(InvalidInputError, match=r"^invalid\.text_chars$"):
        free_text("Perpustakaan <script>", max_len=80)
    with pytest.raises(InvalidInputError, match=r"^invalid\.name_short$"):
        full_name("\u202eB\u200b")


def test_cells_of_a_file_are_cleaned_like_typed_text() -> None:
    content = (
        "Tanggal;Mulai;Selesai;Materi;Narasumber;Keterangan\n"
        "13/11/2024;08.30;10.00;\u202eStrategi\u202c Transformasi;Taufik\u200b, S.Sos;"
        '"Baris\u2028satu\r\nbaris\u00a0\u00a0dua\u2069"\n'
    ).encode()
    (row,) = read_agenda("jadwal.csv", content)
    assert row.title == "Strategi Transformasi"
    assert row.speakers == "Taufik, S.Sos"
    assert row.description == "Baris\nsatu\nbaris dua"
