"""Tests for server.domain.rating: the five levels and their reasons, one rating per
ticket or case, the 5-working-day window on the hall calendar, the pad's rule, the
follow-up's moves (every legal and illegal one) and malicious marks. Pure."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from server.domain import rating as rt
from server.domain.calendar import WorkCalendar
from server.domain.deadline import Colour
from server.domain.errors import Conflict, Forbidden, InvalidInput
from server.domain.model import Actor, Role

PLAIN = WorkCalendar()
# National Day 2026: Thu Oct 1 .. Wed Oct 7 off; Sat Oct 10 a make-up working day.
HOLIDAYS = WorkCalendar(
    {date(2026, 10, d): False for d in range(1, 8)} | {date(2026, 10, 10): True}
)
MON = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
SUPERVISOR = Actor("s1", "s1", Role.SUPERVISOR, "h1")
ADMIN = Actor("a1", "a1", Role.ADMIN, None)
CLERK = Actor("c1", "c1", Role.CLERK, "h1")


# --- levels and reasons ------------------------------------------------------------


def test_the_five_levels_are_stored_as_integers_with_their_chinese_names() -> None:
    assert [int(lv) for lv in rt.Level] == [1, 2, 3, 4, 5]
    assert [rt.LEVEL_ZH[rt.Level(n)] for n in (5, 4, 3, 2, 1)] == [
        "非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    assert {rt.Level(1), rt.Level(2)} == rt.BAD


@pytest.mark.parametrize("level", [0, 6, -1, 3.0, "5", None, True, False])
def test_a_level_outside_the_five_is_refused(level: object) -> None:
    with pytest.raises(InvalidInput) as e:
        rt.choose(level)
    assert e.value.code == "level_invalid" and e.value.field == "level"


@pytest.mark.parametrize("level", [3, 4, 5])
def test_the_top_three_need_no_reason_and_take_none(level: int) -> None:
    c = rt.choose(level, comment="  很好  ")
    assert c.level == level and not c.bad and c.comment == "很好" and c.reasons == ()
    with pytest.raises(InvalidInput) as e:
        rt.choose(level, ["slow"])
    assert e.value.code == "reason_not_asked"


@pytest.mark.parametrize("level", [1, 2])
def test_the_bottom_two_need_a_reason_from_the_list_or_in_words(level: int) -> None:
    with pytest.raises(InvalidInput) as e:
        rt.choose(level)
    assert e.value.code == "reason_required"
    with pytest.raises(InvalidInput):
        rt.choose(level, [], "   ")
    assert rt.choose(level, ["slow", "wait", "slow"]).reasons == ("slow", "wait")
    assert rt.choose(level, [], "等了很久").comment == "等了很久"
    assert rt.choose(level, ["other"]).bad
    with pytest.raises(InvalidInput) as e:
        rt.choose(level, ["rude"])
    assert e.value.code == "reason_unknown"


def test_the_free_text_is_bounded() -> None:
    assert rt.choose(1, [], "字" * rt.MAX_COMMENT).comment
    with pytest.raises(InvalidInput) as e:
        rt.choose(1, ["slow"], "字" * (rt.MAX_COMMENT + 1))
    assert e.value.code == "comment_too_long"


def test_one_rating_per_ticket_or_case() -> None:
    rt.check_unrated(None)
    with pytest.raises(Conflict) as e:
        rt.check_unrated(object())
    assert e.value.code == "already_rated"


# --- the 5 working days ------------------------------------------------------------


@pytest.mark.parametrize(
    ("served", "until"),
    [
        (MON, date(2026, 11, 30)),  # Mon → next Mon
        (date(2026, 11, 27), date(2026, 12, 4)),  # Fri → next Fri
        (date(2026, 11, 28), date(2026, 12, 4)),  # served on a Saturday (extended service)
        (date(2026, 9, 30), date(2026, 10, 13)),  # Oct 8, 9, 10 (make-up Sat), 12, 13
    ],
)
def test_the_phone_may_rate_until_five_working_days_after_service(served: date,
                                                                  until: date) -> None:
    assert rt.rate_until(HOLIDAYS, served) == until
    rt.check_window(HOLIDAYS, served, served)
    rt.check_window(HOLIDAYS, served, until)  # the last day itself
    with pytest.raises(Conflict) as e:
        rt.check_window(HOLIDAYS, served, until + timedelta(days=1))
    assert e.value.code == "rating_closed" and str(until) in e.value.message


# --- the pad -----------------------------------------------------------------------


def pad(**over: object) -> None:
    args: dict[str, object] = dict(ticket_window="w1", pad_window="w1", served=True,
                                   latest_done="t1", ticket_id="t1", prompted_at=NOW, now=NOW)
    args.update(over)
    rt.pad_may_rate(**args)  # type: ignore[arg-type]


def test_a_pad_rates_only_the_ticket_just_finished_at_its_window_while_prompted() -> None:
    pad()
    pad(now=NOW + timedelta(seconds=rt.PAD_PROMPT_S + rt.PAD_GRACE_S))
    for wrong in ({"ticket_window": "w2"}, {"served": False}, {"latest_done": "t2"},
                  {"latest_done": None}):
        with pytest.raises(Forbidden) as f:
            pad(**wrong)
        assert f.value.code == "not_this_pad"
    for late in ({"now": NOW + timedelta(seconds=rt.PAD_PROMPT_S + rt.PAD_GRACE_S + 1)},
                 {"prompted_at": None}):
        with pytest.raises(Conflict) as c:
            pad(**late)
        assert c.value.code == "prompt_expired"


def test_the_clerk_re_prompts_only_within_minutes_of_the_finish_and_before_the_next_call(
) -> None:
    rt.may_reprompt(finished_at=NOW, called_since=False, now=NOW)
    rt.may_reprompt(finished_at=NOW, called_since=False,
                    now=NOW + timedelta(seconds=rt.REPROMPT_S))  # fmt: skip
    for late in ({"now": NOW + timedelta(seconds=rt.REPROMPT_S + 1), "called_since": False},
                 {"now": NOW + timedelta(hours=6), "called_since": False},
                 {"now": NOW + timedelta(seconds=30), "called_since": True}):
        with pytest.raises(Conflict) as c:
            rt.may_reprompt(finished_at=NOW, **late)  # type: ignore[arg-type]
        assert c.value.code == "reprompt_closed" and c.value.message_zh
    assert rt.delay_s(NOW, NOW + timedelta(seconds=130, microseconds=900)) == 130
    assert rt.delay_s(NOW, NOW - timedelta(seconds=3)) == 0  # clocks never make it negative


# --- follow-ups --------------------------------------------------------------------


def fresh(cal: WorkCalendar = PLAIN, day: date = MON) -> rt.Followup:
    return rt.open_followup("f1", "r1", "h1", cal, day, NOW)


def test_a_follow_up_is_due_five_working_days_after_the_rating() -> None:
    assert fresh().due_day == date(2026, 11, 30)
    assert fresh(HOLIDAYS, date(2026, 9, 30)).due_day == date(2026, 10, 13)
    assert rt.open_followup("f", "r", "h", PLAIN, MON, NOW, days=1).due_day == date(2026, 11, 24)


def test_the_moves_in_order_open_called_back_rectified_closed() -> None:
    f = fresh()
    f = rt.call_back(f, "s1", "电话已接通，市民反映等候过久", NOW)
    assert f.state is rt.FollowupState.CALLED_BACK and f.called_back_by == "s1"
    f = rt.rectify(f, "s1", "高峰期窗口不足", "高峰期增开窗口", NOW)
    assert f.state is rt.FollowupState.RECTIFIED and f.finding == "高峰期窗口不足"
    f = rt.close(f, "s1", "已增开窗口，感谢监督", NOW)
    assert f.state is rt.FollowupState.CLOSED and f.response == "已增开窗口，感谢监督"
    assert f.closed_at == NOW and f.closed_by == "s1"
    assert rt.call_back(fresh(), "s1", None, NOW).call_note is None  # a call with no answer


def test_every_illegal_move_is_refused() -> None:
    opened = fresh()
    called = rt.call_back(opened, "s", None, NOW)
    fixed = rt.rectify(called, "s", "a", "b", NOW)
    closed = rt.close(fixed, "s", "c", NOW)
    moves = {
        "call_back": lambda f: rt.call_back(f, "s", None, NOW),
        "rectify": lambda f: rt.rectify(f, "s", "a", "b", NOW),
        "close": lambda f: rt.close(f, "s", "c", NOW),
    }
    legal = {(opened, "call_back"), (called, "rectify"), (fixed, "close")}
    for f in (opened, called, fixed, closed):
        for name, move in moves.items():
            if (f, name) in legal:
                continue
            with pytest.raises(Conflict) as e:
                move(f)
            assert e.value.code == "followup_state", (f.state, name)


def test_rectifying_needs_the_finding_and_the_measure_and_closing_a_response() -> None:
    called = rt.call_back(fresh(), "s", None, NOW)
    for finding, fix in ((None, "b"), ("a", None), ("  ", "b")):
        with pytest.raises(InvalidInput):
            rt.rectify(called, "s", finding, fix, NOW)
    fixed = rt.rectify(called, "s", "a", "b", NOW)
    for response in (None, "", "   "):
        with pytest.raises(InvalidInput) as e:
            rt.close(fixed, "s", response, NOW)
        assert e.value.code == "response_required"
    with pytest.raises(InvalidInput) as e:
        rt.close(fixed, "s", "字" * (rt.MAX_NOTE + 1), NOW)
    assert e.value.code == "response_too_long"


def test_overdue_follow_ups_turn_red_and_a_closed_one_keeps_whether_it_was_late() -> None:
    f = fresh()  # due Mon Nov 30
    assert rt.colour(PLAIN, f, MON) is Colour.GREEN
    assert rt.colour(PLAIN, f, date(2026, 11, 27)) is Colour.YELLOW  # the working day before
    assert rt.colour(PLAIN, f, date(2026, 11, 30)) is Colour.YELLOW  # the day itself
    assert rt.colour(PLAIN, f, date(2026, 12, 1)) is Colour.RED
    done = rt.close(rt.rectify(rt.call_back(f, "s", None, NOW), "s", "a", "b", NOW), "s", "c",
                    NOW)
    assert rt.colour(PLAIN, done, date(2026, 12, 9), date(2026, 11, 30)) is Colour.GREEN
    assert rt.colour(PLAIN, done, date(2026, 12, 9), date(2026, 12, 1)) is Colour.RED


# --- malicious ---------------------------------------------------------------------


def test_only_a_supervisor_or_admin_marks_a_rating_malicious_with_a_reason() -> None:
    m = rt.mark_malicious(None, SUPERVISOR, " 同一人反复恶意差评 ", NOW)
    assert m == rt.Malicious("同一人反复恶意差评", "s1", NOW)
    assert rt.mark_malicious(None, ADMIN, "x", NOW).by == "a1"
    with pytest.raises(Forbidden):
        rt.mark_malicious(None, CLERK, "x", NOW)
    for reason in (None, "", "  "):
        with pytest.raises(InvalidInput) as e:
            rt.mark_malicious(None, SUPERVISOR, reason, NOW)
        assert e.value.code == "reason_required"
    with pytest.raises(Conflict) as c:
        rt.mark_malicious(m, SUPERVISOR, "again", NOW)
    assert c.value.code == "already_malicious"
