"""What became of an announcement: its delivery report, with buttons to refresh it and to
stop what still waits (after a confirmation); and the event's recent announcements
(``/pengumuman``). The buttons work whenever pressed, each checking that the person still
organises the announcement's event."""

from handlers.broadcast_texts import audience_text, excerpt, report_text, state_text
from handlers.menu import MENU_LIMIT, main_menu
from handlers.registry import Command, Feature
from handlers.roles import may
from handlers.staff import refuse, staff_event
from handlers.turn import PAYLOAD_SEPARATOR, Option, Turn, short_label
from handlers.validation import row_id
from models import Broadcast, Event, RoleName
from models.audit import Actor
from models.broadcasts import (
    BroadcastStatus,
    Cancelled,
    cancel_broadcast,
    recent_broadcasts,
    report,
    reports_of,
)

# Button namespace: "umumkan|report:<id>", "umumkan|cancel:<id>", "umumkan|stop:<id>"
# (the confirmed cancel), "umumkan|list:<event id>".
ANNOUNCEMENT = "umumkan"
REPORT, CANCEL, STOP, LIST = "report", "cancel", "stop", "list"


def payload(action: str, ident: int | None) -> str:
    return f"{ANNOUNCEMENT}{PAYLOAD_SEPARATOR}{action}:{ident}"


async def show_report(turn: Turn, event: Event, broadcast: Broadcast) -> None:
    """The report, with a button to see it again as it moves on, and one to stop what
    still waits."""
    assert broadcast.id is not None
    t = turn.t
    found = await report(turn.session, broadcast.id)
    options = [Option(payload(REPORT, broadcast.id), t("broadcast.refresh"))]
    if broadcast.status != BroadcastStatus.CANCELLED and found.waiting:
        options.append(Option(payload(CANCEL, broadcast.id), t("broadcast.cancel")))
    options.append(Option(payload(LIST, event.id), t("broadcast.list")))
    turn.offer(report_text(t, event, broadcast, found, turn.now), options)


async def list_broadcasts(turn: Turn, event: Event) -> None:
    assert event.id is not None
    t = turn.t
    recent = await recent_broadcasts(turn.session, event.id, limit=MENU_LIMIT)
    if not recent:
        await main_menu(turn, "broadcast.list_empty", event=event.name)
        return
    reports = await reports_of(turn.session, [b.id for b in recent if b.id is not None])
    lines = [t("broadcast.list_title", event=event.name)]
    options = []
    for broadcast in recent:
        assert broadcast.id is not None
        found = reports[broadcast.id]
        lines.append(
            t(
                "broadcast.list_line",
                number=broadcast.id,
                state=state_text(t, event, broadcast, turn.now),
                audience=audience_text(t, broadcast.spec),
                sent=found.sent,
                total=found.total,
                excerpt=excerpt(t, broadcast),
            )
        )
        label = short_label(f"#{broadcast.id} {excerpt(t, broadcast)}")
        options.append(Option(payload(REPORT, broadcast.id), label))
    turn.offer("\n".join(lines), options)


async def list_command(turn: Turn) -> None:
    event = await staff_event(turn, RoleName.ORGANIZER)
    if event is not None:
        await list_broadcasts(turn, event)


async def announcement_button(turn: Turn, value: str) -> bool:
    """A button of a report or a list; False when it names nothing this person was shown."""
    action, _, ident = value.partition(":")
    number = row_id(ident)
    if number is None or action not in {REPORT, CANCEL, STOP, LIST}:
        return False
    if action == LIST:
        event = await turn.session.get(Event, number)
        broadcast = None
    else:
        broadcast = await turn.session.get(Broadcast, number)
        event = await turn.session.get(Event, broadcast.event_id) if broadcast else None
        if broadcast is not None and broadcast.status == BroadcastStatus.DRAFT:
            return False  # never shown to anyone: drafts have no report
    if event is None:
        return False
    if not await may(turn, event, RoleName.ORGANIZER):
        await refuse(turn, RoleName.ORGANIZER, event)
        return True
    if broadcast is None:
        await list_broadcasts(turn, event)
    elif action == REPORT:
        await show_report(turn, event, broadcast)
    elif action == CANCEL:
        await ask_to_cancel(turn, event, broadcast)
    else:
        await cancel(turn, event, broadcast)
    return True


async def ask_to_cancel(turn: Turn, event: Event, broadcast: Broadcast) -> None:
    assert broadcast.id is not None
    t = turn.t
    found = await report(turn.session, broadcast.id)
    if broadcast.status == BroadcastStatus.CANCELLED or not found.waiting:
        await cancel(turn, event, broadcast)  # says why there is nothing to stop
        return
    turn.offer(
        t("broadcast.confirm_cancel", number=broadcast.id, waiting=found.waiting),
        [
            Option(payload(STOP, broadcast.id), t("broadcast.yes_cancel")),
            Option(payload(REPORT, broadcast.id), t("broadcast.keep")),
        ],
    )


async def cancel(turn: Turn, event: Event, broadcast: Broadcast) -> None:
    assert broadcast.id is not None
    done = await cancel_broadcast(
        turn.session, broadcast.id, turn.now, actor=Actor.person(turn.person_id)
    )
    if done is not None:
        if done.outcome is Cancelled.CANCELLED:
            turn.say("broadcast.cancel_done", number=broadcast.id, rows=done.rows)
        elif done.outcome is Cancelled.ALREADY:
            turn.say("broadcast.cancel_already", number=broadcast.id)
        else:
            turn.say("broadcast.cancel_finished", number=broadcast.id)
    await show_report(turn, event, broadcast)


FEATURE = Feature(
    commands=(
        Command(
            "broadcasts",
            {"id": "pengumuman", "en": "announcements"},
            list_command,
            order=56,
            needs=RoleName.ORGANIZER,
        ),
    ),
    buttons={ANNOUNCEMENT: announcement_button},
)
