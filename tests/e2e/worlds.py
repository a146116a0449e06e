"""Worlds built through HTTP for the end-to-end tests: filed institutions, enterprises with outlets
and devices, contracts, running O&M tasks, field-staff accounts, and a field-staff session obtained
the way a WeChat user gets one (simulated OAuth, then binding).

Every step goes through the gateway as its users would; services that keep copies of another's
facts (tasks, fieldrecords) are waited for by polling, never by sleeping.
"""
import base64
import io
import math
import re
from urllib.parse import urlsplit

from fieldrecords.domain.geo import wgs84_to_gcj02
from tests import builders as b
from tests.system_fixtures import Api
from tests.waiting import eventually

ADMIN_PASSWORD = "Admin#Test2026"
PASSWORD = "Field#Pass2026"


def succeeds(call, timeout=10):
    """A call that succeeds once the called service's copy of the registry has caught up."""
    def check():
        status, body = call()
        assert status < 400, body
        return status, body
    return eventually(check, timeout)


# ----- registry: regulators, institutions, enterprises -----

def regulator(login, username="pd_reg", district="浦东新区"):
    login("admin", ADMIN_PASSWORD).post("/regulators", {**b.account(username), "district": district})
    return login(username, PASSWORD)


def filed_institution(anonymous, login, reg, username, staff, institution=None, equipment=()):
    """A registered institution taken through both reviews and published (self-operating
    enterprises are filed at once on submission). Returns (its admin Api, institution dict,
    staff ids in the order given). `staff` is [(name, technical_role)]."""
    institution = institution or b.institution()
    status, out = anonymous.post("/institutions", {"institution": institution, "account": b.account(username)})
    assert status == 201, out
    inst_id = out["institution"]["id"]
    admin = login(username, PASSWORD)
    status, body = admin.post(f"/institutions/{inst_id}/transitions", {"action": "submit"})
    assert status == 200, body
    if body["status"] != "first_approved":
        status, body = reg.post(f"/institutions/{inst_id}/transitions", {"action": "approve_first"})
        assert status == 200, body
    staff_ids = []
    for n, (name, role) in enumerate(staff):
        status, body = admin.post(f"/institutions/{inst_id}/staff", b.staff(name, role, n=_staff_seq(username, n)))
        assert status in (200, 201), body
        staff_ids.append(body["staff"][-1]["id"])
    for item in equipment:
        status, body = admin.post(f"/institutions/{inst_id}/equipment", item)
        assert status in (200, 201), body
    status, body = admin.post(f"/institutions/{inst_id}/transitions", {"action": "submit_second"})
    assert status == 200, body
    for action in ("approve_second", "publish"):
        status, body = reg.post(f"/institutions/{inst_id}/transitions", {"action": action})
        assert status == 200, body
    status, inst = admin.get(f"/institutions/{inst_id}")
    assert status == 200 and inst["status"] == "published", inst
    return admin, inst, staff_ids


def _staff_seq(username, n):
    # Resident ID numbers must differ between people of different institutions.
    return (sum(map(ord, username)) % 90) * 10 + n + 1


def water_sampler():
    return {"kind": "water_sampler", "name": "水质自动采样器", "model": "AWS-2000", "brand": "聚光",
            "manufacturer": "杭州聚光科技有限公司", "construction_status": "已建成",
            "mixed_sample_ready": True, "refrigerated": True, "serial_number": "JG-S-0031"}


def enterprise_with_outlets(anonymous, login, username, outlets, enterprise=None):
    """An enterprise and its outlets with devices. `outlets` is {key: (outlet body, {device key:
    device body})}; returns (its Api, enterprise id, {key: outlet}, {device key: device})."""
    status, out = anonymous.post("/enterprises", {"enterprise": enterprise or b.enterprise(),
                                                  "account": b.account(username)})
    assert status == 201, out
    ent_id = out["enterprise"]["id"]
    api = login(username, PASSWORD)
    placed, devices = {}, {}
    for key, (outlet, outlet_devices) in outlets.items():
        status, placed[key] = api.post(f"/enterprises/{ent_id}/outlets", outlet)
        assert status == 201, placed[key]
        for dkey, device in outlet_devices.items():
            status, devices[dkey] = api.post(f"/outlets/{placed[key]['id']}/devices",
                                             {"device": device, "changed_on": "2026-11-20"})
            assert status == 201, devices[dkey]
    return api, ent_id, placed, devices


# ----- the O&M world of the tasks journey -----

def om_world(anonymous, login):
    """A published O&M institution with a certified engineer, a 浦东 regulator, and an enterprise
    with a wastewater outlet (COD analyzer) and a flue-gas outlet (SO2 CEMS)."""
    reg = regulator(login)
    inst, inst_doc, staff_ids = filed_institution(
        anonymous, login, reg, "om_admin", [("赵强", "om_staff"), ("钱伟", "technical_lead"), ("孙丽", "quality_lead")])
    enterprise, ent_id, outlets, devices = enterprise_with_outlets(anonymous, login, "ent_user", {
        "ww": (b.outlet("wastewater"), {"cod": b.water_analyzer()}),
        "fg": (b.outlet("flue_gas", "1#锅炉废气排口DA001"), {"so2": b.cems()})})
    return dict(inst=inst, inst_id=inst_doc["id"], regulator=reg, enterprise=enterprise, ent_id=ent_id,
                ww=outlets["ww"], fg=outlets["fg"], cod=devices["cod"], so2=devices["so2"],
                om_staff=staff_ids[0], lead=staff_ids[1])


def contract_body(ent_id, **kw):
    return {"title": "2027年度自动监控设施运维服务合同", "nature": "om", "enterprise_id": ent_id,
            "amount": "180000.00", "start": "2026-12-01", "end": "2027-11-30", **kw}


def submitted_contract(w, **kw):
    status, contract = succeeds(lambda: w["inst"].post("/contracts", contract_body(w["ent_id"], **kw)))
    assert status == 201, contract
    status, contract = succeeds(lambda: w["inst"].post(f"/contracts/{contract['id']}/submit"))
    assert status == 200 and contract["status"] == "submitted", contract
    return contract


def task_body(w, contract_id, **kw):
    return {"name": "东方化工2027年度运维", "enterprise_id": w["ent_id"], "contract_id": contract_id,
            "start": "2026-12-01", "end": "2027-11-30", "outlet_ids": [w["ww"]["id"], w["fg"]["id"]],
            "staff_ids": [w["om_staff"]], "device_ids": [w["cod"]["id"], w["so2"]["id"]],
            "plan": [
                {"outlet_id": w["ww"]["id"], "form_kind": "ww_inspection", "frequency": {"kind": "weekly"}},
                {"outlet_id": w["ww"]["id"], "form_kind": "ww_comparison", "frequency": {"kind": "monthly"}},
                {"outlet_id": w["fg"]["id"], "form_kind": "fg_inspection_extractive",
                 "frequency": {"kind": "every_n_days", "n": 5}},
                {"outlet_id": w["fg"]["id"], "form_kind": "fg_periodic_check", "frequency": {"kind": "every_3_months"}},
                {"outlet_id": w["fg"]["id"], "form_kind": "fg_fault_repair", "frequency": {"kind": "on_demand"}},
            ], **kw}


def running_task(inst, reg, body):
    """An O&M task applied for and approved: in progress."""
    status, task = succeeds(lambda: inst.post("/tasks", body))
    assert status == 201, task
    status, task = inst.post(f"/tasks/{task['id']}/transitions", {"action": "apply"})
    assert status == 200 and task["status"] == "applied", task
    status, task = reg.post(f"/tasks/{task['id']}/transitions", {"action": "approve"})
    assert status == 200 and task["status"] == "in_progress", task
    return task


# ----- field staff -----

def field_account(inst, username, staff_id, name):
    """A 运维人员 sub-account linked to a filed om_staff person."""
    status, body = inst.post("/sub-accounts", {**b.account(username, name=name), "roles": ["field_staff"],
                                               "staff_id": staff_id})
    assert status == 201, body
    return body


class PhoneApi(Api):
    """The API as the WeChat H5 pages call it: the session cookie the WeChat sign-in set, and the
    CSRF token the pages carry."""

    def __init__(self, client, csrf):
        super().__init__(client)
        self.csrf = csrf

    def _headers(self):
        return {"X-CSRF-Token": self.csrf}


def wechat_field_api(app, username, openid, password=PASSWORD):
    """A session obtained as a WeChat user gets one, in a phone of its own (a fresh test client):
    a /wx/ page → OAuth (the simulator stands in for WeChat's consent screen) → not yet bound →
    账户绑定 with the EMSS password (the steps of test_wechat_binding.py)."""
    from tests.e2e.test_wechat_binding import authorize, bind
    phone = app.test_client()
    callback = authorize(phone, "/wx/", openid=openid, nickname=username)
    assert urlsplit(callback.headers["Location"]).path == "/wx/me", callback.headers
    done = bind(phone, username, password)
    assert done.status_code == 302 and urlsplit(done.headers["Location"]).path == "/wx/", done.status_code
    assert phone.get_cookie("emss_session") is not None
    page = phone.get("/wx/me")
    assert page.status_code == 200
    csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.get_data(as_text=True)).group(1)
    return PhoneApi(phone, csrf)


def at_outlet(outlet, east_m=0.0, north_m=0.0, accuracy=15.0):
    """What a phone at (or near) the outlet reports through WeChat: GCJ-02 coordinates."""
    lng, lat = offset(outlet["longitude"], outlet["latitude"], east_m, north_m)
    g_lng, g_lat = wgs84_to_gcj02(lng, lat)
    return {"longitude": g_lng, "latitude": g_lat, "accuracy": accuracy, "crs": "GCJ-02"}


def offset(lng, lat, east_m, north_m):
    """A WGS-84 point east_m east and north_m north of (lng, lat)."""
    dlat = north_m / 111_320.0
    dlng = east_m / (111_320.0 * math.cos(math.radians(lat)))
    return lng + dlng, lat + dlat


# ----- the field world: everything a field-record form may name -----

def outlet_at(kind, name, code, lng, lat):
    return {**b.outlet(kind, name), "permit_point_code": code, "longitude": lng, "latitude": lat}


def field_world(anonymous, login):
    """An O&M task in progress today (2026-11-23) at an enterprise's wastewater outlet (COD and
    NH3-N analyzers, automatic sampler) and flue-gas outlet (SO2, NOx, PM, O2, flow and NMHC
    CEMS), naming 赵强 as its field staff. Around it: 周杰, a colleague not on the task; a TP
    analyzer at the wastewater outlet the task does not name; a second wastewater outlet (with its
    own COD analyzer) outside the task; a 黄浦 regulator. Field accounts are 运维人员 sub-accounts;
    the task is waited for until the fieldrecords service has it."""
    reg = regulator(login)
    inst, inst_doc, staff = filed_institution(
        anonymous, login, reg, "om_admin",
        [("赵强", "om_staff"), ("周杰", "om_staff"), ("钱伟", "technical_lead"), ("孙丽", "quality_lead")],
        equipment=[b.equipment(valid_until="2026-11-24")])     # calibrated until tomorrow
    ww = outlet_at("wastewater", "废水总排口DW001", "DW001", 121.5453, 31.2212)
    fg = outlet_at("flue_gas", "1#锅炉废气排口DA001", "DA001", 121.5461, 31.2219)
    ww2 = outlet_at("wastewater", "雨水排口DW002", "DW002", 121.5489, 31.2195)
    enterprise, ent_id, outlets, devices = enterprise_with_outlets(anonymous, login, "ent_user", {
        "ww": (ww, {"cod": b.water_analyzer("w01018"),
                    "nh3": {**b.water_analyzer("w21003"), "model": "Amtax sc", "method_principle": "气敏电极法",
                            "serial_number": "HACH-002", "range_upper": 50},
                    "sampler": water_sampler(),
                    "tp": {**b.water_analyzer("w21011"), "model": "Phosphax sc", "method_principle": "钼酸铵分光光度法",
                           "serial_number": "HACH-003", "range_upper": 10}}),
        "fg": (fg, {"so2": b.cems("a21026"),
                    "nox": {**b.cems("a21002"), "serial_number": "FJ-2023-78"},
                    "pm": {**b.cems("a34013"), "model": "LaserDust MP", "brand": "西克", "serial_number": "SK-PM-11",
                           "method_principle": "激光后散射法", "range_upper": 100},
                    "o2": {**b.cems("a19001"), "model": "ZKM", "method_principle": "氧化锆法", "unit": "%",
                           "serial_number": "FJ-O2-03", "range_upper": 25},
                    "flow": {**b.cems("a00000"), "model": "FLOWSIC100", "brand": "西克", "unit": "m3/h",
                             "method_principle": "超声波法", "serial_number": "SK-FL-07", "range_upper": 300000},
                    "nmhc": {**b.cems("a24088"), "model": "TH-890", "brand": "天虹", "method_principle": "FID",
                             "serial_number": "TH-NM-02", "range_upper": 100}}),
        "ww2": (ww2, {"cod2": {**b.water_analyzer("w01018"), "serial_number": "HACH-004",
                               "install_point_name": "雨水排口", "install_point_code": "DW002"}}),
    })
    w = dict(inst=inst, inst_id=inst_doc["id"], regulator=reg, enterprise=enterprise, ent_id=ent_id,
             zhao_staff=staff[0], zhou_staff=staff[1], **outlets, devices=devices,
             analyser=inst_doc["equipment"][0])
    contract = submitted_contract(w, start="2026-11-01", end="2027-10-31", title="2026-2027年度自动监控设施运维服务合同")
    task_devices = [d["id"] for k, d in devices.items() if k not in ("tp", "cod2")]
    w["task"] = running_task(inst, reg, {
        "name": "东方化工自动监控设施运维", "enterprise_id": ent_id, "contract_id": contract["id"],
        "start": "2026-11-01", "end": "2027-10-31", "outlet_ids": [outlets["ww"]["id"], outlets["fg"]["id"]],
        "staff_ids": [staff[0]], "device_ids": task_devices,
        "plan": [{"outlet_id": outlets["ww"]["id"], "form_kind": "ww_inspection", "frequency": {"kind": "weekly"}},
                 {"outlet_id": outlets["fg"]["id"], "form_kind": "fg_inspection_extractive",
                  "frequency": {"kind": "weekly"}}]})
    field_account(inst, "zhaoqiang", staff[0], "赵强")
    field_account(inst, "zhoujie", staff[1], "周杰")
    w["hp_regulator"] = regulator(login, "hp_reg", "黄浦区")
    return w


def wait_for_field_task(field, task_id, devices=1):
    """The fieldrecords service has the task (and the devices it names) in its copies."""
    def check():
        status, tasks = field.get("/field/my-tasks")
        assert status == 200, tasks
        mine = [t for t in tasks if t["id"] == task_id]
        assert mine and sum(len(o["devices"]) for o in mine[0]["outlets"]) >= devices, tasks
        return mine[0]
    return eventually(check)


# ----- the sampling world: a self-monitoring (自行监测) sampling task -----

def lab_institution(anonymous, login, reg, username="lab_admin", name="上海谱测检测技术有限公司"):
    """A published testing institution: 吴刚 and 郑敏 sample, with a portable flue-gas analyser."""
    body = {**b.institution(name, type_="testing"), "capabilities": ["sampling", "laboratory"]}
    return filed_institution(anonymous, login, reg, username,
                             [("吴刚", "om_staff"), ("郑敏", "om_staff"), ("钱伟", "technical_lead"),
                              ("孙丽", "quality_lead")], institution=body, equipment=[b.equipment()])


SCHEME_ITEMS = {"wastewater": [{"factor": "化学需氧量", "method": "HJ 828-2017 重铬酸盐法", "frequency": "1次/天"},
                               {"factor": "氨氮", "method": "HJ 535-2009 纳氏试剂分光光度法", "frequency": "1次/天"}],
                "flue_gas": [{"factor": "颗粒物", "method": "HJ 836-2017 重量法", "frequency": "3次/天"}]}


def sampling_task_at_sampling(lab, lab_doc, staff_ids, ent_id, outlets, contract_id=None, day="2026-11-23"):
    """委托任务申请 → 方案编制 → 采样计划 → 现场采样, through the tasks API."""
    commission = {"title": "2026年第四季度自行监测", "enterprise_id": ent_id,
                  "description": "废水总排口与锅炉废气排口季度监测"}
    if contract_id:
        commission["contract_id"] = contract_id
    status, task = succeeds(lambda: lab.post("/sampling-tasks", commission))
    assert status == 201 and task["stage"] == "commission", task
    status, task = lab.post(f"/sampling-tasks/{task['id']}/advance")
    assert status == 200 and task["stage"] == "scheme", task
    points = [{"outlet_id": o["id"], "items": SCHEME_ITEMS[o["kind"]]} for o in outlets]
    status, task = lab.put(f"/sampling-tasks/{task['id']}/scheme", {"points": points})
    assert status == 200, task
    status, task = lab.post(f"/sampling-tasks/{task['id']}/advance")
    assert status == 200 and task["stage"] == "plan", task
    status, task = lab.put(f"/sampling-tasks/{task['id']}/plan", {
        "dates": [day], "staff_ids": staff_ids, "equipment_ids": [lab_doc["equipment"][0]["id"]]})
    assert status == 200, task
    status, task = lab.post(f"/sampling-tasks/{task['id']}/advance")
    assert status == 200 and task["stage"] == "sampling", task
    return task


def wait_for_sampling_task(field, task_id):
    def check():
        status, tasks = field.get("/field/my-sampling-tasks")
        assert status == 200, tasks
        mine = [t for t in tasks if t["id"] == task_id]
        assert mine and mine[0]["points_detail"], tasks
        return mine[0]
    return eventually(check)


# ----- filing a field record as the phone does -----

def upload(api, path, data, filename, **fields):
    """A multipart upload (the phone's camera file plus form fields); (status, JSON)."""
    resp = api.client.post(f"/api/v1{path}", data={**fields, "file": (io.BytesIO(data), filename)},
                           headers=api._headers(), content_type="multipart/form-data")
    return resp.status_code, resp.get_json()


def download(api, path):
    resp = api.client.get(f"/api/v1{path}", headers=api._headers())
    return resp.status_code, resp.mimetype, resp.data


def start_record(field, task_id, outlet, form_kind, submission_id, check_in=None):
    return field.post("/field-records", {"submission_id": submission_id, "task_id": task_id,
                                         "outlet_id": outlet["id"], "form_kind": form_kind,
                                         "check_in": check_in or at_outlet(outlet)})


def submit_body(outlet, content, submission_id, signature, check_out=None, **kw):
    return {"submission_id": submission_id, "check_out": check_out or at_outlet(outlet, east_m=20),
            "content": content, "signature": {"name": "signature.png",
                                              "content_base64": base64.b64encode(signature).decode()}, **kw}
