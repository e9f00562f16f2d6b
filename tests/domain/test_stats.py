"""The figures' definitions, pinned on small sets worked out by hand (no event loop)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from server.domain import stats as st
from server.domain import stats_range
from server.domain.stats import RatingFact, TicketFact
from server.domain.stats_range import BadQuery

T0 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def ticket(service: str, state: str, issued: float, *, called: float | None = None,
           started: float | None = None, finished: float | None = None, window: str | None = None,
           clerk: str | None = None, channel: str = "kiosk", kind: str = "walk_in") -> TicketFact:  # fmt: skip
    def m(v: float | None) -> datetime | None:
        return None if v is None else at(v)

    return TicketFact(service, channel, kind, state, at(issued), m(called), m(started),
                      m(finished), window, clerk)  # fmt: skip


# A small day: three served (waits 5, 20 and 45 min), two passed (one voided at day end
# after the pass), one cancelled, one still waiting, one voided while waiting.
DAY = [
    ticket("A", "done", 0, called=4, started=5, finished=15, window="w1", clerk="c1"),
    ticket("A", "done", 1, called=20, started=21, finished=26, window="w1", clerk="c1",
           channel="phone"),
    ticket("B", "done", 2, called=46, started=47, finished=50, window="w2", clerk="c2",
           kind="appointment"),
    ticket("A", "no_show", 3, called=30, window="w1"),
    ticket("B", "void", 4, called=31, window="w2"),
    ticket("A", "cancelled", 5),
    ticket("A", "waiting", 6),
    ticket("B", "void", 7),
]
RATINGS = [RatingFact(5, service="A"), RatingFact(4, service="A"), RatingFact(3, service="B"),
           RatingFact(2, service="A"), RatingFact(1, service="B"),
           RatingFact(5, malicious=True), RatingFact(1, malicious=True)]  # fmt: skip


def test_a_small_day_by_hand() -> None:
    day = st.tally_day(DAY, RATINGS, target_s=30 * 60)
    t = day[("hall", "")]
    assert (t.issued, t.served, t.no_show, t.cancelled, t.waited) == (8, 3, 2, 1, 3)
    assert t.avg_wait_s == (300 + 1200 + 2700) / 3 == 1400
    assert t.wait_max_s == 2700
    assert t.avg_service_s == (600 + 300 + 180) / 3 == 360
    assert t.within_target == 2 and t.within_share == pytest.approx(2 / 3)
    assert t.no_show_rate == 2 / 5  # passed over served + passed
    # Nearest rank over minute buckets 5, 20, 45: rank 2 is in [20, 21) -> 21 min; rank 3
    # is in [45, 46), whose edge 46 min is capped at the longest wait, 45 min.
    assert t.wait_percentile_upper_s(50) == 21 * 60
    assert t.wait_percentile_upper_s(90) == 2700
    assert t.ratings == (1, 1, 1, 1, 1) and t.malicious == 2
    assert t.satisfaction == 3 / 5

    a = day[("service", "A")]
    assert (a.issued, a.served, a.no_show, a.cancelled) == (5, 2, 1, 1)
    assert a.no_show_rate == 1 / 3 and a.ratings == (0, 1, 0, 1, 1)
    assert day[("clerk", "c1")].served == 2 and day[("clerk", "c2")].served == 1
    assert day[("window", "w2")].no_show == 1
    assert day[("channel", "appointment")].served == 1
    assert day[("channel", "kiosk")].issued == 6 and day[("channel", "phone")].issued == 1


def test_satisfaction_rate() -> None:
    assert st.satisfaction_rate((0, 0, 0, 0, 0)) is None  # nobody rated: no rate, not 100 %
    assert st.satisfaction_rate((3, 1, 0, 0, 0)) == 0.0  # the bottom two only
    assert st.satisfaction_rate((0, 0, 1, 0, 0)) == 1.0  # 基本满意 counts as satisfied
    assert st.satisfaction_rate((1, 1, 1, 1, 4)) == 6 / 8
    with pytest.raises(ValueError):
        st.satisfaction_rate((1, 2, 3))


def test_malicious_ratings_stay_out_of_the_rate() -> None:
    only_bad = st.tally_day([], [RatingFact(1, malicious=True), RatingFact(2, malicious=True)])
    assert only_bad[("hall", "")].satisfaction is None
    assert only_bad[("hall", "")].malicious == 2
    mixed = st.tally_day([], [RatingFact(5), RatingFact(1, malicious=True)])
    assert mixed[("hall", "")].satisfaction == 1.0


def test_not_rated_is_not_a_rating() -> None:
    # A prompt that timed out leaves no rating row: served tickets without ratings change
    # nothing in the rate.
    day = st.tally_day(DAY, [RatingFact(2)])
    assert day[("hall", "")].satisfaction == 0.0
    with pytest.raises(ValueError):
        st.tally_day([], [RatingFact(6)])


def test_nearest_rank_percentiles() -> None:
    values = [15, 20, 35, 40, 50]
    assert st.nearest_rank(values, 5) == 15
    assert st.nearest_rank(values, 30) == 20
    assert st.nearest_rank(values, 40) == 20
    assert st.nearest_rank(values, 50) == 35
    assert st.nearest_rank(values, 100) == 50
    assert st.nearest_rank([], 90) is None
    with pytest.raises(ValueError):
        st.nearest_rank(values, 0)


def test_histogram_percentiles_agree_with_nearest_rank_to_the_minute() -> None:
    waits = [30, 90, 150, 610, 615, 1799, 1800, 3000, 7300, 9000]
    hist = [0] * st.HIST_SIZE
    for w in waits:
        hist[st.hist_bucket(w)] += 1
    for p in (10, 50, 90, 95):
        exact = st.nearest_rank(waits, p)
        assert exact is not None
        got = st.hist_percentile_s(hist, p, max(waits))
        assert got is not None
        if exact < st.HIST_MINUTES * 60:
            assert exact < got <= exact + 60 or got == max(waits)
        else:
            assert got == max(waits)  # the open last bucket answers with the longest wait
    assert st.hist_percentile_s([0] * st.HIST_SIZE, 90, 0) is None


def test_display_histogram_folds_minutes() -> None:
    hist = [0] * st.HIST_SIZE
    hist[0] = 2  # under a minute
    hist[4] = 1  # 4 minutes
    hist[5] = 3  # 5 minutes: the next bucket
    hist[st.HIST_MINUTES] = 4
    folded = st.display_histogram(hist)
    assert folded[0] == (0, 5, 3) and folded[1] == (5, 10, 3)
    assert folded[-1] == (120, None, 4)
    assert sum(n for *_, n in folded) == sum(hist)


def test_merging_days_is_tallying_them_together() -> None:
    first, second = DAY[:4], DAY[4:]
    merged = st.merge_all([st.tally_day(first)[("hall", "")], st.tally_day(second)[("hall", "")]])
    assert merged == st.tally_day(DAY)[("hall", "")]
    assert st.merge_all([]) == st.Tally()


def test_no_show_definition() -> None:
    assert st.is_no_show("no_show", None)
    assert st.is_no_show("void", at(1))
    assert not st.is_no_show("void", None)
    assert not st.is_no_show("done", at(1))
    assert st.tally_day([]) == {}
    assert st.Tally().no_show_rate is None and st.Tally().avg_wait_s is None


def test_longest_wait() -> None:
    assert st.longest_wait_s(None, T0) == 0
    assert st.longest_wait_s(at(-31), T0) == 31 * 60


def test_date_range_rule() -> None:
    assert stats_range.parse_range("2026-01-01", "2026-01-01") == (date(2026, 1, 1), date(2026, 1, 1))
    assert stats_range.parse_range("2024-01-01", "2024-12-31")[1] == date(2024, 12, 31)  # 366 days
    cases = [("2026-02-01", "2026-01-31", "range_reversed"),
             ("2024-01-01", "2025-01-01", "range_too_long"),
             ("2026-13-01", "2026-12-31", "date_invalid"), ("26-1-1", "2026-12-31", "date_invalid"),
             (None, "2026-12-31", "date_missing"), ("2026-01-01", "", "date_missing")]  # fmt: skip
    for start, end, code in cases:
        with pytest.raises(BadQuery) as err:
            stats_range.parse_range(start, end)
        assert err.value.code == code and err.value.status == 400
        assert err.value.message_zh
    assert len(stats_range.days(date(2026, 1, 30), date(2026, 2, 2))) == 4


def test_a_percentile_is_the_upper_edge_of_its_minute_not_the_exact_wait() -> None:
    """Waits 130, 140, 150 and 600 s: the exact P50 is 140 s; the figure (named
    ..._upper_s in the API) is 180 s, the end of the minute holding it, an upper bound."""
    waits = [130, 140, 150, 600]
    day = [ticket("A", "done", 0, called=w / 60, started=w / 60, finished=11) for w in waits]
    t = st.tally_day(day)[("hall", "")]
    assert st.nearest_rank(waits, 50) == 140
    assert t.wait_percentile_upper_s(50) == 180
    assert t.wait_percentile_upper_s(90) == 600  # the 11th minute's edge, capped at the longest
    for p in (50, 90, 100):
        exact = st.nearest_rank(waits, p)
        upper = t.wait_percentile_upper_s(p)
        assert exact is not None and upper is not None and exact <= upper < exact + 60
