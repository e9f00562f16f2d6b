"""Response bodies of the hall's figures (统计): live today, a date range, the target."""

from __future__ import annotations

from pydantic import BaseModel, Field

from .schemas import Strict


class StatsFigures(BaseModel):
    key: str = Field(description="the row's key: a date, service code, window or clerk id, channel; '' for the hall")
    name: str = Field(description="its display name (Chinese)")
    issued: int
    served: int = Field(description="finished tickets (办结)")
    no_show: int = Field(description="passed tickets (过号), including those voided after a pass")
    cancelled: int
    waited: int = Field(description="tickets whose service started: the wait figures' population")
    avg_wait_s: float | None
    # Not the exact P-th wait: its whole minute's upper edge (waits 130, 140, 150, 600 s
    # give 180, the true P50 being 140), so a live day, a frozen day and a range agree.
    p50_wait_upper_s: int | None = Field(description=(
        "the P50 wait rounded up to its whole minute (nearest rank over a minute histogram;"
        " at most the longest wait): half the waits were at most this; see docs/stats.md"))
    p90_wait_upper_s: int | None = Field(description=(
        "the P90 wait rounded up to its whole minute, likewise: 90 % waited at most this"))
    max_wait_s: int
    avg_service_s: float | None
    within_target: int
    within_target_share: float | None
    no_show_rate: float | None
    ratings: list[int] = Field(description="counts of levels 1..5 (5 非常满意), malicious left out")
    rated: int
    satisfaction: float | None = Field(description="levels 3-5 over all rated; null when nobody rated")
    malicious: int
    cases_done: int
    cases_on_time: int
    on_time_rate: float | None


class StatsWaiting(BaseModel):
    service: str
    name: str
    waiting: int
    longest_wait_s: int


class StatsHour(BaseModel):
    hour: int
    served: int


class StatsBucket(BaseModel):
    from_min: int
    to_min: int | None = Field(description="null: and over")
    tickets: int


class StatsLiveOut(BaseModel):
    hall: str
    business_day: str
    at: str
    target_s: int
    alert: bool = Field(description="the longest wait now is past the target")
    longest_wait_s: int
    waiting_total: int
    waiting: list[StatsWaiting]
    windows_open: int = Field(description="open or serving")
    windows_paused: int
    windows_total: int
    today: StatsFigures
    per_service: list[StatsFigures]
    served_per_hour: list[StatsHour]
    histogram: list[StatsBucket]


class StatsRangeOut(BaseModel):
    hall: str
    from_day: str
    to_day: str
    target_s: int
    missing_days: list[str] = Field(description="past days of the range not frozen yet")
    total: StatsFigures
    per_day: list[StatsFigures]
    per_service: list[StatsFigures]
    per_window: list[StatsFigures]
    per_clerk: list[StatsFigures]
    per_channel: list[StatsFigures]
    histogram: list[StatsBucket]


class StatsTargetOut(BaseModel):
    hall: str
    target_s: int
    minutes: int


class StatsTargetIn(Strict):
    minutes: int = Field(ge=1, le=480, description="the hall's wait target in minutes")


class WaitAlertOut(BaseModel):
    hall: str
    active: bool
