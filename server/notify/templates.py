"""The one catalog of messages sent to citizens, in Chinese and English.

Pure: no I/O. A use case calls ``check`` before it queues a message, so a wrong
template name or a missing parameter fails the request that caused it rather
than a send minutes later; the worker calls ``render`` when it sends.

Parameters go into the text as they are and, for SMS, to the gateway as they
are: they must already be masked (``张*三``, ``138****1234``), never a full ID
or phone number. Only the parameters a template names are accepted, so nothing
else can ride along to a gateway.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class TemplateError(ValueError):
    """An unknown template, or parameters that do not match the template's."""


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str  # an e-mail's subject; SMS sends only the text
    text: str


@dataclass(frozen=True, slots=True)
class Template:
    params: tuple[str, ...]
    zh: Rendered  # str.format patterns over ``params``
    en: Rendered


CATALOG: Mapping[str, Template] = {
    "ticket_issued": Template(
        ("hall", "number", "service", "ahead"),
        Rendered(
            "取号成功 {number}",
            "【{hall}】您已取号 {number}（{service}），前面还有 {ahead} 人。请留意叫号。",
        ),
        Rendered(
            "Ticket {number}",
            "{hall}: your ticket is {number} ({service}); {ahead} people are ahead of you."
            " Please watch for your call.",
        ),
    ),
    "advance_notice": Template(
        ("hall", "number", "ahead"),
        Rendered(
            "即将叫号 {number}",
            "【{hall}】{number} 号：前面还有 {ahead} 人，请回到大厅。",
        ),
        Rendered(
            "Ticket {number}: nearly your turn",
            "{hall}: ticket {number}, {ahead} people ahead of you. Please come back to the hall.",
        ),
    ),
    "called": Template(
        ("number", "window"),
        Rendered("请 {number} 号办理", "请 {number} 号到 {window}号窗口办理"),
        Rendered("Ticket {number} is called", "Ticket {number}, please go to window {window}."),
    ),
    "sign_in_code": Template(
        ("code", "minutes"),
        Rendered(
            "一窗通登录验证码",
            "您的登录验证码是 {code}，{minutes} 分钟内有效。请勿告诉他人。",
        ),
        Rendered(
            "OneWindow sign-in code",
            "Your sign-in code is {code}, valid for {minutes} minutes. Do not share it.",
        ),
    ),
    "booking_confirmed": Template(
        ("hall", "service", "time", "code", "checkin"),
        Rendered(
            "预约成功 {time}",
            "【{hall}】您已预约 {time} 办理{service}，预约码 {code}。请于 {checkin} 在大厅取号机或手机上签到。",
        ),
        Rendered(
            "Appointment booked: {time}",
            "{hall}: you are booked for {service} at {time}; booking code {code}."
            " Check in at the kiosk or on your phone between {checkin}.",
        ),
    ),
    "booking_rescheduled": Template(
        ("hall", "service", "time", "code", "checkin"),
        Rendered(
            "预约已改期 {time}",
            "【{hall}】您的{service}预约已改到 {time}，预约码 {code}，请于 {checkin} 签到。",
        ),
        Rendered(
            "Appointment moved: {time}",
            "{hall}: your appointment for {service} is now at {time}; booking code {code};"
            " check in between {checkin}.",
        ),
    ),
    "booking_cancelled": Template(
        ("hall", "service", "time"),
        Rendered("预约已取消", "【{hall}】您 {time} 的{service}预约已取消。"),
        Rendered(
            "Appointment cancelled",
            "{hall}: your appointment for {service} at {time} is cancelled.",
        ),
    ),
    "booking_closed": Template(
        ("hall", "service", "time"),
        Rendered(
            "预约因大厅停办取消",
            "【{hall}】因大厅当天停止办公，您 {time} 的{service}预约已取消，请重新预约。给您带来不便，敬请谅解。",
        ),
        Rendered(
            "Appointment cancelled: hall closed",
            "{hall}: the hall is closed that day, so your appointment for {service} at {time}"
            " is cancelled. Please book another time. We apologise for the inconvenience.",
        ),
    ),
    "case_correction": Template(
        ("hall", "matter", "number", "items"),
        Rendered(
            "请补正材料 {number}",
            "【{hall}】您申请的{matter}（受理编号 {number}）需补正以下材料：{items}。请备齐后到大厅综合受理窗口办理。",
        ),
        Rendered(
            "Materials needed: {number}",
            "{hall}: your application for {matter} ({number}) needs these materials: {items}."
            " Please bring them all to the intake window.",
        ),
    ),
    "application_returned": Template(
        ("hall", "matter", "reference", "items"),
        Rendered(
            "网上申报需补正 {reference}",
            "【{hall}】您网上申报的{matter}（预审编号 {reference}）需补正：{items}。请登录手机页面补传后重新提交。",
        ),
        Rendered(
            "Application returned: {reference}",
            "{hall}: your online application for {matter} ({reference}) needs: {items}."
            " Please upload them on your phone and submit again.",
        ),
    ),
    "case_accepted": Template(
        ("hall", "matter", "number", "due"),
        Rendered(
            "已受理 {number}",
            "【{hall}】您申请的{matter}已受理，受理编号 {number}，承诺于 {due} 前办结。可凭受理编号和身份证号后4位查询进度。",
        ),
        Rendered(
            "Accepted: {number}",
            "{hall}: your application for {matter} is accepted as {number}; it will be decided"
            " by {due}. Follow it with the number and the last 4 characters of your ID number.",
        ),
    ),
    "case_refused": Template(
        ("hall", "matter", "number"),
        Rendered(
            "不予受理 {number}",
            "【{hall}】您申请的{matter}（编号 {number}）不予受理，原因详见书面告知，可到大厅咨询。",
        ),
        Rendered(
            "Not accepted: {number}",
            "{hall}: your application for {matter} ({number}) was not accepted; the written"
            " notice gives the reasons.",
        ),
    ),
    "case_supplement": Template(
        ("hall", "number", "reason"),
        Rendered(
            "请补充材料 {number}",
            "【{hall}】您的办件（受理编号 {number}）需要补充：{reason}。补齐前暂停计时，请尽快到大厅提交。",
        ),
        Rendered(
            "More needed: {number}",
            "{hall}: your case {number} needs: {reason}. Its time limit is paused until you"
            " bring it to the hall.",
        ),
    ),
    "case_result_ready": Template(
        ("hall", "matter", "number", "place"),
        Rendered(
            "办理结果可领取 {number}",
            "【{hall}】您申请的{matter}（受理编号 {number}）已办结，请携带身份证到{place}领取结果，取件请在取号机选择「领取结果」。",
        ),
        Rendered(
            "Result ready: {number}",
            "{hall}: the result of your application for {matter} ({number}) is ready. Bring"
            " your ID card to {place}; at the kiosk choose \"collect a result\".",
        ),
    ),
    "booking_reminder": Template(
        ("hall", "service", "time", "code", "checkin"),
        Rendered(
            "预约提醒 {time}",
            "【{hall}】提醒：您预约了 {time} 办理{service}，预约码 {code}。请于 {checkin} 签到，如不能前来请提前取消。",
        ),
        Rendered(
            "Reminder: appointment at {time}",
            "{hall}: reminder of your appointment for {service} at {time}, booking code {code}."
            " Please check in between {checkin}, or cancel if you cannot come.",
        ),
    ),
    # Ratings (差评整改): the supervisor's response to a bad rating, as the phone page shows it.
    "rating_response": Template(
        ("hall", "number", "response"),
        Rendered(
            "评价回复 {number}",
            "【{hall}】您对 {number} 的评价已处理，回复如下：{response} 感谢您的监督。",
        ),
        Rendered(
            "About your rating of {number}",
            "{hall}: your rating of {number} has been followed up: {response} Thank you.",
        ),
    ),
    # Complaints (投诉): the answer itself goes to the phone the citizen left.
    "complaint_answered": Template(
        ("hall", "number", "answer"),
        Rendered(
            "投诉已答复 {number}",
            "【{hall}】您的投诉（编号 {number}）已答复：{answer} 可凭投诉编号和查询码在手机页面查询。",
        ),
        Rendered(
            "Complaint answered: {number}",
            "{hall}: your complaint {number} has been answered: {answer} Look it up on your"
            " phone with the number and the query code.",
        ),
    ),
    # The query code is the complaint's only key: it goes to the phone left, and the
    # outbox keeps parameters sealed.
    "complaint_filed": Template(
        ("hall", "number", "code"),
        Rendered(
            "投诉已受理 {number}",
            "【{hall}】您的投诉已受理，编号 {number}，查询码 {code}，请妥善保存。"
            "我们将在5个工作日内答复。",
        ),
        Rendered(
            "Complaint received: {number}",
            "{hall}: your complaint {number} is received; its query code is {code}: keep it."
            " We answer within 5 working days.",
        ),
    ),
}


def check(template: str, params: Mapping[str, Any]) -> Template:
    """The template, if ``params`` are exactly the ones it takes; else ``TemplateError``."""
    t = CATALOG.get(template)
    if t is None:
        raise TemplateError(f"unknown message template {template!r}")
    missing = [p for p in t.params if p not in params]
    extra = sorted(set(params) - set(t.params))
    if missing or extra:
        raise TemplateError(
            f"template {template!r} takes {', '.join(t.params)}"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; unknown {', '.join(extra)}" if extra else "")
        )
    return t


def render(template: str, lang: str, params: Mapping[str, Any]) -> Rendered:
    """The message in ``lang`` (English for ``en``/``en-*``; Chinese otherwise)."""
    t = check(template, params)
    pattern = t.en if lang.lower().startswith("en") else t.zh
    values = {k: str(params[k]) for k in t.params}
    return Rendered(pattern.subject.format_map(values), pattern.text.format_map(values))
