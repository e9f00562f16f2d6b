"""create_app(settings): the whole server as one Starlette app, built from what is passed in."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute

from .api import (
    openapi,
    routes_admin,
    routes_applications,
    routes_appointments,
    routes_audit,
    routes_auth,
    routes_cases,
    routes_citizen,
    routes_complaints,
    routes_matters,
    routes_notices,
    routes_public,
    routes_ratings,
    routes_staff,
    routes_stats,
    routes_windows,
)
from .api.http import BodyReader, route
from .api.state import AppState, authenticate
from .auth import TokenSigner
from .bus.base import Bus
from .bus.memory import MemoryBus
from .domain.model import Hall
from .files.store import file_store_for
from .loops import stop_if_cancelled
from .metrics import Metrics
from .notify.worker import Notifier
from .proxy import TrustedProxies
from .realtime.endpoint import ws_endpoint
from .realtime.hub import Hub
from .realtime.revocation import SessionWatch
from .realtime.snapshot import Snapshots
from .security import SecurityHeaders
from .settings import Settings
from .store import outbox_sql, sessions_sql
from .store.store import Store
from .usecases import appointment_sweep, case_sweep, stats_alert, stats_archive
from .usecases.applications import Applications
from .usecases.appointments import Appointments
from .usecases.audit_log import AuditLog
from .usecases.case_query import CaseQuery
from .usecases.case_tasks import CaseTasks
from .usecases.cases import Cases
from .usecases.check_in import CheckIns
from .usecases.citizens import Citizens, CodeLimits
from .usecases.complaints import Complaints
from .usecases.config import Config
from .usecases.context import Clock, Context
from .usecases.followups import Followups
from .usecases.matters import Matters
from .usecases.notices import Notices
from .usecases.pickup import Pickup
from .usecases.ratelimit import Limit, MemoryRateLimiter, RateLimiter, RedisRateLimiter
from .usecases.rating_pads import Pads
from .usecases.ratings import Ratings
from .usecases.sessions import Sessions
from .usecases.staff import Staff
from .usecases.stats import Stats
from .usecases.tickets import Limits, Tickets
from .usecases.windows import Windows
from .web import Pages

log = logging.getLogger("onewindow")

ENDPOINTS = (
    *routes_public.ENDPOINTS,
    *routes_auth.ENDPOINTS,
    *routes_windows.ENDPOINTS,
    *routes_notices.ENDPOINTS,
    *routes_admin.ENDPOINTS,
    *routes_staff.ENDPOINTS,
    *routes_audit.ENDPOINTS,
    *routes_citizen.ENDPOINTS,
    *routes_appointments.ENDPOINTS,
    *routes_matters.ENDPOINTS,
    *routes_cases.ENDPOINTS,
    *routes_applications.ENDPOINTS,
    *routes_complaints.ENDPOINTS,
    *routes_ratings.ENDPOINTS,
    *routes_stats.ENDPOINTS,
)
DAY_END_CHECK_S = 60.0
WAIT_ALERT_CHECK_S = 15.0
OUTBOX_KEEP_DAYS = 30
TRIM_EVERY_S = 3600.0  # the audit retention is counted in days: hourly is plenty


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _version() -> str:
    try:
        return version("onewindow")
    except PackageNotFoundError:
        return "0"


def create_app(settings: Settings, *, clock: Clock = _utcnow) -> Starlette:
    store = Store.from_url(settings.effective_database_url(), settings.secret.encode())
    bus: Bus = MemoryBus()
    if settings.redis_url:
        from .bus.redis import RedisBus

        bus = RedisBus(settings.redis_url, settings.redis_prefix)
    metrics = Metrics()
    ctx = Context(store=store, bus=bus, clock=clock, secret=settings.secret.encode())
    ctx.observers.append(metrics.observe_commit)
    redis: Any = None
    limiter: RateLimiter = MemoryRateLimiter()
    if settings.redis_url:
        import redis.asyncio as aioredis

        # Short timeouts: a hung Redis must cost a ticket request a moment, not seconds.
        redis = aioredis.from_url(
            settings.redis_url, socket_timeout=0.5, socket_connect_timeout=0.5
        )
        limiter = RedisRateLimiter(redis, settings.redis_prefix)
    limits = Limits(Limit.parse(settings.rate_limit_client), Limit.parse(settings.rate_limit_id))
    sessions = Sessions(ctx, TokenSigner(settings.secret), settings.token_ttl_s)
    tickets = Tickets(ctx, limiter, limits)
    appointments = Appointments(ctx, limiter)
    matters = Matters(ctx)
    cases = Cases(ctx, matters)
    pads = Pads(ctx)
    st = AppState(
        settings=settings,
        ctx=ctx,
        tickets=tickets,
        appointments=appointments,
        check_ins=CheckIns(ctx, limiter, tickets, appointments),
        windows=Windows(ctx),
        metrics=metrics,
        reader=BodyReader(settings.max_body_bytes),
        notices=Notices(ctx),
        login_limit=Limit.parse(settings.rate_limit_login),
        sessions=sessions,
        config=Config(ctx),
        staff=Staff(ctx, sessions),
        audit_log=AuditLog(ctx),
        trusted=TrustedProxies.parse(settings.trusted_proxies),
        citizens=Citizens(
            ctx,
            limiter,
            CodeLimits(
                Limit.parse(settings.rate_limit_code_phone),
                Limit.parse(settings.rate_limit_code_client),
            ),
            settings.citizen_token_ttl_s,
        ),
        matters=matters,
        cases=cases,
        case_tasks=CaseTasks(ctx, matters),
        pickup=Pickup(ctx, matters, tickets, limiter),
        case_query=CaseQuery(ctx, matters, limiter),
        applications=Applications(
            ctx, matters, cases,
            file_store_for(settings.effective_database_url(), store.sealer, settings.files_dir),
            settings.upload_max_bytes, limiter,
        ),
        # Filing: its own limits per client (a phone's, a kiosk's) and a cap per hall per day.
        complaints=Complaints(ctx, matters, limiter),
        ratings=Ratings(ctx, pads, limiter),
        pads=pads,
        followups=Followups(ctx),
        redis=redis,
    )
    hub = Hub(
        store,
        bus,
        Snapshots(ctx, st.tickets, st.case_tasks, pads=pads),
        poll_s=settings.ws_poll_s,
        heartbeat_s=settings.ws_heartbeat_s,
        metrics=metrics,
    )
    notifier = Notifier(store, settings, metrics, clock)
    store.on_outbox = notifier.wake
    watch = SessionWatch(store, hub)
    sessions.on_revoke.append(watch.poke)
    spec = openapi.build(ENDPOINTS, _version())

    async def openapi_json(_: Request) -> Response:
        return JSONResponse(spec)

    routes: list[BaseRoute] = [
        route(ep, st.reader, metrics.observe_request, authenticate) for ep in ENDPOINTS
    ]
    routes.append(Route("/openapi.json", openapi_json, methods=["GET"]))
    routes.append(WebSocketRoute("/ws", ws_endpoint))
    routes += Pages().routes()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await store.open(migrate=True)
        await bus.start()
        # Another process changed a hall's configuration: read it afresh here too.
        stop_forgetting = bus.listen(
            lambda hall_id, events: (
                ctx.forget(hall_id) if any(e.type == "config.changed" for e in events) else None
            )
        )
        await hub.start()
        await watch.start()
        await notifier.start()
        janitor = asyncio.create_task(_day_end_loop(st), name="onewindow-day-end")
        alerts = asyncio.create_task(_wait_alert_loop(st), name="onewindow-wait-alert")
        # What start-up built lives as long as the process: keep it out of every
        # future garbage collection pass.
        gc.freeze()
        log.info("OneWindow serving with %s store", store.dialect)
        try:
            yield
        finally:
            for task in (janitor, alerts):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            stop_forgetting()
            await notifier.stop()
            await watch.stop()
            await hub.stop()
            await bus.stop()
            if redis is not None:
                await redis.aclose()
            await store.close()

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            Middleware(SecurityHeaders, display_ancestors=settings.display_frame_ancestors.split())
        ],
        exception_handlers={404: _not_found, 405: _not_allowed},
    )
    app.state.ow = st
    app.state.hub = hub
    app.state.stats = Stats(ctx)
    return app


async def _not_found(request: Request, exc: Exception) -> Response:
    return JSONResponse(
        {
            "error": {
                "code": "not_found",
                "message": "no such path",
                "message_zh": "请求的地址不存在",
            }
        },
        status_code=404,
    )


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return JSONResponse(
        {
            "error": {
                "code": "method_not_allowed",
                "message": f"{request.method} is not allowed here",
                "message_zh": "该地址不支持此请求方法",
            }
        },
        status_code=405,
    )


async def _day_end_loop(st: AppState) -> None:
    """Void what past business days left behind, settle bookings (no-shows, closed days,
    reminders); checked every minute, so a restart catches up."""
    trimmed_at = -TRIM_EVERY_S
    while True:
        try:
            for hall in await st.ctx.store.halls():
                await _settle_hall(st, hall.id)
            await st.ctx.store.forget_commands(st.ctx.clock() - timedelta(days=1))
            if time.monotonic() - trimmed_at >= TRIM_EVERY_S:
                await _trim_logs(st)
                trimmed_at = time.monotonic()
        except Exception:
            stop_if_cancelled()
            log.exception("day-end check failed; will retry")
        await asyncio.sleep(DAY_END_CHECK_S)


async def _wait_alert_loop(st: AppState) -> None:
    """The long-wait alert of every hall, checked more often than the day's end."""
    while True:
        for hall in await _halls_or_none(st):
            try:
                await stats_alert.sweep(st.ctx, hall.id, st.ctx.clock())
            except Exception:
                stop_if_cancelled()
                log.exception("hall %s: wait alert check failed; will retry", hall.id)
        await asyncio.sleep(WAIT_ALERT_CHECK_S)


async def _halls_or_none(st: AppState) -> list[Hall]:
    try:
        return await st.ctx.store.halls()
    except Exception:
        stop_if_cancelled()
        log.exception("wait alert: cannot list the halls; will retry")
        return []


async def _settle_hall(st: AppState, hall_id: str) -> None:
    """One hall's day-end work; its failure must not keep the others' from running."""
    try:
        n = await st.tickets.void_stale(hall_id, st.ctx.clock())
        if n:
            log.info("hall %s: voided %d tickets left from earlier days", hall_id, n)
        await appointment_sweep.sweep(st.ctx, hall_id, st.ctx.clock())
        await case_sweep.sweep(st.ctx, st.matters, hall_id, st.ctx.clock())
        # After the voiding above: a frozen day's passes are already settled.
        await stats_archive.catch_up(st.ctx, hall_id, st.ctx.clock())
    except Exception:
        stop_if_cancelled()
        log.exception("hall %s: day-end check failed; will retry", hall_id)


async def _trim_logs(st: AppState) -> None:
    """Audit rows past the retention (a checkpoint keeps the chain verifiable), old sessions."""
    now = st.ctx.clock()
    removed = await st.audit_log.purge(now, st.settings.audit_retention_days)
    for chain, n in removed.items():
        log.info("audit %s: purged %d rows older than %d days", chain, n,
                 st.settings.audit_retention_days)  # fmt: skip
    async with st.ctx.store.db.transaction() as c:
        await sessions_sql.purge(c, now - timedelta(days=7))
        # What was texted to whom is no business of the hall's after a month.
        gone = await outbox_sql.purge(c, now - timedelta(days=OUTBOX_KEEP_DAYS))
    if gone:
        log.info("outbox: forgot %d messages sent or failed over %d days ago", gone,
                 OUTBOX_KEEP_DAYS)  # fmt: skip
