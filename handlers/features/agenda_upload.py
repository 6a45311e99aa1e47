"""Organisers load the agenda by sending the spreadsheet to the bot (``/impor`` explains
how, with the template). A file that would remove sessions shows what would change and
waits for a yes; the file waits in the database meanwhile, not in the conversation."""

from contextlib import suppress

from pydantic import BaseModel, Field

from handlers.agenda_texts import problems_text, report_text
from handlers.event_choice import current_event
from handlers.features.change_notice import offer_change_notice
from handlers.flow import Flow, interrupt, leave_side_flow, repeat_question
from handlers.questions import Answer, Kind, Msg, Question, QuestionStep
from handlers.registry import Command, Feature
from handlers.roles import may
from handlers.staff import staff_event
from handlers.turn import Turn
from handlers.types import Attachment, Reply
from handlers.written_files import XLSX
from models import Event, RoleName, Upload
from models.agenda_import import (
    AgendaFileError,
    import_agenda,
    read_file_off_loop,
    template_xlsx,
)
from models.audit import Actor
from models.event import event_by_code
from models.uploads import forget_upload, keep_upload, new_upload


class ImportState(BaseModel):
    upload_id: int | None = None
    event_id: int | None = None
    removing: list[int] = Field(default_factory=list)  # the sessions the preview showed going


def template_attachment() -> Attachment:
    # Excel rather than CSV: it opens the same on every phone, whatever the list separator.
    content = template_xlsx()
    return Attachment("jadwal-template.xlsx", XLSX, content, len(content))


async def explain_import(turn: Turn) -> None:
    event = await staff_event(turn, RoleName.ORGANIZER)
    if event is None:
        return
    text = turn.t("import.how", event=event.name, code=event.code)
    turn.replies.append(Reply(text, attachment=template_attachment()))


async def upload_event(turn: Turn) -> Event | None:
    """The event a file is for: one the caption names and this person organises, else
    the event they are looking at, if they organise it."""
    for word in turn.inbound.text.replace(",", " ").split():
        named = await event_by_code(turn.session, word)
        if named is not None and await may(turn, named, RoleName.ORGANIZER):
            return named
    event = await current_event(turn)
    return event if event is not None and await may(turn, event, RoleName.ORGANIZER) else None


class ReadAgendaAhead:
    """An organiser's spreadsheet is parsed before the message's transaction starts."""

    async def wanted(self, turn: Turn) -> bool:
        return await upload_event(turn) is not None

    async def read(self, attachment: Attachment) -> None:
        if attachment.content is None:
            return
        with suppress(AgendaFileError):  # refusals are kept too, and said in the turn
            await read_file_off_loop(attachment.filename, attachment.content)


async def receive_file(turn: Turn) -> bool:
    attachment = turn.inbound.attachment
    event = await upload_event(turn)
    if event is None:
        # Only organisers send files to the bot; say so, and go on with any question.
        turn.say("import.not_organizer")
        await repeat_question(turn)
        return True
    if attachment is None or attachment.content is None:
        turn.say("import.unreadable")
        await repeat_question(turn)
        return True
    # A newer file replaces any upload still waiting for its confirmation.
    assert event.id is not None
    upload = new_upload(
        turn.person_id,
        event.id,
        attachment.filename,
        attachment.media_type,
        attachment.content,
        turn.now,
    )
    await load_upload(turn, event, upload, confirmed=None)
    return True


async def load_upload(
    turn: Turn, event: Event, upload: Upload, confirmed: list[int] | None
) -> None:
    """Import the file, unless it would remove sessions other than the ``confirmed`` ones
    (None: none confirmed yet): then show what would change and ask first. Asking again
    at confirmation catches a change made to the agenda meanwhile."""
    t = turn.t
    try:
        preview = await import_agenda(
            turn.session, event, upload.filename, upload.content, apply=False
        )
    except AgendaFileError as exc:
        text = t("import.refused", event=event.name) + "\n\n"
        turn.replies.append(Reply(text + problems_text(t, exc.problems, limit=None)))
        turn.say("import.agenda_untouched")
        if confirmed is None:
            await repeat_question(turn)  # an upload waiting for a yes still waits
        else:
            await done_with_upload(turn)
        return
    removing = sorted(s.id for s in preview.removed if s.id is not None)
    if not removing or removing == confirmed:
        report = await import_agenda(
            turn.session, event, upload.filename, upload.content,
            actor=Actor.person(turn.person_id),
        )  # fmt: skip
        turn.say("import.done", report=report_text(t, event, report))
        if not await offer_change_notice(turn, event, report):
            await done_with_upload(turn)
        return
    summary = report_text(t, event, preview, applied=False)
    turn.say("import.preview", report=summary, event=event.name, removed=len(removing))
    await keep_upload(turn.session, upload)
    state = IMPORT.fresh_state(turn)
    state.upload_id, state.event_id, state.removing = upload.id, event.id, removing
    await interrupt(turn, CONFIRM)


async def done_with_upload(turn: Turn) -> None:
    """Back to what was under way: the question an upload to confirm interrupted, any
    other question, or the menu."""
    if turn.conversation.flow == IMPORT.name:
        await leave_side_flow(turn)
    else:
        await repeat_question(turn)


async def drop_upload(turn: Turn, state: ImportState) -> None:
    """The file waited for a decision; whatever the decision, it waits no more."""
    await forget_upload(turn.session, state.upload_id)


async def confirmed(turn: Turn, state: ImportState, value: Answer) -> None:
    upload = await turn.session.get(Upload, state.upload_id) if state.upload_id else None
    event = await turn.session.get(Event, state.event_id) if state.event_id else None
    if value is not True or upload is None or event is None:
        turn.say("import.cancelled")
    elif not await may(turn, event, RoleName.ORGANIZER):
        turn.say("staff.organizer_only", event=event.name)
    else:
        await load_upload(turn, event, upload, state.removing)
        return
    await done_with_upload(turn)


async def naming_the_file(turn: Turn, state: ImportState, text: str) -> str:
    upload = await turn.session.get(Upload, state.upload_id) if state.upload_id else None
    event = await turn.session.get(Event, state.event_id) if state.event_id else None
    return turn.t(
        "import.confirm",
        file=upload.filename if upload is not None else "-",
        event=event.name if event is not None else "-",
    )


CONFIRM = QuestionStep[ImportState](
    Question(
        "confirm",
        Kind.YES_NO,
        Msg("import.confirm"),
        yes_label=Msg("import.apply"),
        no_label=Msg("import.cancel"),
    ),
    confirmed,
    wording=naming_the_file,
)
IMPORT: Flow[ImportState] = Flow("import", ImportState, [CONFIRM], side=True, on_end=drop_upload)

FEATURE = Feature(
    commands=(
        Command(
            "import",
            {"id": "impor", "en": "import"},
            explain_import,
            order=65,
            needs=RoleName.ORGANIZER,
        ),
    ),
    flows=(IMPORT,),
    files=receive_file,
    read_ahead=ReadAgendaAhead(),
)
