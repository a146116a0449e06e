"""Code tables for forms and API clients: one source, the registry's domain."""
from ..domain.changes import CHANGE_TARGETS, CHANGE_OPS, CHANGE_STATUS_LABELS
from ..domain.devices import OUTLET_KINDS, DEVICE_KINDS, ALLOWED_DEVICE_KINDS, factor_catalogue
from ..domain.filing import STATUS_LABELS, TRANSITIONS
from ..domain.institution import (INSTITUTION_TYPES, CAPABILITIES, TECHNICAL_ROLES,
                                  EDUCATION_LEVELS, SELF_OPERATING_TYPES)
from ..domain.roles import DISTRICTS, ROLE_LABELS, WHOLE_CITY


def reference():
    return {
        "institution_types": INSTITUTION_TYPES,
        "self_operating_types": sorted(SELF_OPERATING_TYPES),
        "capabilities": CAPABILITIES,
        "technical_roles": TECHNICAL_ROLES,
        "education_levels": list(EDUCATION_LEVELS),
        "districts": list(DISTRICTS),
        "whole_city": WHOLE_CITY,
        "roles": ROLE_LABELS,
        "filing_statuses": {s.value: label for s, label in STATUS_LABELS.items()},
        "filing_actions": {a: t.label for a, t in TRANSITIONS.items()},
        "change_targets": CHANGE_TARGETS,
        "change_ops": CHANGE_OPS,
        "change_statuses": CHANGE_STATUS_LABELS,
        "outlet_kinds": OUTLET_KINDS,
        "device_kinds": DEVICE_KINDS,
        "allowed_device_kinds": {k: sorted(v) for k, v in ALLOWED_DEVICE_KINDS.items()},
        "factors": factor_catalogue(),
    }
