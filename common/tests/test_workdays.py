"""China's official working days, checked against the State Council's 2026 holiday notice
(国务院办公厅关于2026年部分节假日安排的通知):
  春节 2月15日至23日放假，2月14日（周六）、2月28日（周六）上班；
  端午节 6月19日至21日放假；
  中秋节 9月25日至27日放假；
  国庆节 10月1日至7日放假，9月20日（周日）、10月10日（周六）上班。
Expected dates below are worked out by hand from that notice, not by calling the code under test.
"""
from datetime import date

import pytest

from emss_common.errors import ValidationFailed
from emss_common.workdays import add_working_days, is_working_day, working_days_between


def test_national_day_week_is_not_working_time():
    for day in range(1, 8):
        assert not is_working_day(date(2026, 10, day))


def test_an_adjusted_saturday_and_sunday_are_working_days():
    assert is_working_day(date(2026, 10, 10))  # Saturday, 调休上班
    assert is_working_day(date(2026, 9, 20))   # Sunday, 调休上班
    assert is_working_day(date(2026, 2, 14))   # Saturday before 春节


def test_an_ordinary_weekend_is_not_a_working_day():
    assert not is_working_day(date(2026, 10, 11))  # Sunday
    assert not is_working_day(date(2026, 9, 19))   # Saturday


def test_five_working_days_from_the_eve_of_national_day_skip_the_holiday_and_count_the_adjusted_saturday():
    # 10-08 Thu (1), 10-09 Fri (2), 10-10 Sat 调休 (3), 10-11 Sun rest, 10-12 Mon (4), 10-13 Tue (5)
    assert add_working_days(date(2026, 9, 30), 5) == date(2026, 10, 13)


def test_five_working_days_from_a_friday_count_the_adjusted_sunday():
    # 09-20 Sun 调休 (1), 09-21 (2), 09-22 (3), 09-23 (4), 09-24 (5)
    assert add_working_days(date(2026, 9, 18), 5) == date(2026, 9, 24)


def test_five_working_days_across_mid_autumn():
    # 09-24 Thu (1), 09-25..27 中秋 rest, 09-28 (2), 09-29 (3), 09-30 (4), 10-01..07 rest, 10-08 (5)
    assert add_working_days(date(2026, 9, 23), 5) == date(2026, 10, 8)


def test_five_working_days_across_spring_festival():
    # 02-13 Fri (1), 02-14 Sat 调休 (2), 02-15..23 rest, 02-24 (3), 02-25 (4), 02-26 (5)
    assert add_working_days(date(2026, 2, 12), 5) == date(2026, 2, 26)


def test_the_start_day_itself_is_not_counted():
    assert add_working_days(date(2026, 6, 15), 1) == date(2026, 6, 16)
    assert add_working_days(date(2026, 6, 15), 0) == date(2026, 6, 15)


def test_working_days_between_counts_the_end_but_not_the_start():
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 13)) == 5
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 7)) == 0
    assert working_days_between(date(2026, 10, 13), date(2026, 9, 30)) == 0
    assert working_days_between(date(2026, 6, 15), date(2026, 6, 15)) == 0


def test_a_year_the_official_calendar_does_not_cover_is_refused_rather_than_guessed():
    with pytest.raises(ValidationFailed) as exc:
        is_working_day(date(2099, 3, 2))
    assert exc.value.field == "date"
    assert "2099" in exc.value.message
