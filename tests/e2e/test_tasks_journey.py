"""Contracts, O&M tasks, the maintenance view and report uploads end to end over HTTP; the tasks
service validates against its own copy of the registry, kept from events."""
import base64

import pytest

from tests import builders as b
from tests.bus import EventTap
from tests.waiting import eventually

ADMIN_PASSWORD = "Admin#Test2026"
PASSWORD = "Field#Pass2026"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def succeeds(call):
    """A call that succeeds once the tasks service's copy of the registry has caught up."""
    def check():
        status, body = call()
        assert status < 400, body
        return status, body
    return eventually(check)


@pytest.fixture
def world(anonymous, login):
    """A published O&M institution with a certified engineer, a 浦东 regulator, and an enterprise
    with a wastewater outlet (COD analyzer) and a flue-gas outlet (SO2 CEMS)."""
    admin = login("admin", ADMIN_PASSWORD)
    admin.post("/regulators", {**b.account("pd_reg"), "district": "浦东新区"})
    regulator = login("pd_reg", PASSWORD)
    _, reg = anonymous.post("/institutions", {"institution": b.institution(), "account": b.account("om_admin")})
    inst_id = reg["institution"]["id"]
    inst = login("om_admin", PASSWORD)
    inst.post(f"/institutions/{inst_id}/transitions", {"action": "submit"})
    regulator.post(f"/institutions/{inst_id}/transitions", {"action": "approve_first"})
    staff_ids = []
    for n, (name, role) in enumerate([("赵强", "om_staff"), ("钱伟", "technical_lead"), ("孙丽", "quality_lead")]):
        staff_ids.append(inst.post(f"/institutions/{inst_id}/staff", b.staff(name, role, n=n + 1))[1]["staff"][-1]["id"])
    inst.post(f"/institutions/{inst_id}/transitions", {"action": "submit_second"})
    regulator.post(f"/institutions/{inst_id}/transitions", {"action": "approve_second"})
    regulator.post(f"/institutions/{inst_id}/transitions", {"action": "publish"})
    _, ent = anonymous.post("/enterprises", {"enterprise": b.enterprise(), "account": b.account("ent_user")})
    ent_id = ent["enterprise"]["id"]
    enterprise = login("ent_user", PASSWORD)
    _, ww = enterprise.post(f"/enterprises/{ent_id}/outlets", b.outlet("wastewater"))
    _, fg = enterprise.post(f"/enterprises/{ent_id}/outlets", b.outlet("flue_gas", "1#锅炉废气排口DA001"))
    _, cod = enterprise.post(f"/outlets/{ww['id']}/devices", {"device": b.water_analyzer(), "changed_on": "2026-11-20"})
    _, so2 = enterprise.post(f"/outlets/{fg['id']}/devices", {"device": b.cems(), "changed_on": "2026-11-20"})
    return dict(inst=inst, inst_id=inst_id, regulator=regulator, enterprise=enterprise, ent_id=ent_id,
                ww=ww, fg=fg, cod=cod, so2=so2, om_staff=staff_ids[0], lead=staff_ids[1])


def contract_body(ent_id, **kw):
    return {"title": "2027年度自动监控设施运维服务合同", "nature": "om", "enterprise_id": ent_id,
            "amount": "180000.00", "start": "2026-12-01", "end": "2027-11-30", **kw}


def submitted_contract(w):
    status, contract = succeeds(lambda: w["inst"].post("/contracts", contract_body(w["ent_id"])))
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
