"""Account rules: usernames, password strength, and lock-out after repeated failures (等保)."""
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

USERNAME = re.compile(r"^[A-Za-z0-9_.\-]{4,32}$")


def password_problem(password: str) -> str | None:
    if len(password) < 10:
        return "密码至少10位"
    classes = sum(bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]"))
    if classes < 3:
        return "密码须包含大写字母、小写字母、数字、符号中的至少三类"
    return None


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
