"""After publication, changes go through change requests (信息变更申请) that the regulator decides."""
import datetime

import pytest
from playwright.sync_api import expect

from emss_common.clock import SystemClock

from tests import builders
from tests.browser.flows import PASSWORD, fill, login, press, status_is, text_of

pytestmark = pytest.mark.browser


def _publish(api, regulators, inst):
    token, iid = inst["token"], inst["id"]
    for n, (name, role) in enumerate((("马超", "om_staff"), ("黄忠", "technical_lead"),
                                      ("赵云", "quality_lead")), start=31):
        api.call("POST", f"/institutions/{iid}/staff", token, builders.staff(name, role, n=n))
    api.call("POST", f"/institutions/{iid}/equipment", token, builders.equipment())
    api.call("POST", f"/institutions/{iid}/vehicles", token, builders.vehicle())
    api.call("POST", f"/institutions/{iid}/spare-parts", token, builders.spare_part())
    api.call("POST", f"/institutions/{iid}/transitions", token, {"action": "submit_second"})
    reg = api.login(regulators["pudong"], PASSWORD)
    for action in ("approve_second", "publish"):
        api.call("POST", f"/institutions/{iid}/transitions", reg, {"action": action})


def test_change_requests(new_page, shot, api, regulators, approved_first):
    _publish(api, regulators, approved_first)
    yesterday = (SystemClock().today() - datetime.timedelta(days=1)).isoformat()
    tomorrow = (SystemClock().today() + datetime.timedelta(days=1)).isoformat()

    inst = new_page()
    login(inst, approved_first["username"])
    status_is(inst, "已公开")
    inst.goto("/portal/institution/equipment")
    expect(inst.get_by_role("link", name="新增设备", exact=True)).to_have_count(0)  # no direct edits any more
    inst.locator("#equipment-table").get_by_role("link", name="申请修改").click()
    expect(inst.locator('[name="payload.name"]')).to_have_value("便携式烟气分析仪")  # prefilled
    fill(inst, {"payload.calibration_certificate_no": "JD-2027-009",
                "payload.calibration_valid_until": "2028-06-30", "changed_on": tomorrow,
                "note": "检定证书换发"})
    press(inst, "提交申请")
    expect(inst.locator('.field-error:has([name="changed_on"]) .msg')).to_have_text("变更发生日期不能晚于今天")
    shot(inst, "changes_01_future_date_refused")
    fill(inst, {"changed_on": yesterday})
    press(inst, "提交申请")
    expect(inst.locator(".flash")).to_contain_text("信息变更申请已提交")
    row = inst.locator("#change-requests tbody tr").first
    expect(row).to_contain_text("待审核")
    expect(row).to_contain_text("检定/校准有效期至：2027-06-30 → 2028-06-30")

    # A second request: a new person, which the regulator will reject.
    inst.goto("/portal/institution/staff")
    inst.get_by_role("link", name="申请新增人员").click()
    person = builders.staff("魏延", "om_staff", n=39)
    fill(inst, {"payload.name": person["name"], "payload.gender": "男",
                "payload.id_number": person["id_number"], "payload.education": "大专",
                "payload.post": "运维工程师", "payload.technical_role": "om_staff",
                "payload.certificate.number": "SH-YW-0039", "payload.certificate.issuer": "上海市环境监测中心",
                "payload.certificate.category": "废水自动监测运维",
                "payload.certificate.valid_from": "2025-01-01",
                "payload.certificate.valid_until": "2028-01-01", "changed_on": yesterday})
    shot(inst, "changes_02_new_person_form")
    press(inst, "提交申请")
    expect(inst.locator("#change-requests tbody tr")).to_have_count(2)
    shot(inst, "changes_03_institution_list")

    # The regulator's queue: a rejection needs a reason; the approval applies at once.
    reg = new_page()
    login(reg, regulators["pudong"])
    reg.get_by_role("link", name="信息变更审核").click()
    person_card = reg.locator("article.cr", has_text="魏延")
    person_card.get_by_role("button", name="驳回").click()
    person_card = reg.locator("article.cr", has_text="魏延")
    expect(person_card.locator(".field-error .msg")).to_have_text("驳回必须填写原因")
    shot(reg, "changes_04_reject_needs_reason")
    person_card.locator("textarea").fill("未附运维能力评定证书扫描件")
    person_card.get_by_role("button", name="驳回").click()
    expect(reg.locator(".flash")).to_contain_text("已驳回")
    equipment_card = reg.locator("article.cr", has_text="JD-2027-009")
    equipment_card.get_by_role("button", name="通过").click()
    expect(reg.locator(".flash")).to_contain_text("通过并生效")
    expect(reg.locator("#no-changes")).to_be_visible()
    reg.goto("/portal/regulator/changes?status=")
    expect(reg.locator("article.cr")).to_have_count(2)
    shot(reg, "changes_05_regulator_decided")

    # The institution sees both outcomes; the approved change is in force and in the trail.
    inst.goto("/portal/institution/changes")
    expect(inst.locator("#change-requests")).to_contain_text("未附运维能力评定证书扫描件")
    expect(inst.locator("#change-requests")).to_contain_text("已通过")
    inst.goto("/portal/institution/equipment")
    expect(inst.locator("#equipment-table")).to_contain_text("2028-06-30")
    inst.goto("/portal/institution/audit")
    trail = text_of(inst, "#audit-trail")
    for step in ("提交信息变更申请", "信息变更申请驳回", "信息变更生效", "信息变更申请通过"):
        assert step in trail, step
    shot(inst, "changes_06_audit_trail")
