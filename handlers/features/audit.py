"""``/audit``: the log of privileged actions, for the organisers of the event they look
at (that event's entries) and for admins (every event's), newest first, a page at a time.
Participants and trainers are refused. Actor names are looked up as the log is read."""

from handlers.audit_texts import entry_line
from handlers.registry import Command, Feature
from handlers.roles import may
from handlers.staff import refuse, staff_event
from handlers.turn import PAYLOAD_SEPARATOR, Option, Turn
from handlers.types import Reply
from handlers.validation import row_id
from models import Event, RoleName
from models.audit import audit_entries

AUDIT = "catatan"  # button namespace: "catatan|<event id, or 'all'>:<offset>"
EVERY = "all"
PAGE = 10


def payload(event_id: int | None, offset: int) -> str:
    return f"{AUDIT}{PAYLOAD_SEPARATOR}{event_id or EVERY}:{offset}"


async def show_audit(turn: Turn) -> None:
    if turn.is_admin:
        await show_page(turn, None, 0)
        return
    event = await staff_event(turn, RoleName.ORGANIZER)
    if event is not None:
        await show_page(turn, event, 0)


async def show_page(turn: Turn, event: Event | None, offset: int) -> None:
    """A page of ``event``'s entries (None: every event's, for admins) from ``offset``."""
    t = turn.t
    event_id = event.id if event is not None else None
    rows = await audit_entries(turn.session, event_id, limit=PAGE + 1, offset=offset)
    if not rows:
        turn.say("audit.none" if offset == 0 else "audit.no_more")
        return
    title = t("audit.title", event=event.name) if event is not None else t("audit.title_all")
    lines = [title, ""]
    lines += [entry_line(t, row, with_event=event is None) for row in rows[:PAGE]]
    if len(rows) > PAGE:
        older = Option(payload(event_id, offset + PAGE), t("audit.older"))
        turn.offer("\n".join(lines), [older])
    else:
        turn.replies.append(Reply("\n".join(lines)))


async def audit_button(turn: Turn, value: str) -> bool:
    """The next page; asked again of whoever presses it (roles change, buttons stay)."""
    event_part, _, offset_part = value.partition(":")
    offset = row_id(offset_part)
    if offset is None:
        return False
    if event_part == EVERY:
        if not turn.is_admin:
            await refuse(turn, RoleName.ORGANIZER, None)
            return True
        await show_page(turn, None, offset)
        return True
    event_id = row_id(event_part)
    event = await turn.session.get(Event, event_id) if event_id is not None else None
    if event is None:
        return False
    if not await may(turn, event, RoleName.ORGANIZER):
        await refuse(turn, RoleName.ORGANIZER, event)
        return True
    await show_page(turn, event, offset)
    return True


FEATURE = Feature(
    commands=(
        Command(
            "audit",
            {"id": "audit", "en": "audit"},
            show_audit,
            order=76,
            needs=RoleName.ORGANIZER,
            aliases=("catatan",),
        ),
    ),
    buttons={AUDIT: audit_button},
)
