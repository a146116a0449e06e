"""Account rules: usernames, password strength, and lock-out after repeated failures (等保)."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from emss_common.credentials import USERNAME, password_problem  # noqa: F401  (the rules, in one place)


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int = 5
    lock_minutes: int = 15

    def locked_until(self, failures: int, last_failure: datetime | None):
        if failures >= self.max_failures and last_failure is not None:
            return last_failure + timedelta(minutes=self.lock_minutes)
        return None

    def is_locked(self, failures, last_failure, now):
        until = self.locked_until(failures, last_failure)
        return until is not None and now < until
