"""Who may change a hall's configuration (docs/roles.md has the whole table)."""

from __future__ import annotations

from .errors import Forbidden
from .model import Actor, Role

# Who works the queue: window commands, window-channel tickets, the waiting list.
# Officers (back office) do not.
QUEUE_ROLES = (Role.CLERK, Role.SUPERVISOR, Role.ADMIN)


def require_admin(actor: Actor) -> None:
    if actor.role is not Role.ADMIN:
        raise Forbidden("role_forbidden", "only an admin may do this", "只有系统管理员可以执行此操作")


def require_hall_manager(actor: Actor, hall_id: str) -> None:
    """An admin, or a supervisor of this hall (windows, notices, the calendar)."""
    if actor.role is Role.ADMIN:
        return
    if actor.role is not Role.SUPERVISOR:
        raise Forbidden("role_forbidden", "your role may not do this", "您的角色无权执行此操作")
    if actor.hall_id != hall_id:
        raise Forbidden("other_hall", "that hall is not yours", "该大厅不属于您")


def visible_hall(actor: Actor, hall_id: str | None) -> str | None:
    """The hall a listing is limited to: a supervisor sees their own hall only."""
    if actor.role is Role.ADMIN:
        return hall_id
    require_hall_manager(actor, hall_id or actor.hall_id or "")
    return actor.hall_id
