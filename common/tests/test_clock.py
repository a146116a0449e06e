"""Injectable time: rules about "today" use Shanghai's calendar day; tests freeze the clock."""
from datetime import date, datetime, timezone

from emss_common.clock import (FrozenClock, SHANGHAI, SystemClock, as_utc, clock_from_config,
                               to_shanghai)


def test_a_frozen_clock_stands_still_until_moved():
    clock = FrozenClock("2026-10-12T10:00:00+08:00")
    assert clock.now() == datetime(2026, 10, 12, 2, 0, tzinfo=timezone.utc)
    assert clock.now() == clock.now()
    clock.advance(minutes=16)
    assert clock.now() == datetime(2026, 10, 12, 2, 16, tzinfo=timezone.utc)
    clock.set("2026-10-13T09:00:00+08:00")
    assert clock.today() == date(2026, 10, 13)


def test_today_is_the_calendar_day_in_shanghai_not_in_utc():
    # 17:30 UTC on the 11th is 01:30 on the 12th in Shanghai.
    assert FrozenClock("2026-10-11T17:30:00Z").today() == date(2026, 10, 12)
    assert FrozenClock("2026-10-11T15:59:00Z").today() == date(2026, 10, 11)


def test_as_utc_reads_iso_text_and_takes_naive_times_as_shanghai_time():
    assert as_utc("2026-10-12T10:00:00") == datetime(2026, 10, 12, 2, 0, tzinfo=timezone.utc)
    assert as_utc("2026-10-12T02:00:00Z") == datetime(2026, 10, 12, 2, 0, tzinfo=timezone.utc)
    assert as_utc(datetime(2026, 10, 12, 10, 0)) == datetime(2026, 10, 12, 2, 0, tzinfo=timezone.utc)
    assert as_utc(datetime(2026, 10, 12, 10, 0, tzinfo=SHANGHAI)).tzinfo == timezone.utc


def test_to_shanghai_takes_naive_values_from_the_database_as_utc():
    shown = to_shanghai(datetime(2026, 10, 12, 2, 0))
    assert (shown.hour, shown.utcoffset().total_seconds()) == (10, 8 * 3600)
    assert to_shanghai(None) is None


def test_the_config_chooses_a_frozen_clock_or_the_system_clock():
    frozen = clock_from_config({"EMSS_FROZEN_NOW": "2026-10-12T10:00:00+08:00"})
    assert isinstance(frozen, FrozenClock) and frozen.today() == date(2026, 10, 12)
    assert type(clock_from_config({})) is SystemClock
    assert type(clock_from_config(None)) is SystemClock
    assert SystemClock().now().tzinfo is not None


def test_a_time_that_cannot_be_moved_to_utc_is_a_value_error_not_an_overflow():
    import pytest
    from emss_common.clock import OutOfRange
    for text in ("0001-01-01T00:00:00", "9999-12-31T23:00:00-05:00"):
        with pytest.raises(OutOfRange):
            as_utc(text)
    assert issubclass(OutOfRange, ValueError)
