"""Plans and task bindings: no looser than the standard, only registered devices at the task's
outlets, only the institution's certified field staff, within the contract."""
from datetime import date

import pytest

from emss_common.errors import Forbidden, InvalidTransition, ValidationFailed
from tasks.domain.om_tasks import binding_problems, next_status, staff_problem
from tasks.domain.plan import check_plan_item, default_plan

TODAY = date(2026, 11, 23)
WW = {"id": "o-ww", "kind": "wastewater", "enterprise_id": "e1"}
FG = {"id": "o-fg", "kind": "flue_gas", "enterprise_id": "e1"}


def item(kind, freq, outlet="o-fg"):
    return {"id": "p", "outlet_id": outlet, "form_kind": kind, "frequency": freq}


def test_the_default_plan_lists_every_form_of_each_outlet_at_its_default_frequency():
    plan = default_plan([WW, FG])
    assert len(plan) == 15
    periodic = next(p for p in plan if p["form_kind"] == "fg_periodic_check")
    assert periodic["frequency"] == {"kind": "every_3_months"}


def test_an_inspection_planned_every_ten_days_is_looser_than_weekly_and_refused():
    problems = check_plan_item(item("fg_inspection_extractive", {"kind": "every_n_days", "n": 10}), FG, 3)
    assert [p.field for p in problems] == ["plan[3].frequency"]
    assert "每周" in problems[0].message


def test_a_stricter_plan_is_accepted():
    assert check_plan_item(item("fg_inspection_extractive", {"kind": "daily"}), FG, 0) == []


def test_a_wastewater_form_cannot_be_planned_at_a_flue_gas_outlet():
    problems = check_plan_item(item("ww_comparison", {"kind": "monthly"}), FG, 0)
    assert problems[0].field == "plan[0].form_kind"


def test_configured_defaults_override_the_catalogue():
    overrides = {"fg_inspection_extractive": {"kind": "every_n_days", "n": 3}}
    assert check_plan_item(item("fg_inspection_extractive", {"kind": "weekly"}), FG, 0, overrides)
    assert not check_plan_item(item("fg_inspection_extractive", {"kind": "daily"}), FG, 0, overrides)


def staff(id_, role="om_staff", until="2028-12-31", resigned=False):
    return {"id": id_, "name": id_, "technical_role": role, "resigned": resigned,
            "certificate": {"valid_until": until}}


def test_only_current_om_staff_with_a_valid_certificate_may_be_assigned():
    assert staff_problem(staff("a"), TODAY) is None
    assert "过期" in staff_problem(staff("b", until="2026-11-22"), TODAY)
    assert "离职" in staff_problem(staff("c", resigned=True), TODAY)
    assert "不是运维人员" in staff_problem(staff("d", role="technical_lead"), TODAY)
    assert "不是本机构" in staff_problem(None, TODAY)


def _task(**kw):
    base = {"contract_id": "c1", "start": date(2026, 12, 1), "end": date(2027, 11, 30),
            "outlet_ids": ["o-fg"], "staff_ids": ["s1"], "device_ids": ["d1"],
            "plan": [item("fg_inspection_extractive", {"kind": "weekly"})]}
    base.update(kw)
    return base


CONTEXT = dict(
    institution={"id": "i1", "self_operating": False, "staff": [staff("s1")]},
    enterprise={"id": "e1"},
    outlets={"o-fg": FG, "o-ww": WW},
    devices={"d1": {"id": "d1", "outlet_id": "o-fg"}, "d2": {"id": "d2", "outlet_id": "o-ww"}},
    contract={"id": "c1", "status": "submitted", "nature": "om", "institution_id": "i1",
              "enterprise_id": "e1", "start": "2026-12-01", "end": "2027-11-30"},
    today=TODAY)


def test_a_complete_task_has_no_binding_problems():
    assert binding_problems(_task(), **CONTEXT) == []


def test_a_device_registered_at_another_outlet_is_refused():
    problems = binding_problems(_task(device_ids=["d2"]), **CONTEXT)
    assert problems == [("device_ids[0]", "设备未登记在本任务的运维点位")]


def test_a_task_outside_the_contract_period_or_without_a_contract_is_refused():
    assert binding_problems(_task(end=date(2027, 12, 31)), **CONTEXT)[0][0] == "end"
    assert binding_problems(_task(), **{**CONTEXT, "contract": None})[0][0] == "contract_id"
    draft = {**CONTEXT["contract"], "status": "draft"}
    assert binding_problems(_task(), **{**CONTEXT, "contract": draft})[0] == ("contract_id", "合同尚未提交")


def test_a_self_operating_enterprise_needs_no_contract_but_only_works_on_itself():
    own = {**CONTEXT, "institution": {"id": "i2", "self_operating": True, "enterprise_id": "e1",
                                      "staff": [staff("s1")]}, "contract": None}
    assert binding_problems(_task(contract_id=None), **own) == []
    other = {**own, "enterprise": {"id": "e9"}}
    assert ("enterprise_id", "自运维排污单位只能为本单位建立运维任务") in binding_problems(_task(contract_id=None), **other)


def test_the_task_lifecycle():
    assert next_status("draft", "apply", "institution").value == "applied"
    assert next_status("applied", "approve", "regulator").value == "in_progress"
    with pytest.raises(ValidationFailed):
        next_status("applied", "return", "regulator")
    assert next_status("applied", "return", "regulator", "计划不完整").value == "returned"
    with pytest.raises(Forbidden):
        next_status("applied", "approve", "institution")
    with pytest.raises(InvalidTransition):
        next_status("draft", "finish", "institution")
