"""The configurable thresholds of field work, read from the service config ([D] defaults)."""
from datetime import timedelta

from ..domain.checkins import CheckinPolicy
from emss_common.imaging import DuplicatePhoto, limits_from


def checkin_policy(ctx):
    return CheckinPolicy(
        radius_m=ctx.setting("FIELD_CHECKIN_RADIUS_M", 500, float),
        max_speed_kmh=ctx.setting("FIELD_MAX_TRAVEL_KMH", 150, float),
        min_travel_m=ctx.setting("FIELD_MIN_TRAVEL_M", 1000, float),
        photo_time_tolerance=timedelta(minutes=ctx.setting("FIELD_PHOTO_TIME_TOLERANCE_MIN", 120, float)),
        max_visit=timedelta(hours=ctx.setting("FIELD_MAX_VISIT_HOURS", 12, float)))


def photo_limits(ctx):
    return limits_from(ctx.setting)


def duplicate_rule(ctx):
    return DuplicatePhoto(ctx.setting("FIELD_PHOTO_DUPLICATE_MAX_BITS", 6))


def form_limit(ctx):
    """The forms pipeline asks for each judged limit by its catalogue key."""
    return lambda key, default: ctx.setting(key, default, float)
