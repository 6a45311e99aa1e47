"""Joining an event: language, event code, consent, the registration questions, summary."""

import hashlib
from collections.abc import Sequence

from sqlmodel import col, select

from handlers.event_choice import enrollment
from handlers.i18n import LOCALES
from handlers.menu import main_menu, profile_menu
from handlers.profile import (
    BY_NAME,
    FIELD_NAMES,
    LIBRARY_TYPES,
    Field,
    display_value,
    profile_lines,
)
from handlers.steps import (
    STEPS,
    Step,
    UnknownChoiceError,
    abandon_side_flow,
    goto,
    interrupted_flow,
    register,
    resume,
    show,
)
from handlers.turn import Option, Turn
from handlers.types import Reply
from handlers.validation import InvalidInputError
from models import Consent, Enrollment, Event, Participant
from models.event import event_by_code
from models.provinces import all_provinces, find_province

REGISTRATION = "registration"
EDIT = "edit"
CONSENT_VERSION = "2026-11"
PROVINCES_PER_PAGE = 8
LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}


async def consent_text(turn: Turn) -> str:
    """The notice as shown, naming who controls the data: the event's organiser."""
    event = await turn.event()
    organizer = (event.organizer or event.name) if event is not None else "—"
    return turn.t("consent.text", version=CONSENT_VERSION, organizer=organizer)


async def is_enrolled(turn: Turn, event: Event) -> bool:
    return await enrollment(turn, event) is not None


async def can_join(turn: Turn, event: Event) -> bool:
    """Open for registration, or already joined (then a closed event stays reachable)."""
    return event.is_open or await is_enrolled(turn, event)


async def find_event(turn: Turn, code: str) -> Event | None:
    """The event this person may join with ``code``."""
    event = await event_by_code(turn.session, code)
    return event if event is not None and await can_join(turn, event) else None


async def start(turn: Turn, code: str) -> None:
    """/start, from a join link (``/start CODE``) or typed."""
    conversation = turn.conversation
    if code:
        event = await find_event(turn, code)
        if event is None:
            turn.say("start.unknown_code")
        else:
            conversation.event_id = event.id
    elif conversation.event_id is None:
        open_events = (await turn.session.execute(select(Event.id).where(col(Event.is_open)))).all()
        if len(open_events) == 1:
            conversation.event_id = open_events[0][0]
    if conversation.flow != REGISTRATION:
        if interrupted_flow(turn) == REGISTRATION:
            abandon_side_flow(turn)  # back to the registration that was under way
        else:
            turn.end_flow()
        conversation.flow = REGISTRATION
    await continue_registration(turn)


async def continue_registration(turn: Turn) -> None:
    """Ask the first thing still missing, or finish."""
    conversation = turn.conversation
    conversation.flow = REGISTRATION
    if conversation.locale is None:
        await goto(turn, REGISTRATION, LanguageStep.name)
        return
    event = await turn.event()
    if event is not None and not await can_join(turn, event):
        # Closed while this person was registering: keep their answers for another event.
        conversation.event_id = None
        turn.say("registration.closed", event=event.name)
        event = None
    if event is None:
        await goto(turn, REGISTRATION, EventCodeStep.name)
        return
    participant = await turn.participant()
    if participant is None:
        await goto(turn, REGISTRATION, ConsentStep.name)
        return
    if participant.registered_at is None:
        answers = conversation.data.get("answers", {})
        missing = [name for name in FIELD_NAMES if name not in answers]
        await goto(turn, REGISTRATION, field_step(missing[0]) if missing else SummaryStep.name)
        return
    already = await is_enrolled(turn, event)
    if not already:
        enroll(turn, participant, event)
    turn.end_flow()
    key = "registration.already" if already else "registration.joined"
    await main_menu(turn, key, name=participant.full_name, event=event.name)


def enroll(turn: Turn, participant: Participant, event: Event) -> None:
    assert participant.id is not None
    assert event.id is not None
    turn.session.add(Enrollment(participant_id=participant.id, event_id=event.id))
    turn.conversation.viewing_event_id = event.id
    turn.memo.clear()


def field_step(name: str) -> str:
    return f"field:{name}"


async def field_answered(turn: Turn, field: str, value: str) -> None:
    conversation = turn.conversation
    if conversation.flow == EDIT:
        participant = await turn.participant()
        if participant is None:
            turn.end_flow()
            await main_menu(turn)
            return
        setattr(participant, field, value)
        participant.updated_at = turn.now
        turn.end_flow()
        turn.say("edit.saved", field=turn.t(f"field.{field}"))
        await profile_menu(turn, participant)
        return
    turn.data_set("answers", {**conversation.data.get("answers", {}), field: value})
    if conversation.data.get("review"):
        await goto(turn, REGISTRATION, SummaryStep.name)
    else:
        await continue_registration(turn)


async def current_value_note(turn: Turn, field: str) -> str:
    """While editing a saved profile, the question also shows what is stored now."""
    if turn.conversation.flow != EDIT:
        return ""
    participant = await turn.participant()
    if participant is None:
        return ""
    value = display_value(turn.t, field, getattr(participant, field))
    return "\n\n" + turn.t("edit.current", value=value)


@register
class LanguageStep(Step):
    name = "language"

    async def prompt(self, turn: Turn) -> tuple[str, Sequence[Option]]:
        # Both texts are in both languages: the person may not read the current one.
        key = "ask.language" if turn.conversation.locale is None else "ask.language_change"
        return turn.t(key), [Option(k, v) for k, v in LANGUAGE_NAMES.items()]

    async def on_choice(self, turn: Turn, value: str) -> None:
        if value not in LOCALES:
            raise UnknownChoiceError(value)
        first_choice = turn.conversation.locale is None
        turn.conversation.locale = value
        participant = await turn.participant()
        if participant is not None:
            participant.locale = value
        if not first_choice:
            turn.say("language.saved")
        if turn.conversation.flow == REGISTRATION:
            await continue_registration(turn)
        elif not await resume(turn):
            turn.end_flow()
            await main_menu(turn)


@register
class EventCodeStep(Step):
    name = "event_code"

    async def prompt(self, turn: Turn) -> tuple[str, Sequence[Option]]:
        return turn.t("ask.event_code"), []

    async def on_text(self, turn: Turn, text: str) -> None:
        event = await find_event(turn, text)
        if event is None:
            turn.say("invalid.event_code")
            return
        turn.conversation.event_id = event.id
        await continue_registration(turn)


@register
class ConsentStep(Step):
    name = "consent"

    async def prompt(self, turn: Turn) -> tuple[str, Sequence[Option]]:
        t = turn.t
        options = [Option("agree", t("consent.agree")), Option("decline", t("consent.decline"))]
        return await consent_text(turn), options

    async def on_choice(self, turn: Turn, value: str) -> None:
        if value == "decline":
            turn.say("consent.declined")  # the question stays: /start shows the notice again
            return
        if value != "agree":
            raise UnknownChoiceError(value)
        participant = Participant(locale=turn.locale, created_at=turn.now, updated_at=turn.now)
        turn.session.add(participant)
        await turn.session.flush()
        text = await consent_text(turn)
        turn.session.add(
            Consent(
                participant_id=participant.id,
                channel=turn.inbound.channel,
                text_version=CONSENT_VERSION,
                locale=turn.locale,
                text_sha256=hashlib.sha256(text.encode()).hexdigest(),
                agreed_at=turn.now,
            )
        )
        turn.conversation.participant_id = participant.id
        turn.conversation.data = {}
        turn.say("consent.thanks")
        await continue_registration(turn)


class TextFieldStep(Step):
    """A question answered by typing (name, phone, library, regency, role)."""

    def __init__(self, field: Field) -> None:
        self.field = field
        self.name = field_step(field.name)  # type: ignore[misc]

    async def prompt(self, turn: Turn) -> tuple[str, Sequence[Option]]:
        note = await current_value_note(turn, self.field.name)
        return turn.t(f"ask.{self.field.name}") + note, []

    def share_phone(self, turn: Turn) -> str | None:
        return turn.t("phone.share") if self.field.name == "phone_e164" else None

    async def on_text(self, turn: Turn, text: str) -> None:
        assert self.field.clean is not None
        try:
            value = self.field.clean(text)
        except InvalidInputError as exc:
            problem = turn.t(exc.key, field=turn.t(f"field.{self.field.name}"), **exc.values)
            turn.replies.append(Reply(problem, share_phone=self.share_phone(turn)))
            return
        await field_answered(turn, self.field.name, value)


for _field in BY_NAME.values():
    if _field.clean is not None:
        _step = TextFieldStep(_field)
        STEPS[_step.name] = _step


@register
class LibraryTypeStep(Step):
    name = field_step("library_type")

    async def prompt(self, turn: Turn) -> tuple[str, Sequence[Option]]:
        t = turn.t
        note = await current_value_note(turn, "library_type")
        options = [Option(v, t(f"library_type.{v}")) for v in LIBRARY_TYPES]
        return t("ask.library_type") + note, options

    async def on_choice(self, turn: Turn, value: str) -> None:
        if value not in LIBRARY_TYPES:
            raise UnknownChoiceError(value)
        await field_answered(turn, "library_type", value)


@register
class ProvinceStep(Step):
    name = field_step("province")

    async def prompt(self, turn: Turn) -> tuple[str, Sequence[Option]]:
        t = turn.t
        provinces = all_provinces()
        pages = (len(provinces) + PROVINCES_PER_PAGE - 1) // PROVINCES_PER_PAGE
        page = min(int(turn.conversation.data.get("province_page", 0)), pages - 1)
        start = page * PROVINCES_PER_PAGE
        options = [Option(p.name, p.name) for p in provinces[start : start + PROVINCES_PER_PAGE]]
        if page > 0:
            options.append(Option(f"page:{page - 1}", t("nav.previous")))
        if page < pages - 1:
            options.append(Option(f"page:{page + 1}", t("nav.next")))
        note = await current_value_note(turn, "province")
        return t("ask.province", page=page + 1, pages=pages) + note, options

    async def on_choice(self, turn: Turn, value: str) -> None:
        page = value.removeprefix("page:")
        if page != value and page.isascii() and page.isdigit():
            turn.data_set("province_page", int(page))
            await show(turn, self)
            return
        province = find_province(value)
        if province is None:
            raise UnknownChoiceError(value)
        await field_answered(turn, "province", province.name)

    async def on_text(self, turn: Turn, text: str) -> None:
        province = find_province(text)
        if province is None:
            turn.say("invalid.province")
            await show(turn, self)
            return
        await field_answered(turn, "province", province.name)


@register
class SummaryStep(Step):
    name = "summary"

    async def prompt(self, turn: Turn) -> tuple[str, Sequence[Option]]:
        t = turn.t
        answers = turn.conversation.data.get("answers", {})
        options = [Option("confirm", t("summary.confirm"))]
        for name in FIELD_NAMES:
            options.append(Option(f"fix:{name}", t("summary.fix", field=t(f"field.{name}"))))
        return t("summary.title", profile=profile_lines(t, answers)), options

    async def on_choice(self, turn: Turn, value: str) -> None:
        if value.startswith("fix:") and value[4:] in FIELD_NAMES:
            turn.data_set("review", True)
            await goto(turn, REGISTRATION, field_step(value[4:]))
            return
        if value != "confirm":
            raise UnknownChoiceError(value)
        answers = turn.conversation.data.get("answers", {})
        participant = await turn.participant()
        event = await turn.event()
        complete = set(answers) == set(FIELD_NAMES)
        if participant is None or event is None or not complete or not event.is_open:
            await continue_registration(turn)
            return
        for name in FIELD_NAMES:
            setattr(participant, name, answers[name])
        participant.locale = turn.locale
        participant.registered_at = participant.updated_at = turn.now
        enroll(turn, participant, event)
        turn.end_flow()
        await main_menu(turn, "registration.done", name=participant.full_name, event=event.name)
