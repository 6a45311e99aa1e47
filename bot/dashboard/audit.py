"""The audit log: an event's entries for its organisers (``/dasbor/acara/<id>/audit``)
and every event's for admins (``/dasbor/audit``), newest first, a page at a time,
filtered by action and by days. Read with ``models.audit.audit_entries`` and worded by
``handlers.audit_texts``, as the chat's ``/audit`` and ``bimtek audit`` are."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from bot.dashboard.core import PREFIX, Database, OfEvent, PageError, SignedIn, Viewer
from handlers.audit_texts import action, actor, moment
from models.audit import AuditAction, AuditRow, audit_entries

router = APIRouter()

PAGE = 50


def _day_start(day: date | None, zone: ZoneInfo) -> datetime | None:
    return None if day is None else datetime.combine(day, time(), zone).astimezone(UTC)


async def _log_page(
    viewer: Viewer,
    session: Database,
    event_id: int | None,
    zone: ZoneInfo,
    *,
    aksi: str,
    dari: date | None,
    sampai: date | None,
    halaman: int,
) -> tuple[list[AuditRow], bool, dict[str, object]]:
    """One page of entries (and whether there are older ones), with the filters as read."""
    chosen = AuditAction(aksi) if aksi in set(AuditAction) else None
    until = None if sampai is None else sampai + timedelta(days=1)
    page = max(halaman, 1)
    rows = await audit_entries(
        session,
        event_id,
        since=_day_start(dari, zone),
        until=_day_start(until, zone),
        actions=frozenset({chosen}) if chosen is not None else None,
        limit=PAGE + 1,
        offset=(page - 1) * PAGE,
    )
    filters: dict[str, object] = {
        "aksi": chosen.value if chosen else "",
        "dari": dari.isoformat() if dari else "",
        "sampai": sampai.isoformat() if sampai else "",
        "halaman": page,
    }
    return rows[:PAGE], len(rows) > PAGE, filters


def _lines(viewer: Viewer, rows: list[AuditRow]) -> list[dict[str, str]]:
    t = viewer.t
    return [
        {
            "when": moment(row),
            "event": row.event_code or "—",
            "who": actor(t, row),
            "what": action(t, row),
        }
        for row in rows
    ]


@router.get(PREFIX + "/acara/{event_id}/audit", response_class=HTMLResponse)
async def event_log(
    page: OfEvent,
    aksi: str = "",
    dari: date | None = None,
    sampai: date | None = None,
    halaman: int = 1,
) -> HTMLResponse:
    zone = ZoneInfo(page.event.timezone)
    rows, older, filters = await _log_page(
        page.viewer, page.session, page.event_id, zone,
        aksi=aksi, dari=dari, sampai=sampai, halaman=halaman,
    )  # fmt: skip
    return page.render(
        "audit.html",
        entries=_lines(page.viewer, rows),
        older=older,
        filters=filters,
        actions=list(AuditAction),
        every_event=False,
        here=f"{PREFIX}/acara/{page.event_id}/audit",
    )


@router.get(PREFIX + "/audit", response_class=HTMLResponse)
async def every_log(
    viewer: SignedIn,
    session: Database,
    aksi: str = "",
    dari: date | None = None,
    sampai: date | None = None,
    halaman: int = 1,
) -> HTMLResponse:
    """Every event's entries and those of none (sign-ins): admins only, as in the chat."""
    if not viewer.admin:
        raise PageError(403, "admins_only")
    rows, older, filters = await _log_page(
        viewer, session, None, ZoneInfo("UTC"),
        aksi=aksi, dari=dari, sampai=sampai, halaman=halaman,
    )  # fmt: skip
    return viewer.render(
        "audit.html",
        entries=_lines(viewer, rows),
        older=older,
        filters=filters,
        actions=list(AuditAction),
        every_event=True,
        here=f"{PREFIX}/audit",
    )
