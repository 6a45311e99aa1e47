"""``/sertifikat``: a participant gets their certificate again, or hears what is missing;
an organiser sees who qualifies and who does not (and why), issues to everyone who
qualifies, issues by hand with a reason, and revokes with a reason.

Issuing records the certificates (numbers and codes) in the turn's transaction; their
PDFs are drawn and sent by the periodic round (scheduler/certificates.py), within a
minute, so that no message waits on drawing hundreds of papers."""

from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from handlers.certificate_delivery import PDF, caption
from handlers.certificate_texts import missing_text, progress_text, rule_text
from handlers.event_choice import current_event
from handlers.flow import Flow, goto, interrupt, leave_side_flow
from handlers.menu import main_menu
from handlers.questions import Answer, Kind, Msg, Question, QuestionStep
from handlers.registry import Command, Feature, Situation
from handlers.roles import may
from handlers.staff import refuse
from handlers.timefmt import format_date
from handlers.turn import PAYLOAD_SEPARATOR, Option, Turn
from handlers.types import Attachment, Reply
from handlers.validation import InvalidInputError, phone_e164, row_id
from models import Event, RoleName
from models.agenda import agenda
from models.certificates.sources import attendance_source
from models.certificates.standing import (
    ByHand,
    Standing,
    event_end,
    holder,
    issue_by_hand,
    issue_qualifying,
    standings,
)
from models.certificates.store import (
    Certificate,
    by_code,
    by_number,
    checked_reason,
    issue,
    revoke,
    settings_of,
)

CERTIFICATE = "sertifikat"  # "sertifikat|all:3", "sertifikat|confirm-all:3", ...
LIST_LINES = 25  # per section of the organiser's list; the command line lists all
MATCHES_SHOWN = 8


def payload(action: str, event_id: int | None) -> str:
    return f"{CERTIFICATE}{PAYLOAD_SEPARATOR}{action}:{event_id}"


async def show_certificate(turn: Turn) -> None:
    event = await current_event(turn)
    if event is None or event.id is None:
        await main_menu(turn, "certificate.no_event")
        return
    if await may(turn, event, RoleName.ORGANIZER):
        await organiser_view(turn, event)
    else:
        await participant_view(turn, event)


# --- a participant ----------------------------------------------------------------------


def paper_reply(turn: Turn, certificate: Certificate) -> Reply:
    assert certificate.pdf is not None
    name = f"sertifikat-{certificate.seq:03d}.pdf"
    attachment = Attachment(name, PDF, certificate.pdf, len(certificate.pdf))
    return Reply(caption(turn.t, certificate), attachment=attachment)


async def participant_view(turn: Turn, event: Event) -> None:
    assert event.id is not None
    found = await standings(turn.session, attendance_source(), event, turn.person_id)
    if not found:
        await main_menu(turn, "certificate.not_enrolled", event=event.name)
        return
    standing = found[0]
    certificate = standing.certificate
    if certificate is not None:
        if certificate.revoked:
            turn.say(
                "certificate.revoked_yours",
                number=certificate.number,
                reason=certificate.revoked_reason or "-",
            )
        elif certificate.pdf is not None:
            turn.replies.append(paper_reply(turn, certificate))
        else:
            turn.say("certificate.preparing", number=certificate.number)
        return
    rule = (await settings_of(turn.session, event.id)).rule()
    end = event_end(event, (await agenda(turn.session, event)).items)
    over = turn.now >= end
    verdict = standing.verdict
    if verdict.qualifies and over and rule.automatic:
        [issued] = await issue(turn.session, event, [holder(standing)], turn.now, issued_by="auto")
        turn.say("certificate.preparing", number=issued.number)
    elif verdict.qualifies and over:
        turn.say("certificate.qualified_wait", event=event.name)
    elif verdict.qualifies:
        day = last_day(turn, event, end)
        turn.say("certificate.qualified_after_end", event=event.name, day=day)
    elif over:
        turn.say(
            "certificate.not_qualified", event=event.name,
            missing=missing_text(turn.t, rule, verdict),
        )  # fmt: skip
    else:
        day = last_day(turn, event, end)
        turn.say(
            "certificate.not_over", event=event.name, day=day,
            progress=progress_text(turn.t, rule, verdict),
        )  # fmt: skip


def last_day(turn: Turn, event: Event, end: datetime) -> str:
    return format_date(end.astimezone(ZoneInfo(event.timezone)).date(), turn.locale)


# --- an organiser -----------------------------------------------------------------------


def _capped(turn: Turn, heading: str, lines: list[str], code: str) -> list[str]:
    if not lines:
        return []
    shown = [heading, *lines[:LIST_LINES]]
    if len(lines) > LIST_LINES:
        shown.append(turn.t("certificate.list.more", count=len(lines) - LIST_LINES, code=code))
    return shown


def _who(standing: Standing) -> str:
    p = standing.participant
    return f"{p.full_name} ({p.class_name})" if p.class_name else p.full_name


async def organiser_view(turn: Turn, event: Event) -> None:
    assert event.id is not None
    t = turn.t
    rule = (await settings_of(turn.session, event.id)).rule()
    everyone = await standings(turn.session, attendance_source(), event)
    issued = [s for s in everyone if s.certificate is not None and not s.certificate.revoked]
    revoked = [s for s in everyone if s.certificate is not None and s.certificate.revoked]
    waiting = [s for s in everyone if s.waiting]
    short = [s for s in everyone if s.certificate is None and not s.verdict.qualifies]
    lines = [t("certificate.list.title", event=event.name), rule_text(t, rule), ""]
    lines.append(
        t("certificate.list.counts", issued=len(issued), revoked=len(revoked),
          waiting=len(waiting), short=len(short))
    )  # fmt: skip
    code = event.code
    lines += _capped(turn, t("certificate.list.waiting"), [_who(s) for s in waiting], code)
    lines += _capped(
        turn,
        t("certificate.list.short"),
        [f"{_who(s)} — {missing_text(t, rule, s.verdict, short=True)}" for s in short],
        code,
    )
    lines += _capped(
        turn,
        t("certificate.list.issued"),
        [
            f"{s.certificate.number} {_who(s)}"
            + (f" — {t('certificate.status.revoked')}" if s.certificate.revoked else "")
            for s in issued + revoked
            if s.certificate is not None
        ],
        code,
    )
    options = []
    if waiting:
        options.append(
            Option(payload("all", event.id), t("certificate.issue_all", count=len(waiting)))
        )
    options.append(Option(payload("hand", event.id), t("certificate.issue_hand")))
    if issued:
        options.append(Option(payload("revoke", event.id), t("certificate.revoke")))
    turn.offer("\n".join(lines), options)


async def organised(turn: Turn, event_id: int | None) -> Event | None:
    """The event, if this person organises it; else says so (None)."""
    event = await turn.session.get(Event, event_id) if event_id is not None else None
    if event is None or not await may(turn, event, RoleName.ORGANIZER):
        await refuse(turn, RoleName.ORGANIZER, event)
        return None
    return event


async def certificate_button(turn: Turn, value: str) -> bool:
    action, _, ident = value.partition(":")
    if action not in {"list", "all", "confirm-all", "hand", "revoke"}:
        return False
    event_id = row_id(ident)
    if event_id is None or await turn.session.get(Event, event_id) is None:
        return False
    event = await organised(turn, event_id)
    if event is None:
        return True
    t = turn.t
    if action == "list":
        await organiser_view(turn, event)
    elif action == "all":
        waiting = [
            s for s in await standings(turn.session, attendance_source(), event) if s.waiting
        ]
        if not waiting:
            turn.say("certificate.nothing_to_issue")
            await organiser_view(turn, event)
            return True
        turn.offer(
            t("certificate.confirm_all", count=len(waiting), event=event.name),
            [
                Option(payload("confirm-all", event.id), t("certificate.yes_issue")),
                Option(payload("list", event.id), t("certificate.back")),
            ],
        )
    elif action == "confirm-all":
        found = await issue_qualifying(
            turn.session, attendance_source(), event, turn.now, f"person:{turn.person_id}"
        )
        if not found:
            turn.say("certificate.nothing_to_issue")
        else:
            turn.say("certificate.issued_all", count=len(found), event=event.name)
    elif action == "hand":
        state = HAND.fresh_state(turn)
        state.event_id = event.id
        await interrupt(turn, WHO)
    else:
        revoking = REVOKING.fresh_state(turn)
        revoking.event_id = event.id
        await interrupt(turn, WHICH)
    return True


# --- issuing by hand --------------------------------------------------------------------


class HandState(BaseModel):
    event_id: int | None = None
    person_id: int | None = None
    name: str = ""
    missing: str = ""  # what the rule finds missing; empty when they qualify
    reason: str = ""


def _reason(text: str) -> str:
    return checked_reason(text)


def _matches(found: list[Standing], typed: str) -> list[Standing]:
    try:
        phone: str | None = phone_e164(typed)
    except InvalidInputError:
        phone = None
    if phone is not None:
        return [s for s in found if s.participant.phone == phone]
    words = typed.casefold().split()
    return [s for s in found if all(w in s.participant.full_name.casefold() for w in words)]


async def who_answered(turn: Turn, state: HandState, value: Answer) -> None:
    event = await organised(turn, state.event_id)
    if event is None:
        await leave_side_flow(turn, show_menu=False)
        return
    everyone = await standings(turn.session, attendance_source(), event)
    found = _matches(everyone, str(value))
    if len(found) != 1:
        names = ", ".join(_who(s) for s in found[:MATCHES_SHOWN])
        turn.say("certificate.hand.several" if found else "certificate.hand.nobody", names=names)
        await goto(turn, WHO)
        return
    standing = found[0]
    if standing.certificate is not None:
        turn.say(
            "certificate.hand.has_one", name=_who(standing), number=standing.certificate.number
        )
        await leave_side_flow(turn)
        return
    rule = (await settings_of(turn.session, event.id or 0)).rule()
    state.person_id = standing.participant.person_id
    state.name = _who(standing)
    state.missing = missing_text(turn.t, rule, standing.verdict, short=True)
    await goto(turn, REASON if state.missing else CONFIRM_HAND)


async def reason_answered(turn: Turn, state: HandState, value: Answer) -> None:
    state.reason = str(value)
    await goto(turn, CONFIRM_HAND)


async def confirm_wording(turn: Turn, state: HandState, text: str) -> str:
    if state.missing:
        return turn.t(
            "certificate.hand.confirm_short", name=state.name, missing=state.missing,
            reason=state.reason,
        )  # fmt: skip
    return turn.t("certificate.hand.confirm", name=state.name)


async def hand_confirmed(turn: Turn, state: HandState, value: Answer) -> None:
    event = await organised(turn, state.event_id)
    if event is None:
        await leave_side_flow(turn, show_menu=False)
        return
    if value is not True:
        turn.say("certificate.hand.kept")
        await leave_side_flow(turn)
        return
    done = await issue_by_hand(
        turn.session, attendance_source(), event, state.person_id or 0, state.reason or None,
        turn.now, issued_by=f"person:{turn.person_id}",
    )  # fmt: skip
    if done.outcome is ByHand.NEEDS_REASON:
        await goto(turn, REASON)  # qualified when asked, no longer
        return
    if done.outcome is not ByHand.ISSUED or done.certificate is None:
        turn.say("certificate.hand.gone")
        await leave_side_flow(turn)
        return
    turn.say("certificate.hand.issued", name=state.name, number=done.certificate.number)
    await leave_side_flow(turn)


WHO = QuestionStep[HandState](
    Question("who", Kind.TEXT, Msg("certificate.hand.ask_who"), max_length=100), who_answered
)
REASON = QuestionStep[HandState](
    Question("reason", Kind.TEXT, Msg("certificate.ask_reason"), check=_reason), reason_answered
)
CONFIRM_HAND = QuestionStep[HandState](
    Question(
        "confirm",
        Kind.YES_NO,
        Msg("certificate.hand.confirm"),
        yes_label=Msg("certificate.yes_issue"),
        no_label=Msg("certificate.no"),
    ),
    hand_confirmed,
    wording=confirm_wording,
)
HAND: Flow[HandState] = Flow("certificate_hand", HandState, [WHO, REASON, CONFIRM_HAND], side=True)


# --- revoking ---------------------------------------------------------------------------


class RevokeState(BaseModel):
    event_id: int | None = None
    certificate_id: int | None = None
    reason: str = ""


async def which_answered(turn: Turn, state: RevokeState, value: Answer) -> None:
    event = await organised(turn, state.event_id)
    if event is None or event.id is None:
        await leave_side_flow(turn, show_menu=False)
        return
    typed = str(value)
    found = await by_number(turn.session, event.id, typed)
    if found is None:
        by_its_code = await by_code(turn.session, typed)
        found = by_its_code if by_its_code and by_its_code.event_id == event.id else None
    if found is None:
        turn.say("certificate.revoking.unknown", typed=typed[:40])
        await goto(turn, WHICH)
        return
    if found.revoked:
        turn.say("certificate.revoking.already", number=found.number)
        await leave_side_flow(turn)
        return
    state.certificate_id = found.id
    await goto(turn, REVOKE_REASON)


async def revoke_reason_answered(turn: Turn, state: RevokeState, value: Answer) -> None:
    state.reason = str(value)
    await goto(turn, CONFIRM_REVOKE)


async def revoke_wording(turn: Turn, state: RevokeState, text: str) -> str:
    found = await turn.session.get(Certificate, state.certificate_id or 0)
    return turn.t(
        "certificate.revoking.confirm",
        number=found.number if found else "-",
        name=found.holder_name if found else "-",
        reason=state.reason,
    )


async def revoke_confirmed(turn: Turn, state: RevokeState, value: Answer) -> None:
    event = await organised(turn, state.event_id)
    if event is None:
        await leave_side_flow(turn, show_menu=False)
        return
    if value is not True:
        turn.say("certificate.revoking.kept")
        await leave_side_flow(turn)
        return
    found = await turn.session.get(Certificate, state.certificate_id or 0, with_for_update=True)
    if found is None or found.event_id != event.id:
        turn.say("certificate.hand.gone")
    elif revoke(turn.session, found, state.reason, turn.now, by=f"person:{turn.person_id}"):
        turn.say("certificate.revoking.done", number=found.number)
    else:
        turn.say("certificate.revoking.already", number=found.number)
    await leave_side_flow(turn)


WHICH = QuestionStep[RevokeState](
    Question("which", Kind.TEXT, Msg("certificate.revoking.ask_which"), max_length=100),
    which_answered,
)
REVOKE_REASON = QuestionStep[RevokeState](
    Question("reason", Kind.TEXT, Msg("certificate.ask_reason"), check=_reason),
    revoke_reason_answered,
)
CONFIRM_REVOKE = QuestionStep[RevokeState](
    Question(
        "confirm",
        Kind.YES_NO,
        Msg("certificate.revoking.confirm"),
        yes_label=Msg("certificate.yes_revoke"),
        no_label=Msg("certificate.no"),
    ),
    revoke_confirmed,
    wording=revoke_wording,
)
REVOKING: Flow[RevokeState] = Flow(
    "certificate_revoke", RevokeState, [WHICH, REVOKE_REASON, CONFIRM_REVOKE], side=True
)


def offered(situation: Situation) -> bool:
    return situation.registered or situation.may(RoleName.ORGANIZER)


FEATURE = Feature(
    commands=(
        Command(
            "certificate",
            {"id": "sertifikat", "en": "certificate"},
            show_certificate,
            order=77,
            channel_menu=True,
            shown=offered,
        ),
    ),
    flows=(HAND, REVOKING),
    buttons={CERTIFICATE: certificate_button},
)
