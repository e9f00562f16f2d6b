"""The hall's figures (统计): what each one means, computed from plain facts.

Pure: tickets, ratings and cases come in as small fact records, the time and the
hall's target are passed in. One mergeable ``Tally`` holds counts, sums and a
wait histogram, so a live day, a frozen day (the daily archive) and a date range
are the same shape and give the same figures. docs/stats.md defines each figure.

- Wait: from taking the ticket (``issued_at``) to the start of its service
  (``started_at``), for tickets whose service started.
- Service time: ``started_at`` to ``finished_at`` of finished tickets.
- Percentiles: nearest rank (the value at rank ceil(p/100 x n) of the sorted
  waits), read off a histogram of whole minutes: the upper edge of the minute
  holding that rank, so an upper bound, not the exact wait ("P90 = 12 min": 90 %
  waited at most 12 minutes); never above the longest wait.
- No-show rate: passed tickets (过号, including those voided at day end after a
  pass) over tickets that reached a window (served + passed).
- Satisfaction: levels 3-5 over all ratings not marked malicious; a prompt left
  unanswered is no rating at all; no ratings gives no rate (None), never 100 %.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

MINUTE = 60
HIST_MINUTES = 120  # buckets [0,1) .. [119,120) minutes, then one for 120 and over
HIST_SIZE = HIST_MINUTES + 1
DISPLAY_EDGES = (5, 10, 15, 20, 30, 45, 60, 90, 120)  # minutes: the page's histogram
DEFAULT_TARGET_S = 30 * MINUTE
DIMENSIONS = ("hall", "service", "window", "clerk", "channel")
LEVELS = (1, 2, 3, 4, 5)  # 5 非常满意 .. 1 非常不满意
SATISFIED = (3, 4, 5)


@dataclass(frozen=True, slots=True)
class TicketFact:
    service: str
    channel: str  # kiosk | phone | window; appointment tickets count as "appointment"
    kind: str
    state: str
    issued_at: datetime
    called_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    window_id: str | None = None
    served_by: str | None = None


@dataclass(frozen=True, slots=True)
class RatingFact:
    level: int
    malicious: bool = False
    service: str | None = None
    window_id: str | None = None
    clerk_id: str | None = None
    channel: str | None = None  # the rated ticket's channel key, when known
    count: int = 1  # as many ratings alike (the store reads them grouped)


@dataclass(frozen=True, slots=True)
class CaseFact:
    """A case concluded (办结) on the day, with whether it was within its promised time."""

    on_time: bool
    window_id: str | None = None
    clerk_id: str | None = None


def _zeros(n: int) -> tuple[int, ...]:
    return (0,) * n


@dataclass(frozen=True, slots=True)
class Tally:
    issued: int = 0
    served: int = 0  # finished (办结) tickets
    no_show: int = 0
    cancelled: int = 0
    waited: int = 0  # tickets whose service started: the wait figures' population
    wait_sum_s: int = 0
    wait_max_s: int = 0
    within_target: int = 0
    service_sum_s: int = 0
    hist: tuple[int, ...] = field(default_factory=lambda: _zeros(HIST_SIZE))
    ratings: tuple[int, ...] = field(default_factory=lambda: _zeros(5))  # levels 1..5
    malicious: int = 0
    cases_done: int = 0
    cases_on_time: int = 0

    def merge(self, other: Tally) -> Tally:
        return Tally(
            self.issued + other.issued, self.served + other.served,
            self.no_show + other.no_show, self.cancelled + other.cancelled,
            self.waited + other.waited, self.wait_sum_s + other.wait_sum_s,
            max(self.wait_max_s, other.wait_max_s), self.within_target + other.within_target,
            self.service_sum_s + other.service_sum_s, _add(self.hist, other.hist),
            _add(self.ratings, other.ratings), self.malicious + other.malicious,
            self.cases_done + other.cases_done, self.cases_on_time + other.cases_on_time,
        )  # fmt: skip

    # --- figures ------------------------------------------------------------------------

    @property
    def avg_wait_s(self) -> float | None:
        return self.wait_sum_s / self.waited if self.waited else None

    def wait_percentile_upper_s(self, p: float) -> int | None:
        """The P-th wait rounded up to its whole minute (see hist_percentile_s)."""
        return hist_percentile_s(self.hist, p, self.wait_max_s)

    @property
    def avg_service_s(self) -> float | None:
        return self.service_sum_s / self.served if self.served else None

    @property
    def within_share(self) -> float | None:
        return self.within_target / self.waited if self.waited else None

    @property
    def no_show_rate(self) -> float | None:
        reached = self.served + self.no_show
        return self.no_show / reached if reached else None

    @property
    def satisfaction(self) -> float | None:
        return satisfaction_rate(self.ratings)

    @property
    def on_time_rate(self) -> float | None:
        return self.cases_on_time / self.cases_done if self.cases_done else None


def _add(a: Sequence[int], b: Sequence[int]) -> tuple[int, ...]:
    return tuple(x + y for x, y in zip(a, b, strict=True))


def merge_all(tallies: Iterable[Tally]) -> Tally:
    """The merge of per-day rows into a range: counts and sums add, maxima take the max."""
    out = Tally()
    for t in tallies:
        out = out.merge(t)
    return out


# --- the single figures -------------------------------------------------------------------


def satisfaction_rate(counts: Sequence[int]) -> float | None:
    """Share of levels 3-5 (基本满意 and better) among ``counts`` of levels 1..5, which
    already leave out malicious ratings; None when nobody rated."""
    if len(counts) != 5 or any(c < 0 for c in counts):
        raise ValueError("counts of the five levels expected")
    total = sum(counts)
    return sum(counts[lv - 1] for lv in SATISFIED) / total if total else None


def nearest_rank(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile by nearest rank: the ceil(p/100 x n)-th smallest value."""
    if not 0 < p <= 100:
        raise ValueError("p must be in (0, 100]")
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def hist_bucket(wait_s: int) -> int:
    return min(max(wait_s, 0) // MINUTE, HIST_MINUTES)


def hist_percentile_s(hist: Sequence[int], p: float, max_s: int) -> int | None:
    """Nearest rank over the minute histogram: the upper edge of the bucket holding the
    rank, never above the longest wait (which it is in the last, open bucket)."""
    if not 0 < p <= 100:
        raise ValueError("p must be in (0, 100]")
    n = sum(hist)
    if n == 0:
        return None
    rank = max(1, math.ceil(p / 100 * n))
    seen = 0
    for i, count in enumerate(hist):
        seen += count
        if seen >= rank:
            return max_s if i == HIST_MINUTES else min((i + 1) * MINUTE, max(max_s, 1))
    return max_s  # unreachable: the ranks add up to n


def display_histogram(hist: Sequence[int]) -> list[tuple[int, int | None, int]]:
    """The minute histogram folded into the page's buckets: (from min, to min or None, n)."""
    out = []
    lo = 0
    for hi in (*DISPLAY_EDGES, None):
        top = HIST_SIZE if hi is None else hi
        out.append((lo, hi, sum(hist[lo:top])))
        lo = top
    return out


# --- from facts to tallies ----------------------------------------------------------------

Key = tuple[str, str]  # (dimension, key): ("hall", ""), ("service", "A"), ("clerk", id) ...


def channel_key(channel: str, kind: str) -> str:
    return "appointment" if kind == "appointment" else channel


def _keys(service: str | None, window: str | None, clerk: str | None,
          channel: str | None) -> list[Key]:  # fmt: skip
    out: list[Key] = [("hall", "")]
    for dim, key in (("service", service), ("window", window), ("clerk", clerk),
                     ("channel", channel)):  # fmt: skip
        if key:
            out.append((dim, key))
    return out


def is_no_show(state: str, called_at: datetime | None) -> bool:
    """Passed, or voided at day end after a pass (a voided waiting ticket was never called:
    a transfer clears called_at)."""
    return state == "no_show" or (state == "void" and called_at is not None)


def tally_day(
    tickets: Iterable[TicketFact],
    ratings: Iterable[RatingFact] = (),
    cases: Iterable[CaseFact] = (),
    *,
    target_s: int = DEFAULT_TARGET_S,
) -> dict[Key, Tally]:
    """One business day's tally per hall total, service, window, clerk and channel."""
    acc: dict[Key, _Acc] = {}

    def at(keys: list[Key]) -> list[_Acc]:
        return [acc.setdefault(k, _Acc()) for k in keys]

    for t in tickets:
        ch = channel_key(t.channel, t.kind)
        for a in at(_keys(t.service, t.window_id, t.served_by, ch)):
            a.ticket(t, target_s)
    for r in ratings:
        for a in at(_keys(r.service, r.window_id, r.clerk_id, r.channel)):
            a.rating(r)
    for c in cases:
        for a in at(_keys(None, c.window_id, c.clerk_id, None)):
            a.cases_done += 1
            a.cases_on_time += int(c.on_time)
    return {k: a.freeze() for k, a in acc.items()}


@dataclass
class _Acc:
    """A Tally being built: plain mutable counters, frozen once the day is read."""

    issued: int = 0
    served: int = 0
    no_show: int = 0
    cancelled: int = 0
    waited: int = 0
    wait_sum_s: int = 0
    wait_max_s: int = 0
    within_target: int = 0
    service_sum_s: int = 0
    hist: list[int] = field(default_factory=lambda: [0] * HIST_SIZE)
    ratings: list[int] = field(default_factory=lambda: [0] * 5)
    malicious: int = 0
    cases_done: int = 0
    cases_on_time: int = 0

    def ticket(self, t: TicketFact, target_s: int) -> None:
        self.issued += 1
        if t.state == "cancelled":
            self.cancelled += 1
        elif is_no_show(t.state, t.called_at):
            self.no_show += 1
        if t.started_at is not None:
            wait = max(0, int((t.started_at - t.issued_at).total_seconds()))
            self.waited += 1
            self.wait_sum_s += wait
            self.wait_max_s = max(self.wait_max_s, wait)
            self.within_target += int(wait <= target_s)
            self.hist[hist_bucket(wait)] += 1
            if t.state == "done" and t.finished_at is not None:
                self.served += 1
                self.service_sum_s += max(0, int((t.finished_at - t.started_at).total_seconds()))

    def rating(self, r: RatingFact) -> None:
        if r.level not in LEVELS:
            raise ValueError(f"rating level out of range: {r.level}")
        if r.malicious:
            self.malicious += r.count  # kept in the record, out of the rate
        else:
            self.ratings[r.level - 1] += r.count

    def freeze(self) -> Tally:
        return Tally(
            self.issued, self.served, self.no_show, self.cancelled, self.waited,
            self.wait_sum_s, self.wait_max_s, self.within_target, self.service_sum_s,
            tuple(self.hist), tuple(self.ratings), self.malicious, self.cases_done,
            self.cases_on_time,
        )  # fmt: skip


def longest_wait_s(oldest_issued: datetime | None, now: datetime) -> int:
    return 0 if oldest_issued is None else max(0, int((now - oldest_issued).total_seconds()))
