"""The restart policy of `make run`: back-off that doubles to a cap, a clean slate after a stable run,
and giving up on a process that keeps dying at start. Time is a number the test moves."""
import pytest

from emss_common.supervision import GiveUp, Restart, RestartPolicy


class Run:
    """One supervised process on a fake clock."""

    def __init__(self, **kw):
        self.policy, self.now = RestartPolicy(**kw), 0.0
        self.policy.started(self.now)

    def dies_after(self, seconds):
        self.now += seconds
        decision = self.policy.died(self.now)
        if isinstance(decision, Restart):
            self.now = decision.at
            self.policy.started(self.now)
        return decision


def test_a_dead_process_is_started_again_after_half_a_second_then_the_delay_doubles_to_a_cap():
    run = Run(first_delay=0.5, max_delay=4.0, stable_after=30, early_death=5, max_early_deaths=100)
    delays = [run.dies_after(10).delay for _ in range(6)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_a_restart_is_due_its_delay_after_the_death_and_counts_its_attempt():
    run = Run(first_delay=0.5)
    first = run.dies_after(10)
    assert first == Restart(at=10.5, delay=0.5, attempt=1)
    second = run.dies_after(10)
    assert second == Restart(at=21.5, delay=1.0, attempt=2)


def test_after_a_stable_run_the_back_off_starts_again_from_the_first_delay():
    run = Run(first_delay=0.5, max_delay=30, stable_after=30)
    for _ in range(4):
        run.dies_after(10)
    again = run.dies_after(31)
    assert (again.delay, again.attempt) == (0.5, 1)


def test_a_process_that_keeps_dying_at_start_is_given_up_with_the_reason():
    run = Run(early_death=5, max_early_deaths=3)
    assert isinstance(run.dies_after(1), Restart)
    assert isinstance(run.dies_after(0.2), Restart)
    decision = run.dies_after(4.9)
    assert isinstance(decision, GiveUp)
    assert decision.reason == "it died 3 times in a row within 5 s of starting"


def test_a_death_after_a_while_breaks_the_run_of_early_deaths():
    run = Run(early_death=5, max_early_deaths=3, stable_after=60)
    run.dies_after(1)
    run.dies_after(1)
    run.dies_after(6)          # lived past its start: not an early death
    run.dies_after(1)
    assert isinstance(run.dies_after(1), Restart)
    assert isinstance(run.dies_after(1), GiveUp)


def test_nonsense_delays_are_refused():
    with pytest.raises(ValueError):
        RestartPolicy(first_delay=0)
    with pytest.raises(ValueError):
        RestartPolicy(first_delay=5, max_delay=1)
