"""``/dataku`` (``/mydata``): everything stored about the person, as text they can read
and as a JSON file they can take elsewhere (UU PDP No. 27/2022, access and portability).

What is stored is read by ``models.privacy.export``; this only words it. The file is a
few kilobytes (the largest part is survey answers, at most 4,000 characters each), so it
is serialised here as the .ics file is, not by the file writer. A file over
``FILE_BUDGET`` is not sent: the person reads the text and is told so.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import structlog

from handlers.channel_names import channel_name
from handlers.features.schedule import packed
from handlers.flow import repeat_question
from handlers.i18n import Translator
from handlers.profile_fields import display_value, profile_lines
from handlers.registry import Command, Feature, Situation
from handlers.timefmt import format_moment, format_time
from handlers.turn import Turn
from handlers.types import Attachment, Reply
from models.privacy.export import personal_data
from models.privacy.export_schema import PersonalData
from models.surveys.definition import AnswerValue
from models.zones import zone_label

# WhatsApp takes documents of a few kinds only, and JSON is not one of them; as plain text
# it goes on every channel, and the .json name tells a phone or a computer what it is.
MEDIA_TYPE = "text/plain"
# Far above anyone's data (forty survey rounds answered with the longest text a question
# takes come to about 0.35 MB: tests/test_mydata.py), and well under what Telegram (50 MB)
# and WhatsApp (100 MB) take. The file is kept in the outbox until sent.
FILE_BUDGET = 5 * 1024 * 1024
# Where no event gives a zone to read times in: Jakarta's (WIB).
HOME_ZONE = "Asia/Jakarta"
QUOTE_LIMIT = 120  # of a queued message's text in the summary; the file has all of it

log = structlog.get_logger(__name__)


async def send_my_data(turn: Turn) -> None:
    data = await personal_data(turn.session, turn.person_id, turn.now)
    if data is None or data.nothing_stored:
        turn.say("mydata.nothing")
        await repeat_question(turn)
        return
    t = turn.t
    for text in packed(summary(t, turn.locale, data)):
        turn.replies.append(Reply(text))
    content = data.to_json()
    if len(content) > FILE_BUDGET:
        log.warning("mydata_file_too_large", size=len(content), budget=FILE_BUDGET)
        turn.say("mydata.too_large")
    else:
        day = turn.now.astimezone(ZoneInfo(home_zone(data))).date()
        name = t("mydata.filename", date=day.isoformat())
        attachment = Attachment(name, MEDIA_TYPE, content, len(content))
        turn.replies.append(Reply(t("mydata.file_caption"), attachment=attachment))
    await repeat_question(turn)


def home_zone(data: PersonalData) -> str:
    """The zone times that belong to no event are read in: their first event's."""
    return data.events[0].event.timezone if data.events else HOME_ZONE


def summary(t: Translator, locale: str, data: PersonalData) -> list[str]:
    """The sections, each a block the messages are packed from (a block is never cut)."""
    home = home_zone(data)

    def when(moment: datetime, zone: str = home) -> str:
        return format_moment(moment, zone, locale)

    def when_on(moment: datetime, day_of: datetime, zone: str) -> str:
        """The time alone on the day of ``day_of`` (a check-in at its session)."""
        local = ZoneInfo(zone)
        if moment.astimezone(local).date() != day_of.astimezone(local).date():
            return when(moment, zone)
        return f"{format_time(moment, zone)} {zone_label(zone, moment)}"

    def section(title: str, lines: list[str]) -> str:
        return "\n".join([t(title), *(lines or [t("mydata.none")])])

    intro = t("mydata.title", when=when(data.generated_at))
    profile = data.profile
    profile_block = [
        profile_lines(t, profile.model_dump()) if profile else t("mydata.none"),
    ]
    if profile is not None and profile.registered_at is not None:
        profile_block.append(t("mydata.registered_at", when=when(profile.registered_at)))
    language = t(f"mydata.language_{data.language}") if data.language else t("mydata.none")
    channels = [
        t("mydata.channel", channel=channel_name(t, c.channel), since=when(c.linked_at))
        for c in data.channels
    ]
    consents = [
        t(
            "mydata.consent_withdrawn" if c.withdrawn_at else "mydata.consent",
            event=c.event.name if c.event else t("mydata.consent_any_event"),
            version=c.text_version,
            channel=channel_name(t, c.channel),
            agreed=when(c.agreed_at),
            withdrawn=when(c.withdrawn_at) if c.withdrawn_at else "",
        )
        for c in data.consents
    ]
    events = [
        t(
            "mydata.event",
            event=j.event.name,
            code=j.event.code,
            klass=j.class_name or "—",
            since=when(j.enrolled_at, j.event.timezone),
        )
        for j in data.events
    ]
    roles = [
        t(
            "mydata.role_revoked" if r.revoked_at else "mydata.role",
            role=t(f"role.{r.role}"),
            event=r.event.name,
            since=when(r.granted_at, r.event.timezone),
            until=when(r.revoked_at, r.event.timezone) if r.revoked_at else "",
        )
        for r in data.roles
    ]
    attendance: list[str] = []
    for p in data.attendance:
        zone = p.event.timezone
        head = t("mydata.session", session=p.session, start=when(p.session_starts_at, zone))
        if p.checked_in_at is None or p.unmarked_at is not None:
            state = t("mydata.absent")
        else:
            key = "mydata.present_late" if p.late else "mydata.present"
            via = channel_name(t, p.channel) if p.channel else "—"
            state = t(key, at=when_on(p.checked_in_at, p.session_starts_at, zone), channel=via)
        attendance.append(f"{head}\n  {state}")
        for mark in p.manual_marks:
            attendance.append(
                t(
                    f"mydata.mark_{mark.action}",
                    at=when_on(mark.at, p.session_starts_at, zone),
                    reason=mark.reason,
                )
            )
    surveys: list[str] = []
    for s in data.surveys:
        done = (
            t("mydata.submitted", at=when(s.submitted_at)) if s.submitted_at else t("mydata.draft")
        )
        head = t("mydata.survey", title=s.title, event=s.event.name, state=done)
        if s.session:
            head += "\n  " + t("mydata.survey_session", session=s.session)
        surveys.append(head)
        for a in s.answers:
            question = f"{a.question} ({a.subject})" if a.subject else a.question
            shown = ", ".join(a.answer_labels) or answer_text(t, a.answer)
            surveys.append(t("mydata.answer", question=question, answer=shown))
    certificates = [
        t(
            f"mydata.certificate_{c.status}",
            number=c.number,
            code=c.code,
            jp=c.jp,
            event=c.event.name,
        )
        for c in data.certificates
    ]
    queued = [
        t(
            "mydata.queued",
            channel=channel_name(t, q.channel),
            due=when(q.due_at),
            text=quoted(q.text or q.file_name or ""),
        )
        for q in data.outbox
    ]
    reminders = data.reminders
    reminder_lines = [
        t("mydata.reminders_muted", since=when(reminders.muted_since))
        if reminders.muted_since
        else t("mydata.reminders_on"),
        t(
            "mydata.notify_channel",
            channel=channel_name(t, reminders.notify_channel)
            if reminders.notify_channel
            else t("mydata.notify_last"),
        ),
    ]
    roster = [
        t(
            "mydata.roster",
            event=r.event.name,
            name=r.full_name,
            phone=r.phone_e164,
            library=r.library_name or "—",
            library_type=display_value(t, "library_type", r.library_type),
            regency=r.regency or "—",
            klass=r.class_name or "—",
        )
        for r in data.roster
    ]
    return [
        intro,
        section("mydata.profile_title", profile_block),
        section("mydata.language_title", [language]),
        section("mydata.channels_title", channels),
        section("mydata.consents_title", consents),
        section("mydata.events_title", events),
        section("mydata.roles_title", roles),
        section("mydata.attendance_title", attendance),
        section("mydata.surveys_title", surveys),
        section("mydata.certificates_title", certificates),
        section("mydata.outbox_title", queued),
        section("mydata.reminders_title", reminder_lines),
        section("mydata.roster_title", roster),
    ]


def answer_text(t: Translator, value: AnswerValue | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return t("question.yes") if value else t("question.no")
    if isinstance(value, list):
        return ", ".join(value)
    return str(value)


def quoted(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= QUOTE_LIMIT else line[: QUOTE_LIMIT - 1].rstrip() + "…"


def shown(situation: Situation) -> bool:
    """Whoever has something stored: a profile or consent, or a role held (a trainer
    who took an invite without registering)."""
    return situation.has_data or bool(situation.roles)


FEATURE = Feature(
    commands=(
        Command(
            "mydata",
            {"id": "dataku", "en": "mydata"},
            send_my_data,
            order=125,
            channel_menu=True,
            shown=shown,
        ),
    ),
)
