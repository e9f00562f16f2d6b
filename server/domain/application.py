"""Online applications (网上申报) before they are cases: a signed-in citizen's draft with
uploaded materials, submitted for pre-review (预审), returned with the one-time list
of what is missing (一次性告知), or accepted as a case. Pure values and moves."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from .errors import Conflict


class ApplicationState(StrEnum):
    DRAFT = "draft"  # the citizen is still uploading
    SUBMITTED = "submitted"  # waiting for pre-review
    RETURNED = "returned"  # something is missing: the citizen uploads and submits again
    ACCEPTED = "accepted"  # a case now
    WITHDRAWN = "withdrawn"


MOVES: Mapping[ApplicationState, frozenset[ApplicationState]] = {
    ApplicationState.DRAFT: frozenset({ApplicationState.SUBMITTED, ApplicationState.WITHDRAWN}),
    ApplicationState.SUBMITTED: frozenset({
        ApplicationState.RETURNED, ApplicationState.ACCEPTED, ApplicationState.WITHDRAWN}),
    ApplicationState.RETURNED: frozenset({ApplicationState.SUBMITTED, ApplicationState.WITHDRAWN}),
    ApplicationState.ACCEPTED: frozenset(),
    ApplicationState.WITHDRAWN: frozenset(),
}
# The citizen may still add or replace files.
EDITABLE = frozenset({ApplicationState.DRAFT, ApplicationState.RETURNED})
STATE_ZH = {
    ApplicationState.DRAFT: "草稿", ApplicationState.SUBMITTED: "待预审",
    ApplicationState.RETURNED: "已退回补正", ApplicationState.ACCEPTED: "已受理",
    ApplicationState.WITHDRAWN: "已撤回",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Application:
    id: str
    hall_id: str
    matter: str
    reference: str
    state: ApplicationState
    owner_fp: str
    id_fingerprint: str
    id_masked: str
    name_masked: str
    phone_masked: str | None
    created_at: datetime
    submitted_at: datetime | None = None
    reviewed_at: datetime | None = None
    reviewer_id: str | None = None
    case_id: str | None = None
    missing: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Upload:
    material: str
    digest: str
    name: str
    size: int
    content_type: str
    uploaded_at: datetime


def move(a: Application, to: ApplicationState, **changes: object) -> Application:
    if to not in MOVES[a.state]:
        raise Conflict("application_state", f"an application that is {a.state} cannot become "
                       f"{to}", f"申报当前为「{STATE_ZH[a.state]}」，不能转为「{STATE_ZH[to]}」")  # fmt: skip
    return replace(a, state=to, **changes)  # type: ignore[arg-type]
