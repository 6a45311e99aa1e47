"""Every message exists in every language, with the same placeholders; every command,
button and payload fits the channels."""

import re
import string

import pytest

from handlers.i18n import LOCALES, Translator, catalog
from handlers.province_step import PER_PAGE
from handlers.registry import registry
from models.people import PROFILE_FIELDS
from models.profile_checks import LIBRARY_TYPES
from models.provinces import all_provinces


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_locale_has_every_message() -> None:
    keys = {locale: set(catalog(locale)) for locale in LOCALES}
    reference = keys["id"]
    for locale, found in keys.items():
        assert found == reference, (
            f"{locale}: missing {sorted(reference - found)}, extra {sorted(found - reference)}"
        )


@pytest.mark.parametrize("locale", LOCALES)
def test_messages_are_translated_with_the_same_placeholders(locale: str) -> None:
    for key, text in catalog(locale).items():
        assert text.strip(), f"{locale}:{key} is empty"
        assert placeholders(text) == placeholders(catalog("id")[key]), f"{locale}:{key}"


@pytest.mark.parametrize("locale", LOCALES)
def test_labels_fit_whatsapp_and_telegram_limits(locale: str) -> None:
    t = Translator(locale)
    labels = [t(f"library_type.{v}") for v in LIBRARY_TYPES]
    labels += [t(f"field.{f}") for f in PROFILE_FIELDS]
    labels += [t(k) for k in ("consent.agree", "consent.decline", "summary.confirm")]
    labels += [t(k) for k in ("erase.yes", "erase.no", "nav.next", "nav.previous")]
    labels += [t(f"menu.{c.key}") for c in registry().commands if c.button]
    labels += [t(f"question.{k}") for k in ("yes", "no", "skip", "done")]
    labels += [
        t(key)
        for key in (
            "menu.calendar",
            "schedule.previous_day",
            "schedule.next_day",
            "now.next_detail",
            "detail.back_to_day",
            "class.all",
            "invite.other_speaker",
            "team.yes_revoke",
            "team.keep",
            "import.apply",
            "import.cancel",
        )
    ]
    assert all(len(label) <= 24 for label in labels), [x for x in labels if len(x) > 24]


def test_button_payloads_fit_telegram_callback_data() -> None:
    # The longest question token a conversation reaches in a lifetime of questions.
    token = "?" + "z" * 7
    payloads = [f"{token}|{p.name}" for p in all_provinces()]
    payloads += [f"{token}|fix:{name}" for name in PROFILE_FIELDS]
    assert max(len(p.encode()) for p in payloads) <= 64
    assert PER_PAGE + 2 <= 10, "a WhatsApp list holds at most 10 rows"


def test_every_command_has_names_a_description_and_a_button_label() -> None:
    described = {
        key.removeprefix("command.") for key in catalog("id") if key.startswith("command.")
    }
    labelled = {key.removeprefix("menu.") for key in catalog("id") if key.startswith("menu.")}
    for command in registry().commands:
        assert command.key in described, command.key
        assert not command.button or command.key in labelled, command.key
        for locale in LOCALES:
            name = command.name(locale)
            # Telegram takes 1-32 lower-case letters, digits and underscores.
            assert re.fullmatch(r"[a-z0-9_]{1,32}", name), name
    assert described == {c.key for c in registry().commands}, "a description for no command"


def test_english_help_names_english_commands() -> None:
    names = {c.key: c.name("en") for c in registry().commands}
    assert (names["today"], names["delete"], names["cancel"]) == ("today", "delete", "cancel")
    english = " ".join(catalog("en").values())
    indonesian_only = {c.name("id") for c in registry().commands} - set(names.values())
    for name in indonesian_only:
        assert not re.search(rf"/{name}\b", english), name
