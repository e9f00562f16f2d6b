"""Request and response bodies of online application (网上申报) and pre-review (预审)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from .schemas import Strict


class ApplicationApplicantIn(Strict):
    name: str = Field(min_length=1, max_length=64)
    id_number: str = Field(min_length=1, max_length=32)
    address: str | None = Field(default=None, max_length=200)


class ApplicationIn(Strict):
    hall: str = Field(min_length=1, max_length=40)
    matter: str = Field(min_length=1, max_length=40)
    applicant: ApplicationApplicantIn


class ApplicationReturnIn(Strict):
    missing: list[str] = Field(min_length=1, max_length=60, description="material keys")
    note: str | None = Field(default=None, max_length=500)


class ApplicationAcceptIn(Strict):
    materials: dict[str, Literal["received", "missing", "waived"]] | None = Field(
        default=None, description="the clerk's marks; by default every uploaded material received")


class UploadOut(BaseModel):
    material: str
    digest: str = Field(description="SHA-256 of the content")
    name: str
    size: int
    content_type: str
    uploaded_at: datetime


class ApplicationMissingOut(BaseModel):
    key: str
    name: str


class ApplicationOut(BaseModel):
    id: str
    reference: str = Field(description="预审编号")
    hall: str
    matter: str
    matter_name: str
    state: str
    state_zh: str
    applicant: str = Field(description="masked name")
    id_masked: str
    phone_masked: str | None
    created_at: datetime
    submitted_at: datetime | None
    reviewed_at: datetime | None
    case: str | None = Field(description="the case it became")
    missing: list[ApplicationMissingOut]
    note: str | None
    files: list[UploadOut]


class ApplicationList(BaseModel):
    applications: list[ApplicationOut]
