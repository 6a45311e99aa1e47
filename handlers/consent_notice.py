"""The consent notice (UU PDP No. 27/2022) as a person reads it before joining an event:
who controls the data (the event's organiser), what is collected and why, how long that
event keeps it, and the person's rights. Its version and text's digest are stored with each
consent."""

from handlers.turn import Turn
from models import Event
from models.privacy.retention import DEFAULT_YEARS, kept_until

# 2026-12: consent is asked per event (the notice no longer covers later events).
CONSENT_VERSION = "2026-12"


def consent_text(turn: Turn, event: Event | None) -> str:
    """The notice as shown, naming who controls the data: the event's organiser. It is
    agreed to per event."""
    organizer = (event.organizer or event.name) if event is not None else "—"
    return turn.t(
        "consent.event_text",
        version=CONSENT_VERSION,
        organizer=organizer,
        kept=kept_for(turn, event),
    )


def kept_for(turn: Turn, event: Event | None) -> str:
    """How long after its end the event keeps its people's data, as the notice says it."""
    if event is None:
        return turn.t("consent.kept_years", years=DEFAULT_YEARS)
    days = (kept_until(event) - event.ends_on).days
    years, rest = divmod(days, 365)
    if years and rest <= years // 4 + 1:  # whole calendar years, leap days and all
        return turn.t("consent.kept_years", years=years)
    return turn.t("consent.kept_days", days=days)
