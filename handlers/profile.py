"""The registration fields: their order, how each is checked, and how a profile reads."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

from handlers.i18n import Translator
from handlers.validation import free_text, full_name, phone_e164
from models import Participant

LIBRARY_TYPES = ("desa", "kelurahan", "tbm", "sekolah", "umum", "lainnya")


@dataclass(frozen=True, slots=True)
class Field:
    name: str  # the Participant attribute
    clean: Callable[[str], str] | None  # None: chosen from a fixed list, not typed


FIELDS = (
    Field("full_name", full_name),
    Field("phone_e164", phone_e164),
    Field("library_name", partial(free_text, max_len=120)),
    Field("library_type", None),
    Field("regency", partial(free_text, max_len=80)),
    Field("province", None),
    Field("library_role", partial(free_text, max_len=80)),
)
FIELD_NAMES = tuple(f.name for f in FIELDS)
BY_NAME = {f.name: f for f in FIELDS}


def display_value(t: Translator, field: str, value: str | None) -> str:
    if value is None:
        return "—"
    if field == "library_type":
        return t(f"library_type.{value}")
    return value


def profile_lines(t: Translator, values: Mapping[str, str | None]) -> str:
    return "\n".join(
        f"• {t(f'field.{name}')}: {display_value(t, name, values.get(name))}"
        for name in FIELD_NAMES
    )


def participant_values(participant: Participant) -> dict[str, str | None]:
    return {name: getattr(participant, name) for name in FIELD_NAMES}


def profile_text(t: Translator, participant: Participant) -> str:
    """A saved profile as the person reads it."""
    return t("profile.show", profile=profile_lines(t, participant_values(participant)))
