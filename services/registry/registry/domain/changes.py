"""Change requests (信息变更申请) after approval, and the 5-working-day update deadline.

The deadline counts from the day the change happened in the real world (a new hire, an expired
certificate), on China's official working-day calendar.
"""
from dataclasses import dataclass
from datetime import date
from enum import Enum

from emss_common.vocabulary import CHANGE_OPS, CHANGE_STATUSES, CHANGE_TARGETS  # noqa: F401
from emss_common.workdays import working_deadline


class ChangeStatus(str, Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


CHANGE_STATUS_LABELS = CHANGE_STATUSES


@dataclass(frozen=True)
class UpdateDeadline:
    working_days: int = 5

    def due(self, changed_on: date) -> date:
        return self.deadline(changed_on).date

    def deadline(self, changed_on: date):
        """The due date, provisional when it runs into a year the official calendar lacks."""
        return working_deadline(changed_on, self.working_days)

    def is_late(self, changed_on: date, reported_on: date) -> bool:
        return reported_on > self.due(changed_on)


def pending_obligations(institution: dict, today: date, deadline: UpdateDeadline) -> list[dict]:
    """Expired certificates, calibrations and leases still on file: each must be updated within
    the deadline counted from the day it expired."""
    items = []
    for s in institution.get("staff", []):
        cert = s.get("certificate") or {}
        until = cert.get("valid_until")
        if not s.get("resigned") and until and until < today:
            items.append(_obligation("staff", s, f"{s.get('name')}运维能力评定证书过期", until,
                                     deadline, today))
    for e in institution.get("equipment", []):
        until = e.get("calibration_valid_until")
        if until and until < today:
            items.append(_obligation("equipment", e, f"设备{e.get('name')}检定/校准过期", until,
                                     deadline, today))
    for v in institution.get("vehicles", []):
        until = v.get("lease_end") if v.get("ownership") == "leased" else None
        if until and until < today:
            items.append(_obligation("vehicles", v, f"车辆{v.get('plate')}租赁合同到期", until,
                                     deadline, today))
    return items


def _obligation(target, item, what, since, deadline, today):
    due = deadline.deadline(since)
    return {"target": target, "item_id": item.get("id"), "what": what, "since": since,
            "due": due.date, "due_provisional": due.provisional, "overdue": today > due.date}
