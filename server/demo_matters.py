"""The demo hall's catalog of matters (事项), in the JSON form the admin API takes.

Realistic but illustrative: time limits, fees and materials follow common practice
in Shandong's halls, not any one county's official catalog. Intake is at the
综合受理 windows (D; real estate at C, social insurance at A) and every result
is handed out at the 统一出件 window (E).
"""

from __future__ import annotations

from typing import Any

_ID_CARD = {"key": "id_card", "name": "申请人居民身份证", "originals": 1, "copies": 1}
_APPLY_AT = "一楼综合受理区 4号、5号窗口"
_PICKUP_AT = "一楼 6号统一出件窗口，或申请免费邮寄送达"

MATTERS: dict[str, dict[str, Any]] = {
    "GA-001": {
        "name": "居民身份证换领",
        "name_en": "Renewal of the resident ID card",
        "departments": ["gaj"],
        "materials": [
            {"key": "old_card", "name": "原居民身份证", "originals": 1},
            {"key": "hukou", "name": "居民户口簿", "originals": 1},
            {"key": "photo", "name": "数码照片回执（现场可免费采集）", "originals": 1,
             "required": False},
        ],
        "promised_days": 15, "legal_days": 60,
        "intake_service": "D", "pickup_service": "E",
        "fees": "工本费 20 元（换领、补领）；临时居民身份证 10 元",
        "apply_at": _APPLY_AT, "pickup_at": _PICKUP_AT,
    },
    "GA-002": {
        "name": "户口迁入（投靠直系亲属）",
        "name_en": "Household registration: moving in with close family",
        "departments": ["gaj"],
        "materials": [
            {"key": "hukou_self", "name": "申请人居民户口簿", "originals": 1},
            _ID_CARD,
            {"key": "hukou_host", "name": "被投靠人居民户口簿", "originals": 1, "copies": 1},
            {"key": "kinship", "name": "亲属关系证明（出生医学证明、结婚证等）", "originals": 1,
             "copies": 1, "waivable": True},
            {"key": "housing", "name": "被投靠人合法稳定住所证明", "originals": 1, "copies": 1},
        ],
        "promised_days": 5, "legal_days": 20,
        "intake_service": "D", "pickup_service": "E",
        "fees": "不收费", "apply_at": _APPLY_AT, "pickup_at": _PICKUP_AT,
    },
    "SC-001": {
        "name": "个体工商户设立登记",
        "name_en": "Registration of a sole proprietorship",
        "departments": ["scjgj", "swj"],
        "materials": [
            {"key": "application", "name": "个体工商户设立登记申请书", "originals": 1},
            {"key": "operator_id", "name": "经营者居民身份证", "originals": 1, "copies": 1},
            {"key": "premises", "name": "经营场所使用证明（租赁合同或产权证明）", "originals": 0,
             "copies": 1, "waivable": True},
        ],
        "promised_days": 1, "legal_days": 15,
        "intake_service": "D", "pickup_service": "E",
        "fees": "不收费", "apply_at": _APPLY_AT, "pickup_at": _PICKUP_AT,
    },
    "SC-002": {
        "name": "食品经营许可（新办）",
        "name_en": "Food business licence (new)",
        "departments": ["scjgj"],
        "materials": [
            {"key": "application", "name": "食品经营许可申请书", "originals": 1},
            {"key": "licence", "name": "营业执照", "originals": 0, "copies": 1},
            {"key": "layout", "name": "经营场所平面布局图及设备布局图", "originals": 1},
            {"key": "rules", "name": "食品安全管理制度文本", "originals": 1, "waivable": True},
            {"key": "legal_rep_id", "name": "法定代表人（负责人）身份证明", "originals": 0,
             "copies": 1},
        ],
        "promised_days": 10, "legal_days": 20,
        "intake_service": "D", "pickup_service": "E",
        "fees": "不收费", "apply_at": _APPLY_AT, "pickup_at": _PICKUP_AT,
    },
    "QY-001": {
        "name": "企业开办（一件事）",
        "name_en": "Starting a business (one-stop)",
        "departments": ["scjgj", "gaj", "swj", "sbzx"],
        "materials": [
            {"key": "application", "name": "公司登记（备案）申请书", "originals": 1},
            {"key": "articles", "name": "公司章程", "originals": 1},
            {"key": "shareholder_id", "name": "股东、法定代表人身份证明", "originals": 0,
             "copies": 1},
            {"key": "address", "name": "住所使用证明", "originals": 0, "copies": 1,
             "waivable": True},
            {"key": "seal_form", "name": "印章刻制申请表", "originals": 1},
        ],
        "promised_days": 1, "legal_days": 3,
        "intake_service": "D", "pickup_service": "E",
        "fees": "免费（首套印章由政府购买服务）",
        "apply_at": _APPLY_AT, "pickup_at": _PICKUP_AT,
    },
    "BDC-001": {
        "name": "存量房转移登记（二手房买卖）",
        "name_en": "Transfer registration of a second-hand home",
        "departments": ["zrzyj", "swj"],
        "materials": [
            {"key": "certificate", "name": "不动产权证书", "originals": 1},
            {"key": "ids", "name": "买卖双方身份证明", "originals": 1, "copies": 1},
            {"key": "contract", "name": "存量房买卖合同（网签）", "originals": 1},
            {"key": "marriage", "name": "婚姻状况证明（可书面承诺）", "originals": 1,
             "waivable": True},
            {"key": "tax_form", "name": "契税纳税申报表", "originals": 1},
        ],
        "promised_days": 3, "legal_days": 30,
        "intake_service": "C", "pickup_service": "E",
        "fees": "住宅 80 元/件，非住宅 550 元/件；每增加一本证书加收工本费 10 元",
        "apply_at": "一楼不动产登记区 3号、4号窗口", "pickup_at": _PICKUP_AT,
    },
    "RS-001": {
        "name": "社会保障卡补领",
        "name_en": "Replacement social security card",
        "departments": ["sbzx"],
        "materials": [_ID_CARD],
        "promised_days": 7, "legal_days": 15,
        "intake_service": "A", "pickup_service": "E",
        "fees": "不收费",
        "apply_at": "一楼社保医保区 1号、2号窗口", "pickup_at": _PICKUP_AT,
    },
}
