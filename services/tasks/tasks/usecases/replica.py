"""The registry facts this service validates against (copies kept by emss_common.replica)."""
from datetime import date

from emss_common import replica as copies
from emss_common.errors import ValidationFailed

APPROVED = ("second_approved", "published")


def institution(ctx, institution_id):
    return copies.institution(ctx.db, institution_id)


def enterprise(ctx, enterprise_id, field="enterprise_id"):
    return copies.enterprise(ctx.db, enterprise_id, field)


def outlets_of(ctx, enterprise_id):
    return copies.outlets_of(ctx.db, enterprise_id)


def devices_of(ctx, enterprise_id):
    return copies.devices_of(ctx.db, enterprise_id)


def ensure_may_take_tasks(inst, today: date, field="institution_id"):
    """Only an institution whose filing passed the second review, and is still valid, takes work."""
    if inst.get("status") not in APPROVED:
        raise ValidationFailed("机构备案尚未通过二审，不能承接任务", field=field)
    until = inst.get("valid_until")
    if until and date.fromisoformat(until) < today:
        raise ValidationFailed("机构备案已过有效期，不能承接任务", field=field)
