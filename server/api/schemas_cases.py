"""Request and response bodies of one-window intake (一窗受理), approval and pickup."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from .schemas import Strict, TicketIssued


class ApplicantIn(Strict):
    name: str = Field(min_length=1, max_length=64)
    id_number: str = Field(min_length=1, max_length=32, description="GB 11643 ID number")
    phone: str | None = Field(default=None, max_length=32, description="for the case's SMS")
    address: str | None = Field(default=None, max_length=200)


class CollectorIn(Strict):
    name: str = Field(min_length=1, max_length=64)
    id_number: str = Field(min_length=1, max_length=32)


class IntakeIn(Strict):
    hall: str = Field(min_length=1, max_length=40)
    matter: str = Field(min_length=1, max_length=40)
    applicant: ApplicantIn
    materials: dict[str, Literal["received", "missing", "waived"]] = Field(
        default_factory=dict, description="each material's key: received, missing or waived (容缺)")
    decision: Literal["accept", "correction", "refuse"] = "accept"
    reason: str | None = Field(default=None, max_length=500)
    ticket: str | None = Field(default=None, max_length=64, description="the ticket being served")
    window: str | None = Field(default=None, max_length=40)
    collector: CollectorIn | None = None


class AcceptIn(Strict):
    # Marks are checked by the domain (material_mark_invalid): an enum here left the
    # fuzzer no way to write an invalid body for this one-field object.
    materials: dict[str, str] = Field(default_factory=dict, max_length=60,
                                      description="each material's key: received, missing or waived")


class ReasonIn(Strict):
    reason: str | None = Field(default=None, max_length=500)


class PickupIn(Strict):
    collector_id: str = Field(min_length=1, max_length=32, description="the collector's ID number")
    waived_supplied: bool = Field(default=False, description="容缺 materials handed in")


class MailIn(Strict):
    tracking_no: str = Field(min_length=1, max_length=40)
    waived_supplied: bool = Field(default=False, description="容缺 materials handed in")


class ReadyIn(Strict):
    ticket: str | None = Field(default=None, max_length=64, description="the ticket being served")
    id_number: str | None = Field(default=None, max_length=32, description="or an ID number")


class PickupTicketIn(Strict):
    number: str | None = Field(default=None, max_length=40, description="受理编号")
    id_suffix: str | None = Field(default=None, max_length=8,
                                  description="with the number: the ID number's last 4 characters")
    id_number: str | None = Field(default=None, max_length=32)
    channel: Literal["kiosk", "phone"] = "kiosk"


class StatusIn(Strict):
    number: str = Field(min_length=1, max_length=40)
    id_suffix: str = Field(min_length=1, max_length=8, description="last 4 characters of the ID")


class MissingOut(BaseModel):
    key: str
    name: str


class TaskOut(BaseModel):
    id: str | None = None
    department: str
    lead: bool
    state: str
    officer: str | None = None
    note: str | None = None
    decided_at: str | None = None


class LogOut(BaseModel):
    at: str
    action: str
    to_state: str | None = None
    department: str | None = None
    note: str | None = None
    actor: str | None = None
    internal: bool | None = None


class CaseFileOut(BaseModel):
    material: str
    digest: str
    name: str
    size: int
    content_type: str


class CaseOut(BaseModel):
    id: str
    number: str
    hall: str
    matter: str
    matter_name: str
    state: str
    state_zh: str
    outcome: Literal["approved", "approved_with_waiver", "rejected"] | None = Field(
        default=None, description="the decision, once made (kept through pickup and archive)")
    business_day: str
    channel: Literal["window", "online"] = Field(description="taken in at a window or applied online")
    applicant: str = Field(description="masked name")
    id_masked: str
    created_at: str
    accepted_at: str | None = None
    decided_at: str | None = None
    closed_at: str | None = None
    promised_days: int
    legal_days: int
    due_day: str | None = None
    days_left: int | None = None
    colour: Literal["green", "yellow", "red"]
    missing: list[MissingOut]
    tasks: list[TaskOut]
    timeline: list[LogOut]
    reasons: str | None = None
    phone_masked: str | None = None
    collector: str | None = None
    checklist: dict[str, str] | None = None
    tracking_no: str | None = None
    ticket: str | None = None
    window: str | None = None
    application: str | None = Field(default=None, description="applied online: its id; files "
                                    "at /api/applications/{application}/files/{digest}")
    files: list[CaseFileOut] | None = None


class CaseList(BaseModel):
    cases: list[CaseOut]


class PersonalOut(BaseModel):
    name: str | None = None
    id_number: str | None = None
    phone: str | None = None
    address: str | None = None
    collector: str | None = None


class InboxItemOut(BaseModel):
    task: str
    case: str
    department: str
    number: str
    matter: str
    matter_name: str
    applicant: str
    state: str
    case_state: str
    lead: bool
    officer: str | None = None
    due_day: str | None = None
    days_left: int | None = None
    colour: Literal["green", "yellow", "red"]


class Inbox(BaseModel):
    department: str
    tasks: list[InboxItemOut]


class ReadyCase(BaseModel):
    number: str
    matter_name: str


class PickupTicketOut(BaseModel):
    ticket: TicketIssued
    cases: list[ReadyCase]
