"""The hall's figures for supervisors and admins, their CSV export, and the wait target."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..domain import stats as st
from ..domain.stats import Tally
from ..domain.stats_range import BadQuery
from ..store import stats_sql
from ..usecases.stats import Live, Range, Stats
from . import schemas_stats as m
from .http import Endpoint, ok
from .state import signed_in, state

TABLES = ("day", "service", "window", "clerk", "channel", "histogram")
_CSV_HEAD = ["键 key", "名称 name", "取号 issued", "办结 served", "过号 no-show", "取消 cancelled",
             "平均等候(秒) avg wait s", "P50等候上限(秒,整分钟) p50 wait upper s", "P90等候上限(秒,整分钟) p90 wait upper s", "最长等候(秒) max wait s",
             "平均办理(秒) avg service s", "目标内占比 within target", "过号率 no-show rate",
             "评价数 rated", "满意率 satisfaction", "恶意评价 malicious", "办件办结 cases done",
             "按时办结率 on-time rate"]  # fmt: skip


def stats_of(request: Request) -> Stats:
    found: Stats = request.app.state.stats
    return found


def figures(key: str, name: str, t: Tally) -> m.StatsFigures:
    return m.StatsFigures(
        key=key, name=name, issued=t.issued, served=t.served, no_show=t.no_show,
        cancelled=t.cancelled, waited=t.waited, avg_wait_s=_r(t.avg_wait_s),
        p50_wait_upper_s=t.wait_percentile_upper_s(50),
        p90_wait_upper_s=t.wait_percentile_upper_s(90),
        max_wait_s=t.wait_max_s, avg_service_s=_r(t.avg_service_s),
        within_target=t.within_target, within_target_share=_r(t.within_share, 4),
        no_show_rate=_r(t.no_show_rate, 4), ratings=list(t.ratings), rated=sum(t.ratings),
        satisfaction=_r(t.satisfaction, 4), malicious=t.malicious, cases_done=t.cases_done,
        cases_on_time=t.cases_on_time, on_time_rate=_r(t.on_time_rate, 4),
    )  # fmt: skip


def _r(x: float | None, digits: int = 1) -> float | None:
    return None if x is None else round(x, digits)


def _buckets(t: Tally) -> list[m.StatsBucket]:
    return [m.StatsBucket(from_min=lo, to_min=hi, tickets=n) for lo, hi, n in st.display_histogram(t.hist)]  # fmt: skip


def live_out(v: Live, names: dict[str, dict[str, str]]) -> m.StatsLiveOut:
    svc = names["service"]
    return m.StatsLiveOut(
        hall=v.hall_id, business_day=v.business_day.isoformat(), at=v.at.isoformat(),
        target_s=v.target_s, alert=v.alert, longest_wait_s=v.longest_wait_s,
        waiting_total=sum(n for _, n, _ in v.waiting),
        waiting=[m.StatsWaiting(service=s, name=svc.get(s, s), waiting=n, longest_wait_s=w)
                 for s, n, w in v.waiting],
        windows_open=v.windows.get("open", 0) + v.windows.get("serving", 0),
        windows_paused=v.windows.get("paused", 0), windows_total=sum(v.windows.values()),
        today=figures("", "全厅", v.tally),
        per_service=[figures(k, svc.get(k, k), t) for k, t in sorted(v.per_service.items())],
        served_per_hour=[m.StatsHour(hour=h, served=n) for h, n in v.per_hour.items()],
        histogram=_buckets(v.tally),
    )  # fmt: skip


def _rows(r: Range, dim: str, names: dict[str, dict[str, str]]) -> list[m.StatsFigures]:
    if dim == "day":
        return [figures(d.isoformat(), d.isoformat(), t) for d, t in r.per_day.items()]
    known = names[dim]
    return [figures(k, known.get(k, k), t) for k, t in sorted(r.by[dim].items())]


def range_out(r: Range, names: dict[str, dict[str, str]]) -> m.StatsRangeOut:
    return m.StatsRangeOut(
        hall=r.hall_id, from_day=r.first.isoformat(), to_day=r.last.isoformat(),
        target_s=r.target_s, missing_days=[d.isoformat() for d in r.missing],
        total=figures("", "全厅", r.total), per_day=_rows(r, "day", names),
        per_service=_rows(r, "service", names), per_window=_rows(r, "window", names),
        per_clerk=_rows(r, "clerk", names), per_channel=_rows(r, "channel", names),
        histogram=_buckets(r.total),
    )  # fmt: skip


async def live(request: Request, _: Any) -> Response:
    hall = request.path_params["hall"]
    s = stats_of(request)
    v = await s.live(signed_in(request), hall)
    return ok(live_out(v, await s.names(hall)))


async def _range(request: Request) -> Range:
    q = request.query_params
    return await stats_of(request).range(signed_in(request), request.path_params["hall"],
                                         q.get("from"), q.get("to"))  # fmt: skip


async def date_range(request: Request, _: Any) -> Response:
    r = await _range(request)
    return ok(range_out(r, await stats_of(request).names(r.hall_id)))


async def export(request: Request, _: Any) -> Response:
    table = request.query_params.get("table", "")
    if table not in TABLES:
        raise BadQuery("table_invalid", f"table must be one of {', '.join(TABLES)}",
                       "导出的表格名称不正确", field="table")  # fmt: skip
    r = await _range(request)
    if table == "histogram":
        head = ["等候时长起(分) from min", "至(分) to min", "号票数 tickets"]
        body: Iterable[list[Any]] = ([lo, "" if hi is None else hi, n]
                                     for lo, hi, n in st.display_histogram(r.total.hist))  # fmt: skip
    else:
        head = ["日期 date", *_CSV_HEAD[1:]] if table == "day" else _CSV_HEAD
        body = (_csv_row(f) for f in _rows(r, table, await stats_of(request).names(r.hall_id)))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(head)
    w.writerows(body)
    hall = re.sub(r"[^A-Za-z0-9_-]", "_", r.hall_id)  # a header is ASCII
    name = f"stats-{hall}-{table}-{r.first.isoformat()}-{r.last.isoformat()}.csv"
    # The BOM tells Excel the file is UTF-8: without it Chinese opens as mojibake.
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{name}"'})  # fmt: skip


def _csv_row(f: m.StatsFigures) -> list[Any]:
    def blank(x: object) -> object:
        return "" if x is None else x

    return [f.key, f.name, f.issued, f.served, f.no_show, f.cancelled, blank(f.avg_wait_s),
            blank(f.p50_wait_upper_s), blank(f.p90_wait_upper_s), f.max_wait_s, blank(f.avg_service_s),
            blank(f.within_target_share), blank(f.no_show_rate), f.rated, blank(f.satisfaction),
            f.malicious, f.cases_done, blank(f.on_time_rate)]  # fmt: skip


async def get_target(request: Request, _: Any) -> Response:
    hall = request.path_params["hall"]
    seconds = await stats_of(request).target(signed_in(request), hall)
    return ok(m.StatsTargetOut(hall=hall, target_s=seconds, minutes=seconds // 60))


async def put_target(request: Request, body: m.StatsTargetIn) -> Response:
    hall = request.path_params["hall"]
    seconds = await stats_of(request).set_target(signed_in(request), hall, body.minutes)
    return ok(m.StatsTargetOut(hall=hall, target_s=seconds, minutes=seconds // 60))


async def wait_alert(request: Request, _: Any) -> Response:
    hall = request.path_params["hall"]
    ctx = state(request).ctx
    await ctx.hall(hall)
    async with ctx.store.db.reader() as c:
        active = await stats_sql.alert_active(c, hall)
    return ok(m.WaitAlertOut(hall=hall, active=active))


RANGE = (("from", "first day, YYYY-MM-DD", True), ("to", "last day, YYYY-MM-DD (at most 366 days)", True))
# fmt: off
ENDPOINTS = [
    Endpoint("GET", "/api/halls/{hall}/stats/live", live, "Today's figures, live: waiting per service, waits, service time, served per hour, no-shows, windows open, satisfaction, longest wait (supervisors and admins of the hall)", m.StatsLiveOut, auth=True, tag="stats"),
    Endpoint("GET", "/api/halls/{hall}/stats/range", date_range, "A date range's figures per day, service, window, clerk and channel, with the wait histogram; past days from the daily archive (supervisors and admins)", m.StatsRangeOut, auth=True, tag="stats", query=RANGE),
    Endpoint("GET", "/api/halls/{hall}/stats/export", export, "One table of a range as CSV (UTF-8 with BOM, for Excel): table=day|service|window|clerk|channel|histogram (supervisors and admins)", auth=True, tag="stats", query=(("table", "day, service, window, clerk, channel or histogram", True), *RANGE)),
    Endpoint("GET", "/api/halls/{hall}/stats/target", get_target, "The hall's wait target (default 30 min; supervisors and admins)", m.StatsTargetOut, auth=True, tag="stats"),
    Endpoint("PUT", "/api/halls/{hall}/stats/target", put_target, "Set the hall's wait target in minutes (admins; audited)", m.StatsTargetOut, m.StatsTargetIn, auth=True, tag="stats"),
    Endpoint("GET", "/api/halls/{hall}/wait-alert", wait_alert, "Whether the hall's longest wait is past its target now (public, for the hall board)", m.WaitAlertOut, tag="stats"),
]
# fmt: on
