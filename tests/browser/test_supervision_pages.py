"""Supervision in the browser (issue 11): a field person files two records with the same work photo;
the credit service raises its warning (异常打卡/照片：照片与其他记录的照片雷同). The district regulator finds it in
非现场监管 (overview with its chart, the warning list), opens the warning with its evidence (each
record linked to its page) and turns it into a rectification order (整改单). The institution's main
account finds the order under 整改单管理 (and its count in WeChat), answers the item with text, a
PDF and a link to a record; the regulator returns it with a reason, the institution answers again,
the regulator accepts it (销号) and the warning is closed as 已整改销号."""
import base64
import uuid

import pytest
import requests
from playwright.sync_api import expect

from services.fieldrecords.tests.form_samples import sample_content
from tests.browser.confirmation_flows import fresh_face, offset
from tests.browser.field_flows import _call, _ok, base_world, field_world
from tests.browser.flows import login, no_horizontal_overflow, press
from tests.browser.tasks_flows import day, retry
from tests.images import pdf_bytes, signature_png
from tests.waiting import HTTP_PATIENCE

pytestmark = pytest.mark.browser
RULE = "INTEGRITY_DUPLICATE_PHOTO"


def file_record(base_url, token, task_id, outlet, kind, device, photo):
    """开始签到 → 工作照片 (the one given) → 结束签到并上传, as the phone files it."""
    where = offset(outlet)
    draft = _ok(_call(base_url, "POST", "/field-records", token, {
        "submission_id": f"start-{uuid.uuid4().hex[:12]}", "task_id": task_id, "outlet_id": outlet["id"],
        "form_kind": kind, "check_in": where}), 201)
    _ok(requests.post(f"{base_url}/api/v1/field-records/{draft['id']}/photos", timeout=HTTP_PATIENCE,
                      headers={"Authorization": f"Bearer {token}"},
                      data={"upload_id": f"photo-{uuid.uuid4().hex[:12]}", "kind": "work"},
                      files={"file": ("work.jpg", photo, "image/jpeg")}), 201)
    return _ok(_call(base_url, "POST", f"/field-records/{draft['id']}/submit", token, {
        "submission_id": f"submit-{uuid.uuid4().hex[:12]}", "check_out": where,
        "content": sample_content(kind, [device]),
        "signature": {"name": "signature.png", "content_base64": base64.b64encode(signature_png()).decode()}}))


def the_warning(base_url, reg_token, inst_id):
    """The duplicate-photo warning of this institution, once the credit service has raised it."""
    def raised():
        page = _ok(_call(base_url, "GET", f"/supervision/warnings?rule={RULE}&institution_id={inst_id}", reg_token))
        assert page["items"], "no warning yet"
        return page["items"][0]
    return retry(raised, what="the credit service to raise the duplicate-photo warning")


def test_a_warning_becomes_an_order_answered_returned_and_accepted(api, admin_token, regulators, base_url,
                                                                     new_page, shot):
    w = field_world(api, admin_token, regulators, base_url)
    task_id, photo = w["task"]["id"], fresh_face()
    records = [file_record(base_url, w["field_token"], task_id, w["ww"], "ww_inspection", w["cod"], photo)
               for _ in range(2)]
    warning = the_warning(base_url, w["reg_token"], w["inst_id"])

    # ---- the regulator: 非现场监管 → overview → warning list → the warning ----
    reg = new_page()
    login(reg, w["regulator"])
    reg.locator("header nav a", has_text="非现场监管").click()
    expect(reg.locator("h1")).to_contain_text("非现场监管概览")
    expect(reg.locator("#trend-chart rect.bar")).to_have_count(12)
    expect(reg.locator("#by-rule")).to_contain_text("照片雷同")
    assert int(reg.locator("#month-total").inner_text()) >= 1
    shot(reg, "supervision_01_overview")

    reg.locator(".tabs a", has_text="预警列表").click()
    reg.select_option("#f-rule", RULE)
    press(reg, "查询")
    row = reg.locator(f"#warnings tr[data-id='{warning['id']}']")
    expect(row).to_contain_text("新预警")
    expect(row).to_contain_text(w["inst_name"])
    shot(reg, "supervision_02_warning_list")

    row.get_by_role("link", name="处理").click()
    expect(reg.locator("#warning-status")).to_have_text("新预警")
    expect(reg.locator("#warning-summary")).to_contain_text("1条运维记录")
    evidence = reg.locator("#evidence tbody tr")
    expect(evidence).to_have_count(2)
    for record in records:
        expect(reg.locator(f"#evidence a[href='/portal/records/{record['id']}']")).to_have_count(1)
    shot(reg, "supervision_03_warning")

    # dismissing needs a reason: refused beside the field, nothing changes
    press(reg, "排除")
    expect(reg.locator("#e-reason")).to_have_text("排除必须填写原因")
    expect(reg.locator("#warning-status")).to_have_text("新预警")

    # one of the records opens from the evidence
    reg.locator(f"#evidence a[href='/portal/records/{records[0]['id']}']").click()
    expect(reg.locator("main")).to_contain_text(records[0]["number"])
    reg.go_back()

    reg.locator("#issue-order").click()
    expect(reg.locator("h1")).to_have_text("下整改单")
    expect(reg.locator("#addressee")).to_contain_text(w["inst_name"])
    reg.fill("#f-title", "重复使用工作照片整改")
    reg.fill("[name='items.0.requirement']", "核实两条运维记录的工作照片，说明原因，重新开展运维并上传现场照片。")
    reg.fill("#f-working_days", "5")
    shot(reg, "supervision_04_order_form")
    press(reg, "下发整改单")
    expect(reg.locator(".flash")).to_contain_text("已下发")
    expect(reg.locator("#order-status")).to_have_text("待整改")
    expect(reg.locator("#order-due")).to_contain_text("5 个工作日")
    order_url = reg.url
    shot(reg, "supervision_05_order_issued")

    # the warning follows its order
    reg.goto(f"/portal/supervision/warnings/{warning['id']}")
    expect(reg.locator("#warning-status")).to_have_text("已下整改单")
    expect(reg.locator("#warning-orders a")).to_have_count(1)

    # ---- the institution: 整改单管理 (and the count on its WeChat home) ----
    inst = new_page()
    login(inst, w["inst_user"])
    inst.locator("header nav a", has_text="整改单管理").click()
    listed = inst.locator("#orders tbody tr").filter(has_text="重复使用工作照片整改")
    expect(listed).to_contain_text("待整改")
    shot(inst, "supervision_06_institution_orders")
    listed.get_by_role("link", name="回复").click()
    answer(inst, "两条记录为同一次巡检误传同一张照片，已重新巡检。", records[1]["id"])
    expect(inst.locator("#order-status")).to_have_text("已回复待审核")
    shot(inst, "supervision_07_answered")

    # ---- the regulator returns it with a reason ----
    reg.goto(order_url)
    expect(reg.locator(".o-answer")).to_contain_text("已重新巡检")
    expect(reg.locator(".o-answer a", has_text="整改说明.pdf")).to_have_count(1)
    press(reg, "退回")
    expect(reg.locator("#e-reason")).to_have_text("退回必须填写原因")
    reg.fill("#f-reason", "未附重新巡检的现场照片")
    press(reg, "退回")
    expect(reg.locator("#order-status")).to_have_text("已退回重新整改")
    shot(reg, "supervision_08_returned")

    # ---- the institution answers again; the regulator accepts ----
    inst.goto(order_url)
    expect(inst.locator("#return-reason")).to_contain_text("未附重新巡检的现场照片")
    answer(inst, "已补充重新巡检的现场照片及运维记录。", records[1]["id"])
    reg.goto(order_url)
    expect(reg.locator(".o-answer").first).to_contain_text("已补充")
    press(reg, "销号")
    expect(reg.locator("#order-status")).to_have_text("已销号")
    expect(reg.locator("#order-trail tbody tr")).to_have_count(5)   # 下发, 回复, 退回, 回复, 销号
    shot(reg, "supervision_09_accepted")
    reg.goto(f"/portal/supervision/warnings/{warning['id']}")
    expect(reg.locator("#warning-status")).to_have_text("已整改销号")
    expect(reg.locator("#warning-act")).to_have_count(0)
    shot(reg, "supervision_10_warning_rectified")

    # ---- WeChat: the institution's main account sees its orders ----
    phone = new_page(width=390, height=844, is_mobile=True, has_touch=True)
    login(phone, w["inst_user"])
    phone.goto("/wx/")
    expect(phone.locator("#wx-tiles .wx-tile", has_text="整改单")).to_have_count(1)
    phone.locator("#wx-tiles .wx-tile", has_text="整改单").click()
    expect(phone.locator("#other-orders")).to_contain_text("已销号")
    no_horizontal_overflow(phone)
    shot(phone, "supervision_11_wx_orders")


def answer(page, text, record_id):
    """Fill the one item's answer: text, a PDF and the record it links, then submit."""
    item = page.locator(".o-item").first
    item.locator("textarea").fill(text)
    item.locator("input[type=file]").set_input_files(
        [{"name": "整改说明.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}])
    records = item.locator("select[name^='record_ids.']")
    if records.count():
        records.select_option(record_id)
    else:
        item.locator("input[name^='record_ids.']").fill(record_id)
    page.get_by_role("button", name="提交整改回复").click()
    expect(page.locator(".flash")).to_contain_text("已回复")


def test_the_regulator_records_a_comparison_and_an_onsite_inspection_and_each_failure_is_a_warning(
        api, regulators, base_url, new_page, shot):
    """考核管理: a comparison spot test at the flue-gas outlet with SO2 out of its HJ 75 limit raises
    比对抽测不合格 against the outlet and its institution; an on-site inspection of the institution
    with one failed item and a photo raises 现场检查不合格项 and offers an order. A form dated
    tomorrow is refused beside that field and keeps what was typed."""
    w = base_world(api, regulators, prefix="in_")
    today = day(0)
    reg = new_page()
    login(reg, w["regulator"])
    reg.locator("header nav a", has_text="考核管理").click()
    expect(reg.locator("h1")).to_have_text("现场检查与比对抽测")

    # ---- a comparison spot test (比对抽测) at the outlet ----
    reg.get_by_role("link", name="登记比对抽测").click()
    expect(reg.locator("#factor-rows tbody tr")).to_have_count(5)
    reg.select_option("#pick-ent", label=w["ent_name"])
    press(reg, "列出排口")
    form = reg.locator("#inspection-form")
    form.locator("select[name=institution_id]").select_option(label=w["inst_name"])
    form.locator("select[name=outlet_id]").select_option(w["fg"]["id"])
    form.locator("input[name=inspected_on]").fill(day(1))     # tomorrow: refused
    form.locator("input[name=inspectors]").fill("王刚、赵敏")
    for n, (code, reference, monitor) in enumerate((("a21026", "100", "150"), ("a21002", "100", "103"))):
        form.locator(f"select[name='factors.{n}.factor_code']").select_option(code)
        form.locator(f"input[name='factors.{n}.reference_value']").fill(reference)
        form.locator(f"input[name='factors.{n}.monitor_value']").fill(monitor)
        form.locator(f"input[name='factors.{n}.measured_at']").fill(f"{today}T10:0{n}")
    shot(reg, "supervision_12_comparison_form")
    press(reg, "登记")
    expect(reg.locator("#e-inspected_on")).to_have_text("检查日期不能晚于今天")
    expect(form.locator("input[name='factors.0.monitor_value']")).to_have_value("150")
    expect(form.locator("input[name=inspectors]")).to_have_value("王刚、赵敏")
    form.locator("input[name=inspected_on]").fill(today)

    def recorded():
        # the world was made a moment ago: credit's copy of the registry may not hold it yet
        press(reg, "登记")
        assert reg.locator("#inspection-form").count() == 0, reg.locator(".alert.error, .msg").all_inner_texts()
    retry(recorded, what="the credit service's copy of the new institution and outlet")
    expect(reg.locator(".flash")).to_contain_text("发现 1 项问题，已产生预警")
    expect(reg.locator("h1")).to_contain_text("发现问题")
    factors = reg.locator("#inspection-factors tbody tr")
    expect(factors).to_have_count(2)
    expect(factors.filter(has_text="二氧化硫")).to_contain_text("不合格")
    expect(factors.filter(has_text="氮氧化物")).to_contain_text("合格")
    expect(reg.locator("#inspection-info")).to_contain_text("王刚、赵敏")
    shot(reg, "supervision_13_comparison_recorded")
    reg.locator("#inspection-warnings a").first.click()
    expect(reg.locator("h1")).to_contain_text("比对抽测不合格")
    expect(reg.locator("#warning-status")).to_have_text("新预警")
    expect(reg.locator("#warning-info")).to_contain_text(w["inst_name"])
    shot(reg, "supervision_14_comparison_warning")

    # ---- an on-site inspection (现场检查) of the institution, with a photo ----
    reg.goto("/portal/inspections")
    reg.get_by_role("link", name="登记现场检查").click()
    form = reg.locator("#inspection-form")
    form.locator("select[name=subject_kind]").select_option("institution")
    form.locator("select[name=institution_id]").select_option(label=w["inst_name"])
    form.locator("input[name=inspected_on]").fill(today)
    form.locator("input[name=inspectors]").fill("王刚")
    for n, (label, result, note) in enumerate((("运维台账与记录是否完整", "fail", "缺少本月巡检台账"),
                                               ("标准物质是否在有效期内", "pass", ""))):
        form.locator(f"input[name='items.{n}.label']").fill(label)
        form.locator(f"select[name='items.{n}.result']").select_option(result)
        form.locator(f"input[name='items.{n}.note']").fill(note)
    form.locator("#f-photos").set_input_files([{"name": "现场.jpg", "mimeType": "image/jpeg", "buffer": fresh_face()}])
    press(reg, "登记")
    expect(reg.locator(".flash")).to_contain_text("发现 1 项问题")
    items = reg.locator("#inspection-items tbody tr")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("缺少本月巡检台账")
    expect(reg.locator(".photos img")).to_have_count(1)
    shot(reg, "supervision_15_onsite_recorded")
    reg.locator("#inspection-order").click()
    expect(reg.locator("h1")).to_have_text("下整改单")
    expect(reg.locator("#addressee")).to_contain_text(w["inst_name"])
    expect(reg.locator("main")).to_contain_text("缺少本月巡检台账")

    # both are listed, each marked as having found a problem
    reg.goto("/portal/inspections")
    listed = reg.locator("#inspections tbody tr").filter(has_text=w["inst_name"])
    expect(listed).to_have_count(2)
    shot(reg, "supervision_16_inspections_list")
