"""Sampling trips (现场采样) end to end through the gateway: a testing institution's sampling task
taken to 现场采样 through the tasks API, a trip from 进场签到 to 离场签到, what the tasks service
learns from it, a self-monitoring enterprise's trip, a received-sample check, and who may not sample."""
import base64

import pytest

from tests import builders as b
from tests.bus import EventTap
from tests.e2e.worlds import (PASSWORD, at_outlet, download, enterprise_with_outlets, filed_institution, regulator,
                              sampling_task_at_sampling, submitted_contract, lab_institution, upload,
                              wait_for_sampling_task, wechat_field_api)
from tests.images import face_jpeg, form_jpeg, no_face_jpeg, signature_png
from tests.waiting import eventually


def b64(data):
    return base64.b64encode(data).decode()


def signature():
    return {"name": "signature.png", "content_base64": b64(signature_png())}


@pytest.fixture
def world(anonymous, login, system):
    """A testing institution (吴刚 samples, 郑敏 is not in the plan) with a monitoring contract for
    an enterprise's wastewater and flue-gas outlets; its sampling task at 现场采样 today."""
    reg = regulator(login)
    lab, lab_doc, staff = lab_institution(anonymous, login, reg)
    enterprise, ent_id, outlets, _ = enterprise_with_outlets(anonymous, login, "ent_user", {
        "ww": (b.outlet("wastewater"), {}),
        "fg": ({**b.outlet("flue_gas", "1#锅炉废气排口DA001"), "permit_point_code": "DA001",
                "longitude": 121.5461, "latitude": 31.2219}, {})})
    w = dict(reg=reg, lab=lab, lab_doc=lab_doc, enterprise=enterprise, ent_id=ent_id, **outlets)
    contract = submitted_contract(w | {"inst": lab}, nature="monitoring", title="2026年度自行监测委托检测合同",
                                  start="2026-11-01", end="2027-10-31")
    w["task"] = sampling_task_at_sampling(lab, lab_doc, [staff[0]], ent_id, [outlets["ww"], outlets["fg"]],
                                          contract_id=contract["id"])
    for username, staff_id, name in (("wugang", staff[0], "吴刚"), ("zhengmin", staff[1], "郑敏")):
        status, body = lab.post("/sub-accounts", {**b.account(username, name=name), "roles": ["field_staff"],
                                                  "staff_id": staff_id})
        assert status == 201, body
    w["wu"] = wechat_field_api(system, "wugang", "oEMSSwugang00000000000000001")
    w["zheng"] = login("zhengmin", PASSWORD)
    wait_for_sampling_task(w["wu"], w["task"]["id"])
    return w


def start_trip(field, task_id, outlet, submission_id):
    return field.post("/sampling-trips", {"submission_id": submission_id, "sampling_task_id": task_id,
                                          "check_in": at_outlet(outlet, east_m=30)})


def test_a_trip_from_arrival_to_departure_goes_to_the_enterprise_and_the_task_learns_of_it(
        world, clock, service_config):
    w, wu = world, world["wu"]
    task_id = w["task"]["id"]
    mine = wu.get("/field/my-sampling-tasks")[1]
    assert [t["id"] for t in mine] == [task_id]
    assert {p["id"] for p in mine[0]["points_detail"]} == {w["ww"]["id"], w["fg"]["id"]}
    # nothing departed yet: the task cannot leave 现场采样
    status, body = w["lab"].post(f"/sampling-tasks/{task_id}/advance")
    assert status == 400 and body["error"]["field"] == "trips", body

    status, trip = start_trip(wu, task_id, w["ww"], "trip-0000000001")
    assert status == 201, trip
    assert trip["status"] == "on_site" and trip["status_label"] == "现场采样中"
    assert trip["number"].startswith("CY2026") and trip["leader"]["name"] == "吴刚"
    assert trip["arrival"]["at"] == "2026-11-23T02:00:00+00:00" and 25 < trip["arrival"]["distance_m"] < 35
    assert trip["flags"] == []
    again = start_trip(wu, task_id, w["ww"], "trip-0000000001")      # the phone sent it twice
    assert again == (201, trip)
    assert len(wu.get("/sampling-trips", mine="1")[1]["items"]) == 1

    status, work = upload(wu, f"/sampling-trips/{trip['id']}/photos", face_jpeg(), "work.jpg",
                          upload_id="trip-photo-01", kind="work")
    assert status == 201 and work["faces"] >= 1, work
    status, bottle = upload(wu, f"/sampling-trips/{trip['id']}/photos", no_face_jpeg(), "bottle.jpg",
                            upload_id="trip-photo-02", kind="sample", caption="COD样品瓶")
    assert status == 201, bottle

    clock.set("2026-11-23T10:25:00+08:00")
    sample = {"sample_id": "sample-00000001", "point_index": 0, "item": "化学需氧量",
              "sample_code": "DW001-20261123-01", "container": "500 mL 硬质玻璃瓶",
              "preservation": "加硫酸至pH≤2，0～4℃冷藏", "taken_at": "2026-11-23T10:20:00+08:00",
              "photo_ids": [bottle["id"]]}
    status, body = wu.post(f"/sampling-trips/{trip['id']}/samples", {**sample, "item": "总磷"})
    assert status == 400 and body["error"]["field"] == "item", body
    status, body = wu.post(f"/sampling-trips/{trip['id']}/samples",
                           {**sample, "taken_at": "2026-11-23T09:40:00+08:00"})   # before arrival
    assert status == 400 and body["error"]["field"] == "taken_at", body
    status, trip = wu.post(f"/sampling-trips/{trip['id']}/samples", sample)
    assert status == 200 and [s["sample_code"] for s in trip["samples"]] == ["DW001-20261123-01"], trip
    status, trip = wu.post(f"/sampling-trips/{trip['id']}/samples", sample)          # retried: one sample
    assert len(trip["samples"]) == 1

    clock.set("2026-11-23T10:40:00+08:00")
    status, body = wu.post(f"/sampling-trips/{trip['id']}/depart",
                           {"submission_id": "depart-00000001", "check_out": at_outlet(w["ww"]),
                            "signature": signature()})
    assert status == 400 and body["error"]["field"] == "conditions", body      # 采样工况 first
    status, trip = wu.put(f"/sampling-trips/{trip['id']}/conditions",
                          {"production_status": "normal", "load_pct": 85, "treatment_status": "normal",
                           "note": "污水处理站正常运行，调节池液位平稳"})
    assert status == 200 and trip["conditions"]["load_pct"] == 85, trip

    clock.set("2026-11-23T10:45:00+08:00")
    with EventTap(service_config["AMQP_URI"], "fieldrecords") as bus:
        depart = {"submission_id": "depart-00000001", "check_out": at_outlet(w["ww"], north_m=10),
                  "signature": signature()}
        status, trip = wu.post(f"/sampling-trips/{trip['id']}/depart", depart)
        assert status == 200, trip
        assert trip["status"] == "awaiting_confirmation" and trip["status_label"] == "待排污单位确认"
        assert trip["departure"]["at"] == "2026-11-23T02:45:00+00:00" and trip["departure"]["distance_m"] < 15
        assert wu.post(f"/sampling-trips/{trip['id']}/depart", depart) == (200, trip)   # retried
        event = bus.wait_for("sampling_trip.departed", trip["id"])
        assert event["data"]["trip"]["samples"] == 1 and event["data"]["trip"]["sampling_task_id"] == task_id
        assert bus.types().count("sampling_trip.departed") == 1

    # the trip is sealed, and everyone who should sees it
    status, body = wu.post(f"/sampling-trips/{trip['id']}/samples", {**sample, "sample_id": "sample-00000002",
                                                                     "sample_code": "DW001-20261123-02"})
    assert status == 409 and body["error"]["field"] == "status", body
    status, seen = w["enterprise"].get(f"/sampling-trips/{trip['id']}")
    assert status == 200 and [p["kind"] for p in seen["photos"]] == ["work", "sample"]
    assert seen["conditions"]["production_status"] == "normal"
    status, mimetype, data = download(w["enterprise"], f"/sampling-trips/{trip['id']}/signature")
    assert status == 200 and mimetype == "image/png" and data == signature_png()
    status, mimetype, data = download(w["reg"], f"/field-photos/{work['id']}")
    assert status == 200 and mimetype == "image/jpeg" and data == face_jpeg()
    assert [t["id"] for t in w["enterprise"].get("/sampling-trips", sampling_task_id=task_id)[1]["items"]] == [trip["id"]]

    # the tasks service learned that the team left: 现场采样 may end; 采样管理 waits for the enterprise
    def departed():
        status, task = w["lab"].get(f"/sampling-tasks/{task_id}")
        assert task["trips"] == [{"id": trip["id"], "departed": True, "confirmed": False}], task
        assert task["missing"] == []
        return task
    eventually(departed)
    status, task = w["lab"].post(f"/sampling-tasks/{task_id}/advance")
    assert status == 200 and task["stage"] == "management", task
    assert task["missing"] == [{"field": "trips", "message": "还有1次现场采样未经排污单位确认"}]
    status, body = w["lab"].post(f"/sampling-tasks/{task_id}/advance")
    assert status == 400 and body["error"]["field"] == "trips", body


def test_a_trip_cannot_depart_without_a_sample_or_a_work_photo_with_a_face(world):
    w, wu = world, world["wu"]
    status, trip = start_trip(wu, w["task"]["id"], w["fg"], "trip-0000000002")
    assert status == 201, trip
    status, body = upload(wu, f"/sampling-trips/{trip['id']}/photos", no_face_jpeg(), "work.jpg",
                          upload_id="trip-photo-11", kind="work")
    assert status == 400 and body["error"]["field"] == "file", body
    assert wu.get(f"/sampling-trips/{trip['id']}")[1]["photos"] == []
    wu.put(f"/sampling-trips/{trip['id']}/conditions", {"production_status": "reduced", "load_pct": 60,
                                                        "treatment_status": "normal"})
    depart = {"submission_id": "depart-00000002", "check_out": at_outlet(w["fg"]), "signature": signature()}
    status, body = wu.post(f"/sampling-trips/{trip['id']}/depart", depart)
    assert status == 400 and body["error"]["field"] == "samples", body
    status, body = wu.post(f"/sampling-trips/{trip['id']}/samples", {
        "sample_id": "sample-00000011", "point_index": 1, "item": "颗粒物", "sample_code": "DA001-20261123-01",
        "container": "石英滤筒", "preservation": "干燥器内密封保存", "taken_at": "2026-11-23T10:00:00+08:00"})
    assert status == 200, body
    status, body = wu.post(f"/sampling-trips/{trip['id']}/depart", depart)
    assert status == 400 and body["error"]["field"] == "photos", body
    assert wu.get(f"/sampling-trips/{trip['id']}")[1]["status"] == "on_site"
    # the enterprise does not see a trip still on site in its list
    assert w["enterprise"].get("/sampling-trips")[1]["items"] == []


def test_someone_not_in_the_sampling_plan_is_refused(world, login):
    w = world
    assert w["zheng"].get("/field/my-sampling-tasks") == (200, [])
    status, body = start_trip(w["zheng"], w["task"]["id"], w["ww"], "trip-0000000003")
    assert status == 403, body
    status, body = start_trip(w["enterprise"], w["task"]["id"], w["ww"], "trip-0000000004")
    assert status == 403, body
    status, listed = w["zheng"].get("/sampling-trips", mine="1")
    assert (status, listed["items"]) == (200, [])


def test_a_received_sample_delivered_late_records_the_problem(world, service_config):
    w = world
    receipt = {"submission_id": "receipt-0000001", "sampling_task_id": w["task"]["id"],
               "sample_code": "DW001-20261121-05", "collected_at": "2026-11-21T09:00:00+08:00",
               "received_at": "2026-11-23T09:30:00+08:00", "intact": True, "storage_ok": True, "label_ok": True,
               "storage_condition": "0～4℃冷藏箱", "note": "排污单位自行送样",
               "photos": [{"name": "样品.jpg", "content_base64": b64(form_jpeg())}]}
    status, body = w["wu"].post("/sample-receipts", {**receipt, "photos": [
        {"name": "样品.jpg", "content_base64": b64(b"%PDF-1.4 not a photo")}]})
    assert status == 400 and body["error"]["field"] == "photos[0]", body
    status, body = w["wu"].post("/sample-receipts", {**receipt, "received_at": "2026-11-20T09:00:00+08:00"})
    assert status == 400 and body["error"]["field"] == "received_at", body
    status, body = w["wu"].post("/sample-receipts", {**receipt, "received_at": "2026-11-23T11:00:00+08:00"})
    assert status == 400 and body["error"]["field"] == "received_at", body   # after the clock's 10:00
    with EventTap(service_config["AMQP_URI"], "fieldrecords") as bus:
        status, late = w["wu"].post("/sample-receipts", receipt)
        assert status == 201, late
        assert late["acceptable"] is False and late["transit_hours"] == 48.5
        assert late["problems"] == ["采集后48.5小时才送达，超过24小时"]
        assert w["wu"].post("/sample-receipts", receipt)[1]["id"] == late["id"]     # retried: one receipt
        event = bus.wait_for("sample.received", late["id"])
        assert event["data"]["receipt"]["problems"] == late["problems"]
    status, fine = w["lab"].post("/sample-receipts", {**receipt, "submission_id": "receipt-0000002",
                                                      "sample_code": "DW001-20261123-06",
                                                      "collected_at": "2026-11-23T07:30:00+08:00"})
    assert status == 201 and fine["acceptable"] is True and fine["problems"] == [], fine
    status, listed = w["enterprise"].get(f"/sampling-tasks/{w['task']['id']}/receipts")
    assert status == 200 and [r["sample_code"] for r in listed] == ["DW001-20261121-05", "DW001-20261123-06"]


def test_a_self_monitoring_enterprises_trip_is_complete_at_departure(anonymous, login, system, clock):
    reg = regulator(login)
    own, own_doc, staff = filed_institution(
        anonymous, login, reg, "self_admin",
        [("陈刚", "om_staff"), ("钱伟", "technical_lead"), ("孙丽", "quality_lead")],
        institution={**b.institution("上海东方化工有限公司", type_="self_testing_enterprise"),
                     "capabilities": ["sampling"]},
        equipment=[b.equipment()])
    ent_id = own_doc["enterprise_id"]
    status, ww = own.post(f"/enterprises/{ent_id}/outlets", b.outlet("wastewater"))
    assert status == 201, ww
    task = sampling_task_at_sampling(own, own_doc, [staff[0]], ent_id, [ww])
    assert task["self_monitoring"] is True
    status, body = own.post("/sub-accounts", {**b.account("chengang", name="陈刚"), "roles": ["field_staff"],
                                              "staff_id": staff[0]})
    assert status == 201, body
    chen = wechat_field_api(system, "chengang", "oEMSSchengang000000000000001")
    wait_for_sampling_task(chen, task["id"])

    status, trip = start_trip(chen, task["id"], ww, "trip-0000000021")
    assert status == 201 and trip["self_monitoring"] is True, trip
    assert upload(chen, f"/sampling-trips/{trip['id']}/photos", face_jpeg(), "work.jpg",
                  upload_id="trip-photo-21", kind="work")[0] == 201
    clock.set("2026-11-23T10:30:00+08:00")
    status, trip = chen.post(f"/sampling-trips/{trip['id']}/samples", {
        "sample_id": "sample-00000021", "point_index": 0, "item": "氨氮", "sample_code": "ZX-DW001-01",
        "container": "500 mL 聚乙烯瓶", "preservation": "加硫酸至pH≤2，0～4℃冷藏",
        "taken_at": "2026-11-23T10:10:00+08:00"})
    assert status == 200, trip
    chen.put(f"/sampling-trips/{trip['id']}/conditions", {"production_status": "normal", "load_pct": 90,
                                                          "treatment_status": "normal"})
    status, trip = chen.post(f"/sampling-trips/{trip['id']}/depart", {
        "submission_id": "depart-00000021", "check_out": at_outlet(ww), "signature": signature()})
    assert status == 200, trip
    assert trip["status"] == "completed" and trip["status_label"] == "已离场"

    def learned():
        status, t = own.get(f"/sampling-tasks/{task['id']}")
        assert t["trips"] == [{"id": trip["id"], "departed": True, "confirmed": False}], t
        return t
    eventually(learned)
    # no enterprise confirmation is waited for: 现场采样 → 采样管理 → 数据报告
    assert own.post(f"/sampling-tasks/{task['id']}/advance")[1]["stage"] == "management"
    status, t = own.post(f"/sampling-tasks/{task['id']}/advance")
    assert status == 200 and t["stage"] == "report", t


def test_the_lab_records_a_received_sample_on_the_portal_page(world, system):
    """来样检查 from the institution portal: a multipart form with the sample photos."""
    import io
    import re
    from tests.e2e.worlds import PASSWORD
    lab_user = "lab_admin"
    browser = system.test_client()
    from tests.system_fixtures import portal_login
    resp = portal_login(browser, lab_user, PASSWORD)
    assert resp.status_code in (302, 303), resp.get_data(as_text=True)[:300]
    page = browser.get(f"/portal/tasks/sampling/{world['task']['id']}").get_data(as_text=True)
    assert "来样检查" in page and 'id="receipt-form"' in page
    hidden = dict(re.findall(r'name="(csrf_token|submission_id)" value="([^"]*)"', page))
    form = {**hidden, "sample_code": "DW001-20261123-09", "collected_at": "2026-11-23T07:00",
            "received_at": "2026-11-23T09:00", "storage_condition": "0～4℃冷藏", "intact": "1",
            "storage_ok": "1", "photos": (io.BytesIO(form_jpeg()), "样品.jpg")}
    resp = browser.post(f"/portal/tasks/sampling/{world['task']['id']}/receipts", data=form,
                        content_type="multipart/form-data")
    assert resp.status_code in (302, 303), resp.get_data(as_text=True)[:500]
    page = browser.get(f"/portal/tasks/sampling/{world['task']['id']}").get_data(as_text=True)
    assert "DW001-20261123-09" in page and "样品标识信息不清" in page  # the label box was left unticked
    # without a photo the form comes back naming the problem, and nothing is stored
    form = {**hidden, "submission_id": "receipt-page-000002", "sample_code": "DW001-20261123-10",
            "collected_at": "2026-11-23T07:00", "received_at": "2026-11-23T09:00", "storage_condition": "冷藏"}
    resp = browser.post(f"/portal/tasks/sampling/{world['task']['id']}/receipts", data=form,
                        content_type="multipart/form-data")
    assert resp.status_code == 200 and "photos" in resp.get_data(as_text=True)
    listed = world["lab"].get(f"/sampling-tasks/{world['task']['id']}/receipts")[1]
    assert [r["sample_code"] for r in listed] == ["DW001-20261123-09"]


def test_the_trip_list_is_paged_and_a_bad_size_or_page_is_refused(world, clock):
    """The trip list pages like every other list (size, after): a negative or huge size is not
    "everything", it is a 400 naming the parameter."""
    wu, task_id = world["wu"], world["task"]["id"]
    made = []
    for i in range(3):
        clock.set(f"2026-11-23T10:0{i}:00+08:00")
        status, trip = start_trip(wu, task_id, world["ww"], f"trip-page-000{i}")
        assert status == 201, trip
        made.append(trip["id"])
    status, first = wu.get("/sampling-trips", mine="1", size="2")
    assert status == 200 and [t["id"] for t in first["items"]] == made[::-1][:2] and first["next"], first
    status, rest = wu.get("/sampling-trips", mine="1", size="2", after=first["next"])
    assert status == 200 and [t["id"] for t in rest["items"]] == made[:1] and rest["next"] is None, rest
    for query, field in (({"size": "-1"}, "size"), ({"size": str(10 ** 30)}, "size"), ({"size": "0"}, "size"),
                         ({"page": "-1"}, "page"), ({"page": str(10 ** 30)}, "page")):
        status, body = wu.get("/sampling-trips", mine="1", **query)
        assert status == 400 and body["error"]["field"] == field, (query, body)
