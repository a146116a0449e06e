"""Enterprise confirmation and institution review end to end through the gateway: field records
filed by engineers, confirmed by their enterprise the same day with a signature and a face photo,
reviewed by a second person of the institution; what is refused (review before confirmation,
self-review alone and in a batch, another enterprise), records left unconfirmed becoming overdue at
midnight Shanghai time, every step on the bus, a voided record leaving the tasks maintenance view,
and a sampling trip confirmed by its enterprise letting the sampling task move on."""
import base64
import io

import pytest

from services.fieldrecords.tests.form_samples import sample_content
from tests import builders as b
from tests.bus import EventTap
from tests.e2e.worlds import (PASSWORD, at_outlet, download, enterprise_with_outlets, field_world, lab_institution,
                              regulator, running_task, sampling_task_at_sampling, start_record, submit_body,
                              submitted_contract, upload, wait_for_field_task, wait_for_sampling_task,
                              wechat_field_api)
from tests.images import face_jpeg, no_face_jpeg, signature_png
from tests.waiting import eventually

DAY = "2026-11-23"
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) MicroMessenger/8.0.47"


@pytest.fixture
def service_config(service_config):
    """The overdue sweep runs every 0.3 s here (60 s by default)."""
    return {**service_config, "EMSS_CONFIRMATION_SWEEP_SECONDS": 0.3}


def b64(data):
    return base64.b64encode(data).decode()


def signed(**kw):
    """A JSON act: the signature pad's PNG and the work photo."""
    return {"signature": {"name": "signature.png", "content_base64": b64(signature_png())},
            "photo": {"name": "work.jpg", "content_base64": b64(face_jpeg())}, **kw}


def signed_from_phone(api, path, photo=None, **fields):
    """A multipart act as the H5 page sends it: the camera's photo as a file, the pad's PNG as a field."""
    data = {"signature": b64(signature_png()), "photo": (io.BytesIO(photo or face_jpeg()), "IMG_0001.jpg"),
            "longitude": "121.5457", "latitude": "31.2190", "accuracy": "12", **fields}
    resp = api.client.post(f"/api/v1{path}", data=data, content_type="multipart/form-data",
                           headers={**api._headers(), "User-Agent": PHONE})
    return resp.status_code, resp.get_json()


def file_record(w, field, task_id, outlet_key, kind, device_keys, n):
    """开始签到 → 工作照片 → 结束签到并上传, as the phone does it."""
    outlet = w[outlet_key]
    status, draft = start_record(field, task_id, outlet, kind, f"start-conf-{n:04d}")
    assert status == 201, draft
    status, photo = upload(field, f"/field-records/{draft['id']}/photos", face_jpeg(), "work.jpg",
                           upload_id=f"photo-conf-{n:04d}", kind="work")
    assert status == 201, photo
    content = sample_content(kind, [w["devices"][k] for k in device_keys])
    status, record = field.post(f"/field-records/{draft['id']}/submit",
                                submit_body(outlet, content, f"submit-conf-{n:04d}", signature_png()))
    assert status == 200, record
    return record


def sub_account(inst, username, name, roles, staff_id=None):
    body = {**b.account(username, name=name), "roles": roles}
    if staff_id:
        body["staff_id"] = staff_id
    status, account = inst.post("/sub-accounts", body)
    assert status == 201, account
    return account


@pytest.fixture
def world(anonymous, login, system):
    """The field world (赵强 files for the enterprise's task), plus: 钱伟, a reviewer; 周杰, who is
    given the reviewer role (his field account is replaced by one with both roles) and files under
    a second task at the wastewater outlet; and another enterprise."""
    w = field_world(anonymous, login)
    inst = w["inst"]
    w["zhao"] = wechat_field_api(system, "zhaoqiang", "oEMSSzhaoqiang0000000000001")
    sub_account(inst, "qianwei", "钱伟", ["reviewer"])
    w["qian"] = login("qianwei", PASSWORD)
    zhou_old = next(a for a in inst.get("/sub-accounts")[1] if a["username"] == "zhoujie")
    assert inst.post(f"/sub-accounts/{zhou_old['id']}/disable")[0] == 200
    sub_account(inst, "zhoujie_rv", "周杰", ["field_staff", "reviewer"], w["zhou_staff"])
    w["zhou"] = login("zhoujie_rv", PASSWORD)
    w["task2"] = running_task(inst, w["regulator"], {
        "name": "东方化工废水排口巡检（周杰）", "enterprise_id": w["ent_id"], "contract_id": w["task"]["contract_id"],
        "start": "2026-11-01", "end": "2027-10-31", "outlet_ids": [w["ww"]["id"]], "staff_ids": [w["zhou_staff"]],
        "device_ids": [w["devices"][k]["id"] for k in ("cod", "nh3", "sampler")],
        "plan": [{"outlet_id": w["ww"]["id"], "form_kind": "ww_inspection", "frequency": {"kind": "weekly"}}]})
    w["other"], w["other_id"], _, _ = enterprise_with_outlets(
        anonymous, login, "ent_other", {}, enterprise=b.enterprise("上海星火化工有限公司"))
    wait_for_field_task(w["zhao"], w["task"]["id"], devices=9)
    wait_for_field_task(w["zhou"], w["task2"]["id"], devices=3)
    return w


def pending_seen(api, n, day=DAY):
    def check():
        status, days = api.get("/confirmation/days")
        assert status == 200, days
        mine = [d for d in days["days"] if d["day"] == day]
        assert mine and mine[0]["counts"]["pending"] == n, days
        return mine[0]
    return eventually(check)


def maintenance_status(w, task_id, kind):
    status, week = w["inst"].get(f"/tasks/{task_id}/maintenance", view="week")
    assert status == 200, week
    return [r["status"] for r in week["items"] if r["form_kind"] == kind]


def test_records_are_confirmed_by_their_enterprise_the_same_day_and_reviewed_by_a_second_person(
        world, service_config):
    w = world
    r1 = file_record(w, w["zhao"], w["task"]["id"], "ww", "ww_inspection", ("cod", "nh3", "sampler"), 1)
    r2 = file_record(w, w["zhao"], w["task"]["id"], "fg", "fg_inspection_extractive", ("so2", "nox", "o2"), 2)
    r3 = file_record(w, w["zhou"], w["task2"]["id"], "ww", "ww_inspection", ("cod", "nh3", "sampler"), 3)
    ids = [r1["id"], r2["id"], r3["id"]]
    eventually(lambda: _is(maintenance_status(w, w["task"]["id"], "ww_inspection"), ["done"]))

    with EventTap(service_config["AMQP_URI"], "confirmation") as bus:
        day = pending_seen(w["enterprise"], 3)
        assert day["enterprise_name"] == "上海东方化工有限公司" and day["is_today"] and not day["deadline_passed"]
        assert day["due_at"] == "2026-11-24T00:00:00+08:00"

        # the institution may not review what the enterprise has not confirmed
        status, out = w["qian"].post("/confirmation/reviews", signed(record_ids=ids, decision="confirm"))
        assert status == 200 and out["done"] == [], out
        assert {(r["record_id"], r["code"]) for r in out["refused"]} == {(i, "not_confirmed") for i in ids}
        assert all("排污单位尚未确认" in r["message"] for r in out["refused"])

        # another enterprise sees none of it and confirms none of it
        assert w["other"].get("/confirmation/days")[1]["days"] == []
        assert w["other"].get(f"/confirmation/records/{r1['id']}")[0] == 404
        status, out = w["other"].post(f"/confirmation/days/{DAY}/confirm", signed(record_ids=[r1["id"]]))
        assert status == 200 and out["confirmed"] == [], out
        assert out["refused"] == [{"record_id": r1["id"], "number": None, "field": "record_id", "code": "not_found",
                                   "message": "运维记录不存在或不属于本单位"}]
        status, body = w["other"].post(f"/confirmation/days/{DAY}/confirm", signed())
        assert status == 400 and body["error"]["field"] == "record_ids", body
        # and nobody but an enterprise user confirms
        status, body = w["qian"].post(f"/confirmation/days/{DAY}/confirm", signed())
        assert status == 403, body

        # the enterprise reads the day's list and each record's full content
        status, listed = w["enterprise"].get(f"/confirmation/days/{DAY}/records")
        assert status == 200 and [r["id"] for r in listed["items"]] == ids, listed
        row = listed["items"][0]
        assert row["number"] == r1["number"] and row["form_name"] == "日常巡检" and row["status_label"] == "待确认"
        assert row["filer"]["name"] == "赵强" and len(row["device_names"]) == 3
        assert abs(row["coordinates"]["longitude"] - w["ww"]["longitude"]) < 0.001
        status, full = w["enterprise"].get(row["detail_path"].removeprefix("/api/v1"))
        assert status == 200 and full["content"] == r1["content"], full

        # from the phone: a landscape is no work photo; then r1 confirmed with signature and photo
        status, body = signed_from_phone(w["enterprise"], f"/confirmation/days/{DAY}/confirm", photo=no_face_jpeg(),
                                         record_ids=r1["id"])
        assert status == 400 and body["error"]["field"] == "photo" and "人脸" in body["error"]["message"], body
        status, out = signed_from_phone(w["enterprise"], f"/confirmation/days/{DAY}/confirm", record_ids=r1["id"],
                                        submission_id="ent-confirm-0001")
        assert status == 200 and [c["record_id"] for c in out["confirmed"]] == [r1["id"]], out
        # the rest of the day, by default everything still awaiting confirmation
        status, rest = w["enterprise"].post(f"/confirmation/days/{DAY}/confirm", signed())
        assert status == 200 and [c["record_id"] for c in rest["confirmed"]] == [r2["id"], r3["id"]], rest
        assert all(c["status_label"] == "排污单位已确认" and c["late"] is False for c in rest["confirmed"])
        for rid in ids:
            event = bus.wait_for("record.enterprise_confirmed", rid)
            assert event["actor"]["username"] == "ent_user"

        # 周杰 may not review his own record, alone or in a batch; the others of the batch go through
        status, out = w["zhou"].post("/confirmation/reviews", signed(record_ids=[r3["id"]], decision="confirm"))
        assert status == 200 and out["done"] == [] and out["refused"][0]["code"] == "own_record", out
        assert "填报和审核不能为同一人" in out["refused"][0]["message"]
        status, out = w["zhou"].post("/confirmation/reviews", signed(record_ids=[r3["id"], r2["id"]],
                                                                    decision="confirm"))
        assert status == 200 and [d["record_id"] for d in out["done"]] == [r2["id"]], out
        assert [(r["record_id"], r["field"]) for r in out["refused"]] == [(r3["id"], "filer")]
        # 赵强 holds no reviewer role at all
        status, body = w["zhao"].post("/confirmation/reviews", signed(record_ids=[r1["id"]], decision="confirm"))
        assert status == 403, body

        # 钱伟: void needs a reason; r1 voided, r3 confirmed
        status, body = w["qian"].post("/confirmation/reviews", signed(record_ids=[r1["id"]], decision="void"))
        assert status == 400 and body["error"]["field"] == "reason", body
        status, out = w["qian"].post("/confirmation/reviews", signed(record_ids=[r1["id"]], decision="void",
                                                                    reason="签到位置与现场照片不符"))
        assert status == 200 and out["done"][0]["status_label"] == "作废", out
        status, out = w["qian"].post("/confirmation/reviews", signed(record_ids=[r3["id"]], decision="confirm"))
        assert status == 200 and out["done"][0]["status"] == "reviewed", out

        assert bus.wait_for("record.voided", r1["id"])["data"]["record"]["reason"] == "签到位置与现场照片不符"
        bus.wait_for("record.review_confirmed", r3["id"])
        assert bus.types(r1["id"]) == ["record.enterprise_confirmed", "record.voided"]
        assert bus.types(r2["id"]) == ["record.enterprise_confirmed", "record.review_confirmed"]
        assert bus.types(r3["id"]) == ["record.enterprise_confirmed", "record.review_confirmed"]

    # the voided record no longer counts in the task's maintenance view; the other task's does
    eventually(lambda: _is(maintenance_status(w, w["task"]["id"], "ww_inspection"), ["pending"]))
    assert maintenance_status(w, w["task2"]["id"], "ww_inspection") == ["done"]
    # the field record itself says where it stands (fieldrecords follows confirmation's events)
    eventually(lambda: _is((w["regulator"].get(f"/field-records/{r1['id']}")[1].get("confirmation") or {})
                           .get("reason"), "签到位置与现场照片不符"))

    # it stays visible, with its reason and its whole trail: who, when, from where, signed how
    status, seen = w["regulator"].get(f"/confirmation/records/{r1['id']}")
    assert status == 200 and seen["status"] == "voided" and seen["status_label"] == "作废", seen
    assert seen["review"]["reason"] == "签到位置与现场照片不符" and seen["review"]["by"]["name"] == "钱伟"
    trail = seen["trail"]
    assert [(t["action"], t["to_label"]) for t in trail] == [("submit", "待确认"), ("enterprise_confirm", "排污单位已确认"),
                                                              ("void", "作废")]
    confirmed = trail[1]
    assert confirmed["by"]["username"] == "ent_user" and confirmed["at"] == "2026-11-23T02:00:00+00:00"
    assert confirmed["origin"] == {"ip": "127.0.0.1", "user_agent": PHONE}
    assert confirmed["location"]["longitude"] == 121.5457 and confirmed["location"]["accuracy"] == 12
    assert trail[2]["origin"]["ip"] == "127.0.0.1" and trail[2]["reason"] == "签到位置与现场照片不符"
    status, mimetype, data = download(w["regulator"], f"/confirmation/acts/{confirmed['act_id']}/photo")
    assert status == 200 and mimetype == "image/jpeg" and data == face_jpeg()
    status, mimetype, data = download(w["enterprise"], f"/confirmation/acts/{confirmed['act_id']}/signature")
    assert status == 200 and mimetype == "image/png" and data == signature_png()
    assert download(w["hp_regulator"], f"/confirmation/acts/{confirmed['act_id']}/photo")[0] == 404
    assert w["hp_regulator"].get(f"/confirmation/records/{r1['id']}")[0] == 404

    # lists by status, by day, by task
    status, voided = w["inst"].get("/confirmation/records", status="voided")
    assert status == 200 and [r["id"] for r in voided["items"]] == [r1["id"]], voided
    by_task = w["regulator"].get("/confirmation/records", task_id=w["task2"]["id"])[1]
    assert [(r["id"], r["status_label"]) for r in by_task["items"]] == [(r3["id"], "审核确认")]
    assert w["enterprise"].get("/confirmation/records", day=DAY)[1]["total"] == 3
    status, body = w["enterprise"].get("/confirmation/records", status="done")
    assert status == 400 and body["error"]["field"] == "status", body


def test_a_days_unconfirmed_records_become_overdue_at_midnight_shanghai_time(world, clock, service_config):
    w = world
    r1 = file_record(w, w["zhao"], w["task"]["id"], "ww", "ww_inspection", ("cod", "nh3", "sampler"), 11)
    r2 = file_record(w, w["zhao"], w["task"]["id"], "fg", "fg_inspection_extractive", ("so2", "nox", "o2"), 12)
    pending_seen(w["enterprise"], 2)
    status, out = w["enterprise"].post(f"/confirmation/days/{DAY}/confirm", signed(record_ids=[r1["id"]]))
    assert status == 200 and len(out["confirmed"]) == 1, out

    with EventTap(service_config["AMQP_URI"], "confirmation") as bus:
        clock.set("2026-11-23T23:59:30+08:00")
        assert w["enterprise"].get("/confirmation/records", status="overdue")[1]["total"] == 0
        clock.set("2026-11-24T00:00:30+08:00")
        event = bus.wait_for("record.confirmation_overdue", r2["id"])
        assert event["data"]["record"]["day"] == DAY and event["data"]["record"]["status"] == "overdue"
        assert event["data"]["record"]["due_at"] == "2026-11-24T00:00:00+08:00"

        def overdue():
            status, listed = w["inst"].get("/confirmation/records", status="overdue")
            assert [r["id"] for r in listed["items"]] == [r2["id"]], listed
            return listed["items"][0]
        row = eventually(overdue)
        assert row["status_label"] == "逾期未确认" and row["overdue"] is True
        day = w["enterprise"].get("/confirmation/days", awaiting="1")[1]["days"]
        assert [(d["day"], d["deadline_passed"], d["counts"]["overdue"]) for d in day] == [(DAY, True, 1)]

        # confirmed late: accepted, and marked late and overdue for good
        status, out = w["enterprise"].post(f"/confirmation/days/{DAY}/confirm", signed())
        assert status == 200 and out["confirmed"] == [{"record_id": r2["id"], "number": r2["number"],
                                                       "status": "enterprise_confirmed",
                                                       "status_label": "排污单位已确认", "late": True}], out
        late = bus.wait_for("record.enterprise_confirmed", r2["id"])
        assert late["data"]["record"]["late"] is True and late["data"]["record"]["overdue"] is True
        assert bus.types(r1["id"]) == []            # confirmed in time: never overdue
        assert len(bus.of("record.confirmation_overdue")) == 1
    seen = w["inst"].get(f"/confirmation/records/{r2['id']}")[1]
    assert [t["to"] for t in seen["trail"]] == ["pending", "overdue", "enterprise_confirmed"]
    assert seen["trail"][1]["by"]["username"] == "system" and seen["trail"][2]["late"] is True
    assert [r["id"] for r in w["regulator"].get("/confirmation/records", late="true")[1]["items"]] == [r2["id"]]


# ----- sampling trips -----

@pytest.fixture
def sampling(anonymous, login, system):
    reg = regulator(login)
    lab, lab_doc, staff = lab_institution(anonymous, login, reg)
    enterprise, ent_id, outlets, _ = enterprise_with_outlets(anonymous, login, "ent_user", {
        "ww": (b.outlet("wastewater"), {})})
    w = dict(reg=reg, lab=lab, enterprise=enterprise, ent_id=ent_id, **outlets)
    contract = submitted_contract(w | {"inst": lab}, nature="monitoring", title="2026年度自行监测委托检测合同",
                                  start="2026-11-01", end="2027-10-31")
    w["task"] = sampling_task_at_sampling(lab, lab_doc, [staff[0]], ent_id, [outlets["ww"]],
                                          contract_id=contract["id"])
    sub_account(lab, "wugang", "吴刚", ["field_staff"], staff[0])
    w["wu"] = wechat_field_api(system, "wugang", "oEMSSwugang00000000000000001")
    w["other"], _, _, _ = enterprise_with_outlets(anonymous, login, "ent_other", {},
                                                  enterprise=b.enterprise("上海星火化工有限公司"))
    wait_for_sampling_task(w["wu"], w["task"]["id"])
    return w


def departed_trip(w, clock):
    """进场签到 → 工作照片 → 样品 → 采样工况 → 离场签到."""
    wu, task_id = w["wu"], w["task"]["id"]
    status, trip = wu.post("/sampling-trips", {"submission_id": "trip-conf-0001", "sampling_task_id": task_id,
                                               "check_in": at_outlet(w["ww"], east_m=30)})
    assert status == 201, trip
    assert upload(wu, f"/sampling-trips/{trip['id']}/photos", face_jpeg(), "work.jpg",
                  upload_id="trip-conf-photo-1", kind="work")[0] == 201
    clock.set("2026-11-23T10:25:00+08:00")
    status, trip = wu.post(f"/sampling-trips/{trip['id']}/samples", {
        "sample_id": "sample-conf-0001", "point_index": 0, "item": "化学需氧量", "sample_code": "DW001-20261123-01",
        "container": "500 mL 硬质玻璃瓶", "preservation": "加硫酸至pH≤2，0～4℃冷藏",
        "taken_at": "2026-11-23T10:20:00+08:00"})
    assert status == 200, trip
    status, trip = wu.put(f"/sampling-trips/{trip['id']}/conditions", {
        "production_status": "normal", "load_pct": 85, "treatment_status": "normal"})
    assert status == 200, trip
    clock.set("2026-11-23T10:45:00+08:00")
    status, trip = wu.post(f"/sampling-trips/{trip['id']}/depart", {
        "submission_id": "depart-conf-0001", "check_out": at_outlet(w["ww"]),
        "signature": {"name": "signature.png", "content_base64": b64(signature_png())}})
    assert status == 200 and trip["status"] == "awaiting_confirmation", trip
    return trip


def test_a_sampling_trip_confirmed_by_its_enterprise_lets_the_sampling_task_move_on(sampling, clock, service_config):
    w = sampling
    trip = departed_trip(w, clock)
    task_id = w["task"]["id"]

    def awaiting():
        status, listed = w["enterprise"].get("/confirmation/trips", status="awaiting_confirmation")
        assert status == 200 and [t["id"] for t in listed["items"]] == [trip["id"]], listed
        return listed["items"][0]
    row = eventually(awaiting)
    assert row["status_label"] == "待排污单位确认" and row["samples"] == 1 and row["leader"]["name"] == "吴刚"
    eventually(lambda: _is(w["lab"].get(f"/sampling-tasks/{task_id}")[1]["trips"],
                           [{"id": trip["id"], "departed": True, "confirmed": False}]))
    status, task = w["lab"].post(f"/sampling-tasks/{task_id}/advance")
    assert status == 200 and task["stage"] == "management", task
    status, body = w["lab"].post(f"/sampling-tasks/{task_id}/advance")
    assert status == 400 and body["error"]["field"] == "trips", body       # 采样管理 waits for the enterprise

    assert w["other"].get("/confirmation/trips")[1]["items"] == []
    status, body = w["other"].post(f"/confirmation/trips/{trip['id']}/confirm", signed())
    assert status == 404, body
    status, body = w["wu"].post(f"/confirmation/trips/{trip['id']}/confirm", signed())
    assert status == 403, body

    with EventTap(service_config["AMQP_URI"], "confirmation") as bus:
        status, done = signed_from_phone(w["enterprise"], f"/confirmation/trips/{trip['id']}/confirm",
                                         note="采样过程属实")
        assert status == 200 and done["status"] == "confirmed" and done["status_label"] == "排污单位已确认", done
        status, body = w["enterprise"].post(f"/confirmation/trips/{trip['id']}/confirm", signed())
        assert status == 409 and body["error"]["field"] == "status", body
        event = bus.wait_for("sampling_trip.confirmed", trip["id"])
        assert event["data"]["trip"]["sampling_task_id"] == task_id
        assert bus.types(trip["id"]) == ["sampling_trip.confirmed"]

    # the tasks service marks the trip confirmed, fieldrecords its trip, and the task moves on
    eventually(lambda: _is(w["lab"].get(f"/sampling-tasks/{task_id}")[1]["trips"],
                           [{"id": trip["id"], "departed": True, "confirmed": True}]))
    eventually(lambda: _is(w["enterprise"].get(f"/sampling-trips/{trip['id']}")[1]["status"], "confirmed"))
    status, task = w["lab"].post(f"/sampling-tasks/{task_id}/advance")
    assert status == 200 and task["stage"] == "report", task

    seen = w["reg"].get(f"/confirmation/trips/{trip['id']}")[1]
    assert [(t["from"], t["to"]) for t in seen["trail"]] == [(None, "awaiting_confirmation"),
                                                             ("awaiting_confirmation", "confirmed")]
    assert seen["trail"][1]["origin"]["user_agent"] == PHONE and seen["confirmation"]["note"] == "采样过程属实"


def _is(actual, expected):
    assert actual == expected, actual
    return actual
