"""An event's agenda from a spreadsheet (CSV or XLSX), one row per session.

The organiser's file is the source of truth. Importing it again updates the stored agenda
in place: matched sessions keep their ids (feedback and attendance point at them), new
rows are added and sessions no longer in the file are removed. A file with any problem
changes nothing, and every problem is reported with the row number Excel shows.
"""

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet._read_only import ReadOnlyWorksheet  # what read_only=True yields
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from handlers.i18n import Translator
from handlers.timefmt import format_date, format_time, zone_label
from models import AgendaSession, Enrollment, Event, EventClass
from models.agenda import agenda_of, class_names
from models.types import utcnow

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 1_000
MAX_COLUMNS = 40
MAX_CLASSES = 20
HEADER_SEARCH_ROWS = 10
# A 2 MB .xlsx can unpack to far more; an agenda never needs this much.
MAX_UNPACKED_BYTES = 20 * 1024 * 1024
# Rows walked, blank ones included, before a sheet counts as too long to be an agenda.
MAX_SCANNED_ROWS = 20 * MAX_ROWS
# As in models/agenda.py (a test keeps them equal).
LIMITS = {"title": 200, "speakers": 300, "room": 100, "class": 40, "description": 1000}
CLASS_NAME_MAX = LIMITS["class"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason in plain words. ``row`` is the spreadsheet row as Excel numbers it
    (header counted), 0 for the whole file; ``key`` names the catalog message."""

    row: int
    key: str
    values: Mapping[str, object] = field(default_factory=dict)


class ProblemsError(ValueError):
    """Every problem found; nothing was stored."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: p.row)
        super().__init__(", ".join(f"{p.row}:{p.key}" for p in self.problems))


class AgendaFileError(ProblemsError):
    """The agenda file cannot be imported as it is."""


class ClassNamesError(ProblemsError):
    """The class names cannot be declared as given."""


@dataclass(frozen=True, slots=True)
class AgendaRow:
    """One session as read from the file, before it is checked against an event."""

    row: int
    day: date
    start: time
    end: time
    title: str
    speakers: str = ""
    room: str = ""
    class_name: str | None = None  # as written; None: plenary
    description: str = ""
    zones: tuple[str, ...] = ()  # WIB/WITA/WIT written beside the times


@dataclass
class ImportReport:
    added: list[AgendaSession] = field(default_factory=list)
    changed: list[tuple[AgendaSession, list[str]]] = field(default_factory=list)
    removed: list[AgendaSession] = field(default_factory=list)
    unchanged: int = 0

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.changed or self.removed)


class _Bad(Exception):  # noqa: N818  (internal: one cell's reason, turned into a Problem)
    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


def _event_id(event: Event) -> int:
    if event.id is None:
        raise ValueError("the event must be stored first")
    return event.id


def _file_error(key: str, **values: object) -> AgendaFileError:
    return AgendaFileError([Problem(0, key, values)])


# --- text helpers ---------------------------------------------------------------------


def _fold(text: str) -> str:
    """Lower case without accents, for comparing what people write."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z#]+", " ", _fold(text)).split())


def _clean(value: object, *, multiline: bool = False) -> str:
    """A cell as text: NFC, control characters dropped, spaces collapsed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFC", str(value)).replace("\ufeff", "")
    text = "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) != "Cc")
    if not multiline:
        return " ".join(text.split())
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(lines).strip()


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not _clean(value))


# --- headers --------------------------------------------------------------------------

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
ZONE_WORDS = {"wib": "WIB", "wita": "WITA", "wit": "WIT"}
_HEADER_PARTS = re.compile(r"[/,&()+|\-–—]|\bdan\b|\band\b")


def header_field(text: str) -> str | None:
    """Which column a header names: "Hari, Tanggal" → date, "Waktu (WITA)" → time."""
    key = " ".join(w for w in _words(text).split() if w not in ZONE_WORDS)
    if key in _HEADER_FIELD:
        return _HEADER_FIELD[key]
    parts = [_words(p) for p in _HEADER_PARTS.split(_fold(text))]
    fields = {_HEADER_FIELD.get(p) for p in parts if p and p not in ZONE_WORDS}
    if fields == {"start", "end"}:  # "Mulai - Selesai": one cell holds the range
        return "time"
    if len(fields) == 1 and None not in fields:
        return fields.pop()
    return None


def _zones_in(text: str) -> tuple[str, ...]:
    return tuple(sorted({ZONE_WORDS[w] for w in _words(text).split() if w in ZONE_WORDS}))


@dataclass(frozen=True, slots=True)
class _Columns:
    index: Mapping[str, int]  # field → column position
    names: Mapping[str, str]  # field → header as written
    zones: tuple[str, ...]  # a zone written in a time header, e.g. "Waktu (WIB)"


def _known_headers(cells: Sequence[object]) -> int:
    return sum(1 for c in cells if isinstance(c, str) and header_field(c) not in (None, "number"))


def _columns(row: int, cells: Sequence[object]) -> tuple[_Columns, list[Problem]]:
    index: dict[str, int] = {}
    names: dict[str, str] = {}
    zones: set[str] = set()
    unknown: list[str] = []
    problems: list[Problem] = []
    for position, cell in enumerate(cells):
        text = _clean(cell)
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
                zones.update(_zones_in(text))
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
    return _Columns(index, names, tuple(sorted(zones))), problems


# --- dates ----------------------------------------------------------------------------

MONTHS = {
    **dict.fromkeys(("januari", "january", "jan"), 1),
    **dict.fromkeys(("februari", "pebruari", "february", "feb", "peb"), 2),
    **dict.fromkeys(("maret", "march", "mar"), 3),
    **dict.fromkeys(("april", "apr"), 4),
    **dict.fromkeys(("mei", "may"), 5),
    **dict.fromkeys(("juni", "june", "jun"), 6),
    **dict.fromkeys(("juli", "july", "jul"), 7),
    **dict.fromkeys(("agustus", "august", "agu", "agt", "ags", "aug"), 8),
    **dict.fromkeys(("september", "sept", "sep"), 9),
    **dict.fromkeys(("oktober", "october", "okt", "oct"), 10),
    **dict.fromkeys(("november", "nopember", "nov", "nop"), 11),
    **dict.fromkeys(("desember", "december", "des", "dec"), 12),
}
WEEKDAYS = {
    **dict.fromkeys(("senin", "sen", "monday", "mon"), 0),
    **dict.fromkeys(("selasa", "sel", "tuesday", "tue", "tues"), 1),
    **dict.fromkeys(("rabu", "rab", "wednesday", "wed"), 2),
    **dict.fromkeys(("kamis", "kam", "thursday", "thu", "thur", "thurs"), 3),
    **dict.fromkeys(("jumat", "jum", "friday", "fri"), 4),
    **dict.fromkeys(("sabtu", "sab", "saturday", "sat"), 5),
    **dict.fromkeys(("minggu", "ahad", "min", "sunday", "sun"), 6),
}
_WEEKDAY = re.compile(r"(?P<weekday>[a-z]+)\b[\s,.]*")
_NAMED = re.compile(r"(?P<d>\d{1,2})[\s\-./]*(?P<m>[a-z]+)\.?[\s\-./,]*(?P<y>\d{4}|\d{2})")
_NAMED_MONTH_FIRST = re.compile(r"(?P<m>[a-z]+)\.?\s*(?P<d>\d{1,2}),?\s+(?P<y>\d{4})")
_ISO = re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?:[ t][\d:.]+)?")
_DAY_FIRST = re.compile(r"(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>\d{4}|\d{2})")
# "Hari I: ...", "Hari ke-2, ...", "Day 3 - ..." before the date itself.
_DAY_NUMBER = re.compile(
    r"(?:hari|day)\s*(?:ke\s*-?\s*)?(?:\d+|[ivx]+|pertama|kedua|ketiga|keempat|kelima"
    r"|keenam|ketujuh|one|two|three|four|five|six|seven)\s*[:,.\-]\s*|(?:hari|day)\s+"
)


def _date_from_match(found: re.Match[str]) -> date | None:
    month_text = found.group("m")
    month = int(month_text) if month_text.isdigit() else MONTHS.get(month_text)
    year = int(found.group("y"))
    year += 2000 if year < 100 else 0
    if month is None:
        return None
    try:
        return date(year, month, int(found.group("d")))
    except ValueError:
        return None


def _date_in_text(text: str) -> tuple[date, str | None] | None:
    """The date and the weekday word written before it, if any."""
    weekday = None
    leading = _WEEKDAY.match(text)
    if leading and leading.group("weekday") in WEEKDAYS:
        weekday = leading.group("weekday")
        text = text[leading.end() :]
    for pattern in (_NAMED, _NAMED_MONTH_FIRST, _ISO, _DAY_FIRST):
        found = pattern.fullmatch(text)
        if found is not None:
            parsed = _date_from_match(found)
            if parsed is not None:
                return parsed, weekday
    return None


def parse_date(value: object) -> date:
    """A date cell: an Excel date, "Rabu, 13 November 2024", "13/11/2024", "2024-11-13"."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 20_000 < value < 80_000:
        # An Excel serial number in a cell formatted as General.
        serial = from_excel(value)
        assert isinstance(serial, datetime)  # a whole-day serial is a datetime
        return serial.date()
    text = _clean(value)
    folded = " ".join(_fold(text).replace("'", "").replace("’", "").split())
    folded = folded.replace("jum at", "jumat")
    found = _date_in_text(folded)
    if found is None:
        stripped = _DAY_NUMBER.sub("", folded, count=1)
        found = _date_in_text(stripped) if stripped != folded else None
    if found is None:
        raise _Bad("agenda_import.bad_date", value=text)
    day, weekday = found
    if weekday is not None and WEEKDAYS[weekday] != day.weekday():
        raise _Bad("agenda_import.weekday_mismatch", written=weekday.capitalize(), date=day)
    return day


# --- times ----------------------------------------------------------------------------

_CLOCK = re.compile(
    r"(?P<h>\d{1,2})(?:(?P<sep>[.:h])(?P<m>\d{1,2})(?:[.:]\d{2})?)?\s*(?P<ampm>[ap]\.?\s?m\.?)?"
)
_HHMM = re.compile(r"(?P<h>\d{1,2})(?P<m>\d{2})")
_RANGE_SEPARATOR = re.compile(
    r"\s*(?:-|~|s\s*[./]?\s*d\b\.?|sampai(?:\s+dengan)?|hingga|until|to)\s*"
)
_TIME_NOISE = re.compile(r"\b(?:pukul|pkl|jam|at)\b\.?|\b(?:wib|wita|wit)\b")


def _clock(text: str) -> time:
    found = _CLOCK.fullmatch(text)
    if found is None:
        found = _HHMM.fullmatch(text)
        if found is None:
            raise ValueError(text)
        return time(int(found.group("h")), int(found.group("m")))
    hour, minutes_text = int(found.group("h")), found.group("m") or "0"
    minute = int(minutes_text)
    if len(minutes_text) == 1 and found.group("m"):
        if found.group("sep") != ".":
            raise ValueError(text)
        minute *= 10  # "8.3": Excel dropped the trailing zero of 8.30
    ampm = found.group("ampm")
    if ampm:
        if not 1 <= hour <= 12:
            raise ValueError(text)
        hour = hour % 12 + (12 if ampm.startswith("p") else 0)
    return time(hour, minute)  # raises ValueError past 23.59


def _number_time(value: int | float) -> time:
    if isinstance(value, int):
        if 0 <= value <= 23:
            return time(value)
        return time(*divmod(value, 100))  # 830 or 0830 typed into a number cell
    if 0 <= value < 1:  # a fraction of a day: a time cell formatted as General
        minutes = round(value * 24 * 60)
        return time(*divmod(minutes, 60))
    hour = int(value)  # 8.3: Excel read "08.30" as a number
    return time(hour, round((value - hour) * 100))


def _time_value(value: object) -> time | None:
    """Excel's own time cells and numbers; None for text."""
    if isinstance(value, datetime):
        return value.time().replace(second=0, microsecond=0)
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    if isinstance(value, timedelta):
        minutes = round(value.total_seconds() / 60)
        return time(*divmod(minutes, 60))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _number_time(value)
    return None


def _time_text(value: object) -> tuple[str, tuple[str, ...]]:
    text = _fold(_clean(value)).replace("–", "-").replace("—", "-").replace("−", "-")
    return " ".join(_TIME_NOISE.sub(" ", text).split()), _zones_in(text)


def parse_time(value: object) -> tuple[time, tuple[str, ...]]:
    """One time: an Excel time, "08.30", "08:30", "8.30 WITA"; and any zone written."""
    try:
        found = _time_value(value)
        if found is not None:
            return found, ()
        text, zones = _time_text(value)
        return _clock(text), zones
    except (ValueError, TypeError, OverflowError):
        raise _Bad("agenda_import.bad_time", value=_clean(value)) from None


def parse_range(value: object) -> tuple[time, time, tuple[str, ...]]:
    """A range in one cell: "08.30–10.00", "08.30 s.d. 10.00 WITA", "08.30 sampai 10.00"."""
    text, zones = _time_text(value)
    parts = _RANGE_SEPARATOR.split(text)
    if len(parts) != 2 or not all(parts):
        raise _Bad("agenda_import.bad_range", value=_clean(value))
    try:
        return _clock(parts[0]), _clock(parts[1]), zones
    except ValueError:
        raise _Bad("agenda_import.bad_range", value=_clean(value)) from None


def _is_range(value: object) -> bool:
    if not isinstance(value, str):
        return False
    return len(_RANGE_SEPARATOR.split(_time_text(value)[0])) == 2


# --- reading the file -----------------------------------------------------------------

Cells = list[object]


def _collect(rows: Iterable[Sequence[object]]) -> list[tuple[int, Cells]]:
    """Non-blank rows with their spreadsheet numbers, stopping once there are more than
    an agenda may hold, so that a huge file is refused without reading all of it."""
    kept: list[tuple[int, Cells]] = []
    for number, cells in enumerate(rows, 1):
        if number > MAX_SCANNED_ROWS:
            raise _file_error("agenda_import.too_many_rows", max_rows=MAX_ROWS)
        if not all(_blank(c) for c in cells):
            kept.append((number, list(cells[:MAX_COLUMNS])))
            if len(kept) > HEADER_SEARCH_ROWS + MAX_ROWS:
                break
    return kept


def _decode(content: bytes) -> str:
    if content.startswith(codecs.BOM_UTF8):
        return content.decode("utf-8-sig")
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return content.decode("utf-16")  # Excel's "Unicode Text"
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return content.decode("cp1252")  # older Excel on Windows


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    controls = sum(1 for ch in text[:20_000] if unicodedata.category(ch) == "Cc")
    newlines = sum(text[:20_000].count(ch) for ch in "\r\n\t")
    return controls - newlines > max(2, len(text[:20_000]) // 100)


def _delimiter(text: str) -> str:
    """Comma, semicolon (Excel set to Indonesian) or tab: the one that makes a header."""
    sample = "".join(islice(io.StringIO(text), HEADER_SEARCH_ROWS))

    def score(delimiter: str) -> tuple[int, int]:
        try:
            rows = list(csv.reader(io.StringIO(sample), delimiter=delimiter))
        except csv.Error:
            return (-1, 0)
        return (max((_known_headers(r) for r in rows), default=0), max(map(len, rows), default=0))

    return max((";", ",", "\t"), key=score)


def _csv_rows(filename: str, content: bytes) -> list[tuple[int, Cells]]:
    try:
        text = _decode(content)
    except UnicodeDecodeError:
        raise _file_error("agenda_import.not_spreadsheet", name=filename) from None
    if _looks_binary(text):
        raise _file_error("agenda_import.not_spreadsheet", name=filename)
    if text.lstrip()[:15].lower().startswith(("<!doctype", "<html", "<?xml", "%pdf")):
        raise _file_error("agenda_import.not_spreadsheet", name=filename)
    try:
        return _collect(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)))
    except csv.Error:
        raise _file_error("agenda_import.unreadable", name=filename) from None


def _xlsx_rows(filename: str, content: bytes) -> list[tuple[int, Cells]]:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        raise _file_error("agenda_import.unreadable", name=filename) from None
    if b"opendocument.spreadsheet" in mimetype:
        raise _file_error("agenda_import.save_as", kind="OpenDocument (.ods)")
    if "xl/workbook.xml" not in names:
        raise _file_error("agenda_import.not_spreadsheet", name=filename)
    if unpacked > MAX_UNPACKED_BYTES:
        raise _file_error("agenda_import.too_big", max_mb=MAX_FILE_BYTES // (1024 * 1024))
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # a damaged workbook fails inside openpyxl in many different ways
        raise _file_error("agenda_import.unreadable", name=filename) from None
    try:
        sheets = workbook.worksheets
        if not sheets or not isinstance(sheets[0], ReadOnlyWorksheet):
            raise _file_error("agenda_import.empty")
        return _collect(sheets[0].iter_rows(max_col=MAX_COLUMNS, values_only=True))
    except AgendaFileError:
        raise
    except Exception:  # openpyxl reads lazily: damage can surface row by row
        raise _file_error("agenda_import.unreadable", name=filename) from None
    finally:
        workbook.close()


def _rows_of(filename: str, content: bytes) -> list[tuple[int, Cells]]:
    """The file's non-blank rows, whatever the kind; the content decides, not the name."""
    if not content.strip():
        raise _file_error("agenda_import.empty")
    if len(content) > MAX_FILE_BYTES:
        raise _file_error("agenda_import.too_big", max_mb=MAX_FILE_BYTES // (1024 * 1024))
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise _file_error("agenda_import.save_as", kind="Excel 97-2003 (.xls)")
    if content.startswith(b"PK"):
        return _xlsx_rows(filename, content)
    return _csv_rows(filename, content)


# --- reading rows ---------------------------------------------------------------------

PLENARY = {
    "", "semua", "semua kelas", "semua peserta", "seluruh peserta", "pleno", "umum", "all",
    "all classes", "everyone", "plenary",
}  # fmt: skip


def is_plenary(text: str) -> bool:
    return _words(text) in PLENARY


@dataclass
class _Days:
    """The date carried down from the row above (agendas often merge the day cell)."""

    current: date | None = None
    failed: bool = False  # the last date written was bad: already reported


class _RowReader:
    def __init__(self, columns: _Columns) -> None:
        self.columns = columns
        self.days = _Days()

    def cell(self, cells: Cells, name: str) -> object:
        position = self.columns.index.get(name)
        return cells[position] if position is not None and position < len(cells) else None

    def read(self, number: int, cells: Cells) -> tuple[AgendaRow | None, list[Problem]]:
        values = {n: self.cell(cells, n) for n in self.columns.index if n != "number"}
        if all(_blank(v) for v in values.values()):
            return None, []
        problems: list[Problem] = []

        def bad(error: _Bad) -> None:
            problems.append(Problem(number, error.key, error.values))

        rest = [v for n, v in values.items() if n != "date"]
        if all(_blank(v) for v in rest):  # a day heading: "Rabu, 13 November 2024" alone
            self.day(values["date"], bad)
            return None, problems
        day = self.day(values.get("date"), bad)
        times = self.times(values, bad)
        texts = self.texts(values, bad)
        if texts is not None and not texts["title"]:
            column = self.columns.names["title"]
            problems.append(Problem(number, "agenda_import.title_missing", {"column": column}))
        if times is not None and times[1] <= times[0]:
            problems.append(
                Problem(
                    number,
                    "agenda_import.end_not_after_start",
                    {"start": times[0], "end": times[1]},
                )
            )
        if problems or day is None or times is None or texts is None:
            return None, problems
        class_name = None if is_plenary(texts["class"]) else texts["class"]
        return AgendaRow(
            row=number,
            day=day,
            start=times[0],
            end=times[1],
            title=texts["title"],
            speakers=texts["speakers"],
            room=texts["room"],
            class_name=class_name,
            description=texts["description"],
            zones=times[2],
        ), []

    def day(self, value: object, bad: Callable[[_Bad], None]) -> date | None:
        if _blank(value):
            if self.days.current is None and not self.days.failed:
                bad(_Bad("agenda_import.date_missing"))
                self.days.failed = True
            return self.days.current
        try:
            self.days.current, self.days.failed = parse_date(value), False
        except _Bad as error:
            self.days.current, self.days.failed = None, True
            bad(error)
        return self.days.current

    def times(
        self, values: Mapping[str, object], bad: Callable[[_Bad], None]
    ) -> tuple[time, time, tuple[str, ...]] | None:
        start_cell, end_cell = values.get("start"), values.get("end")
        range_cell = values.get("time")
        if _blank(range_cell) and _blank(end_cell) and _is_range(start_cell):
            range_cell = start_cell  # "08.30-10.00" typed into the start column
        if not _blank(range_cell):
            try:
                return parse_range(range_cell)
            except _Bad as error:
                bad(error)
                return None
        if "start" not in self.columns.index:  # only a range column, and it is empty
            bad(_Bad("agenda_import.time_missing"))
            return None
        if _blank(start_cell) and _blank(end_cell):
            bad(_Bad("agenda_import.time_missing"))
            return None
        start = self.one_time(start_cell, "agenda_import.start_missing", bad)
        end = self.one_time(end_cell, "agenda_import.end_missing", bad)
        if start is None or end is None:
            return None
        return start[0], end[0], tuple(sorted(set(start[1]) | set(end[1])))

    @staticmethod
    def one_time(
        value: object, missing: str, bad: Callable[[_Bad], None]
    ) -> tuple[time, tuple[str, ...]] | None:
        if _blank(value):
            bad(_Bad(missing))
            return None
        try:
            return parse_time(value)
        except _Bad as error:
            bad(error)
            return None

    def texts(
        self, values: Mapping[str, object], bad: Callable[[_Bad], None]
    ) -> dict[str, str] | None:
        texts = {name: _clean(values.get(name), multiline=name == "description") for name in LIMITS}
        ok = True
        for name, limit in LIMITS.items():
            if len(texts[name]) > limit:
                column = self.columns.names.get(name, name)
                bad(
                    _Bad(
                        "agenda_import.too_long",
                        column=column,
                        max_len=limit,
                        length=len(texts[name]),
                    )
                )
                ok = False
        return texts if ok else None


@dataclass(frozen=True, slots=True)
class _Sheet:
    rows: list[AgendaRow]  # the rows that read cleanly
    problems: list[Problem]  # and the problems of the others
    header_row: int
    header_zones: tuple[str, ...]  # e.g. "Waktu (WIB)": checked once, not on every row


def _read(filename: str, content: bytes) -> _Sheet:
    """The file's sessions and row problems; file-level problems raise."""
    rows = _rows_of(filename, content)
    if not rows:
        raise _file_error("agenda_import.empty")
    head = rows[:HEADER_SEARCH_ROWS]
    at = next((i for i, (_, cells) in enumerate(head) if _known_headers(cells) >= 2), None)
    if at is None:
        raise _file_error("agenda_import.no_header", rows=HEADER_SEARCH_ROWS)
    columns, problems = _columns(*rows[at])
    missing = {"agenda_import.missing_date_column", "agenda_import.missing_time_columns"}
    missing.add("agenda_import.missing_title_column")
    if any(p.key in missing for p in problems):
        raise AgendaFileError(problems)
    data = rows[at + 1 :]
    if len(data) > MAX_ROWS:
        raise _file_error("agenda_import.too_many_rows", max_rows=MAX_ROWS)
    reader = _RowReader(columns)
    read: list[AgendaRow] = []
    for number, cells in data:
        row, row_problems = reader.read(number, cells)
        problems += row_problems
        if row is not None:
            read.append(row)
    if not read and not problems:
        raise _file_error("agenda_import.no_rows")
    return _Sheet(read, problems, rows[at][0], columns.zones)


def read_agenda(filename: str, content: bytes) -> list[AgendaRow]:
    """Parse only (no event needed); raises AgendaFileError with every problem found."""
    sheet = _read(filename, content)
    if sheet.problems:
        raise AgendaFileError(sheet.problems)
    return sheet.rows


# --- classes --------------------------------------------------------------------------

_CLASS_PREFIX = re.compile(r"(?:kelas|class|kelompok|group)\s+")
_CLASS_CHARS = re.compile(r"[\w .,'()/&+\-]+")


def class_key(name: str) -> str:
    """ "Kelas A", "kelas a" and "A" name the same class."""
    return _CLASS_PREFIX.sub("", _words(name), count=1)


async def _class_use(session: AsyncSession, event: Event) -> list[tuple[str, str, int]]:
    """(problem key, class name as stored, how many) for the sessions and participants
    that name a class."""
    use: list[tuple[str, str, int]] = []
    for key, model in (
        ("agenda_import.classes.in_use", AgendaSession),
        ("agenda_import.classes.has_participants", Enrollment),
    ):
        name = col(model.class_name)
        found = await session.execute(
            select(name, func.count())
            .where(col(model.event_id) == event.id, name.is_not(None))
            .group_by(name)
        )
        use += [(key, str(row[0]), int(row[1])) for row in found.all()]
    return use


def _check_class_names(names: Sequence[str]) -> tuple[list[str], list[Problem]]:
    cleaned: list[str] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for raw in names:
        name = _clean(raw)
        if not name:
            continue
        if len(name) > CLASS_NAME_MAX:
            problems.append(
                Problem(
                    0, "agenda_import.classes.too_long", {"name": name, "max_len": CLASS_NAME_MAX}
                )
            )
        elif not _CLASS_CHARS.fullmatch(name):
            problems.append(Problem(0, "agenda_import.classes.bad_chars", {"name": name}))
        elif is_plenary(name) or not class_key(name):
            problems.append(Problem(0, "agenda_import.classes.plenary_word", {"name": name}))
        elif class_key(name) in seen:
            problems.append(Problem(0, "agenda_import.classes.duplicate", {"name": name}))
        else:
            seen.add(class_key(name))
            cleaned.append(name)
    if len(cleaned) > MAX_CLASSES:
        problems.append(Problem(0, "agenda_import.classes.too_many", {"max": MAX_CLASSES}))
    return cleaned, problems


async def set_classes(session: AsyncSession, event: Event, names: Sequence[str]) -> list[str]:
    """Declare the event's classes, replacing the old list. A class still named by a
    session or a participant cannot be dropped; a new spelling ("a" → "A") renames it."""
    cleaned, problems = _check_class_names(names)
    wanted = {class_key(n): n for n in cleaned}
    for key, name, count in await _class_use(session, event):
        if class_key(name) not in wanted:
            problems.append(Problem(0, key, {"name": name, "count": count}))
    if problems:
        raise ClassNamesError(problems)
    found = await session.execute(select(EventClass).where(col(EventClass.event_id) == event.id))
    stored = {class_key(c.name): c for c in found.scalars()}
    for key, row in stored.items():
        if key not in wanted:
            await session.delete(row)
        elif row.name != wanted[key]:
            await _rename_class(session, event, row.name, wanted[key])
            row.name = wanted[key]
    await session.flush()  # deletions first: a new row may reuse a deleted spelling
    for key, name in wanted.items():
        if key not in stored:
            session.add(EventClass(event_id=_event_id(event), name=name))
    await session.flush()
    return cleaned


async def _rename_class(session: AsyncSession, event: Event, old: str, new: str) -> None:
    sessions = await session.execute(
        select(AgendaSession).where(col(AgendaSession.event_id) == event.id)
    )
    enrollments = await session.execute(
        select(Enrollment).where(col(Enrollment.event_id) == event.id)
    )
    rows: list[AgendaSession | Enrollment] = [*sessions.scalars(), *enrollments.scalars()]
    for row in rows:
        if row.class_name is not None and class_key(row.class_name) == class_key(old):
            row.class_name = new


# --- checking against the event and applying --------------------------------------------


@dataclass(frozen=True, slots=True)
class _Planned:
    row: int
    day: date
    start: time
    end: time
    starts_at: datetime
    ends_at: datetime
    title: str
    speakers: str
    room: str
    class_name: str | None
    description: str


def _resolve_class(row: AgendaRow, event: Event, classes: Sequence[str]) -> str | Problem | None:
    if row.class_name is None:
        return None
    by_key = {class_key(c): c for c in classes}
    if not classes:
        return Problem(
            row.row, "agenda_import.no_classes", {"value": row.class_name, "code": event.code}
        )
    found = by_key.get(class_key(row.class_name))
    if found is None:
        return Problem(
            row.row,
            "agenda_import.unknown_class",
            {"value": row.class_name, "classes": ", ".join(classes)},
        )
    return found


def _plan(
    sheet: _Sheet, event: Event, classes: Sequence[str]
) -> tuple[list[_Planned], list[Problem]]:
    zone = ZoneInfo(event.timezone)
    label = zone_label(zone, datetime.combine(event.starts_on, time(12), zone))
    planned: list[_Planned] = []
    problems = [
        Problem(sheet.header_row, "agenda_import.wrong_zone", {"written": written, "zone": label})
        for written in sheet.header_zones
        if written != label
    ]
    for row in sheet.rows:
        found: list[Problem] = [
            Problem(row.row, "agenda_import.wrong_zone", {"written": written, "zone": label})
            for written in row.zones
            if written != label
        ]
        if not event.starts_on <= row.day <= event.ends_on:
            found.append(
                Problem(
                    row.row,
                    "agenda_import.outside_event",
                    {"date": row.day, "starts": event.starts_on, "ends": event.ends_on},
                )
            )
        class_name = _resolve_class(row, event, classes)
        if isinstance(class_name, Problem):
            found.append(class_name)
            class_name = None
        problems += found
        if found:
            continue
        planned.append(
            _Planned(
                row=row.row,
                day=row.day,
                start=row.start,
                end=row.end,
                starts_at=datetime.combine(row.day, row.start, zone).astimezone(UTC),
                ends_at=datetime.combine(row.day, row.end, zone).astimezone(UTC),
                title=row.title,
                speakers=row.speakers,
                room=row.room,
                class_name=class_name,
                description=row.description,
            )
        )
    return planned, problems + _clashes(planned)


def _clashes(planned: Sequence[_Planned]) -> list[Problem]:
    """Two sessions at once in one room for the same people (a plenary session is for
    every class), or one class in two places at once."""
    problems: list[Problem] = []
    ordered = sorted(planned, key=lambda p: (p.starts_at, p.row))
    for i, first in enumerate(ordered):
        for second in ordered[i + 1 :]:
            if second.starts_at >= first.ends_at:
                break
            earlier, later = sorted((first, second), key=lambda p: p.row)
            same_room = bool(first.room) and _words(first.room) == _words(second.room)
            shared = first.class_name is None or second.class_name is None
            if same_room and (shared or first.class_name == second.class_name):
                problems.append(
                    Problem(
                        later.row,
                        "agenda_import.overlap",
                        {"other": earlier.row, "room": later.room},
                    )
                )
            elif first.class_name is not None and first.class_name == second.class_name:
                problems.append(
                    Problem(
                        later.row,
                        "agenda_import.class_clash",
                        {"other": earlier.row, "name": later.class_name},
                    )
                )
    return problems


def _local(moment: datetime, zone: ZoneInfo) -> time:
    return moment.astimezone(zone).time().replace(tzinfo=None)


def _changes(stored: AgendaSession, new: _Planned, zone: ZoneInfo) -> list[str]:
    same_day = stored.day == new.day
    compared = [
        ("date", same_day),
        (
            "start",
            _local(stored.starts_at, zone) == new.start
            and (not same_day or stored.starts_at == new.starts_at),
        ),
        (
            "end",
            _local(stored.ends_at, zone) == new.end
            and (not same_day or stored.ends_at == new.ends_at),
        ),
        ("title", stored.title == new.title),
        ("speakers", stored.speakers == new.speakers),
        ("room", stored.room == new.room),
        ("class", stored.class_name == new.class_name),
        ("description", stored.description == new.description),
    ]
    return [name for name, same in compared if not same]


def _match(
    stored: Sequence[AgendaSession], planned: Sequence[_Planned]
) -> dict[int, AgendaSession]:
    """Which stored session each planned row updates (by position in ``planned``). The
    title says what a session is, so it leads: same title, class, day and start; then
    same title, class and day, found once on each side (moved within the day); then same
    start and class (renamed in place); then a title and class found once on each side
    (moved to another day). Two sessions that swap slots keep their own ids."""

    def class_of(name: str | None) -> str:
        return "" if name is None else class_key(name)

    passes: list[tuple[Callable[[Any], Hashable], bool]] = [
        (lambda s: (_words(s.title), class_of(s.class_name), s.starts_at), False),
        (lambda s: (_words(s.title), class_of(s.class_name), s.day), True),
        (lambda s: (s.starts_at, class_of(s.class_name)), False),
        (lambda s: (_words(s.title), class_of(s.class_name)), True),
    ]
    pairs: dict[int, AgendaSession] = {}
    taken: set[int] = set()
    for key_of, unique_only in passes:
        free: dict[Hashable, list[AgendaSession]] = {}
        for s in stored:
            if id(s) not in taken:
                free.setdefault(key_of(s), []).append(s)
        waiting = [i for i in range(len(planned)) if i not in pairs]
        wanted: dict[Hashable, int] = {}
        for i in waiting:
            wanted[key_of(planned[i])] = wanted.get(key_of(planned[i]), 0) + 1
        for i in waiting:
            key = key_of(planned[i])
            candidates = free.get(key)
            if not candidates or (unique_only and (len(candidates) > 1 or wanted[key] > 1)):
                continue
            pairs[i] = candidates.pop(0)
            taken.add(id(pairs[i]))
    return pairs


def _fill(target: AgendaSession, new: _Planned) -> None:
    target.day = new.day
    target.starts_at = new.starts_at
    target.ends_at = new.ends_at
    target.title = new.title
    target.speakers = new.speakers
    target.room = new.room
    target.class_name = new.class_name
    target.description = new.description
    target.updated_at = utcnow()


async def import_agenda(
    session: AsyncSession, event: Event, filename: str, content: bytes
) -> ImportReport:
    """Read the file, check it against the event and its classes, and make the stored
    agenda match it. Raises AgendaFileError, storing nothing, if anything is wrong."""
    sheet = _read(filename, content)
    planned, event_problems = _plan(sheet, event, await class_names(session, event.id))
    if sheet.problems or event_problems:
        raise AgendaFileError(sheet.problems + event_problems)
    zone = ZoneInfo(event.timezone)
    # One import of an event at a time: two organisers sending files at once would each
    # match against the same old agenda and add the same sessions twice.
    await session.execute(select(Event.id).where(col(Event.id) == event.id).with_for_update())
    stored = await agenda_of(session, event.id)
    pairs = _match(stored, planned)
    report = ImportReport()
    for i, new in enumerate(planned):
        target = pairs.get(i)
        if target is None:
            added = AgendaSession(
                event_id=_event_id(event),
                day=new.day,
                starts_at=new.starts_at,
                ends_at=new.ends_at,
                title=new.title,
            )
            _fill(added, new)
            session.add(added)
            report.added.append(added)
            continue
        changed = _changes(target, new, zone)
        if changed:
            _fill(target, new)
            report.changed.append((target, changed))
        else:
            report.unchanged += 1
    kept = {id(s) for s in pairs.values()}
    for old in stored:
        if id(old) not in kept:
            await session.delete(old)
            report.removed.append(old)
    await session.flush()
    report.added.sort(key=lambda s: (s.starts_at, s.class_name or ""))
    report.changed.sort(key=lambda c: (c[0].starts_at, c[0].class_name or ""))
    return report


# --- texts ----------------------------------------------------------------------------


def _shown(t: Translator, value: object) -> str:
    if isinstance(value, datetime):
        return value.strftime("%H.%M")
    if isinstance(value, date):
        return format_date(value, t.locale)
    if isinstance(value, time):
        return value.strftime("%H.%M")
    return str(value)


def problem_text(t: Translator, problem: Problem) -> str:
    text = t(problem.key, **{k: _shown(t, v) for k, v in problem.values.items()})
    return t("agenda_import.problems.row", row=problem.row, text=text) if problem.row else text


def problems_text(
    t: Translator,
    problems: Sequence[Problem],
    *,
    limit: int | None = 25,
    heading: str = "agenda_import.problems.heading",
) -> str:
    """The problems, one a line, after a heading saying nothing was saved. ``limit`` keeps
    a chat message within what Telegram and WhatsApp take (the rest are counted); None
    lists every one."""
    shown = problems if limit is None else problems[:limit]
    lines = [t(heading, count=len(problems))]
    lines += [f"• {problem_text(t, p)}" for p in shown]
    if len(problems) > len(shown):
        lines.append(t("agenda_import.problems.more", count=len(problems) - len(shown)))
    return "\n".join(lines)


def session_line(t: Translator, event: Event, item: AgendaSession, *, with_day: bool = True) -> str:
    """ "Rabu, 13 November 2024 · 08.30–10.00 WITA · Strategi … · Kelas A · Ruang Mahakam"."""
    zone = event.timezone
    when = (
        f"{format_time(item.starts_at, zone)}–{format_time(item.ends_at, zone)} {zone_label(zone)}"
    )
    parts = [format_date(item.day, t.locale), when] if with_day else [when]
    parts.append(item.title)
    if item.speakers:
        parts.append(item.speakers)
    if item.class_name is not None:
        parts.append(t("agenda_import.class_label", name=item.class_name))
    if item.room:
        parts.append(item.room)
    return " · ".join(parts)


def report_text(t: Translator, event: Event, report: ImportReport) -> str:
    """What the import did, naming the changed and removed sessions."""
    total = len(report.added) + len(report.changed) + report.unchanged
    if not report.has_changes:
        return t("agenda_import.report.no_changes", event=event.name, count=total)
    lines = [
        t(
            "agenda_import.report.summary",
            event=event.name,
            added=len(report.added),
            changed=len(report.changed),
            removed=len(report.removed),
            unchanged=report.unchanged,
            count=total,
        )
    ]
    if report.changed:
        lines += ["", t("agenda_import.report.changed_heading")]
        for item, fields in report.changed:
            names = ", ".join(t(f"agenda_import.field.{f}") for f in fields)
            lines.append(
                t(
                    "agenda_import.report.changed_line",
                    session=session_line(t, event, item),
                    fields=names,
                )
            )
    if report.removed:
        lines += ["", t("agenda_import.report.removed_heading")]
        lines += [f"• {session_line(t, event, item)}" for item in report.removed]
    return "\n".join(lines)


def agenda_text(t: Translator, event: Event, sessions: Sequence[AgendaSession]) -> str:
    """The whole agenda, day by day, in the event's zone."""
    if not sessions:
        return t("agenda_import.show.empty", event=event.name)
    lines = [
        t(
            "agenda_import.show.heading",
            event=event.name,
            zone=zone_label(event.timezone),
            count=len(sessions),
        )
    ]
    day: date | None = None
    for item in sessions:
        if item.day != day:
            day = item.day
            lines += ["", format_date(day, t.locale)]
        lines.append(f"  {session_line(t, event, item, with_day=False)}")
    return "\n".join(lines)


# --- the template -----------------------------------------------------------------------


def template_csv() -> bytes:
    """The organiser's starting point: Indonesian headers, ';' as Excel set to Indonesian
    expects, a few example rows."""
    return resources.files("handlers").joinpath("data/agenda-template.csv").read_bytes()


def template_xlsx() -> bytes:
    """The same template as an Excel workbook, times and dates kept as text."""
    text = template_csv().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)))
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = "Agenda"
    for row in rows:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for position, header in enumerate(rows[0], 1):
        width = max(len(r[position - 1]) for r in rows if len(r) >= position)
        letter = get_column_letter(position)
        sheet.column_dimensions[letter].width = min(max(width, len(header)) + 2, 60)
        for cells in sheet.iter_cols(min_col=position, max_col=position, min_row=2):
            for cell in cells:
                cell.number_format = "@"  # Excel must not turn 08.30 into 8.3
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
