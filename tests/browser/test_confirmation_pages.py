"""Confirmation and review in the browser: on a phone (WeChat H5 pages, 390×844) the enterprise
reads today's 确认列表 and a record's full content, is refused a work photo without a face, then signs
and confirms the records it chose; a reviewer (周杰, a field person who also holds 运维审核) voids one
record with its reason, confirms a batch in which one record is his own (refused with the reason,
the other goes through) and one more from its own page; the institution portal and the regulator
follow it in 运维记录审核情况 with the trail (who, when, from where) and the acts' signatures and
photos. And the enterprise confirms a
sampling trip after the team's 离场签到."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.confirmation_flows import (NO_FACE, SELF_REVIEW, act, awaiting_today, choose,
                                              confirmation_world, departed_trip, file_record, images_loaded, row,
                                              take_photo)
from tests.browser.field_flows import _call, _ok, arrive, at, phone, sampling_task, sign, wait_for
from tests.browser.flows import login, no_horizontal_overflow
from tests.browser.tasks_flows import follow, retry, today
from tests.images import face_jpeg, no_face_jpeg

pytestmark = pytest.mark.browser


@pytest.fixture
def world(api, regulators, base_url):
    return confirmation_world(api, regulators, base_url)


def test_records_confirmed_by_the_enterprise_reviewed_by_a_second_person_and_traced(world, base_url, new_page, shot):
    w = world
    task_id = w["task"]["id"]
    r1 = file_record(base_url, w["field_token"], task_id, w["ww"], "ww_inspection", w["cod"])
    r2 = file_record(base_url, w["field_token"], task_id, w["fg"], "fg_inspection_extractive", w["so2"])
    r3 = file_record(base_url, w["reviewer_token"], task_id, w["ww"], "ww_inspection", w["cod"], east_m=900)
    r4 = file_record(base_url, w["field_token"], task_id, w["fg"], "fg_inspection_extractive", w["so2"])
    day = awaiting_today(base_url, w["ent_token"], 4)
    assert day == today().isoformat()

    # ---- the enterprise, on its phone: 业务管理 → 排污单位确认 → today → 确认列表 ----
    ent = phone(new_page, at(w["ww"]))
    login(ent, w["ent_user"])
    ent.goto("/wx/")
    tiles = ent.locator("#wx-tiles .wx-tile")
    expect(tiles).to_have_count(2)
    expect(tiles.nth(1)).to_contain_text("采样行程确认")
    follow(ent, tiles.filter(has_text="排污单位确认"))
    entry = ent.locator(f"#days li[data-day='{day}']")
    expect(entry).to_contain_text("今天")
    expect(entry.locator("[data-count=pending] b")).to_have_text("4")
    expect(entry.locator("[data-count=confirmed] b")).to_have_text("0")
    no_horizontal_overflow(ent)
    shot(ent, "confirm_01_phone_days")

    follow(ent, entry.locator("a"))
    rows = ent.locator("#records .cf-row")
    expect(rows).to_have_count(4)
    first = row(ent, r1)
    expect(first.locator("[data-role=number]")).to_have_text(r1["number"])
    expect(first.locator("[data-role=form]")).to_have_text("日常巡检")
    expect(first.locator("[data-role=filer]")).to_have_text("赵强")
    expect(first.locator("[data-role=devices]")).to_have_text("化学需氧量（CODmax plus）")
    where = f"{w['ww']['longitude']:.6f}, {w['ww']['latitude']:.6f}"
    expect(first.locator("[data-role=coordinates]")).to_have_text(where)
    expect(row(ent, r3).locator("[data-role=filer]")).to_have_text("周杰")
    expect(row(ent, r3).locator("[data-role=flags]")).to_contain_text("签到位置超出排口范围")
    expect(ent.locator("input[name=record_ids]:checked")).to_have_count(4)  # the whole day by default
    expect(ent.locator("#selected-count")).to_have_text("4")
    no_horizontal_overflow(ent)
    shot(ent, "confirm_02_phone_day_list")

    # each record's full content, read-only
    follow(ent, first.get_by_role("link", name="查看记录详情 ›"))
    expect(ent.locator("#record-detail #record-number")).to_have_text(r1["number"])
    expect(ent.locator("#record-detail .fr-device")).to_contain_text("HACH-001")
    expect(ent.locator("#record-detail input, #record-detail textarea")).to_have_count(0)
    expect(ent.locator("#trail li")).to_have_count(1)
    images_loaded(ent, "#record-detail img")
    no_horizontal_overflow(ent)
    shot(ent, "confirm_03_phone_record_detail")
    follow(ent, ent.locator(".fr-back"))

    # 确认 without a signature, then with a landscape for a work photo: refused, nothing confirmed
    choose(ent, [r1, r2])
    ent.locator("#act-submit").click()
    expect(ent.locator("[data-for=signature]")).to_have_text("请在签字区域签名")
    sign(ent)
    ent.locator("#act-submit").click()
    expect(ent.locator("[data-for=photo]")).to_have_text("请拍摄本人面部清晰的工作照片")
    take_photo(ent, no_face_jpeg(), "landscape.jpg")
    act(ent)
    expect(ent.locator("[data-for=photo]")).to_have_text(NO_FACE)
    expect(ent.locator("#act-error")).to_contain_text(NO_FACE)
    expect(ent.locator("[data-field=photo]")).to_have_class(re.compile("field-error"))
    expect(ent.locator("#act-result")).to_be_empty()
    expect(row(ent, r1).locator("[data-role=status]")).to_have_text("待确认")
    shot(ent, "confirm_04_phone_no_face")

    # a face: r1 and r2 confirmed, r3 and r4 still to be chosen
    take_photo(ent, face_jpeg(), "IMG_0002.jpg")
    expect(ent.locator("[data-for=photo]")).to_be_hidden()
    expect(ent.locator("#act-error")).to_be_hidden()
    act(ent)
    expect(ent.locator("#act-done")).to_contain_text("已确认 2 条")
    expect(ent.locator("#act-done")).to_contain_text(r1["number"])
    for r in (r1, r2):
        expect(row(ent, r).locator("[data-role=status]")).to_have_text("排污单位已确认")
        expect(row(ent, r).locator("input[name=record_ids]")).to_be_disabled()
    expect(row(ent, r3).locator("[data-role=status]")).to_have_text("待确认")
    expect(ent.locator("#act-refused")).to_have_count(0)
    no_horizontal_overflow(ent)
    shot(ent, "confirm_05_phone_confirmed")

    choose(ent, [r3, r4])
    sign(ent)
    take_photo(ent, face_jpeg(), "IMG_0003.jpg")
    act(ent)
    expect(row(ent, r3).locator("[data-role=status]")).to_have_text("排污单位已确认")
    expect(row(ent, r4).locator("[data-role=status]")).to_have_text("排污单位已确认")
    expect(ent.locator("#act-submit")).to_be_hidden()  # nothing left to confirm
    ent.goto("/wx/confirm")
    expect(entry.locator("[data-count=confirmed] b")).to_have_text("4")
    expect(entry.locator("[data-count=pending] b")).to_have_text("0")

    # ---- the reviewer 周杰 (运维人员 + 运维审核), on his phone ----
    rev = phone(new_page, at(w["fg"]))
    login(rev, w["reviewer_user"])
    rev.goto("/wx/")
    follow(rev, rev.locator("#wx-tiles .wx-tile", has_text="运维审核"))
    expect(rev.locator("#records .cf-row")).to_have_count(4)
    expect(rev.locator("#waiting-count")).to_have_text("4")
    expect(row(rev, r3).locator("[data-role=mine]")).to_have_text("本人填报")
    expect(row(rev, r1).locator("[data-role=mine]")).to_have_count(0)
    expect(rev.locator("input[name=record_ids]:checked")).to_have_count(0)
    no_horizontal_overflow(rev)
    shot(rev, "confirm_06_phone_review_list")

    # 作废 needs a reason; r1 voided with one
    choose(rev, [r1])
    rev.locator("input[name=decision][value=void]").check()
    sign(rev)
    take_photo(rev, face_jpeg(), "IMG_1001.jpg")
    rev.locator("#act-submit").click()
    expect(rev.locator("[data-for=reason]")).to_have_text("作废必须填写原因")
    rev.fill("#act-reason", "签到照片与现场不符，请重新运维")
    shot(rev, "confirm_07_phone_void_form")
    act(rev)
    expect(rev.locator("#act-done")).to_contain_text("已作废 1 条")
    expect(row(rev, r1).locator("[data-role=status]")).to_have_text("作废")

    # 确认 r2 and r3 in one batch: r3 is his own, refused with the reason; r2 goes through
    choose(rev, [r2, r3])
    rev.locator("input[name=decision][value=confirm]").check()
    sign(rev)
    take_photo(rev, face_jpeg(), "IMG_1002.jpg")
    act(rev)
    expect(rev.locator("#act-done")).to_contain_text("已确认 1 条")
    expect(rev.locator("#act-done")).to_contain_text(r2["number"])
    refused = rev.locator("#act-refused li")
    expect(refused).to_have_count(1)
    expect(refused).to_have_attribute("data-record", r3["id"])
    expect(refused).to_contain_text(SELF_REVIEW)
    expect(row(rev, r2).locator("[data-role=status]")).to_have_text("审核确认")
    expect(row(rev, r3).locator("[data-role=status]")).to_have_text("排污单位已确认")
    expect(row(rev, r3).locator("[data-role=refusal]")).to_have_text(f"未通过：{SELF_REVIEW}")
    no_horizontal_overflow(rev)
    shot(rev, "confirm_08_phone_review_batch")

    # r4 from its own page: the full record, then 确认 with signature and photo
    follow(rev, row(rev, r4).get_by_role("link", name="查看记录详情 ›"))
    expect(rev.locator("#record-detail #record-number")).to_have_text(r4["number"])
    rev.locator("input[name=decision][value=confirm]").check()
    sign(rev)
    take_photo(rev, face_jpeg(), "IMG_1003.jpg")
    rev.locator("#act-submit").click()
    arrive(rev, "#act-done-flash")
    expect(rev.locator("#confirmation-state [data-role=status]")).to_have_text("审核确认")
    expect(rev.locator("#act-form")).to_have_count(0)
    expect(rev.locator("#trail li")).to_have_count(3)
    no_horizontal_overflow(rev)
    shot(rev, "confirm_09_phone_review_one")

    rev.goto("/wx/review?status=voided")
    expect(row(rev, r1)).to_contain_text("签到照片与现场不符，请重新运维")

    # ---- the institution portal: 运维记录审核情况 and the trail ----
    inst = new_page()
    login(inst, w["inst_user"])
    follow(inst, inst.locator("header nav").get_by_role("link", name="运维记录审核"))
    table = inst.locator("#records tbody tr[data-record]")
    expect(table).to_have_count(4)
    follow(inst, inst.locator("#status-tabs").get_by_role("link", name="作废", exact=True))
    expect(table).to_have_count(1)
    expect(table.first).to_contain_text("签到照片与现场不符，请重新运维")
    expect(table.first).to_contain_text("周杰")
    follow(inst, inst.locator("#status-tabs").get_by_role("link", name="排污单位已确认", exact=True))
    expect(table).to_have_count(1)
    expect(table.first).to_have_attribute("data-record", r3["id"])
    follow(inst, inst.locator("#status-tabs").get_by_role("link", name="全部", exact=True))
    inst.select_option("#task_id", task_id)
    inst.fill("#day", day)
    follow(inst, inst.locator("#confirmation-filters").get_by_role("button", name="查询"))
    expect(table).to_have_count(4)
    shot(inst, "confirm_10_portal_list")

    follow(inst, inst.locator("#status-tabs").get_by_role("link", name="按日期"))
    day_row = inst.locator(f"#days tr[data-day='{day}']")
    expect(day_row.locator("[data-count=voided]")).to_have_text("1")
    expect(day_row.locator("[data-count=reviewed]")).to_have_text("2")
    expect(day_row.locator("[data-count=enterprise_confirmed]")).to_have_text("1")
    shot(inst, "confirm_11_portal_days")
    follow(inst, day_row.get_by_role("link", name="查看记录"))
    expect(table).to_have_count(4)

    follow(inst, inst.locator(f"tr[data-record='{r1['id']}']").get_by_role("link", name="审核留痕"))
    trail = inst.locator("#trail tbody tr")
    expect(trail).to_have_count(3)
    expect(trail.nth(0).locator("[data-role=change]")).to_have_text("— → 待确认")
    expect(trail.nth(0).locator("[data-role=who]")).to_contain_text("赵强")
    expect(trail.nth(1).locator("[data-role=change]")).to_have_text("待确认 → 排污单位已确认")
    expect(trail.nth(1).locator("[data-role=who]")).to_contain_text("陈丽")
    expect(trail.nth(1).locator("[data-role=where]")).to_contain_text("IP 127.0.0.1")
    expect(trail.nth(1).locator("[data-role=where]")).to_contain_text(f"{w['ww']['longitude']:.6f}")
    expect(trail.nth(2).locator("[data-role=change]")).to_have_text("排污单位已确认 → 作废")
    expect(trail.nth(2).locator("[data-role=who]")).to_contain_text("周杰")
    expect(trail.nth(2).locator("[data-role=reason]")).to_have_text("签到照片与现场不符，请重新运维")
    expect(inst.locator("#acts article")).to_have_count(2)
    images_loaded(inst, "#acts img")
    shot(inst, "confirm_12_portal_trail")
    follow(inst, inst.locator("#field-record-link"))
    expect(inst.locator("#record-detail #record-number")).to_have_text(r1["number"])

    # ---- the district regulator sees the same, on a desktop and on a phone ----
    reg = new_page()
    login(reg, w["regulator"])
    follow(reg, reg.locator("header nav").get_by_role("link", name="运维记录审核"))
    expect(reg.locator(f"#records tr[data-record='{r2['id']}']")).to_contain_text("审核确认")
    reg.goto(f"/portal/confirmation/records/{r3['id']}")
    expect(reg.locator("#trail tbody tr")).to_have_count(2)  # the refused review changed nothing
    reg.set_viewport_size({"width": 390, "height": 844})
    reg.goto(f"/portal/confirmation/records/{r1['id']}")
    images_loaded(reg, "#acts img")
    no_horizontal_overflow(reg)
    shot(reg, "confirm_13_regulator_trail_phone")


def test_the_enterprise_confirms_a_sampling_trip_after_the_team_departs(world, api, base_url, new_page, shot):
    w = world
    task = sampling_task(api, base_url, w)
    trip = departed_trip(base_url, w, task)
    assert trip["status"] == "awaiting_confirmation", trip

    def awaiting():
        listed = _ok(_call(base_url, "GET", "/confirmation/trips?status=awaiting_confirmation", w["ent_token"]))
        assert [t["id"] for t in listed["items"]] == [trip["id"]], listed
    retry(awaiting, what="the confirmation service to keep the trip")

    ent = phone(new_page, at(w["ww"]))
    login(ent, w["ent_user"])
    ent.goto("/wx/")
    follow(ent, ent.locator("#wx-tiles .wx-tile", has_text="采样行程确认"))
    expect(ent.locator("#trips-awaiting")).to_have_text("1")
    item = ent.locator(f"#awaiting-trips li[data-trip='{trip['id']}']")
    expect(item).to_contain_text("待排污单位确认")
    expect(item).to_contain_text("赵强")
    shot(ent, "confirm_20_phone_trips")
    follow(ent, item.locator("a"))
    expect(ent.locator("#trip-number")).to_have_text(trip["number"])
    expect(ent.locator("#samples")).to_contain_text("DW001-01 · 化学需氧量")
    expect(ent.locator("#samples")).to_contain_text("废水总排口DW001")
    expect(ent.locator("#conditions")).to_contain_text("正常生产")
    expect(ent.locator("#trip-photos figure")).to_have_count(1)
    images_loaded(ent, "#trip-photos img, #leader-signature")

    sign(ent)
    ent.fill("#act-note", "采样过程属实")
    take_photo(ent, no_face_jpeg(), "landscape.jpg")
    act(ent)
    expect(ent.locator("[data-for=photo]")).to_have_text(NO_FACE)
    take_photo(ent, face_jpeg(), "IMG_2001.jpg")
    no_horizontal_overflow(ent)
    shot(ent, "confirm_21_phone_trip_form")
    ent.locator("#act-submit").click()
    arrive(ent, "#act-done-flash")
    expect(ent.locator("#trip-status")).to_have_text("排污单位已确认")
    expect(ent.locator("#trip-confirmed")).to_contain_text("陈丽")
    expect(ent.locator("#trip-confirmed")).to_contain_text("采样过程属实")
    expect(ent.locator("#act-form")).to_have_count(0)
    expect(ent.locator("#trail li")).to_have_count(2)
    shot(ent, "confirm_22_phone_trip_confirmed")
    field_trip = f"/sampling-trips/{trip['id']}"
    wait_for(ent, lambda: _ok(_call(base_url, "GET", field_trip, w["token"]))["status"] == "confirmed",
             timeout=30, what="fieldrecords to hear of the confirmation")
