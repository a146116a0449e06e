"""Changes after approval go through change requests, tracked against the 5-working-day deadline.

The registry runs frozen at Monday 2026-10-12 10:00 (Shanghai), just after the National Day
holiday (10-01..10-07 off; Saturday 10-10 a working day), so the deadline is worked out by hand:
  changed 09-30 → 10-08, 10-09, 10-10 (调休), 10-12, 10-13: due 10-13, on time on the 12th;
  changed 09-28 → 09-29, 09-30, 10-08, 10-09, 10-10: due 10-10, late on the 12th.
"""
import pytest

from emss_common.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from tests import builders as b


@pytest.fixture
def now():
    return "2026-10-12T10:00:00+08:00"


@pytest.fixture
def approved(flow):
    regulator = flow.regulator("浦东新区")
    inst, me = flow.approved(regulator)
    return inst["id"], me, regulator


def _new_staff(name="周新", n=9):
    return b.staff(name, "om_staff", "2029-06-30", n=n)


def test_an_approved_institution_edits_through_change_requests_only(registry, approved):
    iid, me, _ = approved
    with pytest.raises(InvalidTransition) as exc:
        registry.add_institution_item(me, iid, "staff", _new_staff())
    assert "变更申请" in exc.value.message
    view = registry.get_institution(me, iid)
    assert view["editable"] == {"basic": False, "second_stage": False, "change_requests": True}


def test_a_change_reported_within_five_working_days_across_national_day_is_on_time(
        registry, approved, events):
    iid, me, regulator = approved
    cr = registry.submit_change_request(me, iid, {"target": "staff", "op": "add",
                                                  "payload": _new_staff(), "changed_on": "2026-09-30",
                                                  "note": "新入职运维人员"})
    assert (cr["status"], cr["due"], cr["late"]) == ("pending", "2026-10-13", False)
    assert cr["target_label"] == "人员" and cr["op_label"] == "新增"
    event = events.wait_for("institution.change_requested", iid)
    assert event["data"]["change_request"]["id"] == cr["id"]
    # nothing changes until the regulator approves
    assert len(registry.get_institution(me, iid)["staff"]) == 3


def test_a_change_reported_more_than_five_working_days_later_is_flagged_late(registry, approved):
    iid, me, _ = approved
    cr = registry.submit_change_request(me, iid, {"target": "staff", "op": "add",
                                                  "payload": _new_staff(), "changed_on": "2026-09-28"})
    assert (cr["due"], cr["late"]) == ("2026-10-10", True)
    trail = registry.institution_audit_trail(me, iid)
    assert trail[-1]["action"] == "change_requested" and trail[-1]["late"] is True


def test_approving_a_change_applies_it_and_is_audited(registry, approved, events):
    iid, me, regulator = approved
    cr = registry.submit_change_request(me, iid, {"target": "staff", "op": "add",
                                                  "payload": _new_staff(), "changed_on": "2026-10-09"})
    assert [c["id"] for c in registry.list_change_requests(regulator, {"status": "pending"})] == [cr["id"]]
    decided = registry.decide_change_request(regulator, cr["id"], {"decision": "approve"})
    assert decided["status"] == "approved" and decided["decided_by"]["username"] == regulator["username"]
    staff = registry.get_institution(me, iid)["staff"]
    assert [s["name"] for s in staff] == ["赵强", "钱技", "孙质", "周新"]
    assert staff[3]["certificate"]["valid_until"] == "2029-06-30"
    assert staff[3]["certificate_status"] == "valid"
    event = events.wait_for("institution.change_approved", iid)
    assert event["actor"]["account_id"] == regulator["account_id"]
    assert [s["name"] for s in event["data"]["institution"]["staff"]][-1] == "周新"
    actions = [t["action"] for t in registry.institution_audit_trail(regulator, iid)]
    assert actions[-3:] == ["change_requested", "change_applied", "change_approved"]
    with pytest.raises(InvalidTransition):
        registry.decide_change_request(regulator, cr["id"], {"decision": "approve"})


def test_an_update_and_a_removal_apply_to_the_named_item(registry, approved):
    iid, me, regulator = approved
    view = registry.get_institution(me, iid)
    equipment_id = view["equipment"][0]["id"]
    part_id = view["spare_parts"][0]["id"]
    up = registry.submit_change_request(me, iid, {
        "target": "equipment", "op": "update", "item_id": equipment_id, "changed_on": "2026-10-09",
        "payload": {**b.equipment(), "calibration_valid_until": "2027-10-08"}})
    rm = registry.submit_change_request(me, iid, {
        "target": "spare_parts", "op": "remove", "item_id": part_id, "changed_on": "2026-10-09"})
    registry.decide_change_request(regulator, up["id"], {"decision": "approve"})
    registry.decide_change_request(regulator, rm["id"], {"decision": "approve"})
    view = registry.get_institution(me, iid)
    assert view["equipment"][0]["id"] == equipment_id
    assert view["equipment"][0]["calibration_valid_until"] == "2027-10-08"
    assert view["spare_parts"] == []


def test_a_basic_information_change_keeps_the_credit_code(registry, approved):
    iid, me, regulator = approved
    basic = {k: v for k, v in registry.get_institution(me, iid).items() if k in b.institution()}
    with pytest.raises(ValidationFailed) as exc:
        registry.submit_change_request(me, iid, {"target": "basic", "op": "update", "changed_on": "2026-10-09",
                                                 "payload": {**basic, "credit_code": b.credit_code()}})
    assert exc.value.field == "payload.credit_code"
    cr = registry.submit_change_request(me, iid, {"target": "basic", "op": "update", "changed_on": "2026-10-09",
                                                  "payload": {**basic, "contact_person": "王芳"}})
    registry.decide_change_request(regulator, cr["id"], {"decision": "approve"})
    assert registry.get_institution(me, iid)["contact_person"] == "王芳"


def test_rejecting_a_change_needs_a_reason_and_changes_nothing(registry, approved, events):
    iid, me, regulator = approved
    cr = registry.submit_change_request(me, iid, {"target": "staff", "op": "add",
                                                  "payload": _new_staff(), "changed_on": "2026-10-09"})
    with pytest.raises(ValidationFailed) as exc:
        registry.decide_change_request(regulator, cr["id"], {"decision": "reject"})
    assert exc.value.field == "reason"
    assert registry.list_change_requests(me, {})[0]["status"] == "pending"
    out = registry.decide_change_request(regulator, cr["id"], {"decision": "reject", "reason": "证书编号无法核实"})
    assert (out["status"], out["reason"], out["status_label"]) == ("rejected", "证书编号无法核实", "已驳回")
    assert len(registry.get_institution(me, iid)["staff"]) == 3
    assert events.wait_for("institution.change_rejected", iid)["data"]["change_request"]["reason"] == "证书编号无法核实"


@pytest.mark.parametrize("payload, field", [
    ({"target": "staff", "op": "add", "payload": _new_staff(), "changed_on": "2026-10-13"}, "changed_on"),
    ({"target": "staff", "op": "add", "payload": _new_staff(), "changed_on": "2026/10/09"}, "changed_on"),
    ({"target": "staff", "op": "update", "payload": _new_staff(), "changed_on": "2026-10-09"}, "item_id"),
    ({"target": "basic", "op": "add", "payload": {}, "changed_on": "2026-10-09"}, "op"),
    ({"target": "contracts", "op": "add", "payload": {}, "changed_on": "2026-10-09"}, "target"),
    ({"target": "staff", "op": "add", "changed_on": "2026-10-09",
      "payload": {**_new_staff(), "certificate": {**_new_staff()["certificate"], "valid_until": "2029.06.30"}}},
     "payload.certificate.valid_until"),
])
def test_a_bad_change_request_is_named_and_not_stored(registry, approved, payload, field):
    iid, me, _ = approved
    with pytest.raises(ValidationFailed) as exc:
        registry.submit_change_request(me, iid, payload)
    assert exc.value.field == field
    assert registry.list_change_requests(me, {}) == []


def test_a_change_request_for_an_unknown_item_is_not_found(registry, approved):
    iid, me, _ = approved
    with pytest.raises(NotFound) as exc:
        registry.submit_change_request(me, iid, {"target": "staff", "op": "remove", "item_id": "nope",
                                                 "changed_on": "2026-10-09"})
    assert exc.value.field == "item_id"


def test_a_change_request_before_approval_is_refused(registry, flow):
    inst, me = flow.register()
    with pytest.raises(InvalidTransition):
        registry.submit_change_request(me, inst["id"], {"target": "staff", "op": "add",
                                                        "payload": _new_staff(), "changed_on": "2026-10-09"})


def test_change_requests_stay_within_their_institution_and_district(registry, flow, approved):
    iid, me, regulator = approved
    cr = registry.submit_change_request(me, iid, {"target": "staff", "op": "add",
                                                  "payload": _new_staff(), "changed_on": "2026-10-09"})
    xuhui = flow.regulator("徐汇区")
    other, them = flow.register()
    assert registry.list_change_requests(xuhui, {}) == []
    assert registry.list_change_requests(them, {}) == []
    assert registry.list_change_requests(them, {"institution_id": iid}) == []
    with pytest.raises(NotFound):
        registry.decide_change_request(xuhui, cr["id"], {"decision": "approve"})
    with pytest.raises(NotFound):
        registry.decide_change_request(me, cr["id"], {"decision": "approve"})
    with pytest.raises(NotFound):
        registry.submit_change_request(them, iid, {"target": "staff", "op": "add",
                                                   "payload": _new_staff(), "changed_on": "2026-10-09"})
    with pytest.raises(Forbidden):
        registry.list_change_requests(None, {})  # anonymous
    assert registry.list_change_requests(regulator, {})[0]["status"] == "pending"


def test_a_certificate_that_expires_after_approval_becomes_an_obligation_with_its_deadline(
        registry, flow, clock):
    regulator = flow.regulator()
    inst, me = flow.first_approved(regulator)
    flow.second_stage(me, inst["id"], om_valid_until="2026-10-20")
    registry.add_institution_item(me, inst["id"], "staff", b.staff("吴备", "om_staff", "2028-01-01", n=5))
    flow.act(me, inst["id"], "submit_second")
    view = flow.act(regulator, inst["id"], "approve_second")
    assert view["staff"][0]["certificate_status"] == "expiring"
    assert view["update_obligations"] == []

    clock.set("2026-10-23T10:00:00+08:00")  # expired since the 20th (a Tuesday)
    view = registry.get_institution(me, inst["id"])
    assert view["staff"][0]["certificate_status"] == "expired"
    # 10-21 (1), 10-22 (2), 10-23 (3), 10-26 (4), 10-27 (5)
    assert view["update_obligations"] == [
        {"target": "staff", "item_id": view["staff"][0]["id"], "what": "赵强运维能力评定证书过期",
         "since": "2026-10-20", "due": "2026-10-27", "due_provisional": False, "overdue": False}]
    clock.set("2026-10-28T10:00:00+08:00")
    assert registry.get_institution(me, inst["id"])["update_obligations"][0]["overdue"] is True
