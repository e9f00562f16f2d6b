"""Matters (事项): what a citizen can apply for, as the hall's catalog lists it.

A matter names the departments that approve it (one lead, others in parallel),
the materials to bring, the promised and legal time limits in working days, and
the queue services that take it in and hand out its result. Pure values and
their validation; the catalog's store and search live elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import InvalidInput

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
_MATERIAL_KEY = re.compile(r"^[a-z0-9_]{1,32}$")
MAX_MATERIALS = 60
MAX_DEPARTMENTS = 12
MAX_DAYS = 365
MAX_TEXT = 2000


@dataclass(frozen=True, slots=True)
class Material:
    key: str  # stable within the matter: checklists and correction notices name it
    name: str
    originals: int = 1  # 原件份数
    copies: int = 0  # 复印件份数
    required: bool = True
    waivable: bool = False  # 容缺: may be accepted without it, to be brought before pickup


@dataclass(frozen=True, slots=True)
class Matter:
    hall_id: str
    code: str
    name: str
    lead_department: str
    departments: tuple[str, ...]  # every approving department, the lead first
    materials: tuple[Material, ...]
    promised_days: int  # 承诺时限 (working days)
    legal_days: int  # 法定时限
    intake_service: str  # the queue service whose windows take it in
    pickup_service: str  # the queue service whose windows hand out results
    fees: str = ""
    apply_at: str = ""  # where to apply (办理地点)
    pickup_at: str = ""  # where to collect the result
    name_en: str = ""
    initials: str = ""  # pinyin initials of the name, for the guide's search
    enabled: bool = True

    def material(self, key: str) -> Material | None:
        return next((m for m in self.materials if m.key == key), None)


def _bad(code: str, message: str, message_zh: str, field: str) -> InvalidInput:
    return InvalidInput(code, message, message_zh, field=field)


def _text(obj: Mapping[str, Any], key: str, *, required: bool, limit: int = 200,
          path: str = "") -> str:  # fmt: skip
    path = path or key  # a material's name reports materials.N.name, not the matter's
    value = obj.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str) or len(value.strip()) > limit:
        raise _bad("matter_invalid", f"{key}: text of at most {limit} characters",
                   f"{key}：须为不超过 {limit} 个字的文字", path)  # fmt: skip
    if required and not value.strip():
        raise _bad("matter_invalid", f"{key} is required", f"{key}：不能为空", path)
    return value.strip()


def _count(obj: Mapping[str, Any], key: str, default: int, lo: int, hi: int, path: str) -> int:
    value = obj.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise _bad("matter_invalid", f"{key}: a whole number from {lo} to {hi}",
                   f"{key}：须为 {lo} 到 {hi} 的整数", path)  # fmt: skip
    return value


def _flag(obj: Mapping[str, Any], key: str, default: bool, path: str) -> bool:
    value = obj.get(key, default)
    if not isinstance(value, bool):
        raise _bad("matter_invalid", f"{key}: true or false", f"{key}：须为 true 或 false", path)
    return value


def parse_materials(items: object) -> tuple[Material, ...]:
    if not isinstance(items, Sequence) or isinstance(items, str) or len(items) > MAX_MATERIALS:
        raise _bad("matter_invalid", f"materials: a list of at most {MAX_MATERIALS}",
                   f"材料清单须为不超过 {MAX_MATERIALS} 项的列表", "materials")  # fmt: skip
    out: list[Material] = []
    for i, item in enumerate(items):
        path = f"materials.{i}"
        if not isinstance(item, Mapping):
            raise _bad("matter_invalid", "each material is an object", "每项材料须为对象", path)
        key = item.get("key", f"m{i + 1}")
        if not isinstance(key, str) or not _MATERIAL_KEY.fullmatch(key):
            raise _bad("matter_invalid", "material key: a-z, 0-9, _ (up to 32)",
                       "材料编号只能含小写字母、数字和下划线", f"{path}.key")  # fmt: skip
        if any(m.key == key for m in out):
            raise _bad("matter_invalid", f"material key {key!r} is repeated",
                       f"材料编号 {key} 重复", f"{path}.key")  # fmt: skip
        required = _flag(item, "required", True, f"{path}.required")
        waivable = _flag(item, "waivable", False, f"{path}.waivable")
        if waivable and not required:
            raise _bad("matter_invalid", "only a required material can be waived (容缺)",
                       "只有必交材料才能设为容缺", f"{path}.waivable")  # fmt: skip
        out.append(Material(
            key=key, name=_text(item, "name", required=True, limit=100, path=f"{path}.name"),
            originals=_count(item, "originals", 1, 0, 20, f"{path}.originals"),
            copies=_count(item, "copies", 0, 0, 20, f"{path}.copies"),
            required=required, waivable=waivable,
        ))  # fmt: skip
    return tuple(out)


def parse_matter(hall_id: str, code: str, obj: Mapping[str, Any], initials: str = "") -> Matter:
    """A matter from its JSON form (admin API, hall document); errors name the field."""
    if not _CODE.fullmatch(code):  # fullmatch: "$" alone lets a final newline in
        raise _bad("matter_invalid", "code: letters, digits, _ . - (up to 40)",
                   "事项编码只能含字母、数字和 _ . -", "code")  # fmt: skip
    depts = obj.get("departments")
    if (not isinstance(depts, Sequence) or isinstance(depts, str) or not depts
            or len(depts) > MAX_DEPARTMENTS
            or not all(isinstance(d, str) and d for d in depts)):  # fmt: skip
        raise _bad("matter_invalid", "departments: the approving departments, the lead first",
                   "审批部门须为部门编号列表，牵头部门在前", "departments")  # fmt: skip
    if len(set(depts)) != len(depts):
        raise _bad("matter_invalid", "a department is listed twice", "审批部门重复", "departments")
    promised = _count(obj, "promised_days", 0, 1, MAX_DAYS, "promised_days")
    legal = _count(obj, "legal_days", promised, 1, MAX_DAYS, "legal_days")
    if promised > legal:
        raise _bad("matter_invalid", "the promised limit cannot exceed the legal limit",
                   "承诺时限不能超过法定时限", "promised_days")  # fmt: skip
    return Matter(
        hall_id=hall_id, code=code,
        name=_text(obj, "name", required=True, limit=100),
        name_en=_text(obj, "name_en", required=False, limit=200),
        lead_department=depts[0], departments=tuple(depts),
        materials=parse_materials(obj.get("materials", [])),
        promised_days=promised, legal_days=legal,
        intake_service=_text(obj, "intake_service", required=True, limit=16),
        pickup_service=_text(obj, "pickup_service", required=True, limit=16),
        fees=_text(obj, "fees", required=False, limit=MAX_TEXT),
        apply_at=_text(obj, "apply_at", required=False),
        pickup_at=_text(obj, "pickup_at", required=False),
        initials=initials,
        enabled=_flag(obj, "enabled", True, "enabled"),
    )  # fmt: skip


def matter_json(m: Matter) -> dict[str, Any]:
    """The JSON form parse_matter reads back (without hall and code, which name it)."""
    return {
        "name": m.name, "name_en": m.name_en, "departments": list(m.departments),
        "materials": [
            {"key": x.key, "name": x.name, "originals": x.originals, "copies": x.copies,
             "required": x.required, "waivable": x.waivable}
            for x in m.materials
        ],
        "promised_days": m.promised_days, "legal_days": m.legal_days,
        "intake_service": m.intake_service, "pickup_service": m.pickup_service,
        "fees": m.fees, "apply_at": m.apply_at, "pickup_at": m.pickup_at, "enabled": m.enabled,
    }  # fmt: skip
