"""What a roster file holds: its columns, under the header names organisers give them in
Indonesian and English, and how much of it there may be."""

from collections.abc import Mapping

from models.profile_checks import LIBRARY_TYPES
from models.spreadsheet.headers import NUMBER, HeaderNames
from models.spreadsheet.kind import SheetKind
from models.spreadsheet.problems import ProblemsError
from models.spreadsheet.template import template_text, template_workbook
from models.spreadsheet.text import words

# A national round has 2,000 participants on site across 34 provinces: one event's
# roster is far smaller. Cells: room for ten columns and blank formatted rows below;
# openpyxl reads them in well under a second.
MAX_ROWS = 3_000
MAX_CELLS = 60_000
# As Person's columns (models/people.py) and EventClass's.
LIBRARY_MAX, REGENCY_MAX, CLASS_MAX = 120, 80, 40

HEADER_NAMES: Mapping[str, tuple[str, ...]] = {
    NUMBER: ("no", "nomor", "#", "no urut", "nr", "number"),
    "name": (
        "nama", "nama lengkap", "nama peserta", "nama lengkap peserta", "nama dan gelar",
        "nama lengkap dan gelar", "peserta", "name", "full name", "participant",
        "participant name",
    ),
    "phone": (
        "hp", "no hp", "nomor hp", "no handphone", "nomor handphone", "handphone", "ponsel",
        "no ponsel", "nomor ponsel", "telepon", "telp", "no telp", "no telepon",
        "nomor telepon", "wa", "no wa", "nomor wa", "whatsapp", "no whatsapp",
        "nomor whatsapp", "kontak", "no kontak", "nomor kontak", "phone", "phone number",
        "mobile", "mobile number", "mobile phone", "contact", "telephone",
    ),
    "library_name": (
        "nama perpustakaan", "perpustakaan", "nama perpus", "perpus", "nama tbm",
        "nama perpustakaan tbm", "asal perpustakaan", "lembaga", "nama lembaga", "instansi",
        "asal instansi", "unit kerja", "library", "library name", "institution",
    ),
    "library_type": (
        "jenis perpustakaan", "jenis", "jenis perpus", "tipe perpustakaan", "tipe",
        "kategori", "kategori perpustakaan", "jenis lembaga", "library type", "type",
        "type of library", "category",
    ),
    "regency": (
        "kabupaten kota", "kabupaten", "kota", "kab kota", "kab", "kabupaten atau kota",
        "asal kabupaten", "asal kabupaten kota", "daerah", "regency", "city", "regency city",
        "district",
    ),
    "class": ("kelas", "class", "kelompok", "group", "rombel"),
}  # fmt: skip
ROSTER_HEADERS = HeaderNames(HEADER_NAMES)


class RosterFileError(ProblemsError):
    """The roster file cannot be imported as it is."""


def _agenda_headers() -> HeaderNames:
    # Imported when first needed: the agenda's package imports this module.
    from models.agenda_import.headers import AGENDA_HEADERS

    return AGENDA_HEADERS


ROSTER = SheetKind(
    "roster_import", RosterFileError, ROSTER_HEADERS, MAX_ROWS, MAX_CELLS, _agenda_headers
)

# How files write each kind of library (words as ``words`` writes them). The bot's own
# list is coarse: the kinds it lacks (special, university) are "other", as a person
# registering would pick.
_LIBRARY_TYPE_WORDS: Mapping[str, tuple[str, ...]] = {
    "desa": ("desa", "perpustakaan desa", "perpusdes", "perpus desa", "village",
             "village library"),
    "kelurahan": ("kelurahan", "perpustakaan kelurahan", "perpus kelurahan",
                  "urban village", "urban village library"),
    "tbm": ("tbm", "taman baca", "taman bacaan", "taman baca masyarakat",
            "taman bacaan masyarakat", "community reading park", "reading park",
            "community library"),
    "sekolah": ("sekolah", "perpustakaan sekolah", "perpus sekolah", "madrasah",
                "perpustakaan madrasah", "school", "school library"),
    "umum": ("umum", "perpustakaan umum", "public", "public library"),
    "lainnya": ("lainnya", "lain lain", "lain", "khusus", "perpustakaan khusus",
                "perguruan tinggi", "perpustakaan perguruan tinggi", "other", "others",
                "special library", "university library"),
}  # fmt: skip
assert set(_LIBRARY_TYPE_WORDS) == set(LIBRARY_TYPES)
_LIBRARY_TYPE = {w: kind for kind, written in _LIBRARY_TYPE_WORDS.items() for w in written}


def library_type_of(text: str) -> str | None:
    """The kind of library a cell names ("Perpustakaan Desa", "TBM"); None: not one."""
    return _LIBRARY_TYPE.get(words(text))


def template_csv() -> bytes:
    """The organiser's starting point: the columns, and two example rows whose numbers
    are left for them to write (so that the template sent back unchanged stores nobody)."""
    return template_text("roster-template.csv")


def template_xlsx() -> bytes:
    """The same template as an Excel workbook, every cell text (0812... keeps its 0)."""
    return template_workbook(template_csv(), ROSTER_HEADERS, "Peserta")
