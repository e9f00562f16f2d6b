"""The wrong-suffix lock of the case status query (case_query.SuffixGuard, which the case
ratings, the kiosk pickup and the complaint query use too), on both store backends: a try
is counted before it is compared, so parallel guesses cannot outrun the count."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from server.domain.errors import NotFound, RateLimited
from server.store.store import Store
from server.usecases.case_query import SuffixGuard
from server.usecases.ratelimit import MemoryRateLimiter
from tests.conftest import Desk, FakeClock, HallFixture
from tests.usecases.case_helpers import Office, id_number, make_office


@pytest.fixture
async def office(store: Store, desk: Desk, hall: HallFixture, clock: FakeClock) -> Office:
    return await make_office(store, desk, hall, clock.now)


async def _outcome(office: Office, number: str, suffix: str, client: str) -> str:
    try:
        await office.query.status(number, suffix, client)
    except NotFound as err:
        return err.code
    except RateLimited as err:
        return err.code
    return "found"


async def test_a_burst_of_parallel_wrong_suffixes_gets_ten_answers(office: Office) -> None:
    v = await office.cases.intake(office.hall.clerk(1), office.intake())
    right = id_number(1)[-4:]
    wrong = [f"{n:04d}" for n in range(19) if f"{n:04d}" != right]
    got = Counter(await asyncio.gather(*(_outcome(office, v.case.number, s, f"c{i}")
                                         for i, s in enumerate(wrong))))  # fmt: skip
    assert got == {"case_not_found": 10, "case_query_locked": len(wrong) - 10}
    assert await _outcome(office, v.case.number, right, "late") == "case_query_locked"


async def test_the_citizen_looking_again_spends_one_try(office: Office) -> None:
    v = await office.cases.intake(office.hall.clerk(1), office.intake())
    right = id_number(1)[-4:]
    for i in range(12):  # the status page, the rating, the pickup: the same suffix
        assert await _outcome(office, v.case.number, right, f"c{i}") == "found"
    for n in range(9):
        assert await _outcome(office, v.case.number, f"9{n:03d}", f"w{n}") == "case_not_found"
    assert await _outcome(office, v.case.number, right, "again") == "found"
    assert await _outcome(office, v.case.number, "8888", "last") == "case_query_locked"


async def test_without_the_secret_every_try_is_counted_before_it_is_compared() -> None:
    """As the case ratings and the pickup call it: check() alone counts each call, and
    the count holds whatever the caller does after."""
    guard = SuffixGuard(MemoryRateLimiter())
    await asyncio.gather(*(guard.check("H1-20261125-0001") for _ in range(10)))
    with pytest.raises(RateLimited) as err:
        await guard.check("H1-20261125-0001")
    assert err.value.code == "case_query_locked" and int(err.value.details["retry_after"]) > 0
    await guard.check("H1-20261125-0002")  # another number: its own count
