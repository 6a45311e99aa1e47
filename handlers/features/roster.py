"""The roster in the chat, for an event's organisers: ``/peserta`` shows where it stands,
with buttons to import it, to list who has not registered yet and to download the
participants (XLSX); ``/peserta_impor`` sends the template and waits for the file, shows
what it holds (counts, classes, names found twice) and saves it after a yes. The file is
read before its message's transaction, in the reader process; while it waits for the
yes, its bytes wait in the database (models/uploads.py), not in the conversation."""

from contextlib import suppress

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import col, select

from handlers.flow import (
    Flow,
    Prompt,
    Step,
    UnknownChoiceError,
    goto,
    interrupt,
    leave_side_flow,
    show,
)
from handlers.questions import Answer, Kind, Msg, Question, QuestionStep
from handlers.registry import Command, Feature
from handlers.roles import may
from handlers.roster_texts import export_table, missing_text, reach_text, report_text
from handlers.roster_texts import roster_problems_text as problems_text
from handlers.staff import refuse, staff_event
from handlers.turn import MENU, PAYLOAD_SEPARATOR, Option, Turn
from handlers.types import Attachment, Reply
from handlers.validation import row_id
from handlers.written_files import XLSX, send_written_file
from models import Enrollment, Event, RoleName, Upload
from models.audit import Actor, ExportKind, record_export
from models.roster.apply import import_roster_file
from models.roster.columns import RosterFileError, template_xlsx
from models.roster.export import participants
from models.roster.reader import read_roster_off_loop
from models.roster.status import Reach, roster_lines
from models.spreadsheet.writing import table_xlsx_off_loop
from models.uploads import forget_upload, keep_upload, new_upload

ROSTER = "peserta"  # button namespace: "peserta|import:<event id>", "|missing:", "|xlsx:"
ACTIONS = ("import", "missing", "xlsx")


def payload(action: str, event: Event) -> str:
    return f"{ROSTER}{PAYLOAD_SEPARATOR}{action}:{event.id}"


class RosterImportState(BaseModel):
    event_id: int | None = None
    upload_id: int | None = None  # the file shown, waiting for the yes


# --- where the roster stands ------------------------------------------------------------


async def enrolled_count(turn: Turn, event: Event) -> int:
    found = await turn.session.execute(
        select(func.count()).where(col(Enrollment.event_id) == event.id)
    )
    return int(found.scalar_one())


async def overview(turn: Turn, event: Event) -> None:
    assert event.id is not None
    t = turn.t
    reach = Reach.of(await roster_lines(turn.session, event.id))
    options = [Option(payload("import", event), t("roster.button_import"))]
    if reach.total:
        options.append(Option(payload("missing", event), t("roster.button_missing")))
    options.append(Option(payload("xlsx", event), t("roster.button_export")))
    turn.offer(reach_text(t, event, reach, await enrolled_count(turn, event)), options)


async def show_roster(turn: Turn) -> None:
    """/peserta"""
    event = await staff_event(turn, RoleName.ORGANIZER)
    if event is not None:
        await overview(turn, event)


async def show_missing(turn: Turn, event: Event) -> None:
    """Who on the roster has not registered, and how to remind them."""
    assert event.id is not None
    t = turn.t
    lines = await roster_lines(turn.session, event.id)
    text = missing_text(t, event, lines)
    reach = Reach.of(lines)
    options = [Option(payload("xlsx", event), t("roster.button_export"))]
    if reach.known:
        text += "\n\n" + t("roster.remind_known", count=reach.known)
        options.insert(0, Option(f"{MENU}{PAYLOAD_SEPARATOR}broadcast", t("menu.broadcast")))
    if reach.unknown:
        text += "\n\n" + t("roster.remind_unknown", count=reach.unknown, code=event.code)
        on_telegram = turn.deployment.start_link(event.code)
        if on_telegram is not None:
            text += f"\n{on_telegram}"
        on_whatsapp = turn.deployment.whatsapp_link(event.code)
        if on_whatsapp is not None:
            text += "\n" + t("join.whatsapp_link", link=on_whatsapp)
    turn.offer(text, options)


async def send_export(turn: Turn, event: Event) -> None:
    """The participants export, written in the writer process, as a document."""
    assert event.id is not None
    t = turn.t
    people = await participants(turn.session, event.id)
    record_export(
        turn.session,
        Actor.person(turn.person_id),
        event_id=event.id,
        what=ExportKind.PARTICIPANTS,
        rows=len(people),
        formats=["xlsx"],
        at=turn.now,
    )
    headers, rows = export_table(t, event, people)
    registered = sum(1 for person in people if person.registered_at is not None)
    caption = t(
        "roster.export_caption",
        event=event.name,
        registered=registered,
        missing=len(people) - registered,
    )
    send_written_file(
        turn,
        lambda: table_xlsx_off_loop(t("roster.sheet_title"), headers, rows),
        filename=f"peserta-{event.code}.xlsx",
        caption=caption,
        too_large=t("roster.export_too_big", rows=len(rows), code=event.code),
        failed=t("roster.export_failed"),
    )


# --- importing a file ---------------------------------------------------------------------


def template_attachment() -> Attachment:
    content = template_xlsx()
    return Attachment("peserta-template.xlsx", XLSX, content, len(content))


async def ask_for_file(turn: Turn, event: Event) -> None:
    text = turn.t("roster.import_how", event=event.name, code=event.code)
    turn.replies.append(Reply(text, attachment=template_attachment()))
    state = ROSTER_IMPORT.fresh_state(turn)
    state.event_id = event.id
    await interrupt(turn, FILE)


async def start_import(turn: Turn) -> None:
    """/peserta_impor"""
    event = await staff_event(turn, RoleName.ORGANIZER)
    if event is not None:
        await ask_for_file(turn, event)


async def import_event(turn: Turn, state: RosterImportState) -> Event | None:
    """The event of the import under way, if this person still organises it; if not,
    says so and leaves the import."""
    event = await turn.session.get(Event, state.event_id) if state.event_id else None
    if event is not None and await may(turn, event, RoleName.ORGANIZER):
        return event
    await refuse(turn, RoleName.ORGANIZER, event)
    await leave_side_flow(turn, show_menu=False)
    return None


CANCEL = "cancel"


async def refused(turn: Turn, event: Event, error: RosterFileError) -> None:
    """Every problem of the file, and the question for another one."""
    t = turn.t
    text = t("roster.refused", event=event.name) + "\n\n"
    turn.replies.append(Reply(text + problems_text(t, error.problems, limit=None)))
    await goto(turn, FILE)


class FileStep(Step[RosterImportState]):
    """Waits for the roster file; a file with problems is refused with all of them, and
    a corrected one is waited for."""

    name = "file"
    takes_text = True  # anything typed is told that a file is awaited
    takes_files = True

    async def prompt(self, turn: Turn, state: RosterImportState) -> Prompt:
        event = await turn.session.get(Event, state.event_id) if state.event_id else None
        text = turn.t("roster.ask_file", event=event.name if event is not None else "-")
        return Prompt(text, [Option(CANCEL, turn.t("roster.cancel"))])

    async def on_choice(self, turn: Turn, state: RosterImportState, value: str) -> None:
        if value != CANCEL:
            raise UnknownChoiceError(value)
        turn.say("roster.cancelled")
        await leave_side_flow(turn)

    async def on_text(self, turn: Turn, state: RosterImportState, text: str) -> None:
        turn.say("roster.not_a_file")
        await show(turn, self)

    async def read_ahead(self, attachment: Attachment) -> None:
        if attachment.content is not None:
            with suppress(RosterFileError):  # refusals are kept too, and said in the turn
                await read_roster_off_loop(attachment.filename, attachment.content)

    async def on_file(
        self, turn: Turn, state: RosterImportState, attachment: Attachment, caption: str
    ) -> None:
        event = await import_event(turn, state)
        if event is None:
            return
        if attachment.content is None:  # the channel did not fetch it: too big
            turn.say("roster.unreadable")
            await show(turn, self)
            return
        t = turn.t
        try:
            report = await import_roster_file(
                turn.session, event, attachment.filename, attachment.content, apply=False
            )
        except RosterFileError as exc:
            await refused(turn, event, exc)
            return
        assert event.id is not None
        upload = new_upload(
            turn.person_id,
            event.id,
            attachment.filename,
            attachment.media_type,
            attachment.content,
            turn.now,
        )
        await keep_upload(turn.session, upload)
        state.upload_id = upload.id
        turn.replies.append(Reply(report_text(t, event, attachment.filename, report)))
        await goto(turn, CONFIRM)


async def confirmed(turn: Turn, state: RosterImportState, value: Answer) -> None:
    upload = await turn.session.get(Upload, state.upload_id) if state.upload_id else None
    if value is not True or upload is None:
        turn.say("roster.cancelled")
        await leave_side_flow(turn)
        return
    event = await import_event(turn, state)
    if event is None:
        return
    try:
        report = await import_roster_file(
            turn.session, event, upload.filename, upload.content,
            actor=Actor.person(turn.person_id),
        )  # fmt: skip
    except RosterFileError as exc:  # the event changed meanwhile (its classes, say)
        await refused(turn, event, exc)
        return
    turn.say("roster.saved", event=event.name, count=report.count)
    await leave_side_flow(turn, show_menu=False)
    await overview(turn, event)


async def naming_the_file(turn: Turn, state: RosterImportState, text: str) -> str:
    event = await turn.session.get(Event, state.event_id) if state.event_id else None
    return turn.t("roster.confirm", event=event.name if event is not None else "-")


async def drop_upload(turn: Turn, state: RosterImportState) -> None:
    """The file waited for a decision; whatever the decision, it waits no more."""
    await forget_upload(turn.session, state.upload_id)


FILE = FileStep()
CONFIRM = QuestionStep[RosterImportState](
    Question(
        "confirm",
        Kind.YES_NO,
        Msg("roster.confirm"),
        yes_label=Msg("roster.apply"),
        no_label=Msg("roster.cancel"),
    ),
    confirmed,
    wording=naming_the_file,
)
ROSTER_IMPORT: Flow[RosterImportState] = Flow(
    "roster_import",
    RosterImportState,
    [FILE, CONFIRM],
    side=True,
    cancelled="roster.cancelled",
    on_end=drop_upload,
)


async def roster_button(turn: Turn, value: str) -> bool:
    """``peserta|<action>:<event id>``: the event is in the button."""
    action, _, ident = value.partition(":")
    number = row_id(ident)
    event = await turn.session.get(Event, number) if number is not None else None
    if action not in ACTIONS or event is None:
        return False
    if not await may(turn, event, RoleName.ORGANIZER):
        await refuse(turn, RoleName.ORGANIZER, event)
        return True
    if action == "import":
        await ask_for_file(turn, event)
    elif action == "missing":
        await show_missing(turn, event)
    else:
        await send_export(turn, event)
    return True


FEATURE = Feature(
    commands=(
        Command(
            "participants",
            {"id": "peserta", "en": "participants"},
            show_roster,
            order=62,
            needs=RoleName.ORGANIZER,
        ),
        Command(
            "participants_import",
            {"id": "peserta_impor", "en": "participants_import"},
            start_import,
            order=66,
            needs=RoleName.ORGANIZER,
        ),
    ),
    flows=(ROSTER_IMPORT,),
    buttons={ROSTER: roster_button},
)
