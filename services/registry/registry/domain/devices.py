"""Outlets (排口) and their monitoring devices, with versioned parameters.

A device's parameters change over time (a new range, a new velocity-field coefficient); every
change makes a new version valid from the moment it was recorded, so other services can ask what
a device looked like on a date. Enterprises must record a change within 5 working days of it.
"""
from emss_common.vocabulary import ALLOWED_DEVICE_KINDS, DEVICE_KINDS, OUTLET_KINDS, factor, factor_catalogue

__all__ = ["ALLOWED_DEVICE_KINDS", "DEVICE_KINDS", "OUTLET_KINDS", "factor", "factor_catalogue",
           "TRACKED_PARAMETERS", "device_kind_problem", "changed_fields"]

# Fields whose change is a "sudden change" worth a maintenance record (DOMAIN.md anomaly rules).
TRACKED_PARAMETERS = ("range_upper", "velocity_field_coefficient", "pitot_coefficient",
                      "cross_section_m2", "reference_o2_pct", "detection_limit")


def device_kind_problem(outlet_kind, device_kind, factor_code):
    """Why this device cannot sit at this outlet, or None."""
    if device_kind not in ALLOWED_DEVICE_KINDS[outlet_kind]:
        return ("kind", f"{OUTLET_KINDS[outlet_kind]}不能登记{DEVICE_KINDS[device_kind]}")
    if device_kind != "water_sampler" and factor(outlet_kind, factor_code) is None:
        return ("factor_code", f"{OUTLET_KINDS[outlet_kind]}没有分析因子 {factor_code}")
    return None


def changed_fields(before: dict, after: dict) -> list[dict]:
    keys = sorted(set(before) | set(after))
    return [{"field": k, "old": before.get(k), "new": after.get(k)}
            for k in keys if before.get(k) != after.get(k)]
