"""Request and response bodies of complaints (投诉).

Lengths of the free texts are checked by the domain (text_required, text_too_long …),
which says the limit in both languages; the bounds here only keep absurd bodies out
(twice the domain's), and the endpoints take bodies of up to BODY_MAX bytes so that
any body within them is read, whatever its characters.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from .schemas import Strict

BODY_MAX = 64 * 1024


class ComplaintContactIn(Strict):
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=32, description="for the answer's SMS")


class ComplaintIn(Strict):
    subject: str = Field(max_length=16, description="window, clerk, matter or hall")
    subject_id: str | None = Field(
        default=None, max_length=200,
        description="the window's id, the matter's code, the clerk's name or staff number",
    )  # fmt: skip
    text: str = Field(max_length=2000, description="1 to 1000 characters")
    contact: ComplaintContactIn | None = None
    channel: Literal["phone", "kiosk"] = "phone"


class ComplaintQueryIn(Strict):
    number: str = Field(max_length=40, description="TS-<region>-<YYYYMMDD>-<NNNN>")
    secret: str = Field(max_length=32, description="the 8-character query code given at filing")


class ComplaintStepIn(Strict):
    assignee: str | None = Field(default=None, max_length=64, description="assign: a supervisor")
    finding: str | None = Field(default=None, max_length=2000, description="investigate")
    answer: str | None = Field(default=None, max_length=2000, description="answer")


class ComplaintStepOut(BaseModel):
    state: str
    at: str
    by: str | None = Field(default=None, description="staff only: who took the step")


class ComplaintBaseOut(BaseModel):
    number: str
    hall: str
    channel: str
    state: Literal["intake", "assigned", "investigated", "answered", "closed"]
    state_zh: str
    subject: Literal["window", "clerk", "matter", "hall"]
    subject_label: str
    filed_at: str
    due_day: str
    tz: str = Field(description="the hall's time zone, for showing the steps' times")
    steps: list[ComplaintStepOut]


class ComplaintPublicOut(ComplaintBaseOut):
    text: str
    answer: str | None = None


class ComplaintFiledOut(BaseModel):
    complaint: ComplaintPublicOut
    query_code: str = Field(description="the 8-character code to query with: shown once here,"
                            " and texted when a phone was left")  # fmt: skip


class ComplaintRowOut(ComplaintBaseOut):
    """A complaint in the supervisors' list: no texts (they are read, audited, one by one)."""

    id: str
    subject_id: str | None = None
    name_masked: str | None = None
    phone_masked: str | None = None
    assignee: str | None = None
    assignee_name: str | None = None
    overdue: bool


class ComplaintStaffOut(ComplaintRowOut):
    text: str
    finding: str | None = None
    answer: str | None = None


class SupervisorOut(BaseModel):
    id: str
    name: str


class ComplaintBoardOut(BaseModel):
    today: str
    tz: str = Field(description="the hall's time zone")
    supervisors: list[SupervisorOut]
    complaints: list[ComplaintRowOut]


class ComplaintContactOut(BaseModel):
    name: str | None = None
    phone: str | None = None
