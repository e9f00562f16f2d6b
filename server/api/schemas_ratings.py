"""Request and response bodies of ratings (好差评), pads and follow-ups (差评整改)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from .schemas import Strict


class RatingIn(Strict):
    level: int = Field(strict=True, description="5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意")
    reasons: list[str] = Field(default_factory=list, max_length=6,
                               description="for levels 1 and 2: attitude, slow, unclear, wait, "
                               "rules, other")  # fmt: skip
    comment: str | None = Field(default=None, max_length=400, description="free text")
    phone: str | None = Field(default=None, max_length=32,
                              description="to be called back about a bad rating (optional)")


class PadRatingIn(Strict):
    ticket: str = Field(min_length=1, max_length=64, description="the ticket the pad was shown")
    level: int = Field(strict=True, description="5 非常满意 … 1 非常不满意")
    reasons: list[str] = Field(default_factory=list, max_length=6)
    comment: str | None = Field(default=None, max_length=400)
    phone: str | None = Field(default=None, max_length=32, description="left, with consent, "
                              "to be called back about a bad rating (optional)")


class CaseRatingQueryIn(Strict):
    number: str = Field(min_length=1, max_length=40, description="受理编号")
    id_number: str = Field(min_length=1, max_length=32, description="the full ID number of "
                           "the case's applicant or of who collected it")


class CaseRatingIn(CaseRatingQueryIn):
    level: int = Field(strict=True, description="5 非常满意 … 1 非常不满意")
    reasons: list[str] = Field(default_factory=list, max_length=6)
    comment: str | None = Field(default=None, max_length=400)
    phone: str | None = Field(default=None, max_length=32)


class RatingGiven(BaseModel):
    level: int
    level_zh: str
    reasons: list[str]
    channel: str
    rated_at: str


class RatingAnswer(BaseModel):
    state: str
    state_zh: str
    response: str | None = None
    closed_at: str | None = None


class RatingStatus(BaseModel):
    """May this ticket or case be rated now, until when, and the rating and its answer."""

    can_rate: bool
    rate_until: str | None = None
    rating: RatingGiven | None = None
    followup: RatingAnswer | None = None
    number: str | None = Field(default=None, description="the case's 受理编号 (case ratings)")


class PadRatingOut(BaseModel):
    rating: str
    level: int


class PadWindow(BaseModel):
    id: str
    number: int
    name: str
    state: str
    clerk_name: str | None = None


class PadHall(BaseModel):
    id: str
    name: str


class PadPrompt(BaseModel):
    ticket: str
    number: str
    at: str
    expires_at: str


class PadView(BaseModel):
    hall: PadHall
    window: PadWindow
    prompt: PadPrompt | None = None
    prompt_s: int


class PadPairing(BaseModel):
    window: str
    key: str = Field(description="shown once: the pad keeps it; only its hash is stored")
    paired_at: str
    pad_url: str = Field(description="open this on the pad (the key rides in the #fragment)")


class PadList(BaseModel):
    paired: dict[str, str] = Field(description="window id -> when its pad was paired")


class FollowupRating(BaseModel):
    id: str
    level: int
    level_zh: str
    reasons: list[str]
    comment: str | None = Field(default=None, description="never in the list: the audited "
                                "contact view opens it")
    has_comment: bool = False
    prompted_by: str | None = Field(default=None, description="finish | reprompt (pad only)")
    delay_s: int | None = Field(default=None, description="seconds from service to rating")
    channel: str
    rated_at: str
    business_day: str
    ticket: str | None = None
    case: str | None = None
    window: int | None = None
    service: str | None = None
    malicious: bool
    malicious_reason: str | None = None


class FollowupOut(BaseModel):
    id: str
    state: str
    state_zh: str
    opened_at: str
    due_day: str
    colour: str = Field(description="green, yellow (due within a working day), red (overdue)")
    overdue: bool
    days_left: int | None = None
    call_note: str | None = None
    called_back_at: str | None = None
    finding: str | None = None
    rectification: str | None = None
    rectified_at: str | None = None
    response: str | None = None
    closed_at: str | None = None
    contact: str | None = Field(default=None, description="the masked phone, if one was left")
    rating: FollowupRating


class FollowupList(BaseModel):
    followups: list[FollowupOut]


class FollowupActIn(Strict):
    note: str | None = Field(default=None, max_length=1000, description="call_back: the call")
    finding: str | None = Field(default=None, max_length=1000, description="rectify")
    rectification: str | None = Field(default=None, max_length=1000, description="rectify")
    response: str | None = Field(default=None, max_length=1000,
                                 description="close: what the citizen reads and is texted")


class FollowupContact(BaseModel):
    phone: str | None = None
    masked: str | None = None
    comment: str | None = None


class MaliciousIn(Strict):
    reason: str | None = Field(default=None, max_length=1000, description="required")


class MaliciousOut(BaseModel):
    rating: str
    malicious: bool
