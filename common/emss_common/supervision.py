"""When to start a dead process again, and when to give up: the policy of `make run`'s supervisor.

Plain Python on an injected clock (seconds, monotonic) so that it is tested without processes. The
supervisor (scripts/run_all.py) only starts, polls and stops processes and asks this object what to do.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Restart:
    """Start the process again at `at` (clock seconds); `attempt` counts restarts since it last ran stably."""
    at: float
    delay: float
    attempt: int


@dataclass(frozen=True)
class GiveUp:
    """The process keeps dying at start: restarting it again would only hide the cause."""
    reason: str


class RestartPolicy:
    """Back-off doubling from `first_delay` up to `max_delay`; a process that stayed up for
    `stable_after` seconds starts again from `first_delay`. A death within `early_death` seconds of
    starting counts as dying at start; `max_early_deaths` of those in a row give up."""

    def __init__(self, first_delay=0.5, max_delay=30.0, stable_after=30.0, early_death=10.0,
                 max_early_deaths=5):
        if not 0 < first_delay <= max_delay:
            raise ValueError("need 0 < first_delay <= max_delay")
        self.first_delay, self.max_delay = first_delay, max_delay
        self.stable_after, self.early_death = stable_after, early_death
        self.max_early_deaths = max_early_deaths
        self.started_at = None
        self.attempt = 0          # restarts since the process last ran stably
        self.early_deaths = 0     # deaths at start, in a row

    def started(self, now):
        self.started_at = now

    def died(self, now):
        """The process was found dead at `now`: a Restart or a GiveUp."""
        uptime = now - self.started_at if self.started_at is not None else 0.0
        self.started_at = None
        if uptime >= self.stable_after:
            self.attempt = 0
        if uptime < self.early_death:
            self.early_deaths += 1
        else:
            self.early_deaths = 0
        if self.early_deaths >= self.max_early_deaths:
            return GiveUp(f"it died {self.early_deaths} times in a row within {self.early_death:g} s "
                          f"of starting")
        delay = min(self.max_delay, self.first_delay * 2 ** self.attempt)
        self.attempt += 1
        return Restart(at=now + delay, delay=delay, attempt=self.attempt)
