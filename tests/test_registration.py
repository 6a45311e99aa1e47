"""The whole registration as a person does it, on every channel and database."""

from sqlmodel import col, select

from bot.db import SessionMaker
from bot.demo import DEMO_ORGANIZER
from handlers.consent_notice import CONSENT_VERSION
from handlers.i18n import Translator
from models import ChannelIdentity, Consent, Conversation, Enrollment, Event, Person
from models.people import PROFILE_FIELDS
from tests.drivers import ConsoleDriver, Driver, Shown, texts

ID = Translator("id")
EN = Translator("en")
# What a registered participant of the demo event (which has classes) can do.
REGISTERED_MENU = tuple(
    ID(f"menu.{action}")
    for action in ("today", "now", "tomorrow", "agenda", "class", "profile", "edit", "help")
)


async def stored(sessions: SessionMaker, driver: Driver) -> tuple[Conversation, Person]:
    async with sessions() as session:
        conversation, person = (
            await session.execute(
                select(Conversation, Person)
                .join(ChannelIdentity, col(ChannelIdentity.id) == col(Conversation.identity_id))
                .join(Person, col(Person.id) == col(ChannelIdentity.person_id))
                .where(
                    col(ChannelIdentity.channel) == driver.channel,
                    col(ChannelIdentity.user_key) == driver.user_key,
                )
            )
        ).one()
        return conversation, person


def personal(person: Person) -> dict[str, str]:
    """What the person row holds of their profile."""
    return {name: getattr(person, name) for name in PROFILE_FIELDS if getattr(person, name)}


def answers(conversation: Conversation) -> dict[str, str]:
    """The registration answers so far, as stored."""
    found = conversation.state.get("registration", {}).get("answers", {})
    return {name: value for name, value in found.items() if value is not None}


def last(shown: list[Shown]) -> Shown:
    assert shown, "the bot said nothing"
    return shown[-1]


async def agree_in_indonesian(driver: Driver, start: str = "/start") -> None:
    """``start``, choose Bahasa Indonesia and agree to the notice: the first question is
    next."""
    await driver.send(start)
    await driver.press("Bahasa Indonesia")
    shown = await driver.press(ID("consent.agree"))
    assert last(shown).text == ID("ask.full_name")


async def register_in_indonesian(driver: Driver, start: str = "/start") -> list[Shown]:
    shown = await driver.send(start)
    assert last(shown).text == ID("ask.language")
    assert last(shown).buttons == ("Bahasa Indonesia", "English")

    shown = await driver.press("Bahasa Indonesia")
    assert last(shown).text == ID(
        "consent.event_text",
        version=CONSENT_VERSION,
        organizer=DEMO_ORGANIZER,
        kept=ID("consent.kept_years", years=10),
    )
    assert last(shown).buttons == (ID("consent.agree"), ID("consent.decline"))

    shown = await driver.press(ID("consent.agree"))
    assert texts(shown) == ID("consent.thanks") + "\n---\n" + ID("ask.full_name")
    shown = await driver.send("  Siti   Rahmawati, S.Sos ")
    assert last(shown).text == ID("ask.phone_e164")
    shown = await driver.send("0812-3456-7890")
    assert last(shown).text == ID("ask.library_name")
    shown = await driver.send("Perpustakaan Desa Sukamaju")
    assert last(shown).text == ID("ask.library_type")
    assert ID("library_type.tbm") in last(shown).buttons
    shown = await driver.press(ID("library_type.desa"))
    assert last(shown).text == ID("ask.regency")
    shown = await driver.send("Kutai Kartanegara")
    assert last(shown).text == ID("ask.province", page=1, pages=5)
    shown = await driver.press(ID("nav.next"))
    shown = await driver.press(ID("nav.next"))
    assert "Kalimantan Timur" in last(shown).buttons
    shown = await driver.press("Kalimantan Timur")
    assert last(shown).text == ID("ask.library_role")
    shown = await driver.send("Kepala Perpustakaan")
    summary = last(shown)
    assert "• Nama lengkap: Siti Rahmawati, S.Sos" in summary.text
    assert "• Nomor HP: +6281234567890" in summary.text
    assert "• Jenis perpustakaan: Perpustakaan desa" in summary.text
    assert "• Provinsi: Kalimantan Timur" in summary.text
    assert summary.buttons[0] == ID("summary.confirm")
    return await driver.press(ID("summary.confirm"))


async def test_registration_in_indonesian_stores_what_was_typed_normalised(
    driver: Driver, sessions: SessionMaker, demo_event: Event
) -> None:
    shown = await register_in_indonesian(driver)

    assert shown[0].text == ID(
        "registration.done", name="Siti Rahmawati, S.Sos", event=demo_event.name
    )
    assert shown[0].buttons == REGISTERED_MENU
    conversation, participant = await stored(sessions, driver)
    assert (
        participant.full_name,
        participant.phone_e164,
        participant.library_name,
        participant.library_type,
        participant.regency,
        participant.province,
        participant.library_role,
        participant.locale,
    ) == (
        "Siti Rahmawati, S.Sos",
        "+6281234567890",
        "Perpustakaan Desa Sukamaju",
        "desa",
        "Kutai Kartanegara",
        "Kalimantan Timur",
        "Kepala Perpustakaan",
        "id",
    )
    assert participant.registered_at is not None
    assert conversation.flow is None
    assert conversation.state == {}
    async with sessions() as session:
        consent = (await session.execute(select(Consent))).scalar_one()
        enrollment = (await session.execute(select(Enrollment))).scalar_one()
    assert consent.person_id == participant.id
    assert (consent.text_version, consent.locale, consent.channel) == (
        CONSENT_VERSION,
        "id",
        driver.channel,
    )
    assert consent.withdrawn_at is None
    assert (enrollment.person_id, enrollment.event_id) == (participant.id, demo_event.id)


async def test_registration_in_english_speaks_english_throughout(
    driver: Driver, sessions: SessionMaker, demo_event: Event
) -> None:
    await driver.send("/start")
    shown = await driver.press("English")
    assert last(shown).text == EN(
        "consent.event_text",
        version=CONSENT_VERSION,
        organizer=DEMO_ORGANIZER,
        kept=EN("consent.kept_years", years=10),
    )
    shown = await driver.press(EN("consent.agree"))
    assert last(shown).text == EN("ask.full_name")
    answers = [
        ("Putri Wardhani", "ask.phone_e164"),
        ("+62 812 3456 7890", "ask.library_name"),
        ("TBM Cahaya Ilmu", "ask.library_type"),
    ]
    for answer, question in answers:
        shown = await driver.send(answer)
        assert last(shown).text == EN(question)
    shown = await driver.press(EN("library_type.tbm"))
    assert last(shown).text == EN("ask.regency")
    shown = await driver.send("Samarinda")
    assert last(shown).text == EN("ask.province", page=1, pages=5)
    shown = await driver.send("kaltim")  # typed, not chosen: short forms are understood
    assert last(shown).text == EN("ask.library_role")
    shown = await driver.send("Relawan")
    assert "• Province: Kalimantan Timur" in last(shown).text
    assert "• Library type: TBM (reading park)" in last(shown).text
    shown = await driver.press(EN("summary.confirm"))
    assert shown[0].text == EN("registration.done", name="Putri Wardhani", event=demo_event.name)

    shown = await driver.send("/profil")
    assert "• Mobile number: +6281234567890" in shown[0].text
    shown = await driver.send("/help")
    assert shown[0].text.startswith(EN("help.title"))
    assert "/delete — " + EN("command.delete") in shown[0].text
    assert "/hapus" not in shown[0].text
    _, participant = await stored(sessions, driver)
    assert (participant.locale, participant.phone_e164, participant.library_type) == (
        "en",
        "+6281234567890",
        "tbm",
    )


async def test_resumes_at_the_same_question_after_a_restart(
    driver: Driver, sessions: SessionMaker
) -> None:
    await agree_in_indonesian(driver)
    await driver.send("Budi Santoso")
    shown = await driver.send("0811-5401-234")
    assert last(shown).text == ID("ask.library_name")

    await driver.restart()

    shown = await driver.send("Halo, saya kembali")
    assert last(shown).text == ID("ask.library_type"), "the restart lost the question"
    conversation, _ = await stored(sessions, driver)
    assert conversation.step == "library_type"
    assert answers(conversation) == {
        "full_name": "Budi Santoso",
        "phone_e164": "+628115401234",
        "library_name": "Halo, saya kembali",
    }
    # /start again later continues rather than starting over.
    shown = await driver.send("/start")
    assert last(shown).text == ID("ask.library_type")


async def test_bad_input_gets_a_clear_answer_and_changes_nothing(
    driver: Driver, sessions: SessionMaker
) -> None:
    await agree_in_indonesian(driver)

    bad_names = {
        "A": "invalid.name_short",
        "x" * 300: "invalid.name_long",
        "😀🎉📚": "invalid.name_chars",
        "Budi 123": "invalid.name_chars",
        "   ": "invalid.name_short",
    }
    for bad, key in bad_names.items():
        shown = await driver.send(bad)
        assert texts(shown) == ID(key), bad
    conversation, _ = await stored(sessions, driver)
    assert (conversation.step, answers(conversation)) == ("full_name", {})

    await driver.send("Budi Santoso")
    for bad in ("12345", "0812", "nomor saya rahasia", "+1 555"):
        shown = await driver.send(bad)
        assert texts(shown) == ID("invalid.phone")
    await driver.send("081234567890")
    await driver.send("Perpustakaan Kelurahan Loa Ipuh")

    shown = await driver.send("perpustakaan keliling")  # text where a button is expected
    assert shown[0].text == ID("invalid.use_buttons")
    assert last(shown).text == ID("ask.library_type")
    assert ID("library_type.desa") in last(shown).buttons

    shown = await driver.send("/tidakada")
    assert shown[0].text == ID("invalid.command")
    assert last(shown).text == ID("ask.library_type")

    for kind in ("sticker", "photo", "voice"):
        shown = await driver.send_unsupported(kind)
        assert shown[0].text == ID("invalid.unsupported"), kind
        assert last(shown).text == ID("ask.library_type")
    # A button from an older message (the language question) is refused.
    shown = await driver.press("English", newest=False)
    assert shown[0].text == ID("invalid.stale_button")
    assert last(shown).text == ID("ask.library_type")

    conversation, participant = await stored(sessions, driver)
    assert conversation.step == "library_type"
    assert participant.locale == "id"
    assert answers(conversation) == {
        "full_name": "Budi Santoso",
        "phone_e164": "+6281234567890",
        "library_name": "Perpustakaan Kelurahan Loa Ipuh",
    }
    assert personal(participant) == {}, "nothing is saved to the profile before confirming"

    shown = await driver.send("3")  # the number of an option picks it, on every channel
    assert last(shown).text == ID("ask.regency")
    shown = await driver.send("🏠🏠")
    assert texts(shown) == ID("invalid.text_chars", field=ID("field.regency"))
    shown = await driver.send("Kutai Kartanegara")
    shown = await driver.send("Atlantis")
    assert shown[0].text == ID("invalid.province")
    assert last(shown).buttons[0] == "Aceh"


async def test_fixing_a_field_from_the_summary_returns_to_the_summary(driver: Driver) -> None:
    await agree_in_indonesian(driver)
    for answer in ("Budi Santoso", "081234567890", "TBM Pelangi"):
        await driver.send(answer)
    await driver.press(ID("library_type.tbm"))
    await driver.send("Samarinda")
    await driver.send("Kalimantan Timur")
    shown = await driver.send("Pengelola")
    assert ID("summary.confirm") in last(shown).buttons

    shown = await driver.press(ID("summary.fix", field=ID("field.phone_e164")))
    assert last(shown).text == ID("ask.phone_e164")
    shown = await driver.send("+62 811 5401 234")
    assert "• Nomor HP: +628115401234" in last(shown).text
    assert "• Nama lengkap: Budi Santoso" in last(shown).text
    assert last(shown).buttons[0] == ID("summary.confirm")


async def test_profile_edit_cancel_and_help(driver: Driver, sessions: SessionMaker) -> None:
    shown = await driver.send("/profil")
    assert shown[0].text == ID("profile.none")
    shown = await driver.send("/bantuan")
    assert "/start — " + ID("command.start") in shown[0].text
    assert "/profil" not in shown[0].text

    await register_in_indonesian(driver)
    shown = await driver.send("/bantuan")
    assert "/profil — " + ID("command.profile") in shown[0].text
    assert "/batal" not in shown[0].text

    shown = await driver.send("/ubah")
    assert last(shown).text == ID("edit.pick")
    shown = await driver.press(ID("field.library_name"))
    assert ID("edit.current", value="Perpustakaan Desa Sukamaju") in last(shown).text
    shown = await driver.send("/bantuan")
    assert "/batal — " + ID("command.cancel") in shown[0].text
    shown = await driver.send("Perpustakaan Desa Loa Janan")
    assert shown[0].text == ID("edit.saved", field=ID("field.library_name"))
    assert "• Nama perpustakaan: Perpustakaan Desa Loa Janan" in shown[1].text

    await driver.send("/ubah")
    await driver.press(ID("field.province"))
    shown = await driver.send("/batal")
    assert last(shown).text == ID("cancel.done")
    _, participant = await stored(sessions, driver)
    assert participant.library_name == "Perpustakaan Desa Loa Janan"
    assert participant.province == "Kalimantan Timur"

    shown = await driver.send("/batal")
    assert last(shown).text == ID("cancel.nothing")
    shown = await driver.send("halo")
    assert last(shown).text == ID("idle.registered")


async def test_cancel_mid_registration_discards_unsaved_answers(
    driver: Driver, sessions: SessionMaker
) -> None:
    await agree_in_indonesian(driver)
    await driver.send("Budi Santoso")
    shown = await driver.send("/batal")
    assert last(shown).text == ID("cancel.registration")
    conversation, _ = await stored(sessions, driver)
    assert (conversation.flow, conversation.step, conversation.state) == (None, None, {})
    shown = await driver.send("/start")
    assert last(shown).text == ID("ask.full_name")


async def test_declining_consent_stores_nothing_personal(
    driver: Driver, sessions: SessionMaker
) -> None:
    await driver.send("/start")
    await driver.press("Bahasa Indonesia")
    shown = await driver.press(ID("consent.decline"))
    assert shown == [Shown(ID("consent.declined"))]
    shown = await driver.send("Budi Santoso")  # a name typed anyway is not kept
    assert shown[0].text == ID("invalid.use_buttons")
    notice = ID(
        "consent.event_text",
        version=CONSENT_VERSION,
        organizer=DEMO_ORGANIZER,
        kept=ID("consent.kept_years", years=10),
    )
    assert last(shown) == Shown(notice, (ID("consent.agree"), ID("consent.decline")))
    conversation, participant = await stored(sessions, driver)
    assert personal(participant) == {}
    assert "Budi" not in str(conversation.state)
    async with sessions() as session:
        assert (await session.execute(select(Consent))).first() is None
    shown = await driver.press(ID("consent.agree"))
    assert last(shown).text == ID("ask.full_name")


async def test_erasing_personal_data_keeps_only_the_withdrawn_consent(
    driver: Driver, sessions: SessionMaker
) -> None:
    await register_in_indonesian(driver)
    shown = await driver.send("/hapus")
    assert last(shown).buttons == (ID("erase.yes"), ID("erase.no"))
    shown = await driver.press(ID("erase.no"))
    assert shown[0].text == ID("erase.kept")
    assert last(shown).buttons == REGISTERED_MENU
    await driver.send("/hapus")
    shown = await driver.press(ID("erase.yes"))
    assert last(shown).text == ID("erase.done")
    _, participant = await stored(sessions, driver)
    assert personal(participant) == {}
    assert participant.registered_at is None
    async with sessions() as session:
        assert (await session.execute(select(Enrollment))).first() is None
        consent = (await session.execute(select(Consent))).scalar_one()
    assert consent.person_id is None
    assert consent.withdrawn_at is not None
    shown = await driver.send("/profil")
    assert shown[0].text == ID("profile.none")


async def at_the_province_question(driver: Driver) -> list[Shown]:
    await agree_in_indonesian(driver)
    for answer in ("Budi Santoso", "081234567890", "TBM Pelangi", "TBM"):
        await driver.send(answer)
    return await driver.send("Samarinda")


async def test_provinces_typed_in_part_in_english_or_by_their_number(
    driver: Driver, sessions: SessionMaker
) -> None:
    shown = await at_the_province_question(driver)
    assert last(shown).text == ID("ask.province", page=1, pages=5)
    shown = await driver.send("Kalimantan")
    assert last(shown).text == ID("province.which", count=5)
    assert last(shown).buttons == (
        "Kalimantan Barat",
        "Kalimantan Tengah",
        "Kalimantan Selatan",
        "Kalimantan Timur",
        "Kalimantan Utara",
    )
    shown = await driver.press("Kalimantan Utara")
    assert last(shown).text == ID("ask.library_role")
    conversation, _ = await stored(sessions, driver)
    assert answers(conversation)["province"] == "Kalimantan Utara"


async def test_english_names_and_stable_numbers_for_provinces(driver: Driver) -> None:
    await at_the_province_question(driver)
    shown = await driver.send("East Kalimantan Province")
    assert last(shown).text == ID("ask.library_role")
    shown = await driver.send("Pustakawan")
    shown = await driver.press(ID("summary.fix", field=ID("field.province")))
    assert last(shown).buttons[0] == "Aceh"
    shown = await driver.press(ID("nav.next"))
    assert last(shown).text.startswith(ID("ask.province", page=2, pages=5)[:30])
    # Jawa Barat is the 12th province of the official list, on every page.
    shown = await driver.send("12")
    assert "• Provinsi: Jawa Barat" in last(shown).text


async def test_the_console_numbers_provinces_as_the_official_list_does(
    database_url: str, demo_event: Event
) -> None:
    person = ConsoleDriver(database_url)
    try:
        await at_the_province_question(person)
        blocks = await person.console.submit(ID("nav.next"))
        assert "\n  9. Bengkulu\n" in blocks[-1]
        assert f"\n  • {ID('nav.previous')}\n" in blocks[-1]
        shown = await person.send("21")  # typed from any page
        assert last(shown).text == ID("ask.library_role")
    finally:
        await person.close()
