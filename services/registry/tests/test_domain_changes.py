"""Changes after approval must be reported within 5 official working days (调休 included).

Dates worked out by hand from the State Council's 2026 holiday notice: 中秋 9-25..27 off;
国庆 10-01..07 off, Sunday 9-20 and Saturday 10-10 are working days.
"""
from datetime import date

from registry.domain.changes import UpdateDeadline, pending_obligations

RULE = UpdateDeadline(working_days=5)


def test_a_change_on_the_eve_of_national_day_is_due_after_the_holiday_and_the_adjusted_saturday():
    # 10-08 (1), 10-09 (2), 10-10 Sat 调休 (3), 10-12 (4), 10-13 (5)
    assert RULE.due(date(2026, 9, 30)) == date(2026, 10, 13)


def test_a_change_reported_on_the_due_day_is_on_time_and_the_day_after_is_late():
    assert not RULE.is_late(date(2026, 9, 30), date(2026, 10, 13))
    assert RULE.is_late(date(2026, 9, 30), date(2026, 10, 14))


def test_the_holiday_itself_does_not_make_a_report_late():
    # Twelve calendar days later, but only four working days.
    assert not RULE.is_late(date(2026, 9, 30), date(2026, 10, 12))


def test_a_change_on_a_friday_before_the_adjusted_sunday_counts_that_sunday():
    assert RULE.due(date(2026, 9, 18)) == date(2026, 9, 24)


def test_an_ordinary_week_is_five_weekdays():
    assert RULE.due(date(2026, 6, 1)) == date(2026, 6, 8)  # Monday → next Monday


def test_the_dragon_boat_festival_friday_is_skipped():
    # 端午 6-19..21 off: 6-16 (1), 6-17 (2), 6-18 (3), 6-22 (4), 6-23 (5)
    assert RULE.due(date(2026, 6, 15)) == date(2026, 6, 23)


def test_the_number_of_working_days_is_configurable():
    assert UpdateDeadline(working_days=3).due(date(2026, 9, 30)) == date(2026, 10, 10)


TODAY = date(2026, 10, 12)


def test_expired_certificates_calibrations_and_leases_are_obligations_with_their_due_dates():
    inst = {
        "staff": [{"id": "s1", "name": "赵强", "certificate": {"valid_until": date(2026, 9, 30)}},
                  {"id": "s2", "name": "钱技", "certificate": {"valid_until": date(2028, 1, 1)}},
                  {"id": "s3", "name": "离职者", "resigned": True,
                   "certificate": {"valid_until": date(2025, 1, 1)}},
                  {"id": "s4", "name": "孙质", "certificate": None}],
        "equipment": [{"id": "e1", "name": "pH计", "calibration_valid_until": date(2026, 9, 28)}],
        "vehicles": [{"id": "v1", "plate": "沪B54321", "ownership": "leased",
                      "lease_end": date(2026, 10, 9)},
                     {"id": "v2", "plate": "沪A12345", "ownership": "owned", "lease_end": date(2020, 1, 1)}],
    }
    items = pending_obligations(inst, TODAY, RULE)
    assert items == [
        {"target": "staff", "item_id": "s1", "what": "赵强运维能力评定证书过期",
         "since": date(2026, 9, 30), "due": date(2026, 10, 13), "due_provisional": False, "overdue": False},
        # 9-28 → 9-29 (1), 9-30 (2), 10-08 (3), 10-09 (4), 10-10 (5): overdue on the 12th
        {"target": "equipment", "item_id": "e1", "what": "设备pH计检定/校准过期",
         "since": date(2026, 9, 28), "due": date(2026, 10, 10), "due_provisional": False, "overdue": True},
        # 10-09 → 10-10 Sat 调休 (1), 10-12 (2), 10-13 (3), 10-14 (4), 10-15 (5)
        {"target": "vehicles", "item_id": "v1", "what": "车辆沪B54321租赁合同到期",
         "since": date(2026, 10, 9), "due": date(2026, 10, 15), "due_provisional": False, "overdue": False},
    ]


def test_an_institution_with_everything_valid_owes_nothing():
    inst = {"staff": [{"id": "s1", "name": "x", "certificate": {"valid_until": TODAY}}],
            "equipment": [], "vehicles": []}
    assert pending_obligations(inst, TODAY, RULE) == []
    assert pending_obligations({}, TODAY, RULE) == []


def test_a_deadline_running_into_a_year_the_official_calendar_lacks_is_provisional():
    # chinese_calendar 1.11 knows 2026 only; 2026-12-29 + 5 working days reaches into 2027,
    # counted Monday to Friday there: 12-30, 12-31, then 2027-01-01 (Fri), 01-04, 01-05.
    deadline = UpdateDeadline(5).deadline(date(2026, 12, 29))
    assert deadline.provisional is True
    assert deadline.date == date(2027, 1, 5)


def test_a_deadline_inside_announced_years_is_not_provisional():
    assert UpdateDeadline(5).deadline(date(2026, 6, 15)).provisional is False
