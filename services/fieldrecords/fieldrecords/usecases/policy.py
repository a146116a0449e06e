"""The configurable thresholds of field work, read from the service config ([D] defaults)."""
from datetime import timedelta

from ..domain.checkins import CheckinPolicy
from emss_common.imaging import DuplicatePhoto, limits_from


_DEFAULT = CheckinPolicy()  # the defaults live in the domain, once


def checkin_policy(ctx):
    return CheckinPolicy(
        radius_m=ctx.setting("FIELD_CHECKIN_RADIUS_M", _DEFAULT.radius_m, float),
        max_speed_kmh=ctx.setting("FIELD_MAX_TRAVEL_KMH", _DEFAULT.max_speed_kmh, float),
        min_travel_m=ctx.setting("FIELD_MIN_TRAVEL_M", _DEFAULT.min_travel_m, float),
        photo_time_tolerance=timedelta(minutes=ctx.setting(
            "FIELD_PHOTO_TIME_TOLERANCE_MIN", _DEFAULT.photo_time_tolerance.total_seconds() / 60, float)),
        max_visit=timedelta(hours=ctx.setting(
            "FIELD_MAX_VISIT_HOURS", _DEFAULT.max_visit.total_seconds() / 3600, float)))


def photo_limits(ctx):
    return limits_from(ctx.setting)


def duplicate_rule(ctx):
    return DuplicatePhoto(ctx.setting("FIELD_PHOTO_DUPLICATE_MAX_BITS", 6))


def form_limit(ctx):
    """The forms pipeline asks for each judged limit by its catalogue key."""
    return lambda key, default: ctx.setting(key, default, float)
