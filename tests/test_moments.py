"""Moments to come as organisers type them, read in the event's zone whatever the server's."""

from datetime import UTC, datetime

import pytest

from models.moments import MomentError, parse_moment

WITA = "Asia/Makassar"
NOW = datetime(2024, 11, 13, 1, 0, tzinfo=UTC)  # Wednesday 13 November, 09.00 WITA


@pytest.mark.parametrize(
    ("typed", "local"),
    [
        ("14.30", "2024-11-13 14:30"),
        ("14:30", "2024-11-13 14:30"),
        ("pukul 9.30 WITA", "2024-11-13 09:30"),
        ("hari ini 23.59", "2024-11-13 23:59"),
        ("besok 07.00", "2024-11-14 07:00"),
        ("Besok jam 7", "2024-11-14 07:00"),
        ("tomorrow 7:00", "2024-11-14 07:00"),
        ("lusa 08.00", "2024-11-15 08:00"),
        ("2024-11-14 07:00", "2024-11-14 07:00"),
        ("14/11/2024 07.00", "2024-11-14 07:00"),
        ("Kamis, 14 November 2024 pukul 07.00 WITA", "2024-11-14 07:00"),
        ("16 Nov 2024, 13.00", "2024-11-16 13:00"),
    ],
)
def test_a_moment_typed_in_the_event_zone(typed: str, local: str) -> None:
    expected = datetime.fromisoformat(f"{local}+08:00").astimezone(UTC)
    assert parse_moment(typed, WITA, NOW) == expected


def test_today_is_the_event_zone_s_day_not_the_server_s() -> None:
    late = datetime(2024, 11, 13, 23, 30, tzinfo=UTC)  # already 07.30 on the 14th in WITA
    assert parse_moment("08.00", WITA, late) == datetime(2024, 11, 14, 0, 0, tzinfo=UTC)
    assert parse_moment("besok 08.00", WITA, late) == datetime(2024, 11, 15, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("08.59", "past"),
        ("09.00", "past"),  # now is not to come
        ("2024-11-12 10:00", "past"),
        ("nanti sore", "unreadable"),
        ("", "unreadable"),
        ("25.00", "unreadable"),
        ("besok", "unreadable"),  # a day without a time
        ("2024-11-14", "unreadable"),
        ("31/02/2025 07.00", "unreadable"),
        ("Jumat, 14 November 2024 07.00", "unreadable"),  # the 14th is a Thursday
        ("besok 07.00 WIB", "zone"),
    ],
)
def test_what_names_no_moment_to_come_is_refused(typed: str, key: str) -> None:
    with pytest.raises(MomentError) as refused:
        parse_moment(typed, WITA, NOW)
    assert refused.value.key == key
    if key == "zone":
        assert refused.value.values == {"zone": "WITA"}
