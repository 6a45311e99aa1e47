"""An audit entry as people read it, in either language, for the chat's ``/audit`` and
the CLI's ``bimtek audit``: "2026-12-01 09:14 WITA · Rina (panitia) · mengirim pengumuman
#12 ke 34 peserta". The actor's name is the one stored now (the log keeps none)."""

from collections.abc import Callable
from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

from models.audit import ActorKind, AuditAction, AuditRow
from models.zones import zone_label

Translate = Callable[..., str]


class _Values(dict[str, Any]):
    """Details missing from an entry read as 0 (an older entry, a count not kept)."""

    def __missing__(self, key: str) -> Any:
        return 0


def moment(row: AuditRow) -> str:
    """When, in the event's zone ("2026-12-01 09:14 WITA"); UTC for an entry of no event."""
    zone = ZoneInfo(row.timezone) if row.timezone else UTC
    local = row.at.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {zone_label(zone, row.at) if row.timezone else 'UTC'}"


def actor(t: Translate, row: AuditRow) -> str:
    if row.actor_kind is ActorKind.CLI:
        return t("audit.actor.cli")
    if row.actor_kind is ActorKind.SYSTEM:
        return t("audit.actor.system")
    if row.actor_name is None:  # never registered (an organiser may not), or erased since
        name = t("audit.actor.unnamed", number=row.actor_person_id or 0)
    else:
        name = row.actor_name
    if not row.actor_roles:
        return name
    roles = ", ".join(t(f"role.{r}").lower() for r in sorted(row.actor_roles))
    return f"{name} ({roles})"


def action(t: Translate, row: AuditRow) -> str:
    values = _Values(row.details)
    values["id"] = row.target_id if row.target_id is not None else "—"
    if "role" in row.details:
        values["role"] = t(f"role.{row.details['role']}").lower()
    key = f"audit.action.{row.action}"
    if row.action is AuditAction.EXPORT:
        key = f"audit.action.export.{row.target_kind}"
    return str(t(key)).format_map(values)


def entry_line(t: Translate, row: AuditRow, *, with_event: bool = False) -> str:
    parts = [moment(row)]
    if with_event:
        parts.append(row.event_code or "—")
    parts += [actor(t, row), action(t, row)]
    return " · ".join(parts)
