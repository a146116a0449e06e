"""Account rules: strong passwords and a temporary lock after repeated failures (等保)."""
from datetime import datetime, timedelta, timezone

import pytest

from registry.domain.accounts import USERNAME, LockoutPolicy, password_problem

T0 = datetime(2026, 10, 12, 2, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("password", ["Admin#Test2026", "abcdefgh12!", "ABCDEFGH12a", "longpassword1!"])
def test_a_password_of_ten_characters_from_three_classes_is_accepted(password):
    assert password_problem(password) is None


def test_a_password_shorter_than_ten_characters_is_refused():
    assert password_problem("Ab1!Ab1!x") == "密码至少10位"


@pytest.mark.parametrize("password", ["abcdefghijkl", "abcdefgh1234", "ABCDEFGHabcd", "12345678!!!!"])
def test_a_password_from_fewer_than_three_classes_is_refused(password):
    assert "至少三类" in password_problem(password)


@pytest.mark.parametrize("username, ok", [("qingyuan01", True), ("a.b-c_d", True), ("abc", False),
                                          ("x" * 33, False), ("张三丰四", False), ("has space", False)])
def test_usernames_are_four_to_thirty_two_plain_characters(username, ok):
    assert bool(USERNAME.match(username)) is ok


POLICY = LockoutPolicy(max_failures=5, lock_minutes=15)


def test_four_failures_do_not_lock_the_account():
    assert not POLICY.is_locked(4, T0, T0)
    assert POLICY.locked_until(4, T0) is None


def test_the_fifth_failure_locks_the_account_for_fifteen_minutes():
    assert POLICY.locked_until(5, T0) == T0 + timedelta(minutes=15)
    assert POLICY.is_locked(5, T0, T0 + timedelta(minutes=14, seconds=59))


def test_the_lock_ends_after_fifteen_minutes():
    assert not POLICY.is_locked(5, T0, T0 + timedelta(minutes=15))


def test_no_recorded_failure_means_no_lock():
    assert not POLICY.is_locked(9, None, T0)


def test_the_policy_is_configurable():
    assert LockoutPolicy(max_failures=3, lock_minutes=60).is_locked(3, T0, T0 + timedelta(minutes=59))
