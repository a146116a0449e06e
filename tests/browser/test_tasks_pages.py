"""Contracts, O&M tasks with their plan, the maintenance view, report uploads and a sampling task,
through the pages of the institution and the regulator portals (issue 3)."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.flows import fill, login, no_horizontal_overflow, text_of, unique
from tests.browser.tasks_flows import (PDF, day, follow, make_world, monitoring_contract, navigate, plan_row,
                                       press_until, quick_filter, set_frequency, submit, today, untick)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
UNUSED_FLUE_GAS_FORMS = ("fg_inspection_dilution", "fg_inspection_direct", "fg_inspection_nmhc")


def option_value(page, select, text):
    return page.locator(f"{select} option", has_text=text).first.get_attribute("value")


@pytest.fixture
def world(api, admin_token, regulators, base_url):
    w = make_world(api, admin_token, regulators)
    w["monitoring_contract"] = monitoring_contract(base_url, w)  # also waits for the tasks service's copy
    return w


def test_contracts_tasks_maintenance_reports_and_sampling(world, new_page, shot, base_url):
    w = world
    inst = new_page()
    login(inst, w["inst_user"])

    # ---- 合同管理: register and submit a contract with an enterprise from the directory ----
    inst.goto("/portal/tasks/contracts/new")
    expect(inst.locator("nav.tabs a.active")).to_have_text("合同管理")
    inst.fill("#ent_keyword", w["ent_name"][2:8])
    follow(inst, inst.get_by_role("button", name="查找", exact=True))
    expect(inst.locator("#f-enterprise_id option")).to_have_count(2)  # 从名录中选择 + the one found
    fill(inst, {"title": "2027年度自动监控设施运维服务合同", "enterprise_id": w["ent_id"], "nature": "om",
                "amount": "180000", "start": day(-60), "end": day(300), "party_a_contact": "周丽",
                "party_b_contact": "李敏"}, scope="#contract-form")
    shot(inst, "tasks_01_contract_form")
    submit(inst, "保存并提交")
    expect(inst.locator(".flash")).to_contain_text("合同已提交")
    expect(inst.locator("#contract-status")).to_have_text("已提交")
    expect(inst.locator("#contract-amount")).to_have_text("180,000.00 元")
    contract_url = inst.url
    shot(inst, "tasks_02_contract_detail")

    # ---- 信息变更申请: a submitted contract changes only through a reviewed request ----
    follow(inst, inst.locator(".t-toolbar").get_by_role("link", name="信息变更申请", exact=True))
    inst.fill("#f-amount", "200000")
    submit(inst, "提交变更申请")  # no reason: refused, the message beside the reason
    expect(inst.locator("#e-reason")).to_be_visible()
    inst.fill("#f-amount", "200000")
    inst.fill("#f-reason", "增加非甲烷总烃监测设备运维，合同金额相应调整")
    shot(inst, "tasks_03_contract_change_form")
    submit(inst, "提交变更申请")
    expect(inst.locator(".flash")).to_contain_text("信息变更申请已提交，共 1 项变更")
    expect(inst.locator("main")).to_contain_text("待监管方审核")
    expect(inst.locator("#contract-amount")).to_have_text("180,000.00 元")

    # ---- the regulator reviews it: a rejection needs a reason, then approves ----
    reg = new_page()
    login(reg, w["regulator"])
    reg.goto("/portal/tasks/changes")
    card = reg.locator("article.cr", has_text="2027年度自动监控设施运维服务合同")
    expect(card).to_contain_text("180,000.00")
    expect(card).to_contain_text("200,000.00")
    shot(reg, "tasks_04_regulator_change_queue")
    follow(reg, card.get_by_role("button", name="驳回", exact=True))
    card = reg.locator("article.cr", has_text="2027年度自动监控设施运维服务合同")
    expect(card.locator(".field-error .msg")).to_have_text("驳回必须填写原因")
    follow(reg, card.get_by_role("button", name="通过", exact=True))
    expect(reg.locator(".flash")).to_contain_text("变更申请已通过")
    expect(reg.locator("#no-changes")).to_be_visible()

    # 甲方筛选 on the regulator's contract list, then the trail with two versions.
    reg.goto("/portal/tasks/contracts")
    navigate(reg, lambda: reg.locator("#enterprise_id").select_option(w["ent_id"]))  # applies at once
    assert "enterprise_id=" in reg.url
    rows = reg.locator("#contracts tbody tr")
    expect(rows).to_have_count(2)  # the O&M contract and the monitoring contract of this enterprise
    expect(reg.locator("#contracts")).to_contain_text(w["inst_name"])
    shot(reg, "tasks_05_regulator_contracts")
    follow(reg, reg.locator("#contracts tr", has_text="2027年度").get_by_role("link", name="查看留痕"))
    expect(reg.locator("#version-count")).to_have_text("2")
    expect(reg.locator("#versions tbody tr")).to_have_count(2)
    second = reg.locator("#versions tbody tr").nth(1)
    expect(second).to_contain_text("浦东新区监管员")
    expect(second).to_contain_text("合同金额")
    expect(reg.locator("main")).to_contain_text("增加非甲烷总烃监测设备运维")
    shot(reg, "tasks_06_contract_trail")
    inst.goto(contract_url)
    expect(inst.locator("#contract-amount")).to_have_text("200,000.00 元")

    # ---- 运维任务申请 with the plan editor ----
    inst.goto("/portal/tasks/om/new")
    expect(inst.locator("#task-enterprise")).to_have_text(w["ent_name"])
    staff = inst.locator("#step-staff")
    expect(staff.locator("input[name=staff_ids]")).to_have_count(1)  # only 运维人员 are offered
    expect(staff).to_contain_text("赵强")
    expect(staff).not_to_contain_text("钱伟")
    expect(inst.locator("#step-devices input[name=device_ids]:checked")).to_have_count(2)
    expect(plan_row(inst, "ww_inspection")).to_contain_text("默认每周")
    expect(plan_row(inst, "fg_periodic_check").locator("select")).to_have_value("every_3_months")
    staff.locator("input[name=staff_ids]").check()
    inst.fill("#f-name", "东方化工自动监控设施运维")
    inst.fill("#f-start", day(-28))
    untick(inst, *UNUSED_FLUE_GAS_FORMS)
    set_frequency(inst, "fg_inspection_extractive", "every_n_days", 10)  # looser than weekly
    submit(inst, "保存并提交申请")
    bad = plan_row(inst, "fg_inspection_extractive")
    expect(bad).to_have_class(re.compile("field-error"))
    expect(bad.locator(".msg")).to_contain_text("不得低于标准默认要求（每周）")
    expect(inst.locator(".t-plan-row.field-error")).to_have_count(1)
    expect(inst.locator("#form-error")).to_contain_text("运维计划")
    expect(plan_row(inst, "fg_inspection_dilution").locator("input[data-row-toggle]")).not_to_be_checked()
    shot(inst, "tasks_07_plan_editor_error")

    # The same editor on a phone.
    phone = new_page(**PHONE)
    login(phone, w["inst_user"])
    phone.goto("/portal/tasks/om/new")
    phone.locator("#step-staff input[name=staff_ids]").check()
    untick(phone, *UNUSED_FLUE_GAS_FORMS)
    set_frequency(phone, "ww_comparison", "quarterly")  # looser than monthly
    submit(phone, "保存并提交申请")
    expect(plan_row(phone, "ww_comparison").locator(".msg")).to_contain_text("每月")
    no_horizontal_overflow(phone)
    shot(phone, "tasks_08_plan_editor_phone")

    set_frequency(inst, "fg_inspection_extractive", "every_n_days", 5)
    press_until(inst, "保存并提交申请", lambda: inst.locator("#task-status").count() > 0)
    expect(inst.locator(".flash")).to_contain_text("运维任务已提交申请")
    expect(inst.locator("#task-status")).to_have_text("待审核")
    expect(inst.locator("#plan tbody tr")).to_have_count(12)  # 6 wastewater + 9 flue-gas forms − 3 unticked
    expect(inst.locator("#plan")).to_contain_text("每5天")
    task_url = inst.url
    task_id = task_url.rstrip("/").rsplit("/", 1)[-1]

    # ---- the regulator approves it (a return needs a reason) ----
    reg.goto("/portal/tasks/om?state=applied")
    follow(reg, reg.locator("#tasks tr", has_text="东方化工自动监控设施运维").get_by_role("link", name="审核"))
    follow(reg, reg.get_by_role("button", name="退回", exact=True))
    expect(reg.locator("#task-review .field-error .msg")).to_have_text("退回必须填写原因")
    expect(reg.locator("#task-staff")).to_have_text("赵强")
    shot(reg, "tasks_09_task_review")
    submit(reg, "审核通过")
    expect(reg.locator("#task-status")).to_have_text("进行中")

    # ---- 运维管理: 本周 / 本月 / 全部 / 超期, plan filter, date range ----
    inst.goto(f"/portal/tasks/om/{task_id}/maintenance")
    expect(inst.locator("#views a.active")).to_have_text("全部")
    expect(inst.locator("#maintenance")).to_contain_text("日常巡检")
    shot(inst, "tasks_10_maintenance_all")
    quick_filter(inst, "本周")
    monday = today().toordinal() - today().weekday()
    for text in inst.locator("#maintenance td[data-label=执行周期]").all_inner_texts():
        first = text.split(" 至 ")[0]
        assert first >= day(monday - today().toordinal()), text
    quick_filter(inst, "本月")
    expect(inst.locator("#counts")).to_contain_text(f"区间 {max(today().replace(day=1).isoformat(), day(-28))}")
    quick_filter(inst, "超期")
    overdue = inst.locator("#maintenance tbody tr")
    expect(overdue.first).to_contain_text("超期")
    assert overdue.count() >= 4
    assert set(inst.locator("#maintenance td[data-label=状态]").all_inner_texts()) == {"超期"}
    shot(inst, "tasks_11_maintenance_overdue")
    quick_filter(inst, "全部")
    inst.locator("#plan_item_id").select_option(option_value(inst, "#plan_item_id", "实际水样比对"))
    inst.fill("#start", day(-28))
    inst.fill("#end", day(0))
    follow(inst, inst.locator("#maintenance-filters").get_by_role("button", name="查询"))
    assert set(inst.locator("#maintenance td[data-label=运维内容]").all_inner_texts()) == {"实际水样比对"}
    expect(inst.locator("#obligations")).to_be_visible()

    phone.goto(f"/portal/tasks/om/{task_id}/maintenance?view=overdue")
    expect(phone.locator("#maintenance tbody tr").first).to_contain_text("超期")
    no_horizontal_overflow(phone)
    shot(phone, "tasks_12_maintenance_phone")

    # ---- 上传报告: the type is checked by content, then a PDF on time ----
    inst.goto(f"/portal/tasks/reports/new?task_id={task_id}")
    number = unique("BD-")
    fill(inst, {"number": number, "kind": "water_comparison", "performed_on": day(-3), "issued_on": day(-2),
                "description": "废水总排口COD实际水样比对"}, scope="#report-form")
    inst.locator("#f-plan_item_id").select_option(option_value(inst, "#f-plan_item_id", "实际水样比对"))
    inst.set_input_files("#f-file", files=[{"name": "比对报告.pdf", "mimeType": "application/pdf",
                                            "buffer": b"MZ\x90\x00not a pdf"}])
    submit(inst, "确认上传")
    expect(inst.locator(".fld.field-error", has=inst.locator("#f-file")).locator(".msg")).to_contain_text("PDF")
    inst.set_input_files("#f-file", files=[{"name": "比对报告.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    shot(inst, "tasks_13_report_form")
    submit(inst, "确认上传")
    expect(inst.locator(".flash")).to_contain_text(f"报告 {number} 已上传（按时上传")
    row = inst.locator("#reports tbody tr", has_text=number)
    expect(row.locator(".badge")).to_have_text("按时")
    href = row.get_by_role("link", name="比对报告.pdf").get_attribute("href")
    download = inst.request.get(href)
    assert download.status == 200 and download.body() == PDF
    shot(inst, "tasks_14_reports")

    # ---- 任务信息变更申请: a running task's plan changes through a reviewed request ----
    inst.goto(task_url)
    follow(inst, inst.locator(".t-toolbar").get_by_role("link", name="信息变更申请", exact=True))
    expect(plan_row(inst, "fg_inspection_extractive").locator("input[type=number]")).to_have_value("5")
    expect(plan_row(inst, "fg_inspection_dilution").locator("input[data-row-toggle]")).not_to_be_checked()
    set_frequency(inst, "fg_inspection_extractive", "every_n_days", 3)
    inst.fill("#f-reason", "锅炉负荷提高，废气巡检加密为每3天一次")
    submit(inst, "提交变更申请")
    expect(inst.locator(".flash")).to_contain_text("共 1 项变更")
    reg.goto("/portal/tasks/changes?kind=task")
    follow(reg, reg.locator("article.cr", has_text="东方化工自动监控设施运维").get_by_role("link", name="查看变更明细"))
    expect(reg.locator(".t-plan-diff .t-old")).to_contain_text("完全抽取法CEMS日常巡检 · 每5天")
    expect(reg.locator(".t-plan-diff .t-new")).to_contain_text("完全抽取法CEMS日常巡检 · 每3天")
    shot(reg, "tasks_15_task_change_review")
    submit(reg, "通过")
    expect(reg.locator(".flash")).to_contain_text("变更申请已通过")
    inst.goto(f"/portal/tasks/om/{task_id}/trail")
    expect(inst.locator("#version-count")).to_have_text("2")
    expect(inst.locator("#versions tbody tr").nth(1)).to_contain_text("运维计划")
    expect(inst.locator("#versions tbody tr").nth(0)).to_contain_text("浦东新区监管员")
    shot(inst, "tasks_15b_task_trail")

    # ---- 采样任务: 委托任务申请 → 方案编制 → 采样计划 ----
    inst.goto("/portal/tasks/sampling/new")
    fill(inst, {"title": "2026年第四季度自行监测", "enterprise_id": w["ent_id"],
                "contract_id": w["monitoring_contract"]["id"], "description": "废水、废气自行监测采样"},
         scope="#commission-form")
    shot(inst, "tasks_16_sampling_commission")
    submit(inst, "提交委托")
    expect(inst.locator("#stage")).to_have_text("委托任务申请")
    expect(inst.locator("#steps li.current")).to_have_text("委托任务申请")
    expect(inst.locator("#missing")).to_contain_text("输入已完整")
    submit(inst, "完成“委托任务申请”，进入方案编制")
    expect(inst.locator("#stage")).to_have_text("方案编制")
    expect(inst.locator("#missing")).to_contain_text("方案至少包含一个监测点位")
    submit(inst, "完成“方案编制”，进入采样计划")  # nothing yet: refused, and says why
    expect(inst.locator("#advance-error")).to_contain_text("方案至少包含一个监测点位")
    points = inst.locator("#scheme-form fieldset.t-point")
    expect(points).to_have_count(2)  # the two registered outlets; no new point offered
    ww_point = inst.locator("#scheme-form fieldset.t-point", has_text="废水总排口DW001")
    ww_point.locator("input[name$='-items-0-factor']").fill("化学需氧量")
    ww_point.locator("input[name$='-items-0-method']").fill("HJ 828-2017 重铬酸盐法")
    ww_point.locator("input[name$='-items-0-frequency']").fill("1次/季度")
    submit(inst, "保存方案")  # the flue-gas point is ticked but has no item
    fg_point = inst.locator("#scheme-form fieldset.t-point", has_text="1#锅炉废气排口DA001")
    expect(fg_point.locator(".msg")).to_contain_text("至少包含一个监测项目")
    fg_point.locator("input[name$='-items-0-factor']").fill("二氧化硫")
    fg_point.locator("input[name$='-items-0-method']").fill("HJ 57-2017 定电位电解法")
    fg_point.locator("input[name$='-items-0-frequency']").fill("1次/半年")
    shot(inst, "tasks_17_sampling_scheme")
    submit(inst, "保存方案")
    expect(inst.locator(".flash")).to_contain_text("监测方案已保存：2 个点位")
    submit(inst, "完成“方案编制”，进入采样计划")
    expect(inst.locator("#stage")).to_have_text("采样计划")
    expect(inst.locator("#scheme")).to_contain_text("二氧化硫")
    inst.locator("#plan-form input[name=dates]").first.fill(day(7))
    inst.locator("#plan-staff").get_by_label(re.compile("赵强")).check()
    inst.locator("#plan-equipment input[name=equipment_ids]").first.check()
    submit(inst, "保存采样计划")
    expect(inst.locator("#missing")).to_contain_text("输入已完整")
    submit(inst, "完成“采样计划”，进入现场采样")
    expect(inst.locator("#stage")).to_have_text("现场采样")
    expect(inst.locator("#missing")).to_contain_text("尚无已离场的现场采样记录")
    expect(inst.locator("#plan-summary")).to_contain_text("赵强")
    shot(inst, "tasks_18_sampling_stage")
    inst.goto("/portal/tasks/sampling?stage=sampling")
    expect(inst.locator("#sampling-tasks")).to_contain_text("2026年第四季度自行监测")

    # ---- the hub, reached from the header ----
    follow(inst, inst.locator("header nav").get_by_role("link", name="任务管理", exact=True))
    expect(inst.locator("nav.tabs a.active")).to_have_text("概览")
    expect(inst.locator("#count-in-progress")).to_have_text("1")
    expect(inst.locator("#count-reports")).to_have_text("1")
    assert int(text_of(inst, "#count-overdue")) == 1
    shot(inst, "tasks_19_hub")
    reg.goto("/portal/tasks")
    expect(reg.locator("#count-pending-changes")).to_have_text("0")
    shot(reg, "tasks_20_regulator_hub")
