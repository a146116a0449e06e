"""On-site inspections (现场检查) and comparison spot tests (比对抽测) by regulators — the 考核管理 menu.

An on-site inspection of an institution or an outlet lists the items checked, each passed or
failed with a note; every failed item is a finding (INSPECTION_FAILED). A comparison spot test sets
the regulator's own measurement against the automatic monitor's reading at the same time, per
factor, judged by the comparison limits of the forms catalogue (HJ 355 for water, the HJ 75
criteria for flue gas); a factor out of its limit is a finding against the outlet and its O&M
institution (COMPARISON_FAILED; seed 004 (十): 比对不合格 → 未保证自动监测设备正常运行).
"""
from emss_common.actor import REGULATOR, covers_district
from emss_common.access import party_may_view
from emss_common.forms import NoComparisonLimit, comparison_limit, fmt
from emss_common.errors import ValidationFailed
from emss_common.vocabulary import factor as factor_info

from .findings import Evidence, Finding

ONSITE, COMPARISON = "onsite", "comparison"
SUBJECT_KINDS = ("institution", "outlet")
INSPECTION_FAILED, COMPARISON_FAILED = "INSPECTION_FAILED", "COMPARISON_FAILED"


def may_record(actor, district):
    return actor.has(REGULATOR) and covers_district(actor, district)


def may_view(actor, inspection):
    """Regulators of its district (or the city), the institution and the enterprise inspected."""
    return party_may_view(actor, inspection)


def judge_factor(outlet_kind, entry, limit=None):
    """One factor of a spot test: the error of the monitor's reading against the reference and
    whether it is within the comparison limit. `entry` holds factor_code, reference_value,
    monitor_value (and velocity for flue-gas flow); errors name the entry's field."""
    code = entry["factor_code"]
    info = factor_info(outlet_kind, code)
    if info is None:
        raise ValidationFailed("该排口类型没有这个监测因子", field="factor_code")
    try:
        rule = comparison_limit(outlet_kind, code, entry["reference_value"], velocity=entry.get("velocity"),
                                limit=limit)
    except NoComparisonLimit as exc:
        raise ValidationFailed(str(exc), field=exc.needs or "factor_code") from None
    try:
        error = rule.error(entry["monitor_value"], entry["reference_value"])
    except ZeroDivisionError as exc:
        raise ValidationFailed(str(exc), field="reference_value") from None
    unit = "%" if rule.measure == "relative_error_pct" else info["unit"]
    passed = rule.passes(error)
    what = "相对误差" if rule.measure == "relative_error_pct" else "绝对误差"
    return {**entry, "factor_name": info["name"], "unit": info["unit"], "measure": rule.measure,
            "error": error, "limit": rule.to_dict(), "passed": passed,
            "message": f"{info['name']}{what}{fmt(error)}{unit}，"
                       + ("在" if passed else "超出") + f"±{fmt(rule.limit)}{unit}" + ("以内" if passed else "")}


def findings(inspection):
    """The findings an inspection makes: a failed item each, a failed factor each."""
    out = []
    for item in inspection.get("items", ()):
        if item["result"] == "fail":
            out.append(_finding(inspection, INSPECTION_FAILED, item["key"],
                                f"现场检查不合格：{item['label']}" + (f"（{item['note']}）" if item.get("note") else ""),
                                {"item": item["key"]}))
    for f in inspection.get("factors", ()):
        if not f["passed"]:
            out.append(_finding(inspection, COMPARISON_FAILED, f["factor_code"], f"比对抽测不合格：{f['message']}",
                                {"factor_code": f["factor_code"], "reference_value": f["reference_value"],
                                 "monitor_value": f["monitor_value"], "error": f["error"],
                                 "limit": f["limit"]["limit"], "measure": f["measure"]}))
    return out


def _finding(inspection, rule, part, summary, numbers):
    on = str(inspection["inspected_on"])[:10]
    subject_kind = "outlet" if inspection.get("outlet_id") else "institution"
    subject_id = inspection.get("outlet_id") or inspection["institution_id"]
    where = inspection.get("outlet_name") or inspection.get("institution_name") or ""
    label = f"{'比对抽测' if inspection['kind'] == COMPARISON else '现场检查'} {on} {where}".strip()
    return Finding(
        rule=rule, key=f"{inspection['id']}:{part}",
        subject_kind=subject_kind, subject_id=subject_id,
        institution_id=inspection.get("institution_id"), enterprise_id=inspection.get("enterprise_id"),
        outlet_id=inspection.get("outlet_id"), district=inspection.get("district"),
        period_start=on, period_end=on, summary=summary, numbers=numbers,
        evidence=(Evidence("inspection", inspection["id"], label, at=on, link=f"/inspections/{inspection['id']}"),),
    )
