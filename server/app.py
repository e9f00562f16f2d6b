"""create_app(settings): the whole server as one Starlette app, built from what is passed in."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute

from .api import openapi, routes_notices, routes_public, routes_windows
from .api.http import BodyReader, route
from .api.state import AppState
from .auth import TokenSigner
from .bus.base import Bus
from .bus.memory import MemoryBus
from .metrics import Metrics
from .realtime.endpoint import ws_endpoint
from .realtime.hub import Hub
from .realtime.snapshot import Snapshots
from .settings import Settings
from .store.store import Store
from .usecases.context import Clock, Context
from .usecases.notices import Notices
from .usecases.ratelimit import Limit, MemoryRateLimiter, RateLimiter, RedisRateLimiter
from .usecases.tickets import Limits, Tickets
from .usecases.windows import Windows
from .web import Pages

log = logging.getLogger("onewindow")

ENDPOINTS = (*routes_public.ENDPOINTS, *routes_windows.ENDPOINTS, *routes_notices.ENDPOINTS)
DAY_END_CHECK_S = 60.0


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _version() -> str:
    try:
        return version("onewindow")
    except PackageNotFoundError:
        return "0"


def create_app(settings: Settings, *, clock: Clock = _utcnow) -> Starlette:
    store = Store.from_url(settings.effective_database_url())
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
    st = AppState(
        settings=settings,
        ctx=ctx,
        tickets=Tickets(ctx, limiter, limits),
        windows=Windows(ctx),
        signer=TokenSigner(settings.secret),
        metrics=metrics,
        reader=BodyReader(settings.max_body_bytes),
        notices=Notices(ctx),
        login_limit=Limit.parse(settings.rate_limit_login),
        redis=redis,
    )
    hub = Hub(
        store,
        bus,
        Snapshots(ctx, st.tickets),
        poll_s=settings.ws_poll_s,
        heartbeat_s=settings.ws_heartbeat_s,
        metrics=metrics,
    )
    spec = openapi.build(ENDPOINTS, _version())

    async def openapi_json(_: Request) -> Response:
        return JSONResponse(spec)

    routes: list[BaseRoute] = [route(ep, st.reader, metrics.observe_request) for ep in ENDPOINTS]
    routes.append(Route("/openapi.json", openapi_json, methods=["GET"]))
    routes.append(WebSocketRoute("/ws", ws_endpoint))
    routes += Pages().routes()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await store.open(migrate=True)
        await bus.start()
        await hub.start()
        janitor = asyncio.create_task(_day_end_loop(st), name="onewindow-day-end")
        # What start-up built lives as long as the process: keep it out of every
        # future garbage collection pass.
        gc.freeze()
        log.info("OneWindow serving with %s store", store.dialect)
        try:
            yield
        finally:
            janitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await janitor
            await hub.stop()
            await bus.stop()
            if redis is not None:
                await redis.aclose()
            await store.close()

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={404: _not_found, 405: _not_allowed},
    )
    app.state.ow = st
    app.state.hub = hub
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
    """Void what past business days left behind; checked every minute, so a restart catches up."""
    while True:
        try:
            for hall in await st.ctx.store.halls():
                n = await st.tickets.void_stale(hall.id, st.ctx.clock())
                if n:
                    log.info("hall %s: voided %d tickets left from earlier days", hall.id, n)
            await st.ctx.store.forget_commands(st.ctx.clock() - timedelta(days=1))
        except Exception:
            log.exception("day-end check failed; will retry")
        await asyncio.sleep(DAY_END_CHECK_S)
