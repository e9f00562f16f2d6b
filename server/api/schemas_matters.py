"""Request and response bodies of the matters catalog (事项).

The request is the JSON form ``server.domain.matter.parse_matter`` reads: the
types are checked here, the rules (ranges, repeated keys, 容缺 only for required
materials) there, so every refusal names its field either way.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StrictInt

from ..domain.config import ID_MAX
from ..domain.matter import MAX_DEPARTMENTS, MAX_MATERIALS, MAX_TEXT
from .schemas import Strict

# The domain's own limits (parse_matter), so the largest valid body is known: the
# endpoint's body limit (routes_matters.MAX_BODY) is set to hold it.
NAME_MAX = 100
PLACE_MAX = 200
SERVICE_MAX = 16


class MaterialIn(Strict):
    key: str | None = Field(default=None, max_length=32, description="a-z, 0-9, _; default m1, m2 … by position")
    name: str = Field(max_length=NAME_MAX)
    originals: StrictInt = Field(default=1, description="原件份数 (0–20)")
    copies: StrictInt = Field(default=0, description="复印件份数 (0–20)")
    required: bool = True
    waivable: bool = Field(default=False, description="容缺: may be missing at intake, to be brought before pickup (required ones only)")


class MatterIn(Strict):
    name: str = Field(max_length=NAME_MAX)
    name_en: str = Field(default="", max_length=PLACE_MAX)
    departments: list[Annotated[str, Field(max_length=ID_MAX)]] = Field(max_length=MAX_DEPARTMENTS, description="approving back-office department ids, the lead first; the others approve in parallel")
    materials: list[MaterialIn] = Field(default_factory=list, max_length=MAX_MATERIALS)
    promised_days: StrictInt = Field(description="承诺时限, working days (1–365)")
    legal_days: StrictInt | None = Field(default=None, description="法定时限, working days, at least promised_days (default: promised_days)")
    intake_service: str = Field(max_length=SERVICE_MAX, description="the queue service whose windows take it in")
    pickup_service: str = Field(max_length=SERVICE_MAX, description="the queue service whose windows hand out results")
    fees: str = Field(default="", max_length=MAX_TEXT, description="收费标准")
    apply_at: str = Field(default="", max_length=PLACE_MAX, description="办理地点")
    pickup_at: str = Field(default="", max_length=PLACE_MAX, description="where to collect the result")
    enabled: bool = Field(default=True, description="false: kept for its cases, but no longer listed or taken in")


class DepartmentRef(BaseModel):
    id: str
    name: str
    lead: bool


class MaterialOut(BaseModel):
    key: str
    name: str
    originals: int
    copies: int
    required: bool
    waivable: bool


class MatterOut(BaseModel):
    code: str
    name: str
    name_en: str
    initials: str = Field(description="lowercase pinyin initials of the name (居民身份证换领: jmsfzhl)")
    lead_department: str
    departments: list[DepartmentRef]
    materials: list[MaterialOut]
    promised_days: int
    legal_days: int
    intake_service: str
    intake_service_name: str
    pickup_service: str
    pickup_service_name: str
    fees: str
    apply_at: str
    pickup_at: str
    enabled: bool


class MatterList(BaseModel):
    matters: list[MatterOut]
