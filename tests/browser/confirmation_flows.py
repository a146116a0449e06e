"""Set-up and small steps for the confirmation pages' browser tests (排污单位确认, 采样行程确认, 机构审核
on the phone; 运维记录审核情况 in the portal).

The world is made through the JSON API, like field_flows.field_world, with a second 运维人员: 周杰
files records under the same task and also holds the 运维审核 role, so the reviewer of a batch can
be the filer of one of its records. Records are filed through the API as the phone files them
(开始签到 → 工作照片 → 结束签到并上传); the browser system runs on the real clock, so they belong
to today's confirmation list.
"""
import base64
import io
import random
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import requests
from PIL import Image
from playwright.sync_api import expect

from services.fieldrecords.tests.form_samples import sample_content
from tests import builders
from tests.browser.field_flows import _call, _ok, base_world, wait_for
from tests.browser.flows import PASSWORD, unique
from tests.browser.tasks_flows import _post, day, retry
from tests.images import face_jpeg, signature_png
from tests.waiting import HTTP_PATIENCE

NO_FACE = "照片中未检测到清晰人脸，请重新拍摄工作照片"
SELF_REVIEW = "填报人不能审核自己填报的运维记录（填报和审核不能为同一人）"


def confirmation_world(api, regulators, base_url):
    """A published 检测运维机构 with 运维人员 赵强 and 周杰 (plus the technical and quality leads), an
    enterprise in 浦东新区 with a wastewater outlet (COD analyser) and a flue-gas outlet 80 m away
    (SO2 CEMS), an O&M task in progress naming both, and the accounts: 赵强 (运维人员), 周杰
    (运维人员 and 运维审核), the institution's main account, the enterprise's account and the
    district regulator. Keys match field_flows' world (token, ent_id, ww, staff, equipment,
    field_token), so its sampling_task() works on it too."""
    base = base_world(api, regulators, people=[("赵强", "om_staff"), ("周杰", "om_staff"), ("钱伟", "technical_lead"),
                                                ("孙丽", "quality_lead")], prefix="cf_", ent_contact="陈丽")
    token, reg_token, ent_id, staff = base["token"], base["reg_token"], base["ent_id"], base["staff"]
    ww, fg, cod, so2 = base["ww"], base["fg"], base["cod"], base["so2"]
    contract = retry(lambda: _ok(_post(base_url, "/contracts", token, {
        "title": "自动监控设施运维服务合同", "nature": "om", "enterprise_id": ent_id, "amount": "120000.00",
        "start": day(-30), "end": day(330)}), 201))
    retry(lambda: _ok(_post(base_url, f"/contracts/{contract['id']}/submit", token, {})))
    task = retry(lambda: _ok(_post(base_url, "/tasks", token, {
        "name": "东方化工自动监控设施运维", "enterprise_id": ent_id, "contract_id": contract["id"],
        "start": day(-7), "end": day(330), "outlet_ids": [ww["id"], fg["id"]],
        "staff_ids": [staff["赵强"], staff["周杰"]], "device_ids": [cod["id"], so2["id"]],
        "plan": [{"outlet_id": ww["id"], "form_kind": "ww_inspection", "frequency": {"kind": "weekly"}},
                 {"outlet_id": fg["id"], "form_kind": "fg_inspection_extractive", "frequency": {"kind": "weekly"}}]}),
        201))
    _ok(_post(base_url, f"/tasks/{task['id']}/transitions", token, {"action": "apply"}))
    _ok(_post(base_url, f"/tasks/{task['id']}/transitions", reg_token, {"action": "approve"}))

    w = {**base, "task": task}
    for key, name, roles in (("field", "赵强", ["field_staff"]), ("reviewer", "周杰", ["field_staff", "reviewer"])):
        username = unique("zq_" if key == "field" else "zj_")
        api.call("POST", "/sub-accounts", token, {**builders.account(username, PASSWORD, name=name),
                                                  "roles": roles, "staff_id": staff[name]})
        w[f"{key}_user"], w[f"{key}_token"] = username, api.login(username, PASSWORD)

    def listed(field_token):
        tasks = _ok(_call(base_url, "GET", "/field/my-tasks", field_token))
        mine = [t for t in tasks if t["id"] == task["id"]]
        assert mine and all(o["devices"] for o in mine[0]["outlets"]) and len(mine[0]["outlets"]) == 2, tasks
    for key in ("field_token", "reviewer_token"):
        retry(lambda: listed(w[key]), what="the fieldrecords service to learn the task")
    return w


# ----- filing through the API, as the phone does -----

def fresh_face():
    """A work photo with a clear face that looks like no other photo in the system: the fixture's
    face, resized, on its own background at its own place. fieldrecords flags look-alike photos
    across the whole system, so reusing face_jpeg() here would flag other tests' records."""
    rnd = random.Random(uuid.uuid4().int)
    side = rnd.randint(420, 560)
    face = Image.open(io.BytesIO(face_jpeg())).convert("RGB").resize((side, side))
    corners = Image.new("RGB", (4, 3))
    corners.putdata([tuple(rnd.randrange(40, 230) for _ in range(3)) for _ in range(12)])
    canvas = corners.resize((1024, 768), Image.Resampling.BICUBIC)
    canvas.paste(face, (rnd.randint(0, 1024 - side), rnd.randint(0, 768 - side)))
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=88)
    return out.getvalue()


def offset(outlet, east_m=0.0):
    """A WGS-84 position east_m metres east of the outlet."""
    return {"longitude": outlet["longitude"] + east_m / 95_000.0, "latitude": outlet["latitude"],
            "accuracy": 10, "crs": "WGS-84"}


def file_record(base_url, token, task_id, outlet, kind, device, east_m=0.0):
    """开始签到 → 工作照片 → 结束签到并上传; the submitted record."""
    where = offset(outlet, east_m)
    draft = _ok(_call(base_url, "POST", "/field-records", token, {
        "submission_id": f"start-{uuid.uuid4().hex[:12]}", "task_id": task_id, "outlet_id": outlet["id"],
        "form_kind": kind, "check_in": where}), 201)
    upload = requests.post(f"{base_url}/api/v1/field-records/{draft['id']}/photos", timeout=HTTP_PATIENCE,
                           headers={"Authorization": f"Bearer {token}"},
                           data={"upload_id": f"photo-{uuid.uuid4().hex[:12]}", "kind": "work"},
                           files={"file": ("work.jpg", fresh_face(), "image/jpeg")})
    _ok(upload, 201)
    return _ok(_call(base_url, "POST", f"/field-records/{draft['id']}/submit", token, {
        "submission_id": f"submit-{uuid.uuid4().hex[:12]}", "check_out": where,
        "content": sample_content(kind, [device]),
        "signature": {"name": "signature.png", "content_base64": base64.b64encode(signature_png()).decode()}}))


def departed_trip(base_url, w, task):
    """进场签到 → 工作照片 → 样品 → 采样工况 → 离场签到 by 赵强 at the wastewater outlet; the trip,
    awaiting the enterprise."""
    token, where = w["field_token"], offset(w["ww"])
    trip = _ok(_call(base_url, "POST", "/sampling-trips", token, {
        "submission_id": f"trip-{uuid.uuid4().hex[:10]}", "sampling_task_id": task["id"], "check_in": where}), 201)
    _ok(requests.post(f"{base_url}/api/v1/sampling-trips/{trip['id']}/photos", timeout=HTTP_PATIENCE,
                      headers={"Authorization": f"Bearer {token}"},
                      data={"upload_id": f"tp-{uuid.uuid4().hex[:10]}", "kind": "work"},
                      files={"file": ("work.jpg", fresh_face(), "image/jpeg")}), 201)
    _ok(_call(base_url, "POST", f"/sampling-trips/{trip['id']}/samples", token, {
        "sample_id": f"s-{uuid.uuid4().hex[:10]}", "point_index": 0, "item": "化学需氧量",
        "sample_code": "DW001-01", "container": "500 mL 硬质玻璃瓶", "preservation": "加硫酸至pH≤2，0～4℃冷藏",
        "taken_at": datetime.now(ZoneInfo("Asia/Shanghai")).isoformat()}))
    _ok(_call(base_url, "PUT", f"/sampling-trips/{trip['id']}/conditions", token, {
        "production_status": "normal", "load_pct": 85, "treatment_status": "normal", "note": "污水处理站正常运行"}))
    return _ok(_call(base_url, "POST", f"/sampling-trips/{trip['id']}/depart", token, {
        "submission_id": f"dep-{uuid.uuid4().hex[:10]}", "check_out": where,
        "signature": {"name": "signature.png", "content_base64": base64.b64encode(signature_png()).decode()}}))


def awaiting_today(base_url, ent_token, n):
    """Wait until the confirmation service has today's n records awaiting the enterprise."""
    def check():
        days = _ok(_call(base_url, "GET", "/confirmation/days", ent_token))
        today = [d for d in days["days"] if d["is_today"]]
        assert today and today[0]["counts"]["pending"] == n, days
        return today[0]["day"]
    return retry(check, what="the confirmation service to roll up today's records")


# ----- steps on the phone -----

def row(page, record):
    return page.locator(f"[data-row='{record['id']}']")


def choose(page, records):
    """Tick exactly these records in the list."""
    ids = {r["id"] for r in records}
    for box in page.locator("input[name=record_ids]:enabled").all():
        box.set_checked(box.get_attribute("value") in ids)
    expect(page.locator("#selected-count")).to_have_text(str(len(ids)))


def take_photo(page, data, name="IMG_0001.jpg"):
    """What the front camera hands over to the act's photo input."""
    page.set_input_files("#act-photo", files=[{"name": name, "mimeType": "image/jpeg", "buffer": data}])
    expect(page.locator("#act-photo-preview")).to_be_visible()


def act(page):
    """Press the act's button and wait until the server has answered (the button is back)."""
    page.locator("#act-submit").click()
    wait_for(page, lambda: page.locator("#act-submit").is_enabled() and
             page.locator("#act-submit").inner_text() != "正在提交…", what="the answer to the act")


def images_loaded(page, selector):
    """Every image matched has loaded (scrolled to first: photos load lazily)."""
    for image in page.locator(selector).all():
        image.scroll_into_view_if_needed()
    wait_for(page, lambda: page.evaluate(
        f"Array.from(document.querySelectorAll({selector!r})).every(i => i.complete && i.naturalWidth > 0)"),
        what=f"{selector} to load")
