"""Contracts, O&M tasks, the maintenance view and report uploads end to end over HTTP; the tasks
service validates against its own copy of the registry, kept from events."""
import base64

import pytest

from tests import builders as b
from tests.bus import EventTap
from tests.e2e.worlds import ADMIN_PASSWORD, PASSWORD, contract_body, om_world, submitted_contract, task_body

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def world(anonymous, login):
    return om_world(anonymous, login)


def test_a_contract_changes_only_through_a_reviewed_request_and_keeps_every_version(world, login, service_config):
    w = world
    contract = submitted_contract(w)
    status, body = w["inst"].put(f"/contracts/{contract['id']}", contract_body(w["ent_id"], amount="1.00"))
    assert status == 409 and body["error"]["field"] == "status"
    with EventTap(service_config["AMQP_URI"], "tasks") as bus:
        status, cr = w["inst"].post(f"/contracts/{contract['id']}/change-requests",
                                    {"contract": contract_body(w["ent_id"], amount="200000.00"),
                                     "reason": "增加非甲烷总烃监测设备运维"})
        assert status == 201 and cr["changes"] == [{"field": "amount", "old": 180000.0, "new": 200000.0}]
        status, done = w["regulator"].post(f"/task-change-requests/{cr['id']}/decision", {"decision": "approve"})
        assert status == 200 and done["status"] == "approved", done
        assert bus.wait_for("contract.change_approved")["data"]["contract"]["amount"] == 200000.0
    status, trail = w["inst"].get(f"/contracts/{contract['id']}/trail")
    assert [v["data"]["amount"] for v in trail["versions"]] == [180000.0, 200000.0]
    assert trail["versions"][1]["approved_by"]["username"] == "pd_reg"
    assert trail["change_requests"][0]["reason"] == "增加非甲烷总烃监测设备运维"
    # 甲方筛选 and jurisdiction
    assert len(w["regulator"].get("/contracts", enterprise_id=w["ent_id"])[1]) == 1
    login("admin", ADMIN_PASSWORD).post("/regulators", {**b.account("hp_reg"), "district": "黄浦区"})
    assert login("hp_reg", PASSWORD).get("/contracts")[1] == []


def test_a_task_with_a_looser_plan_or_a_foreign_device_is_refused_and_a_good_one_runs(world, clock, service_config):
    w = world
    contract = submitted_contract(w)
    loose = task_body(w, contract["id"])
    loose["plan"][2]["frequency"] = {"kind": "every_n_days", "n": 10}
    status, body = w["inst"].post("/tasks", loose)
    assert status == 400 and body["error"]["field"] == "plan[2].frequency", body
    foreign = task_body(w, contract["id"], outlet_ids=[w["fg"]["id"]], device_ids=[w["cod"]["id"]],
                        plan=[task_body(w, contract["id"])["plan"][2]])
    status, body = w["inst"].post("/tasks", foreign)
    assert status == 400 and body["error"]["field"] == "device_ids[0]"
    status, body = w["inst"].post("/tasks", task_body(w, contract["id"], staff_ids=[w["lead"]]))
    assert status == 400 and body["error"]["field"] == "staff_ids[0]"
    assert w["inst"].get("/tasks")[1] == []

    with EventTap(service_config["AMQP_URI"], "tasks") as bus:
        status, task = w["inst"].post("/tasks", task_body(w, contract["id"]))
        assert status == 201, task
        assert w["inst"].post(f"/tasks/{task['id']}/transitions", {"action": "apply"})[1]["status"] == "applied"
        status, task = w["regulator"].post(f"/tasks/{task['id']}/transitions", {"action": "approve"})
        assert task["status"] == "in_progress"
        approved = bus.wait_for("task.approved")["data"]["task"]
        assert approved["staff_ids"] == [w["om_staff"]] and len(approved["plan"]) == 5

    clock.set("2026-12-16T10:00:00+08:00")
    status, week = w["inst"].get(f"/tasks/{task['id']}/maintenance", view="week")
    assert week["start"] == "2026-12-14" and week["end"] == "2026-12-20"
    assert {r["form_name"] for r in week["items"]} >= {"日常巡检", "完全抽取法CEMS日常巡检"}
    status, overdue = w["inst"].get(f"/tasks/{task['id']}/maintenance", view="overdue")
    assert overdue["items"] and all(r["status"] == "overdue" for r in overdue["items"])
    assert {r["window_end"] < "2026-12-16" for r in overdue["items"]} == {True}
    listing = w["regulator"].get("/tasks", state="overdue")[1]
    assert [t["id"] for t in listing] == [task["id"]] and listing[0]["overdue"] == len(overdue["items"])

    status, q = w["inst"].get(f"/tasks/{task['id']}/occurrences", start="2027-01-01", end="2027-03-31")
    inspections = [r for r in q if r["form_kind"] == "ww_inspection"]
    assert inspections[0]["window_start"] == "2027-01-01" and inspections[0]["window_end"] == "2027-01-03"
    assert len(inspections) == 14   # 01-01..03, twelve full weeks, 03-29..31
    assert [r["window_start"] for r in q if r["form_kind"] == "fg_periodic_check"] == ["2027-01-01", "2027-03-01"]


def test_a_report_uploaded_on_the_sixth_working_day_is_late(world, clock):
    w = world
    contract = submitted_contract(w)
    status, task = w["inst"].post("/tasks", task_body(w, contract["id"]))
    clock.set("2027-01-14T10:00:00+08:00")
    meta = {"number": "BD-2027-001", "kind": "water_comparison", "task_id": task["id"],
            "plan_item_id": task["plan"][1]["id"], "performed_on": "2027-01-05", "issued_on": "2027-01-06"}
    status, body = w["inst"].post("/reports", {**meta, "file": {"name": "比对报告.exe",
                                                               "content_base64": base64.b64encode(b"MZ\x90").decode()}})
    assert status == 400 and body["error"]["field"] == "file"
    # issued Wed 01-06 → 01-07, 08, 11, 12, 13 (chinese_calendar does not know 2027: counted Mon–Fri, provisional)
    status, on_time = w["inst"].post("/reports", {**meta, "file": {"name": "比对报告.pdf",
                                                                  "content_base64": base64.b64encode(PDF).decode()}})
    assert status == 201, on_time
    assert on_time["due"] == "2027-01-13" and on_time["late"] is True and on_time["due_provisional"] is True
    resp = w["inst"].client.get(f"/api/v1/reports/{on_time['id']}/file",
                                headers={"Authorization": f"Bearer {w['inst'].token}"})
    assert resp.status_code == 200 and resp.data == PDF and resp.mimetype == "application/pdf"
    status, body = w["inst"].post("/reports", {**meta, "file": {"name": "x.pdf", "content_base64": base64.b64encode(PDF).decode()}})
    assert status == 409 and body["error"]["field"] == "number"
