"""Account rules: usernames, password strength, and lock-out after repeated failures (等保)."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from emss_common.credentials import USERNAME, password_problem  # noqa: F401  (the rules, in one place)


@dataclass(frozen=True)
class LockoutPolicy:
    """A temporary lock after repeated failed logins (等保).

    Failures are counted per username *and source* (the client's address): a guesser elsewhere
    locks only their own attempts, never a person out of their own phone. `account_ceiling`, much
    higher, counts one username's failures from every source, so guessing spread over many
    addresses is slowed rather than left unbounded (0: no ceiling). An unknown username is counted
    like a known one: the answers must not tell which usernames exist. A failure counts while it
    follows the previous one within the lock period; once a lock has run out, counting starts afresh.
    """
    max_failures: int = 5
    lock_minutes: int = 15
    account_ceiling: int = 100

    @property
    def period(self):
        return timedelta(minutes=self.lock_minutes)

    def locked_until(self, failures: int, last_failure: datetime | None, limit: int | None = None):
        limit = self.max_failures if limit is None else limit
        if limit and failures >= limit and last_failure is not None:
            return last_failure + self.period
        return None

    def is_locked(self, failures, last_failure, now, limit=None):
        until = self.locked_until(failures, last_failure, limit)
        return until is not None and now < until

    def still_counts(self, last_failure, now):
        """Whether failures recorded up to `last_failure` still count toward a lock at `now`."""
        return last_failure is not None and now - last_failure < self.period
