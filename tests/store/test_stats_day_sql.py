"""The database's count of a day agrees with the domain's definitions (``tally_day``), on
both backends, for a day with every kind of ticket: served, passed, called back, moved,
cancelled, still waiting, with waits on and around whole minutes and the target."""

from __future__ import annotations

import random

from server.domain import stats as st
from server.domain.errors import OneWindowError
from server.domain.model import Channel
from server.store import stats_day_sql, stats_sql
from server.store.store import Store
from server.usecases.tickets import IssueRequest
from server.usecases.windows import TransferRequest
from tests.conftest import Desk, FakeClock, HallFixture


async def test_the_database_counts_a_day_as_the_domain_does(
    store: Store, hall: HallFixture, desk: Desk, clock: FakeClock
) -> None:
    rnd = random.Random(12)
    for n in (1, 2, 3, 4):
        await desk.windows.open(hall.window(n), hall.clerk(n))
    for i in range(40):
        svc = rnd.choice("ABCD")
        channel = rnd.choice(list(Channel))
        await desk.tickets.issue(hall.id, IssueRequest(svc, channel=channel),
                                 hall.clerk(1) if channel is Channel.WINDOW else None, f"k{i}")  # fmt: skip
        clock.advance(seconds=rnd.choice((17, 60, 61, 119, 300)))
    moves = ("finish", "finish", "finish", "no_show", "transfer", "back")
    for step in range(60):
        n = rnd.randint(1, 4)
        w, who = hall.window(n), hall.clerk(n)
        clock.advance(seconds=rnd.choice((0, 1, 59, 60, 600, 1800, 1801)))
        try:
            await desk.windows.call_next(w, who)
        except OneWindowError:
            continue
        move = moves[step % len(moves)]
        if move == "no_show":
            await desk.windows.no_show(w, who)
            continue
        await desk.windows.start(w, who)
        clock.advance(seconds=rnd.choice((30, 240, 901)))
        if move == "transfer":
            await desk.windows.transfer(w, who, TransferRequest(service="A"))
        else:
            await desk.windows.finish(w, who)
    day = clock.now.date()
    async with store.db.reader() as c:
        facts = await stats_sql.day_tickets(c, hall.id, day)
        got = await stats_day_sql.day_figures(c, store.dialect, hall.id, day, 1800)
    want = st.tally_day(facts, target_s=1800)
    assert {f.state for f in facts} >= {"done", "no_show", "waiting"}
    assert got.keys() == want.keys()
    for key, t in want.items():
        assert got[key] == t, key
