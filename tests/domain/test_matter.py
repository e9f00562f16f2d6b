"""Tests for server.domain.matter: the catalog's matter values, their JSON validation
(every refusal names the field at fault) and the JSON form's round trip."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from typing import Any

import pytest

from server.domain.errors import InvalidInput
from server.domain.matter import (
    MAX_DAYS,
    MAX_DEPARTMENTS,
    MAX_MATERIALS,
    MAX_TEXT,
    Material,
    Matter,
    matter_json,
    parse_materials,
    parse_matter,
)

CJK = re.compile(r"[\u4e00-\u9fff]")
CODE = "food.licence"
VALID: dict[str, Any] = {
    "name": "食品经营许可",
    "name_en": "Food business licence",
    "departments": ["market", "health", "fire"],
    "materials": [
        {"key": "form", "name": "申请书"},
        {"key": "id_card", "name": "身份证", "originals": 1, "copies": 2},
        {"key": "lease", "name": "场地租赁合同", "waivable": True},
        {"key": "photo", "name": "门头照片", "required": False, "originals": 0, "copies": 1},
    ],
    "promised_days": 5,
    "legal_days": 20,
    "intake_service": "A",
    "pickup_service": "P",
    "fees": "不收费",
    "apply_at": "二楼 12 号窗口",
    "pickup_at": "一楼统一出件窗口",
}
DROP = object()  # a value meaning "leave the key out"


def changed(**changes: object) -> dict[str, Any]:
    obj = copy.deepcopy(VALID)
    for k, v in changes.items():
        if v is DROP:
            obj.pop(k, None)
        else:
            obj[k] = v
    return obj


def with_material(i: int, **changes: object) -> dict[str, Any]:
    obj = copy.deepcopy(VALID)
    for k, v in changes.items():
        if v is DROP:
            obj["materials"][i].pop(k, None)
        else:
            obj["materials"][i][k] = v
    return obj


def refused(obj: dict[str, Any], code: str = CODE) -> str | None:
    """The field a refusal names (after checking it is a bilingual matter_invalid)."""
    with pytest.raises(InvalidInput) as exc:
        parse_matter("h1", code, obj)
    assert exc.value.code == "matter_invalid"
    assert re.search(r"[a-z]{3}", exc.value.message)  # English (it may gloss a term: 容缺)
    assert CJK.search(exc.value.message_zh)
    return exc.value.field


# --- the happy path ----------------------------------------------------------------


def test_a_full_matter_is_read_with_the_lead_first() -> None:
    m = parse_matter("h1", CODE, VALID, initials="spjyxk")
    assert (m.hall_id, m.code, m.name, m.name_en) == (
        "h1", CODE, "食品经营许可", "Food business licence")  # fmt: skip
    assert m.lead_department == "market"
    assert m.departments == ("market", "health", "fire")
    assert m.materials == (
        Material("form", "申请书", originals=1, copies=0, required=True, waivable=False),
        Material("id_card", "身份证", originals=1, copies=2),
        Material("lease", "场地租赁合同", waivable=True),
        Material("photo", "门头照片", originals=0, copies=1, required=False),
    )
    assert (m.promised_days, m.legal_days) == (5, 20)
    assert (m.intake_service, m.pickup_service) == ("A", "P")
    assert (m.fees, m.apply_at, m.pickup_at) == ("不收费", "二楼 12 号窗口", "一楼统一出件窗口")
    assert m.initials == "spjyxk" and m.enabled is True
    assert m.material("lease") is m.materials[2] and m.material("passport") is None


def test_optional_fields_default_and_text_is_trimmed() -> None:
    obj = {
        "name": "  户籍迁入  ", "departments": ("police",), "promised_days": 3,
        "intake_service": " B ", "pickup_service": "B", "name_en": None, "enabled": False,
    }  # fmt: skip
    m = parse_matter("h1", "hukou-01", obj)
    assert (m.name, m.intake_service) == ("户籍迁入", "B")
    assert (m.name_en, m.fees, m.apply_at, m.pickup_at, m.initials) == ("", "", "", "", "")
    assert m.materials == () and m.enabled is False
    assert m.legal_days == 3  # the legal limit defaults to the promised one
    assert m.departments == ("police",) and m.lead_department == "police"


def test_a_material_without_a_key_is_numbered_by_its_place() -> None:
    got = parse_materials([{"name": "申请书"}, {"key": "photo", "name": "照片"}, {"name": "图"}])
    assert [x.key for x in got] == ["m1", "photo", "m3"]


def test_limits_at_their_edges_are_accepted() -> None:
    m = parse_matter("h1", "a" * 40, changed(
        name="名" * 100, promised_days=MAX_DAYS, legal_days=MAX_DAYS,
        departments=[f"d{i}" for i in range(MAX_DEPARTMENTS)], fees="费" * MAX_TEXT,
        materials=[{"key": "k" * 32, "name": "材" * 100, "originals": 20, "copies": 20}]
        + [{"name": f"材料{i}"} for i in range(MAX_MATERIALS - 1)],
    ))  # fmt: skip
    assert len(m.departments) == MAX_DEPARTMENTS and len(m.materials) == MAX_MATERIALS
    assert m.promised_days == m.legal_days == MAX_DAYS
    same = parse_matter("h1", CODE, changed(promised_days=20, legal_days=20))
    assert same.promised_days == same.legal_days == 20


# --- refusals, each with its field -----------------------------------------------------


@pytest.mark.parametrize("code", ["A1", "food.licence", "biz_licence-2", "9", "x" * 40])
def test_good_codes(code: str) -> None:
    assert parse_matter("h1", code, VALID).code == code


@pytest.mark.parametrize(
    "code", ["", "-food", ".food", "_food", "food licence", "食品", "a/b", "x" * 41, "food\n"]
)
def test_bad_codes(code: str) -> None:
    assert refused(VALID, code) == "code"


@pytest.mark.parametrize(
    "departments",
    [DROP, None, [], "market", {"market": 1}, ["market", ""], ["market", 3],
     [f"d{i}" for i in range(MAX_DEPARTMENTS + 1)]],
)  # fmt: skip
def test_bad_departments(departments: object) -> None:
    assert refused(changed(departments=departments)) == "departments"


def test_a_department_listed_twice_is_refused() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_matter("h1", CODE, changed(departments=["market", "health", "market"]))
    assert exc.value.field == "departments" and "twice" in exc.value.message


@pytest.mark.parametrize("bad", [DROP, None, 0, -1, MAX_DAYS + 1, True, "5", 5.0])
def test_bad_promised_days(bad: object) -> None:
    assert refused(changed(promised_days=bad)) == "promised_days"


@pytest.mark.parametrize("bad", [None, 0, MAX_DAYS + 1, False, True, "20", 20.0])
def test_bad_legal_days(bad: object) -> None:
    assert refused(changed(legal_days=bad)) == "legal_days"


def test_the_promised_limit_cannot_exceed_the_legal_one() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_matter("h1", CODE, changed(promised_days=21, legal_days=20))
    assert exc.value.field == "promised_days" and "legal" in exc.value.message


@pytest.mark.parametrize(
    ("key", "bad"),
    [
        ("name", DROP), ("name", ""), ("name", "   "), ("name", None), ("name", 7),
        pytest.param("name", "名" * 101, id="name-long"), ("name_en", "x" * 201),
        ("name_en", ["x"]),
        ("intake_service", DROP), ("intake_service", "A" * 17), ("pickup_service", ""),
        pytest.param("fees", "费" * (MAX_TEXT + 1), id="fees-long"),
        pytest.param("apply_at", "地" * 201, id="apply_at-long"), ("pickup_at", 1),
        ("enabled", 1), ("enabled", "true"), ("enabled", None),
    ],
)  # fmt: skip
def test_bad_text_and_flags(key: str, bad: object) -> None:
    assert refused(changed(**{key: bad})) == key


@pytest.mark.parametrize(
    "materials",
    [None, "申请书", {"form": "申请书"}, [{"name": f"m{i}"} for i in range(MAX_MATERIALS + 1)]],
)
def test_materials_must_be_a_short_list(materials: object) -> None:
    assert refused(changed(materials=materials)) == "materials"


def test_each_material_must_be_an_object() -> None:
    assert refused(changed(materials=[{"name": "申请书"}, "身份证"])) == "materials.1"


@pytest.mark.parametrize(
    "key", ["ID_card", "id-card", "id card", "", "k" * 33, "身份证", 5, None, "form\n"]
)
def test_bad_material_keys(key: object) -> None:
    assert refused(with_material(1, key=key)) == "materials.1.key"


def test_a_repeated_material_key_is_refused() -> None:
    assert refused(with_material(2, key="form")) == "materials.2.key"
    # A default key counts too: the second material would be "m2" as well.
    clash = changed(materials=[{"key": "m2", "name": "申请书"}, {"name": "身份证"}])
    assert refused(clash) == "materials.1.key"


def test_only_a_required_material_can_be_waivable() -> None:
    assert refused(with_material(3, waivable=True)) == "materials.3.waivable"
    assert refused(with_material(2, required=False)) == "materials.2.waivable"


@pytest.mark.parametrize("field", ["originals", "copies"])
@pytest.mark.parametrize("bad", [-1, 21, None, "1", 1.0, True, False])
def test_material_counts_out_of_range_or_not_whole_numbers(field: str, bad: object) -> None:
    assert refused(with_material(1, **{field: bad})) == f"materials.1.{field}"


@pytest.mark.parametrize("field", ["required", "waivable"])
@pytest.mark.parametrize("bad", [1, 0, "yes", None])
def test_material_flags_must_be_booleans(field: str, bad: object) -> None:
    assert refused(with_material(0, **{field: bad})) == f"materials.0.{field}"


@pytest.mark.parametrize("bad", [DROP, "", "  ", None, 3, pytest.param("材" * 101, id="long")])
def test_a_material_name_error_points_at_the_material(bad: object) -> None:
    assert refused(with_material(2, name=bad)) == "materials.2.name"


# --- the JSON form -------------------------------------------------------------------


@pytest.mark.parametrize(
    "obj",
    [
        VALID,
        changed(enabled=False, fees=DROP, name_en=DROP, materials=DROP, legal_days=DROP),
        changed(materials=[{"name": "申请书"}, {"name": "照片", "required": False}]),
    ],
)
def test_matter_json_round_trips_through_parse_matter(obj: dict[str, Any]) -> None:
    m = parse_matter("h1", CODE, obj, initials="spjyxk")
    out = matter_json(m)
    assert "code" not in out and "hall_id" not in out and "initials" not in out
    again = parse_matter("h1", CODE, json.loads(json.dumps(out)), initials="spjyxk")
    assert again == m
    assert matter_json(again) == out


def test_matter_json_writes_every_material_field_and_flag() -> None:
    out = matter_json(parse_matter("h1", CODE, changed(enabled=False)))
    assert out["materials"][3] == {"key": "photo", "name": "门头照片", "originals": 0,
                                   "copies": 1, "required": False, "waivable": False}  # fmt: skip
    assert out["departments"] == ["market", "health", "fire"]
    assert out["enabled"] is False and out["legal_days"] == 20


def test_a_matter_is_a_frozen_value() -> None:
    m = parse_matter("h1", CODE, VALID)
    assert isinstance(m, Matter) and hash(m.materials[0]) == hash(Material("form", "申请书"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.name = "x"  # type: ignore[misc]
