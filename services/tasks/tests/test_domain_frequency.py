"""Due occurrences follow the calendar: the National Day week is a week like any other for
continuous monitoring equipment; only paperwork deadlines count working days."""
from datetime import date, timedelta

import pytest

from tasks.domain.frequency import Frequency
from tasks.domain.occurrences import occurrences, period_for, status_of

Q4_START, Q4_END = date(2026, 10, 1), date(2026, 12, 31)   # 10-01..10-07 is the National Day holiday


def d(month, day, year=2026):
    return date(year, month, day)


def test_weekly_windows_for_the_fourth_quarter_are_the_calendar_weeks_clipped_to_it():
    windows = Frequency("weekly").windows(Q4_START, Q4_END, anchor=d(9, 15))
    assert windows[0] == (d(10, 1), d(10, 4))              # Thursday 10-01 to Sunday
    assert windows[1] == (d(10, 5), d(10, 11))             # the rest of the holiday week counts
    assert windows[-1] == (d(12, 28), d(12, 31))
    assert len(windows) == 14
    assert all((b - a).days == 6 for a, b in windows[1:-1])


def test_every_seven_days_counts_from_the_task_start_through_the_holiday():
    windows = Frequency("every_n_days", 7).windows(Q4_START, Q4_END, anchor=d(9, 15))
    assert [w[0] for w in windows] == [d(10, 1), d(10, 6), d(10, 13), d(10, 20), d(10, 27), d(11, 3),
                                       d(11, 10), d(11, 17), d(11, 24), d(12, 1), d(12, 8), d(12, 15),
                                       d(12, 22), d(12, 29)]
    assert windows[0] == (d(10, 1), d(10, 5)) and windows[-1] == (d(12, 29), d(12, 31))


def test_daily_monthly_and_quarterly_windows():
    daily = Frequency("daily").windows(Q4_START, Q4_END, anchor=d(9, 15))
    assert len(daily) == 92 and (d(10, 3), d(10, 3)) in daily
    assert Frequency("monthly").windows(Q4_START, Q4_END, anchor=d(9, 15)) == [
        (d(10, 1), d(10, 31)), (d(11, 1), d(11, 30)), (d(12, 1), d(12, 31))]
    assert Frequency("quarterly").windows(Q4_START, Q4_END, anchor=d(9, 15)) == [(d(10, 1), d(12, 31))]


def test_every_three_months_counts_from_the_anchor_with_month_ends_clamped():
    assert Frequency("every_3_months").windows(Q4_START, Q4_END, anchor=d(8, 15)) == [
        (d(10, 1), d(11, 14)), (d(11, 15), d(12, 31))]
    assert Frequency("every_3_months").windows(d(11, 1), d(12, 31), anchor=d(8, 31)) == [
        (d(11, 1), d(11, 29)), (d(11, 30), d(12, 31))]


def test_on_demand_work_has_no_due_windows():
    assert Frequency("on_demand").windows(Q4_START, Q4_END, anchor=d(9, 15)) == []


@pytest.mark.parametrize("planned, default, allowed", [
    (Frequency("daily"), Frequency("weekly"), True),
    (Frequency("every_n_days", 7), Frequency("weekly"), True),
    (Frequency("every_n_days", 8), Frequency("weekly"), False),
    (Frequency("monthly"), Frequency("weekly"), False),
    (Frequency("weekly"), Frequency("monthly"), True),
    (Frequency("quarterly"), Frequency("every_3_months"), True),
    (Frequency("on_demand"), Frequency("every_3_months"), False),
    (Frequency("monthly"), Frequency("on_demand"), True),
])
def test_a_plan_may_be_stricter_than_the_default_never_looser(planned, default, allowed):
    assert planned.at_least_as_strict_as(default) is allowed


def test_every_n_days_needs_a_positive_n():
    with pytest.raises(ValueError):
        Frequency("every_n_days", 0)
    with pytest.raises(ValueError):
        Frequency("fortnightly")


def test_a_task_quarter_of_occurrences_is_exact_across_national_day():
    task = {"start": d(9, 15), "end": d(12, 15), "plan": [
        {"id": "p1", "outlet_id": "o1", "form_kind": "fg_inspection_extractive", "frequency": {"kind": "weekly"}},
        {"id": "p2", "outlet_id": "o1", "form_kind": "fg_periodic_check", "frequency": {"kind": "every_3_months"}},
        {"id": "p3", "outlet_id": "o1", "form_kind": "fg_fault_repair", "frequency": {"kind": "on_demand"}},
    ]}
    occ = occurrences(task, Q4_START, Q4_END)
    weekly = [(o.window_start, o.window_end) for o in occ if o.plan_item_id == "p1"]
    assert weekly[0] == (d(10, 1), d(10, 4)) and weekly[1] == (d(10, 5), d(10, 11))
    assert weekly[-1] == (d(12, 14), d(12, 15))               # clipped to the task's end
    assert len(weekly) == 12   # 10-01..04, then 10 full weeks, then 12-14..15
    assert [(o.window_start, o.window_end) for o in occ if o.plan_item_id == "p2"] == [
        (d(10, 1), d(12, 14)), (d(12, 15), d(12, 15))]
    assert not [o for o in occ if o.plan_item_id == "p3"]
    assert occ[0].id == "p1:2026-10-01"


def test_an_occurrence_is_done_by_a_record_in_its_window_and_overdue_once_it_has_passed():
    task = {"start": d(10, 1), "end": d(10, 31), "plan": [
        {"id": "p1", "outlet_id": "o1", "form_kind": "ww_inspection", "frequency": {"kind": "weekly"}}]}
    first = occurrences(task, d(10, 1), d(10, 31))[1]          # 10-05..10-11
    assert status_of(first, [d(10, 6)], today=d(10, 20)) == "done"
    assert status_of(first, [d(10, 12)], today=d(10, 20)) == "overdue"
    assert status_of(first, [], today=d(10, 11)) == "pending"


def test_the_quick_views_are_this_week_and_this_month():
    assert period_for("week", d(11, 25)) == (d(11, 23), d(11, 29))
    assert period_for("month", d(11, 25)) == (d(11, 1), d(11, 30))
    assert period_for("month", d(12, 5)) == (d(12, 1), d(12, 31))
    assert period_for("all", d(11, 25)) is None
    assert timedelta(days=6) == d(11, 29) - d(11, 23)
