"""Institution types and the 二审 (second-stage) information rules: staff certificates,
equipment calibration, vehicle ownership and leases, spare parts."""
from dataclasses import dataclass
from datetime import date, timedelta

from emss_common.vocabulary import (  # noqa: F401  (the registry's vocabulary, kept in the catalogue)
    CAPABILITIES, EDUCATION_LEVELS, INSTITUTION_TYPES, TECHNICAL_ROLES)

# The types whose institution is itself the polluting enterprise.
SELF_OPERATING_TYPES = {"self_testing_enterprise", "self_testing_om_enterprise"}


def is_self_operating(institution_type: str) -> bool:
    return institution_type in SELF_OPERATING_TYPES


@dataclass(frozen=True)
class ValidityRule:
    """How close to expiry a certificate or calibration counts as "expiring soon"."""
    warn_days: int = 30

    def status(self, valid_until: date | None, today: date) -> str:
        if valid_until is None:
            return "missing"
        if valid_until < today:
            return "expired"
        if valid_until <= today + timedelta(days=self.warn_days):
            return "expiring"
        return "valid"


VALIDITY_LABELS = {"valid": "有效", "expiring": "即将到期", "expired": "已过期", "missing": "未填写"}


def staff_flags(staff: dict, today: date, rule=ValidityRule()) -> dict:
    cert = staff.get("certificate") or {}
    return {"certificate_status": rule.status(cert.get("valid_until"), today)}


def equipment_flags(item: dict, today: date, rule=ValidityRule()) -> dict:
    return {"calibration_status": rule.status(item.get("calibration_valid_until"), today)}


def vehicle_flags(vehicle: dict, today: date, rule=ValidityRule()) -> dict:
    if vehicle.get("ownership") != "leased":
        return {"lease_status": "owned"}
    return {"lease_status": rule.status(vehicle.get("lease_end"), today)}


def lease_covers(vehicle: dict, start: date, end: date) -> bool:
    """A leased vehicle serves a contract only if the lease covers the contract period."""
    if vehicle.get("ownership") != "leased":
        return True
    return vehicle["lease_start"] <= start and vehicle["lease_end"] >= end


@dataclass(frozen=True)
class Problem:
    field: str
    message: str

    def to_dict(self):
        return {"field": self.field, "message": self.message}


def second_stage_problems(institution: dict, today: date) -> list[Problem]:
    """What stops the 二审 submission: the institution must be able to do the work it files for."""
    problems = []
    active = [s for s in institution.get("staff", []) if not s.get("resigned")]
    if not active:
        problems.append(Problem("staff", "至少填报一名在职人员"))
    om_staff = [s for s in active if s.get("technical_role") == "om_staff"]
    valid_om = [s for s in om_staff
                if staff_flags(s, today)["certificate_status"] in ("valid", "expiring")]
    needs_om = institution.get("type") not in ("testing", "self_testing_enterprise")
    if needs_om and not valid_om:
        problems.append(Problem("staff", "至少需要一名持有效运维能力评定证书的运维人员"))
    for role in ("technical_lead", "quality_lead"):
        if not any(s.get("technical_role") == role for s in active):
            problems.append(Problem("staff", f"缺少{TECHNICAL_ROLES[role]}"))
    for i, s in enumerate(institution.get("staff", [])):  # index into the filed list, not `active`
        if not s.get("resigned") and staff_flags(s, today)["certificate_status"] == "expired":
            problems.append(Problem(f"staff[{i}].certificate.valid_until",
                                    f"{s.get('name')}的运维能力评定证书已过期"))
    for i, e in enumerate(institution.get("equipment", [])):
        if equipment_flags(e, today)["calibration_status"] == "expired":
            problems.append(Problem(f"equipment[{i}].calibration_valid_until",
                                    f"设备{e.get('name')}的检定/校准已过期"))
    for i, v in enumerate(institution.get("vehicles", [])):
        if vehicle_flags(v, today)["lease_status"] == "expired":
            problems.append(Problem(f"vehicles[{i}].lease_end", f"车辆{v.get('plate')}的租赁合同已到期"))
    return problems


def task_ineligibility(institution: dict, today: date) -> list[str]:
    """Why the institution may not take O&M tasks now; empty when it may. Approval alone is not
    enough: the filing must still be valid and the institution still able to do the work."""
    from .filing import may_take_tasks
    reasons = []
    if not may_take_tasks(institution["status"]):
        reasons.append("备案尚未通过二审")
    valid_until = institution.get("valid_until")
    if valid_until and valid_until < today:
        reasons.append("备案已过有效期")
    if may_take_tasks(institution["status"]):
        reasons.extend(p.message for p in second_stage_problems(institution, today))
    return reasons


def mask_id_number(value: str | None) -> str | None:
    """Resident ID numbers are personal data: colleagues see only the ends."""
    if not value or len(value) < 8:
        return value
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
