"""Hall screens may be framed by the origins a hall configures; staff pages never."""

from __future__ import annotations

from dataclasses import replace

from server.settings import Settings
from tests.api.conftest import open_api
from tests.conftest import FakeClock


async def test_a_configured_signage_origin_may_frame_the_screens_only(
    settings: Settings, clock: FakeClock
) -> None:
    signage = replace(settings, display_frame_ancestors="https://signage.hall.example 'self'")
    async with open_api(signage, clock) as api:
        board = await api.client.get(f"/display/{api.hall.id}")
        assert "frame-ancestors https://signage.hall.example 'self'" in board.headers[
            "content-security-policy"
        ]
        assert "x-frame-options" not in board.headers
        for path in ("/console", "/admin", "/api/auth/me"):
            r = await api.client.get(path)
            assert "frame-ancestors 'none'" in r.headers["content-security-policy"], path
            assert r.headers["x-frame-options"] == "DENY", path
    assert Settings.from_environ(
        {"ONEWINDOW_DISPLAY_FRAME_ANCESTORS": "https://a.example"}
    ).display_frame_ancestors == "https://a.example"
