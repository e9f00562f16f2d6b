"""Who may call which endpoint: the table docs/roles.md shows and test_role_matrix.py walks.

A cell is ``✓`` (the endpoint's own success status) or ``"<status> <error code>"``.
"""

from __future__ import annotations

ACTORS = (
    "anonymous",
    "clerk",
    "clerk (other hall)",
    "supervisor",
    "supervisor (other hall)",
    "officer",
    "admin",
)

OK = "✓"
_SIGN_IN = "401 sign_in_required"
_ROLE = "403 role_forbidden"
_HALL = "403 other_hall"

Cells = tuple[str, str, str, str, str, str, str]

# Public pages, ticket issue, the hall view, sign-in.
PUBLIC: Cells = (OK, OK, OK, OK, OK, OK, OK)
# Anybody signed in: their own session.
SIGNED_IN: Cells = (_SIGN_IN, OK, OK, OK, OK, OK, OK)
# Window commands: the clerk at the window, a supervisor of its hall, an admin.
WINDOW: Cells = (_SIGN_IN, OK, _HALL, OK, _HALL, _ROLE, OK)
# The hall's waiting queue: staff of the queue in that hall.
QUEUE: Cells = (_SIGN_IN, OK, _HALL, OK, _HALL, _ROLE, OK)
# A hall's supervisor and admins: windows, notices, calendar, moves, audit, read-only views.
HALL_MANAGER: Cells = (_SIGN_IN, _ROLE, _ROLE, OK, _HALL, _ROLE, OK)
# A listing that names no hall: a supervisor gets their own hall's part of it.
LISTING: Cells = (_SIGN_IN, _ROLE, _ROLE, OK, OK, _ROLE, OK)
ADMIN_ONLY: Cells = (_SIGN_IN, _ROLE, _ROLE, _ROLE, _ROLE, _ROLE, OK)
# A citizen's own account: a staff token is no citizen's sign-in.
_CITIZEN = "401 citizen_sign_in_required"
CITIZEN: Cells = (_CITIZEN,) * 7
# Sign-in with a code nobody asked for: the same answer whoever asks.
_NO_CODE = "404 no_code"
NO_CODE: Cells = (_NO_CODE,) * 7

# A booking: its holder (a signed-in citizen) or staff of its hall at the queue.
_HOLDER = "403 not_your_appointment"
HOLDER: Cells = (_CITIZEN, OK, _HOLDER, OK, _HOLDER, _HOLDER, OK)
# Booking: a signed-in citizen, or staff of the hall for a citizen.
_NOT_STAFF = "403 not_hall_staff"
BOOKER: Cells = (_CITIZEN, OK, _NOT_STAFF, OK, _NOT_STAFF, _NOT_STAFF, OK)

# Cases (办件): the hall's staff take them in and hand out results; officers of a department
# holding one of its tasks may read it too; department work is for officers.
_CASE = "403 case_forbidden"
INTAKE: Cells = (_SIGN_IN, OK, _CASE, OK, _CASE, _CASE, OK)
CASE_VIEW: Cells = (_SIGN_IN, OK, _CASE, OK, _CASE, OK, OK)
_OFFICER = "403 officer_only"
DEPT: Cells = (_SIGN_IN, _OFFICER, _OFFICER, _OFFICER, _OFFICER, OK, _OFFICER)

ROWS: tuple[tuple[str, str, Cells], ...] = (
    ("GET", "/healthz", PUBLIC),
    ("GET", "/metrics", PUBLIC),
    ("GET", "/api/halls/{hall}", PUBLIC),
    ("GET", "/api/halls/{hall}/events", PUBLIC),
    ("POST", "/api/halls/{hall}/tickets", PUBLIC),
    ("GET", "/api/tickets/{ticket}", PUBLIC),
    ("DELETE", "/api/tickets/{ticket}", PUBLIC),
    ("POST", "/api/auth/login", PUBLIC),
    ("POST", "/api/auth/logout", SIGNED_IN),
    ("GET", "/api/auth/me", SIGNED_IN),
    ("POST", "/api/auth/password", SIGNED_IN),
    ("POST", "/api/windows/{window}/open", WINDOW),
    ("POST", "/api/windows/{window}/pause", WINDOW),
    ("POST", "/api/windows/{window}/resume", WINDOW),
    ("POST", "/api/windows/{window}/close", WINDOW),
    ("POST", "/api/windows/{window}/call-next", WINDOW),
    ("POST", "/api/windows/{window}/recall", WINDOW),
    ("POST", "/api/windows/{window}/no-show", WINDOW),
    ("POST", "/api/windows/{window}/call-back", WINDOW),
    ("POST", "/api/windows/{window}/start", WINDOW),
    ("POST", "/api/windows/{window}/finish", WINDOW),
    ("POST", "/api/windows/{window}/transfer", WINDOW),
    ("GET", "/api/halls/{hall}/queue", QUEUE),
    ("GET", "/api/halls/{hall}/notices", PUBLIC),
    ("POST", "/api/halls/{hall}/notices", HALL_MANAGER),
    ("PATCH", "/api/notices/{notice}", HALL_MANAGER),
    ("DELETE", "/api/notices/{notice}", HALL_MANAGER),
    ("POST", "/api/tickets/{ticket}/move", HALL_MANAGER),
    ("GET", "/api/admin/halls", LISTING),
    ("POST", "/api/admin/halls", ADMIN_ONLY),
    ("GET", "/api/admin/halls/{hall}", HALL_MANAGER),
    ("PATCH", "/api/admin/halls/{hall}", ADMIN_ONLY),
    ("PUT", "/api/admin/halls/{hall}/calendar/{year}", HALL_MANAGER),
    ("GET", "/api/admin/halls/{hall}/services", HALL_MANAGER),
    ("POST", "/api/admin/halls/{hall}/services", ADMIN_ONLY),
    ("PATCH", "/api/admin/halls/{hall}/services/{code}", ADMIN_ONLY),
    ("DELETE", "/api/admin/halls/{hall}/services/{code}", ADMIN_ONLY),
    ("GET", "/api/admin/halls/{hall}/windows", HALL_MANAGER),
    ("POST", "/api/admin/halls/{hall}/windows", HALL_MANAGER),
    ("PATCH", "/api/admin/windows/{window}", HALL_MANAGER),
    ("DELETE", "/api/admin/windows/{window}", HALL_MANAGER),
    ("GET", "/api/admin/departments", LISTING),
    ("POST", "/api/admin/departments", ADMIN_ONLY),
    ("PATCH", "/api/admin/departments/{dept}", ADMIN_ONLY),
    ("DELETE", "/api/admin/departments/{dept}", ADMIN_ONLY),
    ("GET", "/api/admin/users", HALL_MANAGER),
    ("POST", "/api/admin/users", ADMIN_ONLY),
    ("PATCH", "/api/admin/users/{user}", ADMIN_ONLY),
    ("POST", "/api/admin/users/{user}/password", ADMIN_ONLY),
    ("GET", "/api/audit", HALL_MANAGER),
    ("GET", "/api/audit.csv", HALL_MANAGER),
    ("POST", "/api/citizen/code", PUBLIC),
    ("POST", "/api/citizen/session", NO_CODE),
    ("DELETE", "/api/citizen/session", CITIZEN),
    ("GET", "/api/citizen/me", CITIZEN),
    ("GET", "/api/halls/{hall}/services/{service}/slots", PUBLIC),
    ("POST", "/api/appointments", BOOKER),
    ("GET", "/api/appointments/mine", CITIZEN),
    ("GET", "/api/appointments/{id}", HOLDER),
    ("PATCH", "/api/appointments/{id}", HOLDER),
    ("DELETE", "/api/appointments/{id}", HOLDER),
    ("POST", "/api/appointments/{id}/check-in", HOLDER),
    ("POST", "/api/halls/{hall}/check-in", PUBLIC),
    ("GET", "/api/halls/{hall}/appointments", HALL_MANAGER),
    ("GET", "/api/halls/{hall}/matters", PUBLIC),
    ("GET", "/api/halls/{hall}/matters/{code}", PUBLIC),
    ("GET", "/api/admin/halls/{hall}/matters", HALL_MANAGER),
    ("PUT", "/api/admin/halls/{hall}/matters/{code}", HALL_MANAGER),
    ("DELETE", "/api/admin/halls/{hall}/matters/{code}", HALL_MANAGER),
    ("POST", "/api/cases", INTAKE),
    ("GET", "/api/cases/{case}", CASE_VIEW),
    ("GET", "/api/cases/{case}/personal", CASE_VIEW),
    ("POST", "/api/cases/{case}/accept", INTAKE),
    ("POST", "/api/cases/{case}/refuse", INTAKE),
    ("POST", "/api/cases/{case}/withdraw", INTAKE),
    ("POST", "/api/cases/{case}/pickup", INTAKE),
    ("POST", "/api/cases/{case}/mail", INTAKE),
    ("GET", "/api/halls/{hall}/cases", INTAKE),
    ("POST", "/api/halls/{hall}/pickup", INTAKE),
    ("POST", "/api/halls/{hall}/pickup-tickets", PUBLIC),
    ("POST", "/api/case-status", PUBLIC),
    ("GET", "/api/citizen/cases", CITIZEN),
    ("GET", "/api/dept/tasks", DEPT),
    ("POST", "/api/tasks/{task}/{action}", DEPT),
    ("POST", "/api/applications", CITIZEN),
    ("GET", "/api/applications/mine", CITIZEN),
    ("GET", "/api/applications/{id}", CITIZEN),
    ("PUT", "/api/applications/{id}/files/{material}", CITIZEN),
    ("DELETE", "/api/applications/{id}/files/{material}/{digest}", CITIZEN),
    ("POST", "/api/applications/{id}/submit", CITIZEN),
    ("POST", "/api/applications/{id}/withdraw", CITIZEN),
    ("GET", "/api/halls/{hall}/applications", INTAKE),
    ("GET", "/api/halls/{hall}/applications/{id}", INTAKE),
    ("POST", "/api/applications/{id}/accept", INTAKE),
    ("POST", "/api/applications/{id}/return", INTAKE),
    ("GET", "/api/applications/{id}/files/{digest}", INTAKE),
    # Complaints (投诉): filed and followed by anyone; worked by the hall's supervisors, admins.
    ("POST", "/api/halls/{hall}/complaints", PUBLIC),
    ("POST", "/api/complaint-status", PUBLIC),
    ("GET", "/api/halls/{hall}/complaints", HALL_MANAGER),
    ("GET", "/api/complaints/{complaint}", HALL_MANAGER),
    ("GET", "/api/complaints/{complaint}/contact", HALL_MANAGER),
    ("POST", "/api/complaints/{complaint}/{action}", HALL_MANAGER),
    # Ratings (好差评): the citizen rates with the ticket's token (or the case's number and
    # ID suffix), the pad with its key; pads and follow-ups are the hall's supervisors'.
    ("GET", "/api/tickets/{ticket}/rating", PUBLIC),
    ("POST", "/api/tickets/{ticket}/rating", PUBLIC),
    ("POST", "/api/case-rating", PUBLIC),
    ("POST", "/api/case-ratings", PUBLIC),
    ("GET", "/api/pads/{window}", PUBLIC),
    ("POST", "/api/pads/{window}/ratings", PUBLIC),
    ("POST", "/api/windows/{window}/pad", HALL_MANAGER),
    ("DELETE", "/api/windows/{window}/pad", HALL_MANAGER),
    ("GET", "/api/halls/{hall}/pads", HALL_MANAGER),
    ("POST", "/api/windows/{window}/rating-prompt", WINDOW),
    ("GET", "/api/halls/{hall}/followups", HALL_MANAGER),
    ("GET", "/api/followups/{followup}/contact", HALL_MANAGER),
    ("POST", "/api/followups/{followup}/{action}", HALL_MANAGER),
    ("POST", "/api/ratings/{rating}/malicious", HALL_MANAGER),
    # Statistics (统计): the hall's supervisors and admins; the target is set by admins; the
    # board reads whether the long-wait alert is on.
    ("GET", "/api/halls/{hall}/stats/live", HALL_MANAGER),
    ("GET", "/api/halls/{hall}/stats/range", HALL_MANAGER),
    ("GET", "/api/halls/{hall}/stats/export", HALL_MANAGER),
    ("GET", "/api/halls/{hall}/stats/target", HALL_MANAGER),
    ("PUT", "/api/halls/{hall}/stats/target", ADMIN_ONLY),
    ("GET", "/api/halls/{hall}/wait-alert", PUBLIC),
)

TABLE: dict[tuple[str, str], Cells] = {(method, path): cells for method, path, cells in ROWS}


def markdown() -> str:
    """The table as docs/roles.md has it."""

    def cell(c: str) -> str:
        return c if c == OK else f"`{c}`"

    lines = [
        "| endpoint | " + " | ".join(ACTORS) + " |",
        "|---|" + "---|" * len(ACTORS),
    ]
    for method, path, cells in ROWS:
        lines.append(f"| `{method} {path}` | " + " | ".join(cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"
