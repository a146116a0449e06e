"""Codes and labels shared by a service's rules and the gateway's pages (catalogue/vocabularies.yaml),
and the analysis factors (catalogue/factors.yaml). Plain dicts (they cross RPC as JSON): never change them."""
from functools import lru_cache
from importlib import resources
import yaml


def _read(name):
    return yaml.safe_load(resources.files("emss_common").joinpath(f"catalogue/{name}").read_text("utf-8"))


_V = _read("vocabularies.yaml")


def _labels(key):
    return dict(_V[key])


OUTLET_KINDS = _labels("outlet_kinds")
OUTLET_KIND_SHORT = _labels("outlet_kind_short")
DEVICE_KINDS = _labels("device_kinds")
ALLOWED_DEVICE_KINDS = {k: frozenset(v) for k, v in _V["allowed_device_kinds"].items()}
CHANGE_STATUSES = _labels("change_statuses")
CONTRACT_NATURES = _labels("contract_natures")
CONTRACT_STATUSES = _labels("contract_statuses")
TASK_STATUSES = _labels("task_statuses")
FREQUENCY_KINDS = _labels("frequency_kinds")
REPORT_KINDS = _labels("report_kinds")
REPORT_FOR_FORM = _labels("report_for_form")
SAMPLING_STAGES = _labels("sampling_stages")
RECORD_STATUSES = _labels("record_statuses")
PHOTO_KINDS = _labels("photo_kinds")
CHECKIN_FLAGS = _labels("checkin_flags")
INSTITUTION_TYPES = _labels("institution_types")
CAPABILITIES = _labels("capabilities")
TECHNICAL_ROLES = _labels("technical_roles")
EDUCATION_LEVELS = tuple(_V["education_levels"])
GENDERS = tuple(_V["genders"])
VEHICLE_OWNERSHIPS = tuple(_V["vehicle_ownerships"])
DEVICE_ORIGINS = tuple(_V["device_origins"])
CONSTRUCTION_STATUSES = tuple(_V["construction_statuses"])
REVIEW_DECISIONS = _labels("review_decisions")
TRIP_STATUSES = _labels("trip_statuses")
CHANGE_TARGETS = _labels("change_targets")
CHANGE_OPS = _labels("change_ops")
PRODUCTION_STATUSES = _labels("production_statuses")
TREATMENT_STATUSES = _labels("treatment_statuses")


def frequency_label(frequency):
    """每周, 每7天…: a frequency {kind, n} as the pages and the messages write it."""
    if frequency.get("kind") == "every_n_days":
        return f"每{frequency.get('n')}天"
    return FREQUENCY_KINDS.get(frequency.get("kind"), frequency.get("kind") or "")


@lru_cache(maxsize=1)
def factor_catalogue():
    """{outlet kind: {HJ 212 factor code: {name, unit}}}."""
    return _read("factors.yaml")


def factor(outlet_kind, code):
    return factor_catalogue().get(outlet_kind, {}).get(code)


# credit: supervision (issue 11)
WARNING_STATUSES = _labels("warning_statuses")
WARNING_ACTIONS = _labels("warning_actions")
WARNING_CATEGORIES = _labels("warning_categories")
SEVERITIES = _labels("severities")
RULE_SUBJECTS = _labels("rule_subjects")
ORDER_STATUSES = _labels("order_statuses")
ORDER_ACTIONS = _labels("order_actions")
INSPECTION_KINDS = _labels("inspection_kinds")
INSPECTION_RESULTS = _labels("inspection_results")
EVIDENCE_KINDS = _labels("evidence_kinds")
