"""The 二审 rules: an institution must show it can do the work before it may be reviewed."""
from datetime import date

import pytest

from registry.domain.institution import (ValidityRule, equipment_flags, is_self_operating,
                                         lease_covers, second_stage_problems, staff_flags,
                                         vehicle_flags)

TODAY = date(2026, 6, 15)


def person(name, role, valid_until=date(2028, 12, 31), resigned=False, certificate=True):
    body = {"id": name, "name": name, "technical_role": role, "resigned": resigned}
    body["certificate"] = {"valid_until": valid_until} if certificate else None
    return body


def complete(**overrides):
    inst = {"type": "om",
            "staff": [person("赵强", "om_staff"), person("钱技", "technical_lead", certificate=False),
                      person("孙质", "quality_lead", certificate=False)],
            "equipment": [{"name": "烟气分析仪", "calibration_valid_until": date(2027, 6, 30)}],
            "vehicles": [{"plate": "沪A12345", "ownership": "owned"}],
            "spare_parts": [{"name": "泵管"}]}
    inst.update(overrides)
    return inst


def messages(inst):
    return [p.message for p in second_stage_problems(inst, TODAY)]


def fields(inst):
    return [p.field for p in second_stage_problems(inst, TODAY)]


def test_a_complete_institution_has_no_problems():
    assert second_stage_problems(complete(), TODAY) == []


def test_an_institution_with_no_staff_cannot_submit():
    assert "至少填报一名在职人员" in messages(complete(staff=[]))


def test_resigned_staff_do_not_count():
    inst = complete(staff=[dict(s, resigned=True) for s in complete()["staff"]])
    assert "至少填报一名在职人员" in messages(inst)


def test_an_om_institution_needs_om_staff_with_a_valid_certificate():
    without_om = complete(staff=complete()["staff"][1:])
    assert "至少需要一名持有效运维能力评定证书的运维人员" in messages(without_om)
    expired_only = complete(staff=[person("赵强", "om_staff", date(2026, 6, 14))] + complete()["staff"][1:])
    assert "至少需要一名持有效运维能力评定证书的运维人员" in messages(expired_only)


def test_a_certificate_expiring_soon_still_counts_as_valid():
    inst = complete(staff=[person("赵强", "om_staff", date(2026, 6, 20))] + complete()["staff"][1:])
    assert second_stage_problems(inst, TODAY) == []


def test_a_certificate_valid_until_today_is_not_expired():
    inst = complete(staff=[person("赵强", "om_staff", TODAY)] + complete()["staff"][1:])
    assert second_stage_problems(inst, TODAY) == []


@pytest.mark.parametrize("type_", ["testing", "self_testing_enterprise"])
def test_a_testing_only_institution_needs_no_om_staff(type_):
    inst = complete(type=type_, staff=complete()["staff"][1:])
    assert second_stage_problems(inst, TODAY) == []


@pytest.mark.parametrize("type_", ["om", "testing_om", "self_testing_om_enterprise"])
def test_every_institution_doing_om_needs_om_staff(type_):
    inst = complete(type=type_, staff=complete()["staff"][1:])
    assert "至少需要一名持有效运维能力评定证书的运维人员" in messages(inst)


@pytest.mark.parametrize("role, label", [("technical_lead", "技术负责人"), ("quality_lead", "质量负责人")])
def test_a_technical_lead_and_a_quality_lead_are_required(role, label):
    inst = complete(staff=[s for s in complete()["staff"] if s["technical_role"] != role])
    assert f"缺少{label}" in messages(inst)


def test_a_resigned_lead_does_not_count():
    staff = [dict(s, resigned=True) if s["technical_role"] == "quality_lead" else s
             for s in complete()["staff"]]
    assert "缺少质量负责人" in messages(complete(staff=staff))


def test_an_expired_certificate_is_flagged_on_the_staff_member():
    staff = complete()["staff"] + [person("李过期", "om_staff", date(2026, 1, 31))]
    problems = second_stage_problems(complete(staff=staff), TODAY)
    assert [p.to_dict() for p in problems] == [
        {"field": "staff[3].certificate.valid_until", "message": "李过期的运维能力评定证书已过期"}]


def test_the_flagged_staff_index_points_at_the_filed_list_even_after_a_resigned_member():
    staff = [person("离职者", "om_staff", resigned=True)] + complete()["staff"] + [
        person("李过期", "om_staff", date(2026, 1, 31))]
    assert "staff[4].certificate.valid_until" in fields(complete(staff=staff))


def test_a_resigned_member_with_an_expired_certificate_is_not_flagged():
    staff = complete()["staff"] + [person("离职者", "om_staff", date(2025, 1, 1), resigned=True)]
    assert second_stage_problems(complete(staff=staff), TODAY) == []


def test_expired_calibration_of_equipment_is_flagged():
    equipment = [{"name": "烟气分析仪", "calibration_valid_until": date(2027, 6, 30)},
                 {"name": "pH计", "calibration_valid_until": date(2026, 6, 14)}]
    problems = second_stage_problems(complete(equipment=equipment), TODAY)
    assert [p.to_dict() for p in problems] == [
        {"field": "equipment[1].calibration_valid_until", "message": "设备pH计的检定/校准已过期"}]


def test_an_expired_lease_is_flagged_and_an_owned_vehicle_never_is():
    vehicles = [{"plate": "沪A12345", "ownership": "owned"},
                {"plate": "沪B54321", "ownership": "leased", "lease_start": date(2025, 1, 1),
                 "lease_end": date(2026, 5, 31)}]
    problems = second_stage_problems(complete(vehicles=vehicles), TODAY)
    assert [p.to_dict() for p in problems] == [
        {"field": "vehicles[1].lease_end", "message": "车辆沪B54321的租赁合同已到期"}]


def test_every_problem_is_reported_not_just_the_first():
    inst = complete(staff=[], equipment=[{"name": "x", "calibration_valid_until": date(2020, 1, 1)}])
    assert len(second_stage_problems(inst, TODAY)) == 5  # no staff, no om, no leads ×2, calibration


# ---- ValidityRule ----

RULE = ValidityRule(warn_days=30)


def test_a_date_well_ahead_is_valid():
    assert RULE.status(date(2026, 7, 16), TODAY) == "valid"


def test_a_date_within_the_warning_window_is_expiring():
    assert RULE.status(date(2026, 7, 15), TODAY) == "expiring"
    assert RULE.status(TODAY, TODAY) == "expiring"


def test_a_date_before_today_is_expired():
    assert RULE.status(date(2026, 6, 14), TODAY) == "expired"


def test_no_date_is_missing():
    assert RULE.status(None, TODAY) == "missing"


def test_the_warning_window_is_configurable():
    assert ValidityRule(warn_days=7).status(date(2026, 7, 1), TODAY) == "valid"


def test_flags_for_staff_equipment_and_vehicles():
    assert staff_flags({"certificate": None}, TODAY) == {"certificate_status": "missing"}
    assert staff_flags(person("x", "om_staff", date(2020, 1, 1)), TODAY) == {"certificate_status": "expired"}
    assert equipment_flags({"calibration_valid_until": date(2030, 1, 1)}, TODAY) == {
        "calibration_status": "valid"}
    assert vehicle_flags({"ownership": "owned"}, TODAY) == {"lease_status": "owned"}
    assert vehicle_flags({"ownership": "leased", "lease_end": date(2026, 6, 30)}, TODAY) == {
        "lease_status": "expiring"}


def test_a_leased_vehicle_serves_a_contract_only_if_the_lease_covers_it():
    leased = {"ownership": "leased", "lease_start": date(2026, 1, 1), "lease_end": date(2026, 12, 31)}
    assert lease_covers(leased, date(2026, 3, 1), date(2026, 12, 31))
    assert not lease_covers(leased, date(2026, 3, 1), date(2027, 2, 28))
    assert not lease_covers(leased, date(2025, 12, 1), date(2026, 6, 30))
    assert lease_covers({"ownership": "owned"}, date(2020, 1, 1), date(2030, 1, 1))


def test_the_two_enterprise_types_are_self_operating():
    assert is_self_operating("self_testing_enterprise")
    assert is_self_operating("self_testing_om_enterprise")
    for t in ("testing", "om", "testing_om"):
        assert not is_self_operating(t)


# ---- who may take O&M tasks now ----

from registry.domain.institution import mask_id_number, task_ineligibility  # noqa: E402


def test_a_published_complete_institution_may_take_tasks():
    assert task_ineligibility(complete(status="published", valid_until=date(2029, 6, 15)), TODAY) == []


def test_an_institution_not_yet_through_the_second_review_may_not_take_tasks():
    assert task_ineligibility(complete(status="second_submitted"), TODAY) == ["备案尚未通过二审"]


def test_an_expired_filing_may_not_take_tasks():
    reasons = task_ineligibility(complete(status="published", valid_until=date(2026, 6, 14)), TODAY)
    assert reasons == ["备案已过有效期"]


def test_an_approved_institution_that_lost_its_only_certified_om_person_may_not_take_tasks():
    inst = complete(status="published", valid_until=date(2029, 6, 15))
    inst["staff"][0]["resigned"] = True
    assert "至少需要一名持有效运维能力评定证书的运维人员" in task_ineligibility(inst, TODAY)


def test_colleagues_see_only_the_ends_of_a_resident_id_number():
    assert mask_id_number("310101199003071234") == "310***********1234"
    assert mask_id_number(None) is None
