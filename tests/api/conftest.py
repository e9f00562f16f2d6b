"""An app per test over the parametrized store, driven in-process through httpx."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
from starlette.applications import Starlette

from server.app import create_app
from server.settings import Settings
from server.store.store import Store
from tests.conftest import PASSWORD, FakeClock, HallFixture, make_hall


@dataclass
class Api:
    app: Starlette
    client: httpx.AsyncClient
    hall: HallFixture
    store: Store

    async def login(self, username: str, password: str = PASSWORD) -> dict[str, str]:
        r = await self.client.post(
            "/api/auth/login", json={"username": username, "password": password}
        )
        assert r.status_code == 200, r.text
        return {"authorization": f"Bearer {r.json()['token']}"}


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, secret="api-test-secret", rate_limit_client="1000/60")


@asynccontextmanager
async def open_api(settings: Settings, clock: FakeClock) -> AsyncIterator[Api]:
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        store = app.state.ow.ctx.store
        hall = await make_hall(store, clock.now, hash_passwords=True)
        # Written behind the app's back while it runs (its day-end check may have cached
        # the hall before its services existed): read it afresh.
        app.state.ow.ctx.forget(hall.id)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hall.test") as client:
            yield Api(app, client, hall, store)


@pytest.fixture
async def api(settings: Settings, clock: FakeClock) -> AsyncIterator[Api]:
    async with open_api(settings, clock) as a:
        yield a
