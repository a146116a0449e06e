"""Set-up and small steps for the field work pages' browser tests (WeChat H5 pages of field staff,
the portal's record views).

The world is made through the JSON API, as the task tests make theirs: a published 检测运维机构 with
运维人员 赵强, an enterprise with a wastewater outlet (COD analyser) and a flue-gas outlet (SO2 CEMS),
an O&M contract and a task in progress today (approved by the regulator), 赵强's field-staff
sub-account, and a self-monitoring sampling task at 现场采样 today. The fieldrecords service learns
tasks from events: the set-up waits until it lists them for 赵强.
"""
import time

import requests
from playwright.sync_api import Error as PlaywrightError, expect

from tests import builders
from tests.browser.flows import PASSWORD, unique
from tests.browser.tasks_flows import PEOPLE, _post, day, make_world, monitoring_contract, navigate, retry, today
from tests.waiting import HTTP_PATIENCE, PATIENCE

PHONE = {"width": 390, "height": 844, "is_mobile": True, "has_touch": True}


def at(outlet, accuracy=12):
    """Playwright's geolocation for a phone standing at the outlet (WGS-84, as browsers give)."""
    return {"longitude": outlet["longitude"], "latitude": outlet["latitude"], "accuracy": accuracy}


def phone(new_page, where):
    """A phone-sized page whose browser may read its position, and reads `where`."""
    return new_page(**PHONE, permissions=["geolocation"], geolocation=where)


def _call(base_url, method, path, token, body=None):
    headers = {"Authorization": f"Bearer {token}"}
    return requests.request(method, f"{base_url}/api/v1{path}", json=body, headers=headers, timeout=HTTP_PATIENCE)


def _ok(response, *codes):
    assert response.status_code in (codes or (200, 201)), (response.status_code, response.text)
    return response.json()


def base_world(api, regulators, people=PEOPLE, prefix="fr_", ent_contact="张明"):
    """make_world's institution and enterprise (tasks_flows), with this page's prefix."""
    return make_world(api, None, regulators, people=people, prefix=prefix, ent_contact=ent_contact)


def field_world(api, admin_token, regulators, base_url):
    w = base_world(api, regulators)
    contract = retry(lambda: _ok(_post(base_url, "/contracts", w["token"], {
        "title": "自动监控设施运维服务合同", "nature": "om", "enterprise_id": w["ent_id"], "amount": "120000.00",
        "start": day(-30), "end": day(330)}), 201))
    retry(lambda: _ok(_post(base_url, f"/contracts/{contract['id']}/submit", w["token"], {})))
    ww, fg = w["ww"]["id"], w["fg"]["id"]
    task = retry(lambda: _ok(_post(base_url, "/tasks", w["token"], {
        "name": "东方化工自动监控设施运维", "enterprise_id": w["ent_id"], "contract_id": contract["id"],
        "start": day(-7), "end": day(330), "outlet_ids": [ww, fg], "staff_ids": [w["staff"]["赵强"]],
        "device_ids": [w["cod"]["id"], w["so2"]["id"]],
        "plan": [{"outlet_id": ww, "form_kind": "ww_inspection", "frequency": {"kind": "weekly"}},
                 {"outlet_id": fg, "form_kind": "fg_inspection_extractive", "frequency": {"kind": "weekly"}},
                 {"outlet_id": fg, "form_kind": "fg_calibration", "frequency": {"kind": "every_n_days", "n": 7}}]}),
        201))
    _ok(_post(base_url, f"/tasks/{task['id']}/transitions", w["token"], {"action": "apply"}))
    _ok(_post(base_url, f"/tasks/{task['id']}/transitions", w["reg_token"], {"action": "approve"}))
    w["task"] = task
    w["field_user"] = unique("zhaoq_")
    api.call("POST", "/sub-accounts", w["token"], {**builders.account(w["field_user"], PASSWORD, name="赵强"),
                                                   "roles": ["field_staff"], "staff_id": w["staff"]["赵强"]})
    w["field_token"] = api.login(w["field_user"], PASSWORD)

    def listed():
        tasks = _ok(_call(base_url, "GET", "/field/my-tasks", w["field_token"]))
        mine = [t for t in tasks if t["id"] == task["id"]]
        assert mine and all(o["devices"] for o in mine[0]["outlets"]) and len(mine[0]["outlets"]) == 2, tasks
        return mine[0]
    retry(listed, what="the fieldrecords service to learn the task")
    return w


def sampling_task(api, base_url, w):
    """A self-monitoring sampling task at 现场采样 today, 赵强 sampling at the wastewater outlet."""
    contract = monitoring_contract(base_url, w)
    token = w["token"]
    task = retry(lambda: _ok(_post(base_url, "/sampling-tasks", token, {
        "title": "2026年度自行监测采样", "enterprise_id": w["ent_id"], "contract_id": contract["id"],
        "description": "废水总排口季度监测"}), 201))
    task = _ok(_post(base_url, f"/sampling-tasks/{task['id']}/advance", token, {}))
    _ok(_call(base_url, "PUT", f"/sampling-tasks/{task['id']}/scheme", token, {"points": [
        {"outlet_id": w["ww"]["id"], "items": [
            {"factor": "化学需氧量", "method": "HJ 828-2017 重铬酸盐法", "frequency": "1次/天"},
            {"factor": "氨氮", "method": "HJ 535-2009 纳氏试剂分光光度法", "frequency": "1次/天"}]}]}))
    _ok(_post(base_url, f"/sampling-tasks/{task['id']}/advance", token, {}))
    _ok(_call(base_url, "PUT", f"/sampling-tasks/{task['id']}/plan", token, {
        "dates": [today().isoformat()], "staff_ids": [w["staff"]["赵强"]], "equipment_ids": [w["equipment"]]}))
    task = _ok(_post(base_url, f"/sampling-tasks/{task['id']}/advance", token, {}))
    assert task["stage"] == "sampling", task

    def listed():
        tasks = _ok(_call(base_url, "GET", "/field/my-sampling-tasks", w["field_token"]))
        assert any(t["id"] == task["id"] and t["points_detail"] for t in tasks), tasks
    retry(listed, what="the fieldrecords service to learn the sampling task")
    return task


# ----- steps on the phone -----

def wait_for(page, check, timeout=PATIENCE, what="the page"):
    """Poll the browser until check() holds (not Playwright's event waits: under eventlet they hang).
    check() returning a falsy value or raising means "not yet"."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except (AssertionError, PlaywrightError):
            pass
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        page.wait_for_timeout(100)


def arrive(page, selector, timeout=PATIENCE):
    """After a script navigates (location.href), wait until the next page, with `selector`, has
    loaded (polled: Playwright's load-state wait can hang under eventlet)."""
    wait_for(page, lambda: page.locator(selector).count() > 0 and page.evaluate("document.readyState") == "complete",
             timeout, f"{selector} to appear")


def sign(page, box="#signature"):
    """Write a short signature on the pad with mouse moves, then 确定."""
    canvas = page.locator(f"{box} canvas")
    # centred, not just "into view": at the viewport's bottom edge the fixed 保存/上传 bar covers it
    canvas.evaluate("c => c.scrollIntoView({block: 'center'})")
    b = canvas.bounding_box()
    x, y = b["x"] + 30, b["y"] + b["height"] * 0.6
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 16):
        page.mouse.move(x + i * 12, y - 30 * ((i % 4) in (1, 2)) + 8 * (i % 3), steps=2)
    page.mouse.up()
    page.mouse.move(x + 60, y - 40)
    page.mouse.down()
    page.mouse.move(x + 90, y + 20, steps=5)
    page.mouse.move(x + 140, y - 10, steps=5)
    page.mouse.up()
    page.locator(box).get_by_role("button", name="确定", exact=True).click()
    expect(page.locator(f"{box} [data-sig=status]")).to_have_text("签名已确定")


def attach_photo(page, kind, data, name="photo.jpg"):
    """Pick a picture for one photo input (as the camera would hand it over); the page uploads it."""
    page.set_input_files(f"#photo-{kind}", files=[{"name": name, "mimeType": "image/jpeg", "buffer": data}])


def photo_uploaded(page, kind, count=1, scope="#photos"):
    expect(page.locator(f"{scope} figure[data-kind={kind}]")).to_have_count(count, timeout=30000)


def item(page, label):
    """The inspection item row whose text is `label`."""
    return page.locator(".fr-item-row", has=page.locator(".fr-item-text", has_text=label))


def reloads(page, click, said, timeout=20):
    """Click something whose script reloads the page when the write succeeded; if it does not,
    fail with what the page said instead (`said`: selectors of its messages)."""
    try:
        navigate(page, click, timeout)
    except AssertionError:
        texts = [t for sel in said for t in page.locator(sel).all_inner_texts() if t.strip()]
        raise AssertionError(f"the page did not reload; it says: {texts}") from None
