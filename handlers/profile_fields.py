"""The registration fields: how each is asked and checked, and how a profile reads."""

from collections.abc import Callable, Mapping, Sequence
from functools import partial

from handlers.i18n import Translator
from handlers.questions import AnswerOption, Kind, Msg, Question
from handlers.validation import free_text, full_name, phone_e164
from models import Person
from models.people import PROFILE_FIELDS
from models.profile_checks import LIBRARY_TYPES

PROVINCE = "province"  # asked by its own step: a paged list of 38, or typed
# What an event's roster holds of a person, shown instead of asked.
ROSTER_FIELDS = ("full_name", "library_name", "library_type", "regency")


def _typed(name: str, check: Callable[[str], str], share_phone: bool = False) -> Question:
    return Question(
        name,
        Kind.TEXT,
        Msg(f"ask.{name}"),
        label=Msg(f"field.{name}"),
        check=check,
        share_phone=share_phone,
    )


QUESTIONS: Mapping[str, Question] = {
    "full_name": _typed("full_name", full_name),
    "phone_e164": _typed("phone_e164", phone_e164, share_phone=True),
    "library_name": _typed("library_name", partial(free_text, max_len=120)),
    "library_type": Question(
        "library_type",
        Kind.SINGLE,
        Msg("ask.library_type"),
        options=tuple(AnswerOption(v, Msg(f"library_type.{v}")) for v in LIBRARY_TYPES),
    ),
    "regency": _typed("regency", partial(free_text, max_len=80)),
    "library_role": _typed("library_role", partial(free_text, max_len=80)),
}
assert set(QUESTIONS) | {PROVINCE} == set(PROFILE_FIELDS)


def display_value(t: Translator, field: str, value: str | None) -> str:
    if value is None:
        return "—"
    if field == "library_type":
        return t(f"library_type.{value}")
    return value


def profile_lines(
    t: Translator, values: Mapping[str, str | None], fields: Sequence[str] = PROFILE_FIELDS
) -> str:
    return "\n".join(
        f"• {t(f'field.{name}')}: {display_value(t, name, values.get(name))}" for name in fields
    )


def person_values(person: Person) -> dict[str, str | None]:
    return {name: getattr(person, name) for name in PROFILE_FIELDS}


def profile_text(t: Translator, person: Person) -> str:
    """A saved profile as the person reads it."""
    return t("profile.show", profile=profile_lines(t, person_values(person)))
