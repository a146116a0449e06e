"""The configurable numbers of confirmation, read from the service config ([D] defaults)."""
from datetime import timedelta

from emss_common.imaging import limits_from

from ..domain.records import ConfirmationDeadline


def deadline(ctx):
    """Records are confirmed the same day (seeds 000, 003); a grace period is a setting."""
    return ConfirmationDeadline(timedelta(hours=ctx.setting("EMSS_CONFIRMATION_GRACE_HOURS", 0, float)))


def photo_limits(ctx):
    """The enterprise's and the reviewer's work photos are held to the field photos' limits."""
    return limits_from(ctx.setting)


def days_window(ctx):
    """How many recent days the 待确认日期 list shows by default (older days only while they still
    hold records awaiting confirmation)."""
    return ctx.setting("EMSS_CONFIRMATION_DAYS_WINDOW", 31)
