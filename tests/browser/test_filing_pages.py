"""Institution filing (备案) through the pages, from registration to the public listing."""
import pytest
from playwright.sync_api import expect

from tests import builders
from tests.browser.flows import (PASSWORD, account_form, add_item, click_confirming, fill, login, press,
                                 register_institution, staff_form, status_is, text_of, unique)

pytestmark = pytest.mark.browser


def test_filing_journey(new_page, shot, system):
    name = f"上海{unique('清源')}环境运维有限公司"
    username = unique("qingyuan_")
    code = builders.credit_code()

    # An institution registers its basic information and main account.
    inst = new_page()
    register_institution(inst, name, username, code=code)
    expect(inst.locator("#username")).to_have_text(username)
    shot(inst, "filing_01_registered")

    # It logs in, lands on its portal in 草稿, and submits the filing.
    inst.get_by_role("link", name="去登录").click()
    inst.fill("#username", username)
    inst.fill("#password", PASSWORD)
    press(inst, "登录")
    expect(inst).to_have_url(f"{system['url']}/portal/institution")
    status_is(inst, "草稿")
    shot(inst, "filing_02_portal_draft")
    # While a draft, the basic information is edited directly.
    inst.get_by_role("link", name="基本信息").click()
    fill(inst, {"contact_phone": "021-5888123", "lab_address": "上海市浦东新区川沙路1000号5楼"})
    press(inst, "保存")
    expect(inst.locator(".flash")).to_have_text("基本信息已保存")
    expect(inst.locator('[name="contact_phone"]')).to_have_value("021-5888123")
    inst.get_by_role("link", name="备案概况").click()
    press(inst, "提交备案")
    status_is(inst, "待初审")
    expect(inst.locator(".flash")).to_contain_text("已提交备案")

    # The administrator creates the 浦东新区 regulator.
    admin = new_page()
    login(admin, "admin", system["admin_password"])
    expect(admin).to_have_url(f"{system['url']}/portal/admin")
    regulator = unique("pudong_")
    fill(admin, {**account_form(regulator, name="浦东新区生态环境局", prefix=""), "district": "浦东新区"})
    press(admin, "创建监管账户")
    expect(admin.locator("#regulators")).to_contain_text(regulator)
    shot(admin, "filing_03_admin_regulators")
    admin.get_by_role("link", name="全部账户").click()
    expect(admin.locator("#accounts")).to_contain_text(username)
    expect(admin.locator("#accounts")).to_contain_text(regulator)
    admin.get_by_role("link", name="监管方", exact=True).click()
    expect(admin.locator("#accounts")).not_to_contain_text(username)
    shot(admin, "filing_03b_admin_accounts")

    # The regulator finds it among the submissions awaiting first review and approves.
    reg = new_page()
    login(reg, regulator)
    expect(reg).to_have_url(f"{system['url']}/portal/regulator")
    reg.goto("/portal/regulator?status=first_submitted")
    expect(reg.locator("#institutions")).to_contain_text(name)
    shot(reg, "filing_04_regulator_queue")
    reg.get_by_role("link", name=name).click()
    status_is(reg, "待初审")
    shot(reg, "filing_05_regulator_first_review")
    press(reg, "初审通过")
    status_is(reg, "初审通过")

    # The institution now fills in the 二审 information.
    inst.goto("/portal/institution")
    status_is(inst, "初审通过")
    expect(inst.locator("#second-stage-problems")).to_contain_text("缺少技术负责人")
    add_item(inst, "staff", "人员", staff_form("赵强", "om_staff", 1))
    add_item(inst, "staff", "人员", staff_form("钱敏", "technical_lead", 2))
    add_item(inst, "staff", "人员", staff_form("孙丽", "quality_lead", 3, certificate=False))
    expect(inst.locator("#staff-table tbody tr")).to_have_count(3)
    expect(inst.locator("#staff-table")).to_contain_text("运维人员")
    expect(inst.locator("#staff-table")).to_contain_text("有效")
    shot(inst, "filing_06_staff")

    equipment = builders.equipment()
    add_item(inst, "equipment", "设备", {k: equipment[k] for k in (
        "name", "model", "asset_number", "serial_number", "calibration_certificate_no",
        "calibration_valid_until")})
    expect(inst.locator("#equipment-table")).to_contain_text("便携式烟气分析仪")
    shot(inst, "filing_07_equipment")

    inst.goto("/portal/institution/vehicles/new")
    fill(inst, {"plate": "沪A12345", "ownership": "leased"})
    expect(inst.locator('[name="lessor"]')).to_be_visible()  # the lease fields show for a lease
    fill(inst, {"licence_no": "XS-001", "lessor": "上海车享租赁有限公司",
                "lease_start": "2026-01-01", "lease_end": "2027-12-31"})
    shot(inst, "filing_08_vehicle_form")
    press(inst, "保存")
    expect(inst.locator("#vehicles-table")).to_contain_text("沪A12345")
    expect(inst.locator("#vehicles-table")).to_contain_text("2026-01-01 至 2027-12-31")

    part = builders.spare_part()
    add_item(inst, "spare-parts", "备品备件", {k: part[k] for k in (
        "name", "model", "quantity", "value", "storage_location")})
    expect(inst.locator("#spare-parts-table")).to_contain_text("1200.00")
    shot(inst, "filing_09_spare_parts")

    inst.goto("/portal/institution")
    expect(inst.locator("#second-stage-problems")).to_have_count(0)
    press(inst, "提交二审")
    status_is(inst, "待二审")

    # The regulator returns it; a return without a reason is refused beside the reason box.
    reg.reload()
    status_is(reg, "待二审")
    expect(reg.locator("#staff-table")).to_contain_text("赵强")
    press(reg, "二审退回")
    expect(reg.locator("#review-form .field-error .msg")).to_have_text("退回必须填写原因")
    shot(reg, "filing_10_return_needs_reason")
    reason = "车辆行驶证号与行驶证不符，请核对后重新提交"
    reg.fill("#f-reason", reason)
    press(reg, "二审退回")
    status_is(reg, "二审退回")

    # The institution sees the reason, corrects the vehicle, and submits again.
    inst.goto("/portal/institution")
    status_is(inst, "二审退回")
    expect(inst.locator("#return-reason")).to_contain_text(reason)
    shot(inst, "filing_11_returned_with_reason")
    inst.goto("/portal/institution/vehicles")
    inst.locator("#vehicles-table").get_by_role("link", name="修改").click()
    fill(inst, {"licence_no": "XS-310115-0001"})
    press(inst, "保存")
    expect(inst.locator("#vehicles-table")).to_contain_text("XS-310115-0001")
    inst.goto("/portal/institution")
    press(inst, "提交二审")
    status_is(inst, "待二审")

    # The regulator approves the second review and publishes; the trail shows every step.
    reg.reload()
    press(reg, "二审通过")
    status_is(reg, "二审通过")
    press(reg, "公开")
    status_is(reg, "已公开")
    trail = text_of(reg, "#audit-trail")
    for step in ("注册", "修改基本信息", "13800138000 → 021-5888123", "提交备案", "初审通过", "新增人员", "提交二审", "二审退回", reason,
                 "修改车辆", "二审通过", "公开"):
        assert step in trail, step
    shot(reg, "filing_12_regulator_published")

    inst.goto("/portal/institution/audit")
    expect(inst.locator("#audit-trail")).to_contain_text("待二审 → 二审退回")
    expect(inst.locator("#audit-trail")).to_contain_text("XS-001 → XS-310115-0001")
    shot(inst, "filing_13_audit_trail")
    inst.goto("/portal/institution")
    status_is(inst, "已公开")
    expect(inst.locator(".progress li.current")).to_have_text("公开")

    # Anyone finds it in the public listing, with the filters and the total count.
    public = new_page()
    public.goto("/public/institutions")
    public.fill("#keyword", name[2:8])
    public.select_option("#type", "om")
    public.select_option("#status", "valid")
    public.select_option("#capability", "flue_gas_om")
    public.get_by_role("button", name="查询").click()
    expect(public.locator("#institutions tbody tr")).to_have_count(1)
    expect(public.locator("#institutions")).to_contain_text(name)
    expect(public.locator("#institutions")).to_contain_text("有效")
    expect(public.locator("#total")).to_have_text("1")
    shot(public, "filing_14_public_list")
    public.select_option("#type", "testing")
    public.get_by_role("button", name="查询").click()
    expect(public.locator("#total")).to_have_text("0")


def test_form_errors_beside_fields(new_page, shot, approved_first):
    # An invalid credit code on registration: the message sits under that field, values stay.
    page = new_page()
    page.goto("/register/institution")
    name = f"上海{unique('错码')}检测有限公司"
    from tests.browser.flows import institution_form
    code = builders.credit_code()
    bad = code[:-1] + ("0" if code[-1] != "0" else "1")
    fill(page, {**institution_form(name, bad), **account_form(unique("bad_"))})
    press(page, "提交注册")
    box = page.locator(".field-error:has(#f-institution\\.credit_code)")
    expect(box.locator(".msg")).to_contain_text("统一社会信用代码无效")
    expect(page.locator("#f-institution\\.name")).to_have_value(name)
    expect(page.locator("#f-institution\\.credit_code")).to_have_attribute("aria-invalid", "true")
    shot(page, "errors_01_credit_code")

    # A certificate that ends before it starts: the message is beside 有效期止.
    login(page, approved_first["username"])
    page.goto("/portal/institution/staff/new")
    fill(page, staff_form("周杰", "om_staff", 7, valid_until="2023-12-31"))
    press(page, "保存")
    until = page.locator(".field-error:has(#f-certificate\\.valid_until)")
    expect(until.locator(".msg")).to_have_text("有效期止不能早于有效期起")
    expect(page.locator("#f-name")).to_have_value("周杰")
    shot(page, "errors_02_certificate_dates")

    # A date typed in the wrong format (a browser without a date picker sends it as text).
    page.locator("#f-certificate\\.valid_until").evaluate("e => e.type = 'text'")
    page.fill("#f-certificate\\.valid_until", "2028/13/01")
    press(page, "保存")
    expect(until.locator(".msg")).to_have_text("日期格式应为 YYYY-MM-DD")
    shot(page, "errors_03_date_format")

    # An om_staff without any certificate: the certificate block says it is required.
    page.goto("/portal/institution/staff/new")
    fill(page, staff_form("吴昊", "om_staff", 8, certificate=False))
    press(page, "保存")
    expect(page.locator("fieldset.field-error")).to_contain_text("运维人员必须填写运维能力评定证书")

    # An expired certificate is accepted but flagged, and blocks the 二审 submission.
    fill(page, staff_form("吴昊", "om_staff", 8, valid_until="2024-06-30"))
    press(page, "保存")
    row = page.locator("#staff-table tr", has_text="吴昊")
    expect(row.locator(".badge.expired")).to_have_text("已过期")
    page.goto("/portal/institution")
    expect(page.locator("#second-stage-problems")).to_contain_text("吴昊的运维能力评定证书已过期")
    expect(page.locator("#obligations")).to_contain_text("吴昊运维能力评定证书过期")
    expect(page.locator("#obligations .badge.late")).to_have_text("已逾期")
    press(page, "提交二审")
    expect(page.locator("#transition-error")).to_contain_text("吴昊的运维能力评定证书已过期")
    status_is(page, "初审通过")
    shot(page, "errors_04_expired_certificate")


def test_sub_account(new_page, shot, api, approved_first):
    token, inst_id = approved_first["token"], approved_first["id"]
    api.call("POST", f"/institutions/{inst_id}/staff", token, builders.staff("郑伟", "om_staff", n=11))
    page = new_page()
    login(page, approved_first["username"])
    page.goto("/portal/institution/accounts")
    sub = unique("field_")
    fill(page, {**account_form(sub, name="郑伟", prefix=""), "roles": ["field_staff"]})
    press(page, "创建子账户")  # 运维人员 without a linked person is refused beside the select
    expect(page.locator(".field-error:has(#f-staff_id) .msg")).to_have_text("运维人员账户必须关联一名已备案人员")
    fill(page, {"password": PASSWORD, "password_confirm": PASSWORD, "roles": ["field_staff", "reviewer"]})
    page.select_option("#f-staff_id", label="郑伟（运维人员）")
    press(page, "创建子账户")
    row = page.locator("#sub-accounts tr", has_text=sub)
    expect(row).to_contain_text("运维人员、运维审核")
    expect(row).to_contain_text("郑伟")
    expect(row.locator(".badge")).to_have_text("启用")
    shot(page, "subaccount_01_created")

    # The sub-account sees its institution read-only: no forms, no account management.
    member = new_page()
    login(member, sub)
    assert member.url.endswith("/portal/institution")
    expect(member.locator(".portal-head")).to_contain_text("只读")
    expect(member.get_by_role("link", name="子账户")).to_have_count(0)
    member.goto("/portal/institution/staff")
    expect(member.locator("#staff-table")).to_contain_text("郑伟")
    expect(member.get_by_role("link", name="新增人员")).to_have_count(0)
    shot(member, "subaccount_02_readonly_portal")

    # Disabled, it can no longer sign in.
    click_confirming(page, row.get_by_role("button", name="停用"))  # 确定停用？
    expect(page.locator("#sub-accounts tr", has_text=sub).locator(".badge")).to_have_text("停用")
    again = new_page()
    again.goto("/login")
    again.fill("#username", sub)
    again.fill("#password", PASSWORD)
    press(again, "登录")
    expect(again.locator(".alert.error")).to_contain_text("停用")


def test_other_district_regulator_does_not_see_it(new_page, shot, regulators, approved_first):
    page = new_page()
    login(page, regulators["huangpu"])
    expect(page.locator(".jurisdiction")).to_contain_text("黄浦区")
    page.fill("#keyword", approved_first["name"])
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#institutions")).not_to_contain_text(approved_first["name"])
    expect(page.locator(".total")).to_have_text("0")
    shot(page, "district_01_huangpu_list")
    response = page.goto(f"/portal/regulator/institutions/{approved_first['id']}")
    assert response.status == 404
    expect(page.locator(".alert.error")).to_have_text("机构不存在")
    shot(page, "district_02_huangpu_detail_refused")

    pudong = new_page()
    login(pudong, regulators["pudong"])
    pudong.fill("#keyword", approved_first["name"])
    pudong.get_by_role("button", name="查询").click()
    expect(pudong.locator("#institutions")).to_contain_text(approved_first["name"])
