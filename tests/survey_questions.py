"""Questions of a session's feedback that several tests' own survey definitions ask: how
useful (four points, labelled) and which topics (several of three). Tests that read the
answers back expect these labels: "Sangat"/"Very" for 4, "SIM"/"MIS" and
"Koleksi"/"Collections" for ``sim`` and ``koleksi``."""

from typing import Any

TITLE = {"id": "Umpan balik sesi", "en": "Session feedback"}

USEFUL: dict[str, Any] = {
    "id": "useful",
    "type": "scale",
    "scale": 4,
    "text": {"id": "Seberapa bermanfaat?", "en": "How useful?"},
    "labels": [
        {"id": "Tidak", "en": "Not"},
        {"id": "Kurang", "en": "Hardly"},
        {"id": "Cukup", "en": "Fairly"},
        {"id": "Sangat", "en": "Very"},
    ],
}

TOPICS: dict[str, Any] = {
    "id": "topics",
    "type": "multiple",
    "text": {"id": "Topik yang berguna?", "en": "Useful topics?"},
    "options": [
        {"value": "sim", "text": {"id": "SIM", "en": "MIS"}},
        {"value": "advokasi", "text": {"id": "Advokasi", "en": "Advocacy"}},
        {"value": "koleksi", "text": {"id": "Koleksi", "en": "Collections"}},
    ],
}
