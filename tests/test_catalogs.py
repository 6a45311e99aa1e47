"""Every message exists in every language, with the same placeholders."""

import string

import pytest

from bot.channels.telegram import MENU_COMMANDS
from handlers.i18n import LOCALES, Translator, catalog
from handlers.menu import ACTION_COMMANDS
from handlers.profile import FIELD_NAMES, LIBRARY_TYPES
from handlers.registration import PROVINCES_PER_PAGE, field_step
from handlers.router import COMMANDS, PRIVILEGED
from handlers.turn import PAYLOAD_SEPARATOR
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
    labels += [t(f"field.{f}") for f in FIELD_NAMES]
    labels += [t(k) for k in ("consent.agree", "consent.decline", "summary.confirm")]
    labels += [t(k) for k in ("menu.profile", "menu.edit", "menu.help", "menu.start")]
    labels += [t(k) for k in ("erase.yes", "erase.no", "nav.next", "nav.previous")]
    labels += [t(f"menu.{action}") for action in ACTION_COMMANDS]
    labels += [
        t(key)
        for key in (
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
    payloads = [f"{field_step('province')}{PAYLOAD_SEPARATOR}{p.name}" for p in all_provinces()]
    payloads += [f"summary{PAYLOAD_SEPARATOR}fix:{name}" for name in FIELD_NAMES]
    assert max(len(p.encode()) for p in payloads) <= 64
    assert PROVINCES_PER_PAGE + 2 <= 10, "a WhatsApp list holds at most 10 rows"


def test_every_command_in_help_and_menus_has_a_description() -> None:
    described = {
        key.removeprefix("command.") for key in catalog("id") if key.startswith("command.")
    }
    assert set(ACTION_COMMANDS.values()) <= described
    assert set(MENU_COMMANDS) <= described
    assert {"besok", "impor", "hapus", "bahasa", "batal"} <= described
    assert set(ACTION_COMMANDS.values()) - {"start"} <= set(COMMANDS) | set(PRIVILEGED)
