"""The long-wait alert: announced once when the longest wait passes the target, once
when it clears, on the hall stream, with display-safe data only."""

from __future__ import annotations

from server.usecases import stats_alert
from server.usecases.stats import Stats
from server.usecases.tickets import IssueRequest
from tests.conftest import Desk, FakeClock, HallFixture


async def _alerts(desk: Desk, hall_id: str) -> list[dict[str, object]]:
    events = await desk.ctx.store.read_events(hall_id, 0)
    return [e.data for e in events if e.type == "stats.wait_alert"]


async def test_one_event_per_crossing_and_one_when_it_clears(
    hall: HallFixture, desk: Desk, clock: FakeClock
) -> None:
    await desk.windows.open(hall.window(1), hall.clerk(1))
    await desk.tickets.issue(hall.id, IssueRequest("A"), None, "k1")
    clock.advance(minutes=30)  # exactly the target: not past it
    assert await stats_alert.sweep(desk.ctx, hall.id, clock.now) is None
    clock.advance(seconds=1)
    assert await stats_alert.sweep(desk.ctx, hall.id, clock.now) is True
    clock.advance(minutes=5)
    assert await stats_alert.sweep(desk.ctx, hall.id, clock.now) is None  # still past: quiet
    [crossed] = await _alerts(desk, hall.id)
    assert crossed == {"active": True, "longest_wait_s": 1801, "target_s": 1800, "services": ["A"]}

    await desk.windows.call_next(hall.window(1), hall.clerk(1))
    assert await stats_alert.sweep(desk.ctx, hall.id, clock.now) is False
    assert await stats_alert.sweep(desk.ctx, hall.id, clock.now) is None
    alerts = await _alerts(desk, hall.id)
    assert [a["active"] for a in alerts] == [True, False]
    assert alerts[1]["services"] == [] and alerts[1]["longest_wait_s"] == 0


async def test_a_quiet_hall_announces_nothing(hall: HallFixture, desk: Desk, clock: FakeClock) -> None:
    assert await stats_alert.sweep(desk.ctx, hall.id, clock.now) is None
    assert await _alerts(desk, hall.id) == []


async def test_an_earlier_days_leftover_is_not_waiting_now(
    hall: HallFixture, desk: Desk, clock: FakeClock
) -> None:
    """Yesterday's ticket still 'waiting' until the day-end sweep voids it is not today's
    longest wait: neither the alert nor the live page counts it."""
    await desk.tickets.issue(hall.id, IssueRequest("A"), None, "k1")
    clock.advance(days=1)
    assert await stats_alert.sweep(desk.ctx, hall.id, clock.now) is None
    assert await _alerts(desk, hall.id) == []
    live = await Stats(desk.ctx).live(hall.supervisor, hall.id)
    assert live.waiting == [] and live.longest_wait_s == 0
