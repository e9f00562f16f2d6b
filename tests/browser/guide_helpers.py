"""Helpers for the 办事指南 tests (phone, kiosk, admin): back offices serving the test hall
and a small catalog of matters, written through the admin API as an administrator would."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from tests.browser.test_admin import Api, make_admin


@dataclass
class Catalog:
    admin: str
    api: Api
    hall: str
    depts: dict[str, str]  # short name -> the department's id (unique to the test)
    names: dict[str, str]  # department id -> its name

    async def put_matter(self, code: str, body: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = await self.api.ok(
            "PUT", f"/api/admin/halls/{self.hall}/matters/{code}", self.admin, body
        )
        return out


DEPARTMENTS = {"gaj": "公安局户政管理", "scj": "市场监管局", "swj": "税务局"}


def matters(d: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Three matters over services A and B, results handed out at D."""
    return {
        "GA-1": {
            "name": "居民身份证换领", "name_en": "Renewal of the resident ID card",
            "departments": [d["gaj"]],
            "materials": [
                {"key": "old_card", "name": "原居民身份证", "originals": 1},
                {"key": "hukou", "name": "居民户口簿", "originals": 1, "copies": 1},
                {"key": "photo", "name": "数码照片回执", "originals": 1, "required": False},
            ],
            "promised_days": 15, "legal_days": 60, "intake_service": "A", "pickup_service": "D",
            "fees": "工本费 20 元", "apply_at": "一楼综合受理区 1号窗口",
            "pickup_at": "一楼 4号统一出件窗口",
        },
        "GA-2": {
            "name": "户口迁入（投靠直系亲属）", "departments": [d["gaj"]],
            "materials": [
                {"key": "hukou", "name": "被投靠人居民户口簿", "originals": 1, "copies": 1},
                {"key": "kinship", "name": "亲属关系证明", "originals": 1, "copies": 1,
                 "waivable": True},
            ],
            "promised_days": 5, "legal_days": 20, "intake_service": "A", "pickup_service": "D",
            "fees": "不收费",
        },
        "SC-1": {
            "name": "个体工商户设立登记", "departments": [d["scj"], d["swj"]],
            "materials": [{"key": "application", "name": "设立登记申请书", "originals": 1}],
            "promised_days": 1, "legal_days": 15, "intake_service": "B", "pickup_service": "D",
        },
    }  # fmt: skip


async def seed_catalog(base: str, pg_url: str, hall: str, *, with_matters: bool = True) -> Catalog:
    """Three back offices serving `hall` (ids unique to this test), and the matters above."""
    admin = await make_admin(pg_url)
    api = Api(base)
    tag = secrets.token_hex(3)
    depts = {short: f"{short}-{tag}" for short in DEPARTMENTS}
    for short, dept in depts.items():
        await api.ok("POST", "/api/admin/departments", admin, {
            "id": dept, "name": DEPARTMENTS[short], "kind": "back", "halls": [hall],
        })  # fmt: skip
    cat = Catalog(admin, api, hall, depts, {depts[s]: n for s, n in DEPARTMENTS.items()})
    if with_matters:
        for code, body in matters(depts).items():
            await cat.put_matter(code, body)
    return cat
