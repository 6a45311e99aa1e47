"""Which column is which: header names in Indonesian and English, in any spelling."""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from models.agenda_import.problems import Problem
from models.agenda_import.text import ZONE_WORDS, clean, fold, words, zones_in

HEADER_NAMES: Mapping[str, tuple[str, ...]] = {
    "number": ("no", "nomor", "#", "no urut", "nr", "number"),
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
_HEADER_FIELD = {alias: name for name, aliases in HEADER_NAMES.items() for alias in aliases}
_HEADER_PARTS = re.compile(r"[/,&()+|\-–—]|\bdan\b|\band\b")


def header_field(text: str) -> str | None:
    """Which column a header names: "Hari, Tanggal" → date, "Waktu (WITA)" → time."""
    key = " ".join(w for w in words(text).split() if w not in ZONE_WORDS)
    if key in _HEADER_FIELD:
        return _HEADER_FIELD[key]
    parts = [words(p) for p in _HEADER_PARTS.split(fold(text))]
    fields = {_HEADER_FIELD.get(p) for p in parts if p and p not in ZONE_WORDS}
    if fields == {"start", "end"}:  # "Mulai - Selesai": one cell holds the range
        return "time"
    if len(fields) == 1 and None not in fields:
        return fields.pop()
    return None


@dataclass(frozen=True, slots=True)
class Columns:
    index: Mapping[str, int]  # field → column position
    names: Mapping[str, str]  # field → header as written
    zones: tuple[str, ...]  # a zone written in a time header, e.g. "Waktu (WIB)"


def known_headers(cells: Sequence[object]) -> int:
    return sum(1 for c in cells if isinstance(c, str) and header_field(c) not in (None, "number"))


def read_columns(row: int, cells: Sequence[object]) -> tuple[Columns, list[Problem]]:
    index: dict[str, int] = {}
    names: dict[str, str] = {}
    zones: set[str] = set()
    unknown: list[str] = []
    problems: list[Problem] = []
    for position, cell in enumerate(cells):
        text = clean(cell)
        if not text:
            continue
        name = header_field(text)
        if name is None:
            unknown.append(f'"{text}"')
        elif name in index:
            problems.append(
                Problem(
                    row, "agenda_import.duplicate_column", {"column": text, "first": names[name]}
                )
            )
        else:
            index[name], names[name] = position, text
            if name in ("time", "start", "end"):
                zones.update(zones_in(text))
    if unknown:
        problems.append(
            Problem(row, "agenda_import.unknown_columns", {"columns": ", ".join(unknown)})
        )
    if "date" not in index:
        problems.append(Problem(row, "agenda_import.missing_date_column"))
    if "time" not in index and not {"start", "end"} <= index.keys():
        problems.append(Problem(row, "agenda_import.missing_time_columns"))
    if "title" not in index:
        problems.append(Problem(row, "agenda_import.missing_title_column"))
    return Columns(index, names, tuple(sorted(zones))), problems
