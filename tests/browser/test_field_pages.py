"""Field work on a phone (WeChat H5 pages, 390×844, the browser's position set at the outlet): task →
outlet → form, 开始签到, an inspection form with check groups and a calibration form with its drift
computed, photos (a photo without a face is refused beside its input), the signature pad, 保存 and
resuming from 草稿, 结束签到并上传, 我的记录; then the institution portal's 运维记录 and 表单详情. And a
sampling trip from 进场签到 to 离场签到."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.field_flows import (arrive, at, attach_photo, field_world, item, phone, photo_uploaded,
                                       reloads, sampling_task, sign, wait_for)
from tests.browser.flows import login, no_horizontal_overflow
from tests.browser.tasks_flows import follow, today
from tests.images import face_jpeg, no_face_jpeg

pytestmark = pytest.mark.browser

NO_FACE = "照片中未检测到清晰人脸，请重新拍摄工作照片"


@pytest.fixture
def world(api, admin_token, regulators, base_url):
    return field_world(api, admin_token, regulators, base_url)


def start_form(page, task_name, outlet_name, form_kind, where):
    """业务管理 → 污染源运维 → task → outlet → form → 开始签到; on the record page afterwards."""
    page.goto("/wx/om")
    card = page.locator(".fr-task", has_text=task_name)
    follow(page, card.locator("a.fr-item", has_text=outlet_name))
    expect(page.locator("#outlet-name")).to_have_text(outlet_name)
    page.locator(f"input[name=form_kind][value={form_kind}]").check()
    page.get_by_role("button", name="开始签到", exact=True).click()
    arrive(page, "#record-number")
    checkin = page.locator("#checkin")
    expect(checkin.locator("[data-role=at]")).to_contain_text(today().isoformat())
    expect(checkin.locator("[data-role=lng]")).to_have_text(f"{where['longitude']:.6f}")
    expect(checkin.locator("[data-role=lat]")).to_have_text(f"{where['latitude']:.6f}")
    return page.url.rstrip("/").rsplit("/", 1)[-1]


def submit(page):
    page.get_by_role("button", name="结束签到并上传", exact=True).click()
    arrive(page, "#record-detail")
    expect(page.locator("#submitted")).to_contain_text("已结束签到并上传")


def test_field_staff_file_an_inspection_and_a_calibration_and_the_portal_shows_them(
        world, new_page, shot, base_url):
    w = world
    where = at(w["fg"])
    p = phone(new_page, where)

    # Without a session a /wx/ page goes to WeChat sign-in, not the password form.
    p.goto("/wx/om")
    assert "/wechat/sim/authorize" in p.url or "/wx/oauth" in p.url, p.url
    login(p, w["field_user"])

    # ---- task list → outlet → 完全抽取法CEMS日常巡检 → 开始签到 ----
    p.goto("/wx/om")
    expect(p.locator(".fr-task")).to_contain_text("东方化工自动监控设施运维")
    expect(p.locator(".fr-task a.fr-item")).to_have_count(2)
    no_horizontal_overflow(p)
    shot(p, "field_01_phone_tasks")
    card = p.locator(".fr-task", has_text="东方化工自动监控设施运维")
    follow(p, card.locator("a.fr-item", has_text="1#锅炉废气排口DA001"))
    choices = p.locator(".fr-choice")
    expect(choices).to_have_count(9)  # the flue-gas forms, the planned ones first
    expect(choices.nth(0)).to_contain_text("计划内")
    expect(p.locator(".fr-choice", has_text="校准")).to_contain_text("计划内")
    expect(p.locator(".fr-choice", has_text="标气更换")).not_to_contain_text("计划内")
    p.get_by_role("button", name="开始签到", exact=True).click()  # no form chosen yet
    expect(p.locator("#start-error")).to_have_text("请先选择运维内容")
    no_horizontal_overflow(p)
    shot(p, "field_02_phone_choose_form")

    inspection_id = start_form(p, "东方化工自动监控设施运维", "1#锅炉废气排口DA001", "fg_inspection_extractive", where)
    expect(p.locator("#checkin [data-role=distance]")).to_have_text("0 米")
    expect(p.locator("#devices input[name=device]")).to_be_checked()  # the outlet's only CEMS
    expect(p.locator(".fr-block")).to_contain_text("FJ-2023-77")
    expect(p.locator(".fr-item-row")).to_have_count(0)  # no check group chosen yet
    p.locator("#groups .fr-chip", has_text="日检查维护").locator("input").check()
    p.locator("#groups .fr-chip", has_text="周检查维护").locator("input").check()
    expect(p.locator(".fr-group-title", has_text="月检查维护")).to_have_count(0)
    station = p.locator(".fr-form-part .fr-section[data-section=station]")
    expect(station.locator(".fr-item-row")).to_have_count(6)  # 2 daily + 4 weekly station checks
    station.get_by_role("button", name="本节全部正常").click()
    expect(station.locator("input[value=normal]:checked")).to_have_count(6)
    gas = p.locator(".fr-block .fr-section[data-section=gas_extractive]")
    expect(gas.locator(".fr-item-row")).to_have_count(7)
    gas.get_by_role("button", name="本节全部正常").click()
    condenser = item(p, "检查冷凝器（除湿器）温度是否正常")
    condenser.locator("label.fr-abn").click()
    condenser.locator(".fr-note").fill("冷凝器温度8℃，偏高，已清理散热片")

    # A work photo without a face: the Chinese reason beside the photo input, nothing stored.
    attach_photo(p, "work", no_face_jpeg(), "landscape.jpg")
    work_box = p.locator(".fr-upload[data-kind=work]")
    expect(work_box.locator("[data-role=error]")).to_have_text(NO_FACE, timeout=30000)
    expect(work_box).to_have_class(re.compile("field-error"))
    expect(p.locator("#photos figure")).to_have_count(0)
    shot(p, "field_03_phone_no_face")

    # 保存, then resume from 草稿 in a fresh page: the answers come back from the server.
    p.get_by_role("button", name="保存", exact=True).click()
    expect(p.locator("#form-ok")).to_contain_text("草稿已保存")
    p.goto("/wx/om/drafts")
    expect(p.locator("#draft-count")).to_have_text("1")
    follow(p, p.locator("#records a.fr-item", has_text="完全抽取法CEMS日常巡检"))
    wait_for(p, lambda: p.locator(".fr-item-row").count() == 13, what="the saved form")
    expect(p.locator("#groups input[value=day]")).to_be_checked()
    expect(p.locator("#groups input[value=month]")).not_to_be_checked()
    condenser = item(p, "检查冷凝器（除湿器）温度是否正常")
    expect(condenser.locator("input[value=abnormal]")).to_be_checked()
    expect(condenser.locator(".fr-note")).to_have_value("冷凝器温度8℃，偏高，已清理散热片")
    expect(p.locator("input[value=normal]:checked")).to_have_count(12)

    # 结束签到并上传 needs the work photo and the signature, and says so.
    p.get_by_role("button", name="结束签到并上传", exact=True).click()
    expect(p.locator("#form-error")).to_have_text("请上传面部清晰的工作照片")
    attach_photo(p, "work", face_jpeg(), "work.jpg")
    photo_uploaded(p, "work")
    expect(p.locator(".fr-upload[data-kind=work] [data-role=error]")).to_be_hidden()
    p.get_by_role("button", name="结束签到并上传", exact=True).click()
    expect(p.locator("#form-error")).to_have_text("请在签字区域签名")
    sign(p)
    p.fill("#description", "巡检完成，冷凝器散热片积灰已清理")
    shot(p, "field_04_phone_inspection_form")
    submit(p)
    expect(p.locator("#record-status")).to_have_text("已提交")
    expect(p.locator("#checkin-end [data-role=lng]")).to_have_text(f"{where['longitude']:.6f}")
    expect(p.locator("#record-abnormal")).to_contain_text("冷凝器温度8℃，偏高")
    expect(p.locator("#signature-image")).to_be_visible()
    wait_for(p, lambda: p.evaluate("document.querySelector('#signature-image').naturalWidth") > 0, what="the signature")
    no_horizontal_overflow(p)
    shot(p, "field_05_phone_record_detail")

    # ---- 校准: numbers, and the drift computed as they are typed ----
    calibration_id = start_form(p, "东方化工自动监控设施运维", "1#锅炉废气排口DA001", "fg_calibration", where)
    block = p.locator(".fr-block")
    expect(block.locator("[data-field$='.full_scale']")).to_contain_text("200")  # the registered range
    for key, value in (("zero_gas", "0"), ("zero_after_last", "1"), ("zero_before", "4"), ("zero_after", "0.5"),
                       ("span_gas", "160"), ("span_after_last", "158"), ("span_before", "166"), ("span_after", "159")):
        block.locator(f"[data-path='blocks[0].values.{key}']").fill(value)
    zero = block.locator("[data-computed='blocks[0].zero_drift_pct_fs']")
    span = block.locator("[data-computed='blocks[0].span_drift_pct_fs']")
    expect(zero.locator("[data-role=value]")).to_have_text("1.5")      # (4 − 1) ÷ 200 × 100
    expect(zero.locator("[data-role=judge]")).to_contain_text("合格")
    expect(span.locator("[data-role=value]")).to_have_text("4")        # (166 − 158) ÷ 200 × 100
    expect(span.locator("[data-role=judge]")).to_contain_text("超出±2.5")
    block.locator("[data-path='blocks[0].values.zero_after']").fill("abc")  # refused beside the field at once
    expect(block.locator("[data-field='blocks[0].values.zero_after'] .msg")).to_have_text("应为数字")
    block.locator("[data-path='blocks[0].values.zero_after']").fill("0.5")
    expect(block.locator("[data-field='blocks[0].values.zero_after'] .msg")).to_be_hidden()
    attach_photo(p, "work", face_jpeg(), "work.jpg")  # the same picture as the inspection's: flagged
    photo_uploaded(p, "work")
    attach_photo(p, "device", no_face_jpeg(), "analyser.jpg")  # only the work photo needs a face
    photo_uploaded(p, "device")
    # the institution's filed instrument used for the check (备案的仪器设备), calibrated until 2027
    expect(p.locator("#equipment-card")).to_contain_text("便携式烟气分析仪（崂应3012H）")
    expect(p.locator("#equipment-card .fr-flag")).to_have_count(0)
    p.locator(f"#equipment-card input[value='{w['equipment']}']").check()
    sign(p)
    no_horizontal_overflow(p)
    shot(p, "field_06_phone_calibration_form")
    submit(p)
    expect(p.locator("#record-verdict")).to_contain_text("不合格（1 项）")
    expect(p.locator("#record-flags")).to_contain_text("照片与其他记录的照片雷同")

    # ---- 我的记录 ----
    p.goto("/wx/om/mine")
    records = p.locator("#records a.fr-item")
    expect(records).to_have_count(2)
    expect(records.nth(0)).to_contain_text("校准")
    expect(records.nth(0)).to_contain_text("不合格")
    follow(p, records.nth(1))
    expect(p.locator("#record-form")).to_have_text("完全抽取法CEMS日常巡检")
    p.goto("/wx/om/mine")
    shot(p, "field_07_phone_my_records")

    # ---- the institution portal: 运维记录 of the task, 表单详情 ----
    inst = new_page()
    login(inst, w["inst_user"])
    inst.goto(f"/portal/tasks/om/{w['task']['id']}")
    follow(inst, inst.locator(".t-toolbar").get_by_role("link", name="运维记录", exact=True))
    rows = inst.locator("#records tbody tr[data-record]")
    expect(rows).to_have_count(2)
    expect(inst.locator("#records")).to_contain_text("赵强")
    expect(inst.locator("#records")).to_contain_text("FJ-2023-77")
    shot(inst, "field_08_portal_records")
    inst.locator("#flagged").check()
    follow(inst, inst.locator("#record-filters").get_by_role("button", name="查询"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("照片与其他记录的照片雷同")
    follow(inst, rows.first.get_by_role("link", name="表单详情"))
    detail = inst.locator("#record-detail")
    expect(detail.locator("#record-form")).to_have_text("校准")
    expect(detail.locator("#record-flags")).to_contain_text("照片与其他记录的照片雷同")
    device = detail.locator(".fr-device")
    expect(device).to_contain_text("FJ-2023-77")
    expect(device.locator("[data-value='computed.blocks[0].values.zero_drift_pct_fs']")).to_contain_text("1.5")
    expect(device.locator("[data-value='computed.blocks[0].values.zero_drift_pct_fs'] .fr-verdict")).to_have_text("合格")
    expect(device.locator("[data-value='computed.blocks[0].values.span_drift_pct_fs'] .fr-verdict")).to_have_text("超限")
    expect(device.locator("[data-value='blocks[0].values.span_before']")).to_contain_text("166")
    expect(detail.locator("#record-verdict")).to_contain_text("量程漂移")
    expect(detail.locator("#record-equipment")).to_contain_text("便携式烟气分析仪（崂应3012H）")
    expect(detail.locator("#record-equipment")).to_contain_text("检定/校准有效期至 2027-06-30")
    expect(detail.locator("#photos figure")).to_have_count(2)
    for img in ("#photos img", "#signature-image"):
        wait_for(inst, lambda img=img: inst.evaluate(
            f"Array.from(document.querySelectorAll('{img}')).every(i => i.complete && i.naturalWidth > 0)"),
            what=f"{img} to load")
    shot(inst, "field_09_portal_calibration_detail")

    inst.goto(f"/portal/records/{inspection_id}")
    detail = inst.locator("#record-detail")
    expect(detail.locator("#record-groups")).to_have_text("日检查维护、周检查维护")
    abnormal = detail.locator("tr.fr-abn-row")
    expect(abnormal).to_have_count(1)
    expect(abnormal).to_contain_text("冷凝器温度8℃，偏高，已清理散热片")
    expect(detail.locator("#record-abnormal")).to_contain_text("检查冷凝器")
    expect(detail.locator("#record-description")).to_have_text("巡检完成，冷凝器散热片积灰已清理")
    shot(inst, "field_10_portal_inspection_detail")

    # The maintenance view links each done occurrence to its record.
    link = inst.locator("#maintenance a[href$='/portal/records/%s']" % calibration_id)

    def linked():  # the tasks service counts the occurrence done once it hears of the record
        inst.goto(f"/portal/tasks/om/{w['task']['id']}/maintenance?view=week")
        return link.count() == 1
    wait_for(inst, linked, what="the maintenance view to link the record")
    done = inst.locator("#maintenance tbody tr", has=inst.locator(f"a[href$='/portal/records/{calibration_id}']"))
    expect(done).to_contain_text("赵强")
    expect(done).to_contain_text("FJ-2023-77")
    shot(inst, "field_11_portal_maintenance")

    # The enterprise and the district regulator open the same detail page.
    for username in (w["ent_user"], w["regulator"]):
        other = new_page()
        login(other, username)
        other.goto(f"/portal/records/{calibration_id}")
        expect(other.locator("#record-form")).to_have_text("校准")
    other.set_viewport_size({"width": 390, "height": 844})
    other.goto(f"/portal/records/{calibration_id}")
    no_horizontal_overflow(other)
    expect(other.locator("#record-number")).to_have_text(re.compile(r"^YW\d{10}$"))
    shot(other, "field_12_regulator_detail_phone")


def test_a_sampling_trip_from_arrival_to_departure(world, api, base_url, new_page, shot):
    w = world
    task = sampling_task(api, base_url, w)
    where = at(w["ww"])
    p = phone(new_page, where)
    login(p, w["field_user"])
    p.goto("/wx/sampling")
    card = p.locator(".fr-task", has_text="2026年度自行监测采样")
    expect(card).to_contain_text("化学需氧量")
    expect(card).to_contain_text(today().isoformat())
    no_horizontal_overflow(p)
    shot(p, "field_20_phone_sampling_tasks")
    card.get_by_role("button", name="进场签到", exact=True).click()
    arrive(p, "#trip-number")
    expect(p.locator("#trip-status")).to_have_text("现场采样中")
    expect(p.locator("#arrival [data-role=lng]")).to_have_text(f"{where['longitude']:.6f}")
    expect(p.locator(".fr-steps li.current")).to_have_text("现场采样")

    attach_photo(p, "work", face_jpeg(), "work.jpg")
    photo_uploaded(p, "work", scope="#trip-photos")
    attach_photo(p, "sample", no_face_jpeg(), "bottle.jpg")
    photo_uploaded(p, "sample", scope="#trip-photos")

    # A sample without its code is refused beside the field; then recorded with its photo. Its
    # time (now, to the second) must not fall before the arrival check-in: a person takes longer
    # than a second to get here, the test waits for the next whole second.
    arrived = p.locator("#arrival [data-role=at]").inner_text()
    wait_for(p, lambda: p.evaluate(f"Date.now() >= Date.parse('{arrived.replace(' ', 'T')}+08:00') + 1000"),
             what="a second after the arrival")
    form = p.locator("#sample-form")
    expect(form.locator("#s-item option:not([disabled])")).to_have_count(2)
    form.locator("#s-item").select_option("化学需氧量")
    form.locator("#s-container").fill("500 mL 硬质玻璃瓶")
    form.locator("#s-preservation").fill("加硫酸至pH≤2，0～4℃冷藏")
    form.get_by_role("button", name="添加样品", exact=True).click()
    expect(form.locator(".fld", has=p.locator("#s-code")).locator(".msg")).to_be_visible()
    form.locator("#s-code").fill("DW001-01")
    form.locator("#s-photos input[name=photo_ids]").check()
    reloads(p, lambda: form.get_by_role("button", name="添加样品", exact=True).click(), ["#sample-form .msg"])
    expect(p.locator("#samples .fr-sample")).to_have_count(1)
    expect(p.locator("#samples")).to_contain_text("DW001-01 · 化学需氧量")
    expect(p.locator("#samples")).to_contain_text("照片 1 张")

    # 离场签到 before 采样工况: refused, saying what is missing.
    sign(p)
    p.get_by_role("button", name="离场签到", exact=True).click()
    expect(p.locator("#depart-error")).to_have_text("请填写采样工况")
    cond = p.locator("#conditions-form")
    cond.locator("#c-production").select_option("normal")
    cond.locator("#c-load").fill("85")
    cond.locator("#c-treatment").select_option("normal")
    cond.locator("#c-note").fill("污水处理站正常运行")
    cond.get_by_role("button", name="保存工况", exact=True).click()
    expect(cond.locator("[data-role=ok]")).to_have_text("采样工况已保存")
    shot(p, "field_21_phone_trip_on_site")
    reloads(p, lambda: p.get_by_role("button", name="离场签到", exact=True).click(), ["#depart-error"], timeout=30)
    expect(p.locator("#trip-status")).to_have_text("待排污单位确认")
    expect(p.locator("#departure-card [data-role=lat]")).to_have_text(f"{where['latitude']:.6f}")
    expect(p.locator("#conditions")).to_contain_text("正常生产")
    wait_for(p, lambda: p.evaluate("document.querySelector('#signature-image').naturalWidth") > 0, what="the signature")
    no_horizontal_overflow(p)
    shot(p, "field_22_phone_trip_departed")
    p.goto("/wx/sampling")
    expect(p.locator("#my-trips")).to_contain_text("待排污单位确认")
    expect(p.locator("#my-trips")).to_contain_text(task["title"])


def test_a_fault_repair_with_times_choices_and_a_parts_table(world, api, new_page, shot):
    """The same renderer for another kind: a choice, times (hours computed from them), yes/no, and a
    table whose rows the filer adds."""
    w = world
    where = at(w["fg"])
    p = phone(new_page, where)
    login(p, w["field_user"])

    # 开始签到 on a dead network: the page says so and keeps the id of the attempt; the retry sends
    # the same id, so a request that did arrive the first time would not make a second record.
    p.goto("/wx/om")
    follow(p, p.locator(".fr-task a.fr-item", has_text="1#锅炉废气排口DA001"))
    p.locator("input[name=form_kind][value=fg_fault_repair]").check()
    p.context.set_offline(True)
    p.get_by_role("button", name="开始签到", exact=True).click()
    expect(p.locator("#start-error")).to_contain_text("网络异常")
    key = f"emss.start.{w['task']['id']}.{w['fg']['id']}.fg_fault_repair"
    attempt = p.evaluate(f"localStorage.getItem('{key}')")
    assert attempt
    p.context.set_offline(False)
    p.get_by_role("button", name="开始签到", exact=True).click()
    arrive(p, "#record-number")
    record_id = p.url.rstrip("/").rsplit("/", 1)[-1]
    assert api.call("GET", f"/field-records/{record_id}", w["field_token"])["submission_id"] == attempt
    assert p.evaluate(f"localStorage.getItem('{key}')") is None  # done: the next start is a new record
    fault = p.locator(".fr-form-part .fr-section[data-section=fault]")
    fault.locator("[data-path='values.fault_class']").select_option("simple")
    day = today().isoformat()
    fault.locator("[data-path='values.fault_start']").fill(f"{day}T08:00")
    fault.locator("[data-path='values.arrived_at']").fill(f"{day}T09:30")
    fault.locator("[data-path='values.fault_end']").fill(f"{day}T11:00")
    fault.locator("[data-path='values.data_flagged'] input[value=true]").check()
    response = fault.locator("[data-computed='values.response_hours']")
    expect(response.locator("[data-role=value]")).to_have_text("1.5")
    expect(response.locator("[data-role=judge]")).to_contain_text("合格")
    expect(fault.locator("[data-computed='values.repair_hours'] [data-role=value]")).to_have_text("3")
    block = p.locator(".fr-block")
    block.locator("[data-path='blocks[0].values.symptom']").fill("分析仪示值归零，采样流量报警")
    block.locator("[data-path='blocks[0].values.cause']").fill("采样泵膜片破损")
    block.locator("[data-path='blocks[0].values.action']").fill("更换采样泵膜片，检漏后恢复运行")
    block.get_by_role("button", name="＋ 添加一行").click()
    row = block.locator("[data-field='blocks[0].values.parts[0]']")
    row.locator("[data-path='blocks[0].values.parts[0].name']").fill("采样泵膜片")
    row.locator("[data-path='blocks[0].values.parts[0].spec']").fill("KNF N86")
    row.locator("[data-path='blocks[0].values.parts[0].unit']").fill("片")
    row.locator("[data-path='blocks[0].values.parts[0].quantity']").fill("0")  # refused at once
    expect(row.locator("[data-field='blocks[0].values.parts[0].quantity'] .msg")).to_have_text("应大于0")
    row.locator("[data-path='blocks[0].values.parts[0].quantity']").fill("2")
    expect(row.locator("[data-field='blocks[0].values.parts[0].quantity'] .msg")).to_be_hidden()
    attach_photo(p, "work", face_jpeg(), "work.jpg")
    photo_uploaded(p, "work")
    sign(p)
    no_horizontal_overflow(p)
    shot(p, "field_13_phone_fault_repair_form")
    # Checked out 800 m away from the outlet: accepted, and flagged for the reviewer.
    p.context.set_geolocation({**where, "latitude": where["latitude"] + 800 / 111_320})
    submit(p)
    detail = p.locator("#record-detail")
    flag = detail.locator("#record-flags [data-flag=far_from_outlet]")
    expect(flag).to_contain_text("签到位置超出排口范围")
    expect(flag).to_contain_text(re.compile(r"结束签到，距离 (799|800) 米，允许 500 米"))
    expect(detail.locator("#checkin-end [data-role=distance]")).to_have_text(re.compile(r"^(799|800) 米$"))
    expect(detail.locator("[data-value='computed.values.response_hours']")).to_contain_text("1.5")
    expect(detail.locator("[data-value='values.fault_class']")).to_contain_text("一般故障")
    expect(detail.locator("[data-value='values.data_flagged']")).to_contain_text("是")
    expect(detail.locator("[data-value='blocks[0].values.parts']")).to_contain_text("采样泵膜片")
    expect(detail.locator("#record-verdict")).to_contain_text("全部合格")
    shot(p, "field_14_phone_fault_repair_detail")
    assert record_id
