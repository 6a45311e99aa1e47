"""Which column of an agenda is which: header names in Indonesian and English, in any
spelling; and what a header row lacks."""

from collections.abc import Mapping

from models.agenda_import.text import ZONE_WORDS, zones_in
from models.spreadsheet.headers import NUMBER, Columns, HeaderNames
from models.spreadsheet.problems import Problem

HEADER_NAMES: Mapping[str, tuple[str, ...]] = {
    NUMBER: ("no", "nomor", "#", "no urut", "nr", "number"),
    "date": (
        "tanggal", "tgl", "hari", "hari tanggal", "hari tgl", "hari dan tanggal", "date",
        "day", "day date", "tanggal pelaksanaan",
    ),
    "start": (
        "mulai", "jam mulai", "waktu mulai", "pukul mulai", "dari", "start", "start time",
        "starts", "from", "begin",
    ),
    "end": (
        "selesai", "jam selesai", "waktu selesai", "pukul selesai", "sampai", "hingga",
        "end", "end time", "ends", "until", "to", "finish",
    ),
    "time": ("waktu", "jam", "pukul", "time", "waktu pelaksanaan", "time slot"),
    "title": (
        "materi", "judul", "topik", "sesi", "kegiatan", "acara", "agenda", "mata pelatihan",
        "materi pelatihan", "nama sesi", "uraian kegiatan", "title", "session",
        "session title", "topic", "subject", "activity",
    ),
    "speakers": (
        "narasumber", "pemateri", "pembicara", "fasilitator", "pelatih", "pengajar",
        "instruktur", "penanggung jawab", "speaker", "speakers", "trainer", "trainers",
        "presenter", "presenters", "facilitator",
    ),
    "room": ("ruang", "ruangan", "tempat", "lokasi", "room", "venue", "location", "place"),
    "class": ("kelas", "class", "group", "kelompok", "rombel"),
    "description": (
        "keterangan", "ket", "deskripsi", "uraian", "catatan", "description", "notes",
        "note", "details", "remarks", "info",
    ),
}  # fmt: skip
# "Mulai - Selesai": one cell holds the range.
AGENDA_HEADERS = HeaderNames(
    HEADER_NAMES, ignored=ZONE_WORDS, combined={frozenset({"start", "end"}): "time"}
)


def column_problems(row: int, columns: Columns) -> list[Problem]:
    """What the header row ``row`` gets wrong: columns not understood or named twice, and
    those an agenda cannot do without."""
    problems = [
        Problem(row, "agenda_import.duplicate_column", {"column": text, "first": first})
        for text, first in columns.repeated
    ]
    if columns.unknown:
        named = ", ".join(f'"{text}"' for text in columns.unknown)
        problems.append(Problem(row, "agenda_import.unknown_columns", {"columns": named}))
    index = columns.index
    if "date" not in index:
        problems.append(Problem(row, "agenda_import.missing_date_column"))
    if "time" not in index and not {"start", "end"} <= index.keys():
        problems.append(Problem(row, "agenda_import.missing_time_columns"))
    if "title" not in index:
        problems.append(Problem(row, "agenda_import.missing_title_column"))
    return problems


def header_zones(columns: Columns) -> tuple[str, ...]:
    """A zone written in a time header, e.g. "Waktu (WIB)"."""
    zones = {
        zone
        for name in ("time", "start", "end")
        if name in columns.names
        for zone in zones_in(columns.names[name])
    }
    return tuple(sorted(zones))
