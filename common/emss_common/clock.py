"""Injectable time. Rules about "same day" or "5 working days" are tested with FrozenClock."""
from datetime import datetime, timezone, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

# The years a date or time given to EMSS may fall in: far enough from datetime's ends (year 1 and
# 9999) that converting between Shanghai and UTC, or adding a few days, never overflows.
FIRST_YEAR, LAST_YEAR = 1900, 2999


class OutOfRange(ValueError):
    """A time that cannot be converted (beyond datetime's years once moved to UTC)."""


def utcnow():
    return datetime.now(timezone.utc)


class SystemClock:
    def now(self):
        return utcnow()

    def today(self):
        """The calendar date in Shanghai: every business day boundary is local."""
        return self.now().astimezone(SHANGHAI).date()


class FrozenClock(SystemClock):
    def __init__(self, at):
        self._at = as_utc(at)

    def now(self):
        return self._at

    def set(self, at):
        self._at = as_utc(at)

    def advance(self, **delta):
        self._at += timedelta(**delta)


def as_utc(value):
    """Parse ISO text or take a datetime; naive values are taken as Shanghai time."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=SHANGHAI)
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01 in Shanghai is before year 1 in UTC
        raise OutOfRange(f"{value.isoformat()} is out of range") from None


def in_range(value):
    """Whether a date or datetime falls in the years EMSS accepts (FIRST_YEAR..LAST_YEAR)."""
    return FIRST_YEAR <= value.year <= LAST_YEAR


def to_shanghai(value):
    if value is None:
        return None
    if value.tzinfo is None:  # pymongo returns naive UTC unless tz_aware
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(SHANGHAI)


def clock_from_config(config):
    frozen = (config or {}).get("EMSS_FROZEN_NOW")
    return FrozenClock(frozen) if frozen else SystemClock()
