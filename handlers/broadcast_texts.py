"""Broadcasts in words, for the chat and the command line alike: who they reach, where
they stand, what became of their messages."""

from datetime import datetime

from handlers.i18n import Translator
from handlers.timefmt import format_moment
from models import Broadcast, Event
from models.audience import Audience, Everyone, InClass, InRegion, Unregistered
from models.broadcasts import BroadcastError, BroadcastStatus, Report

EXCERPT = 60  # characters of an announcement's first line shown in lists and reports


def audience_text(t: Translator, spec: Audience) -> str:
    match spec:
        case Everyone():
            return t("broadcast.audience.everyone")
        case InClass(name=name):
            return t("broadcast.audience.class", name=name)
        case InRegion(province=province, regency=regency):
            place = ", ".join(name for name in (regency, province) if name)
            return t("broadcast.audience.region", place=place)
        case Unregistered():
            return t("broadcast.audience.unregistered")


def error_text(t: Translator, error: BroadcastError) -> str:
    return t(f"broadcast.error.{error.key}", **error.values)


def excerpt(t: Translator, broadcast: Broadcast) -> str:
    """The first line of the text, cut to fit a list; a file sent without text says so."""
    first = broadcast.text.split("\n", 1)[0].strip()
    if not first:
        return t("broadcast.report.file_only")
    return first if len(first) <= EXCERPT else first[: EXCERPT - 1].rstrip() + "…"


def state_text(t: Translator, event: Event, broadcast: Broadcast, now: datetime) -> str:
    """Sent, due at a moment to come, or cancelled; and when."""
    locale = t.locale
    if broadcast.status == BroadcastStatus.CANCELLED and broadcast.cancelled_at is not None:
        when = format_moment(broadcast.cancelled_at, event.timezone, locale)
        return t("broadcast.report.cancelled_at", when=when)
    moment = broadcast.send_at or broadcast.created_at
    when = format_moment(moment, event.timezone, locale)
    key = "broadcast.report.scheduled_at" if moment > now else "broadcast.report.sent_at"
    return t(key, when=when)


def counts_text(t: Translator, report: Report) -> str:
    line = t(
        "broadcast.report.counts",
        sent=report.sent,
        waiting=report.waiting,
        failed=report.failed,
        blocked=report.blocked,
    )
    if report.cancelled:
        line += " · " + t("broadcast.report.cancelled_count", cancelled=report.cancelled)
    if report.expired:
        line += " · " + t("broadcast.report.expired_count", expired=report.expired)
    if report.held:
        line += " · " + t("broadcast.report.held_count", held=report.held)
    if report.delivered:
        line += "\n" + t("broadcast.report.receipts", delivered=report.delivered, read=report.read)
    return line


def report_text(
    t: Translator, event: Event, broadcast: Broadcast, report: Report, now: datetime
) -> str:
    """A broadcast and what became of its messages so far."""
    return "\n".join(
        [
            t("broadcast.report.title", number=broadcast.id, event=event.name),
            state_text(t, event, broadcast, now),
            t(
                "broadcast.report.audience",
                audience=audience_text(t, broadcast.spec),
                count=report.total,
            ),
            counts_text(t, report),
            f"«{excerpt(t, broadcast)}»",
        ]
    )
