"""Field records end to end through the gateway, filed by an engineer signed in through WeChat: who
may file where and with which devices, what is refused (naming the field) and then not stored, a
retried submission stored once, the flags that never refuse, the record's way to the enterprise
and the tasks service, and the WeChat callback's signature."""
import base64
import hashlib
import time

import pytest

from fieldrecords.domain.geo import wgs84_to_gcj02
from services.fieldrecords.tests.form_samples import sample_content
from tests.bus import EventTap
from tests.e2e.worlds import (PASSWORD, at_outlet, download, field_world, offset, start_record, submit_body, upload,
                              wait_for_field_task, wechat_field_api)
from tests.images import different_photo, face_jpeg, no_face_jpeg, pdf_bytes, signature_png, variant
from tests.waiting import eventually


@pytest.fixture
def world(anonymous, login, system):
    w = field_world(anonymous, login)
    w["zhao"] = wechat_field_api(system, "zhaoqiang", "oEMSSzhaoqiang0000000000001")
    w["zhou"] = login("zhoujie", PASSWORD)
    wait_for_field_task(w["zhao"], w["task"]["id"], devices=9)
    return w


def inspection(w, *device_keys):
    return sample_content("ww_inspection", [w["devices"][k] for k in device_keys])


def work_photo(field, record_id, upload_id, data=None):
    return upload(field, f"/field-records/{record_id}/photos", data or face_jpeg(), "IMG_20261123_100512.jpg",
                  upload_id=upload_id, kind="work")


def test_a_retried_filing_is_stored_once_and_reaches_the_enterprise_and_the_task(world, clock, service_config):
    w, zhao = world, world["zhao"]
    status, draft = start_record(zhao, w["task"]["id"], w["ww"], "ww_inspection", "start-retry-0001")
    assert status == 201, draft
    assert start_record(zhao, w["task"]["id"], w["ww"], "ww_inspection", "start-retry-0001") == (201, draft)
    assert zhao.get("/field-records", mine="true")[1]["total"] == 1

    # a draft is the filer's alone
    assert w["enterprise"].get(f"/field-records/{draft['id']}")[0] == 404
    assert w["regulator"].get(f"/field-records/{draft['id']}")[0] == 404
    assert w["enterprise"].get("/field-records")[1]["total"] == 0

    status, photo = work_photo(zhao, draft["id"], "photo-retry-0001")
    assert status == 201 and photo["faces"] >= 1, photo
    assert work_photo(zhao, draft["id"], "photo-retry-0001") == (201, photo)

    clock.set("2026-11-23T10:35:00+08:00")
    submit = submit_body(w["ww"], inspection(w, "cod", "nh3", "sampler"), "submit-retry-0001", signature_png())
    with EventTap(service_config["AMQP_URI"], "fieldrecords", routing_keys=("record.submitted",)) as bus:
        status, record = zhao.post(f"/field-records/{draft['id']}/submit", submit)
        assert status == 200 and record["status"] == "submitted", record
        assert zhao.post(f"/field-records/{draft['id']}/submit", submit) == (200, record)
        event = bus.wait_for("record.submitted", draft["id"])
        fact = event["data"]["record"]
        assert fact["form_kind"] == "ww_inspection" and fact["passed"] is True and fact["flags"] == []
        assert fact["device_ids"] == [w["devices"][k]["id"] for k in ("cod", "nh3", "sampler")]

        # another submission of a sealed record is refused, and nothing changes
        status, body = zhao.post(f"/field-records/{draft['id']}/submit",
                                 {**submit, "submission_id": "submit-retry-0002", "description": "改"})
        assert status == 409 and body["error"]["field"] == "status", body
        assert len(record["photos"]) == 1

        # the tasks service counts the occurrence of the week done
        def done():
            status, week = w["inst"].get(f"/tasks/{w['task']['id']}/maintenance", view="week")
            rows = [r for r in week["items"] if r["form_kind"] == "ww_inspection"]
            assert [r["status"] for r in rows] == ["done"], week
            return rows
        rows = eventually(done)
        assert rows[0]["window_start"] == "2026-11-23" and rows[0]["window_end"] == "2026-11-29"
        assert bus.types() == ["record.submitted"]

    # submitted: the enterprise and the district's regulator see it, another district does not
    assert w["enterprise"].get(f"/field-records/{draft['id']}") == (200, record)
    assert [r["id"] for r in w["enterprise"].get("/field-records")[1]["items"]] == [draft["id"]]
    assert w["regulator"].get(f"/field-records/{draft['id']}")[0] == 200
    status, body = w["hp_regulator"].get(f"/field-records/{draft['id']}")
    assert status == 404, body
    assert w["hp_regulator"].get("/field-records")[1]["total"] == 0
    assert download(w["hp_regulator"], f"/field-records/{draft['id']}/signature")[0] == 404
    assert download(w["hp_regulator"], f"/field-photos/{photo['id']}")[0] == 404


def test_work_with_an_instrument_past_its_calibration_is_filed_and_becomes_a_warning(world, clock):
    """The filer names the institution's filed instruments used; on the last day of the analyser's
    calibration nothing is owed, the day after the record is kept and credit raises
    EXPIRED_CALIBRATION with the record and the instrument as evidence."""
    w, zhao = world, world["zhao"]
    analyser = w["analyser"]
    recs = []
    for n, day in enumerate(("2026-11-24", "2026-11-25")):
        clock.set(f"{day}T10:00:00+08:00")
        status, draft = start_record(zhao, w["task"]["id"], w["ww"], "ww_inspection", f"start-cal-000{n}")
        assert status == 201, draft
        assert work_photo(zhao, draft["id"], f"photo-cal-000{n}", (face_jpeg(), different_photo())[n])[0] == 201
        body = submit_body(w["ww"], inspection(w, "cod", "nh3", "sampler"), f"submit-cal-000{n}", signature_png())
        if n == 0:   # an instrument of no one's filing is refused, naming it, and nothing is stored
            status, err = zhao.post(f"/field-records/{draft['id']}/submit",
                                    {**body, "equipment_ids": [analyser["id"], "not-filed"]})
            assert status == 400 and err["error"]["field"] == "equipment_ids[1]", err
            assert zhao.get(f"/field-records/{draft['id']}")[1]["status"] == "draft"
        status, record = zhao.post(f"/field-records/{draft['id']}/submit", {**body, "equipment_ids": [analyser["id"]]})
        assert status == 200 and record["equipment"][0]["calibration_valid_until"] == "2026-11-24", record
        recs.append(record)

    def raised():
        status, page = w["regulator"].get("/supervision/warnings", rule="EXPIRED_CALIBRATION")
        assert status == 200 and page["items"], page
        return page["items"]
    [warning] = eventually(raised)
    assert warning["subject_id"] == recs[1]["id"] and "作业时已过期" in warning["summary"], warning
    status, full = w["regulator"].get(f"/supervision/warnings/{warning['id']}")
    assert [(e["kind"], e["id"]) for e in full["evidence"]] == [("record", recs[1]["id"]), ("equipment", analyser["id"])]


def test_only_the_tasks_field_staff_files_at_its_outlets_with_its_devices(world):
    w, zhao = world, world["zhao"]
    task_id = w["task"]["id"]
    status, body = start_record(w["zhou"], task_id, w["ww"], "ww_inspection", "start-zhou-0001")
    assert status == 403 and "不是该运维任务的运维人员" in body["error"]["message"], body
    status, body = start_record(w["enterprise"], task_id, w["ww"], "ww_inspection", "start-ent-00001")
    assert status == 403, body
    status, body = start_record(zhao, task_id, w["ww2"], "ww_inspection", "start-ww2-00001")
    assert status == 400 and body["error"]["field"] == "outlet_id", body
    status, body = start_record(zhao, task_id, w["ww"], "fg_calibration", "start-kind-0001")
    assert status == 400 and body["error"]["field"] == "form_kind", body
    assert zhao.get("/field-records", mine="true")[1]["total"] == 0
    assert w["zhou"].get("/field-records", mine="true")[1]["total"] == 0

    status, draft = start_record(zhao, task_id, w["ww"], "ww_comparison", "start-devs-0001")
    assert status == 201, draft
    rid = draft["id"]
    comparison = sample_content("ww_comparison", [w["devices"]["cod"]])
    elsewhere = {**comparison, "blocks": [{**comparison["blocks"][0], "device_id": w["devices"]["cod2"]["id"]}]}
    status, body = zhao.put(f"/field-records/{rid}/draft", {"content": elsewhere})
    assert status == 400 and body["error"]["field"] == "content.blocks[0].device_id", body
    assert "不是此排口登记" in body["error"]["message"]
    tp = sample_content("ww_comparison", [{**w["devices"]["tp"]}])
    status, body = zhao.put(f"/field-records/{rid}/draft", {"content": tp})
    assert status == 400 and body["error"]["field"] == "content.blocks[0].device_id", body
    assert "不在此运维任务" in body["error"]["message"]

    # photos: a landscape is no work photo, a PDF named .jpg is no photo at all; neither is kept
    status, body = work_photo(zhao, rid, "photo-devs-0001", no_face_jpeg())
    assert status == 400 and body["error"]["field"] == "file" and "人脸" in body["error"]["message"], body
    status, body = work_photo(zhao, rid, "photo-devs-0002", pdf_bytes())
    assert status == 400 and body["error"]["field"] == "file", body
    assert zhao.get(f"/field-records/{rid}")[1]["photos"] == []

    good = submit_body(w["ww"], comparison, "submit-devs-0001", signature_png())
    status, body = zhao.post(f"/field-records/{rid}/submit", good)
    assert status == 400 and body["error"]["field"] == "photos", body          # no work photo yet
    assert work_photo(zhao, rid, "photo-devs-0003")[0] == 201
    for content, field in ((elsewhere, "content.blocks[0].device_id"), (tp, "content.blocks[0].device_id")):
        status, body = zhao.post(f"/field-records/{rid}/submit", {**good, "content": content})
        assert status == 400 and body["error"]["field"] == field, body
    status, body = zhao.post(f"/field-records/{rid}/submit", {k: v for k, v in good.items() if k != "signature"})
    assert status == 400 and body["error"]["field"] == "signature", body
    status, body = zhao.post(f"/field-records/{rid}/submit", {**good, "signature": {
        "name": "sign.png", "content_base64": base64.b64encode(pdf_bytes()).decode()}})
    assert status == 400 and body["error"]["field"] == "signature", body
    stored = zhao.get(f"/field-records/{rid}")[1]
    assert stored["status"] == "draft" and stored["devices"] == [] and stored["check_out"] is None
    assert [p["kind"] for p in stored["photos"]] == ["work"]
    assert w["enterprise"].get("/field-records")[1]["total"] == 0

    # the colleague may not sign the engineer's draft either
    status, body = w["zhou"].post(f"/field-records/{rid}/submit", {**good, "submission_id": "submit-zhou-0001"})
    assert status == 404, body
    status, record = zhao.post(f"/field-records/{rid}/submit", good)
    assert status == 200 and record["verdict"]["passed"] is True, record


def test_far_or_impossibly_fast_check_ins_and_a_reused_photo_are_accepted_but_flagged(world, clock):
    w, zhao = world, world["zhao"]
    task_id = w["task"]["id"]
    # 3 km east of the outlet: accepted, flagged with the distance
    status, far = start_record(zhao, task_id, w["ww"], "ww_inspection", "start-far-00001",
                               check_in=at_outlet(w["ww"], east_m=3000, accuracy=30))
    assert status == 201, far
    assert [f["code"] for f in far["flags"]] == ["far_from_outlet"]
    assert 2950 < far["flags"][0]["distance_m"] < 3050 and far["flags"][0]["radius_m"] == 500
    assert work_photo(zhao, far["id"], "photo-far-00001")[0] == 201

    # five minutes later the same phone checks in 50 km away: no one travels at 600 km/h
    clock.set("2026-11-23T10:05:00+08:00")
    lng, lat = offset(w["fg"]["longitude"], w["fg"]["latitude"], 0, -50_000)
    g_lng, g_lat = wgs84_to_gcj02(lng, lat)
    status, fast = start_record(zhao, task_id, w["fg"], "fg_calibration", "start-fast-0001",
                                check_in={"longitude": g_lng, "latitude": g_lat, "accuracy": 10})
    assert status == 201, fast
    codes = {f["code"]: f for f in fast["flags"]}
    assert set(codes) == {"far_from_outlet", "impossible_speed"}
    assert codes["impossible_speed"]["speed_kmh"] > 500 and codes["impossible_speed"]["minutes"] == 5

    # the first record's photo, forwarded through a chat app, on another record
    clock.set("2026-11-23T11:30:00+08:00")
    status, other = start_record(zhao, task_id, w["fg"], "fg_inspection_extractive", "start-dup-00001",
                                 check_in=at_outlet(w["fg"]))
    assert status == 201, other
    status, original = work_photo(zhao, other["id"], "photo-dup-00001", different_photo())
    assert status == 201 and original["flags"] == [], original
    status, copy = work_photo(zhao, fast["id"], "photo-fast-0001", variant(face_jpeg()))
    assert status == 201, copy
    assert [(f["code"], f["other_subject_id"]) for f in copy["flags"]] == [("duplicate_photo", far["id"])]
    record = zhao.get(f"/field-records/{fast['id']}")[1]
    assert "duplicate_photo" in {f["code"] for f in record["flags"]}
    first = zhao.get(f"/field-records/{far['id']}")[1]
    assert [f["code"] for f in first["flags"]] == ["far_from_outlet"]
    assert first["photos"][0]["flags"] == []


def signed(token, timestamp, nonce):
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


def test_a_forged_wechat_signature_is_refused(system, client):
    token = system.extensions["emss_wechat"].config.token
    timestamp, nonce = str(int(time.time())), "1405727853"
    xml = ("<xml><ToUserName><![CDATA[gh_emss]]></ToUserName><FromUserName><![CDATA[oEMSSzhaoqiang0000000000001]]>"
           "</FromUserName><CreateTime>%s</CreateTime><MsgType><![CDATA[text]]></MsgType>"
           "<Content><![CDATA[运维记录]]></Content><MsgId>1234567890123456</MsgId></xml>" % timestamp)
    forged = client.post("/wechat", query_string={"signature": signed("not-the-token", timestamp, nonce),
                                                  "timestamp": timestamp, "nonce": nonce},
                         data=xml.encode(), content_type="text/xml")
    assert forged.status_code == 403
    genuine = client.post("/wechat", query_string={"signature": signed(token, timestamp, nonce),
                                                   "timestamp": timestamp, "nonce": nonce},
                          data=xml.encode(), content_type="text/xml")
    assert genuine.status_code == 200, genuine.data
    handshake = client.get("/wechat", query_string={"signature": signed("x", timestamp, nonce), "timestamp": timestamp,
                                                    "nonce": nonce, "echostr": "4783548924783"})
    assert handshake.status_code == 403 and b"4783548924783" not in handshake.data
