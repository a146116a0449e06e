"""Supervision end to end through the gateway (issue 11, "Done means"): a one-week O&M task in which
the weekly inspection is missed, the comparison report is uploaded a working day late, a fault
repair takes longer than the standard allows and a work photo is reused across records. Exactly
those four warnings are raised, once each; the district's regulator and the institution see them,
another district's regulator and another institution do not; and after the credit service is
restarted with its watermarks cleared (every fact read again from the sources) and the events
published again, nothing changes.

The week is Monday 2026-11-16 to Sunday 2026-11-22. Every record is confirmed by the enterprise
the same day, so nothing else (overdue confirmations, idle task, defaults the plan omits) is owed.
"""
import base64
from datetime import datetime

import pytest

from credit.service import CreditService
from services.fieldrecords.tests.form_samples import SHANGHAI, sample_content
from tests import builders as b
from tests.bus import EventFeed, EventTap
from tests.e2e.test_confirmation_journey import signed
from tests.e2e.worlds import (enterprise_with_outlets, filed_institution, outlet_at, regulator,
                              running_task, start_record, submit_body, submitted_contract, upload,
                              wait_for_field_task, wechat_field_api, field_account)
from tests.images import different_photo, face_jpeg, pdf_bytes, signature_png
from tests.waiting import eventually

EXPECTED = {"OM_MISSED", "REPORT_LATE", "FAULT_SLOW", "INTEGRITY_DUPLICATE_PHOTO"}


@pytest.fixture
def now():
    return "2026-11-16T09:00:00+08:00"


@pytest.fixture
def service_config(service_config):
    # Sweeps that decide windows, overdue confirmations and time-based rules run every half second,
    # as they would every few minutes in production.
    return {**service_config, "EMSS_OBLIGATION_SWEEP_SECONDS": "0.5", "EMSS_CONFIRMATION_SWEEP_SECONDS": "0.5",
            "EMSS_RULE_CHECK_SECONDS": "0.5", "EMSS_ORDER_SWEEP_SECONDS": "0.5"}


@pytest.fixture
def world(anonymous, login, system):
    reg = regulator(login)
    inst, inst_doc, staff = filed_institution(
        anonymous, login, reg, "om_admin", [("赵强", "om_staff"), ("钱伟", "technical_lead"), ("孙丽", "quality_lead")])
    other, _, _ = filed_institution(
        anonymous, login, reg, "other_admin", [("李雷", "om_staff"), ("韩梅", "technical_lead"), ("王芳", "quality_lead")],
        institution=b.institution("上海澄明环境技术有限公司", code=b.credit_code(7)))
    ww = outlet_at("wastewater", "废水总排口DW001", "DW001", 121.5453, 31.2212)
    enterprise, ent_id, outlets, devices = enterprise_with_outlets(
        anonymous, login, "ent_user", {"ww": (ww, {"cod": b.water_analyzer("w01018")})})
    w = dict(inst=inst, inst_id=inst_doc["id"], regulator=reg, other=other, enterprise=enterprise, ent_id=ent_id,
             ww=outlets["ww"], cod=devices["cod"])
    contract = submitted_contract(w, start="2026-11-01", end="2027-10-31")
    ww_id = outlets["ww"]["id"]
    w["task"] = running_task(inst, reg, {
        "name": "东方化工一周运维", "enterprise_id": ent_id, "contract_id": contract["id"],
        "start": "2026-11-16", "end": "2026-11-22", "outlet_ids": [ww_id], "staff_ids": [staff[0]],
        "device_ids": [devices["cod"]["id"]],
        "plan": [{"outlet_id": ww_id, "form_kind": "ww_inspection", "frequency": {"kind": "weekly"}},
                 {"outlet_id": ww_id, "form_kind": "ww_standard_check", "frequency": {"kind": "every_n_days", "n": 7}},
                 {"outlet_id": ww_id, "form_kind": "ww_comparison", "frequency": {"kind": "monthly"}},
                 {"outlet_id": ww_id, "form_kind": "ww_maintenance", "frequency": {"kind": "on_demand"}}]})
    field_account(inst, "zhaoqiang", staff[0], "赵强")
    w["zhao"] = wechat_field_api(system, "zhaoqiang", "oEMSSzhaoqiang0000000000001")
    wait_for_field_task(w["zhao"], w["task"]["id"])
    w["hp_regulator"] = regulator(login, "hp_reg", "黄浦区")
    return w


def file_record(w, clock, form_kind, started, photo, n, passing=True, at=None):
    """Check in at `started` (Shanghai wall time), photograph, fill the form, sign and check out half
    an hour later: what 赵强's phone does on site."""
    zhao = w["zhao"]
    clock.set(f"{started}+08:00")
    status, draft = start_record(zhao, w["task"]["id"], w["ww"], form_kind, f"sv-start-{n:04d}")
    assert status == 201, draft
    status, body = upload(zhao, f"/field-records/{draft['id']}/photos", photo, "IMG_0001.jpg",
                          upload_id=f"sv-photo-{n:04d}", kind="work")
    assert status == 201, body
    clock.set(f"{started[:11]}{int(started[11:13]):02d}:30:00+08:00")
    content = sample_content(form_kind, [w["cod"]], passing=passing, at=at)
    status, record = zhao.post(f"/field-records/{draft['id']}/submit",
                               submit_body(w["ww"], content, f"sv-submit-{n:04d}", signature_png()))
    assert status == 200 and record["status"] == "submitted", record
    return record


def confirm_day(w, day, records):
    """The enterprise confirms the day's records the same day, once confirmation has them."""
    ids = [r["id"] for r in records]

    def pending():
        status, days = w["enterprise"].get("/confirmation/days")
        assert status == 200, days
        mine = [d for d in days["days"] if d["day"] == day]
        assert mine and mine[0]["counts"]["pending"] == len(ids), days
    eventually(pending)
    status, out = w["enterprise"].post(f"/confirmation/days/{day}/confirm", signed(record_ids=ids))
    assert status == 200 and sorted(r["record_id"] for r in out["confirmed"]) == sorted(ids), out


def warnings_of(api, **query):
    status, page = api.get("/supervision/warnings", size=100, **query)
    assert status == 200, page
    return page


def wait_for_rules(api, rules, timeout=90):
    def check():
        items = warnings_of(api)["items"]
        assert {w["rule"] for w in items} >= rules, [w["rule"] for w in items]
        return items
    return eventually(check, timeout=timeout)


def credit_container(system_containers):
    return next(c for c in system_containers if c.service_name == "credit")


def test_a_week_of_missed_late_slow_and_reused_work_raises_exactly_those_warnings_once(
        world, clock, system_containers, container_factory, service_config, now):
    w = world
    with EventTap(service_config["AMQP_URI"], "credit", routing_keys=("warning.raised",)) as raised, \
            EventTap(service_config["AMQP_URI"], "tasks") as from_tasks:
        # Monday: the standard check and the comparison, each with its own photo
        check = file_record(w, clock, "ww_standard_check", "2026-11-16T09:00:00", different_photo(), 1)
        comparison = file_record(w, clock, "ww_comparison", "2026-11-16T10:00:00", face_jpeg(), 2)
        confirm_day(w, "2026-11-16", [check, comparison])
        # Tuesday: a simple fault found at 23:00 on Monday, fixed at 09:00 — 10 h, over the 8 h of a
        # simple fault; the photo is Monday's comparison photo again
        repair = file_record(w, clock, "ww_maintenance", "2026-11-17T09:00:00", face_jpeg(), 3, passing=False,
                             at=datetime(2026, 11, 17, 2, 0, tzinfo=SHANGHAI))
        confirm_day(w, "2026-11-17", [repair])
        # no 日常巡检 all week. Monday 11-23 10:00: the week's windows are decided
        clock.set("2026-11-23T10:00:00+08:00")
        from_tasks.wait_for("occurrence.missed")
        wait_for_rules(w["regulator"], {"OM_MISSED", "FAULT_SLOW", "INTEGRITY_DUPLICATE_PHOTO"})
        # the comparison report, issued on the day of the work, due Monday 11-23 (5 working days),
        # uploaded at 01:00 on Tuesday: one working day late
        clock.set("2026-11-24T01:00:00+08:00")
        status, report = w["inst"].post("/reports", {
            "number": "BD-2026-1116", "kind": "water_comparison", "task_id": w["task"]["id"],
            "plan_item_id": w["task"]["plan"][2]["id"], "performed_on": "2026-11-16", "issued_on": "2026-11-16",
            "file": {"name": "比对报告.pdf", "content_base64": base64.b64encode(pdf_bytes()).decode()}})
        assert status == 201 and report["late"] is True, report
        items = wait_for_rules(w["regulator"], EXPECTED)
        clock.set("2026-11-24T10:00:00+08:00")   # the report deadline decided: answered, not missing

        # exactly those, once each
        assert sorted(i["rule"] for i in items) == sorted(EXPECTED), [i["rule"] for i in items]
        by_rule = {i["rule"]: i for i in items}
        missed = from_tasks.of("occurrence.missed")
        assert {e["data"]["occurrence"]["form_kind"] for e in missed} == {"ww_inspection"}

        # each with its evidence, linked to its page
        status, slow = w["regulator"].get(f"/supervision/warnings/{by_rule['FAULT_SLOW']['id']}")
        assert status == 200, slow
        assert [(e["kind"], e["id"], e["link"]) for e in slow["evidence"] if e["kind"] == "record"] == [
            ("record", repair["id"], f"/records/{repair['id']}")]
        status, dup = w["regulator"].get(f"/supervision/warnings/{by_rule['INTEGRITY_DUPLICATE_PHOTO']['id']}")
        assert repair["id"] in {e["id"] for e in dup["evidence"]}, dup
        status, late = w["regulator"].get(f"/supervision/warnings/{by_rule['REPORT_LATE']['id']}")
        assert report["id"] in {e["id"] for e in late["evidence"]}, late
        status, om = w["regulator"].get(f"/supervision/warnings/{by_rule['OM_MISSED']['id']}")
        assert om["numbers"] or om["summary"], om
        assert all(item["status"] == "open" for item in items)

        # who sees them
        assert warnings_of(w["hp_regulator"])["items"] == []
        assert warnings_of(w["other"])["items"] == []
        assert w["other"].get(f"/supervision/warnings/{by_rule['FAULT_SLOW']['id']}")[0] == 404
        assert w["hp_regulator"].get(f"/supervision/warnings/{by_rule['FAULT_SLOW']['id']}")[0] == 404
        assert {i["id"] for i in warnings_of(w["inst"])["items"]} == {i["id"] for i in items}

        # once each on the bus (a redelivered copy carries the same event id)
        eventually(lambda: _assert_equal({e["subject"] for e in raised.of("warning.raised")},
                                         {i["id"] for i in items}), timeout=30)
        assert len({e["id"] for e in raised.of("warning.raised")}) == len(EXPECTED)

        # restart credit with its watermarks cleared: reconciliation reads every fact again from
        # fieldrecords, confirmation and tasks; the tapped facts are also published again
        before = {i["id"]: (i["rule"], i["status"]) for i in items}
        old = credit_container(system_containers)
        old.stop()
        from emss_common.store import client_for
        client = client_for(service_config["MONGO_URI"])
        credit_db = client[f"emss_credit{service_config['EMSS_DB_SUFFIX']}"]
        credit_db["watermarks"].delete_many({})
        restarted = container_factory(CreditService, {**service_config, "EMSS_FROZEN_NOW": "2026-11-24T10:00:00+08:00",
                                                      "EMSS_SESSION_HOURS": "2160", "EMSS_RECONCILE_SECONDS": "1"})
        restarted.start()
        feed = EventFeed(service_config)
        for event in from_tasks.of("occurrence.missed") + from_tasks.of("occurrence.fulfilled") + \
                from_tasks.of("report.uploaded"):
            feed.send("tasks", event["type"], event["subject"], event["data"], event=event)

        def caught_up():
            marks = {m["_id"] for m in credit_db["watermarks"].find({}, {"_id": 1})}
            assert {"fieldrecords.records", "confirmation.records", "tasks.outcomes"} <= marks, marks
        eventually(caught_up, timeout=90)
        after = warnings_of(w["regulator"])["items"]
        assert {i["id"]: (i["rule"], i["status"]) for i in after} == before
        assert len({e["id"] for e in raised.of("warning.raised")}) == len(EXPECTED)


def _assert_equal(a, b):
    assert a == b, (a, b)


def test_a_warning_becomes_an_order_answered_returned_answered_and_accepted_and_an_ignored_order_a_finding(
        world, clock):
    w, reg, inst = world, world["regulator"], world["inst"]
    file_record(w, clock, "ww_standard_check", "2026-11-16T09:00:00", different_photo(), 11)
    file_record(w, clock, "ww_comparison", "2026-11-16T10:00:00", face_jpeg(), 12)
    repair = file_record(w, clock, "ww_maintenance", "2026-11-17T09:00:00", face_jpeg(), 13, passing=False,
                         at=datetime(2026, 11, 17, 2, 0, tzinfo=SHANGHAI))
    by_rule = {i["rule"]: i for i in wait_for_rules(reg, {"FAULT_SLOW", "INTEGRITY_DUPLICATE_PHOTO"})}
    slow, dup = by_rule["FAULT_SLOW"], by_rule["INTEGRITY_DUPLICATE_PHOTO"]

    def issue(warning, title):
        status, order = reg.post("/orders", {
            "addressee": {"kind": "institution", "id": w["inst_id"]}, "title": title,
            "items": [{"title": warning["rule_name"], "requirement": "查明原因，整改并提交证明材料",
                       "warning_ids": [warning["id"]]}]})
        assert status == 201 and order["status"] == "issued", order
        return order
    order = issue(slow, "故障处理超时整改")
    assert reg.get(f"/supervision/warnings/{slow['id']}")[1]["status"] == "ordered"
    assert w["other"].get(f"/orders/{order['id']}")[0] == 404
    assert w["hp_regulator"].get(f"/orders/{order['id']}")[0] == 404
    item_id = order["items"][0]["id"]

    def answer(text):
        status, out = inst.post(f"/orders/{order['id']}/answer", {"answers": [{
            "item_id": item_id, "text": text, "record_ids": [repair["id"]],
            "files": [{"name": "整改说明.pdf", "content_base64": base64.b64encode(pdf_bytes()).decode()}]}]})
        assert status == 200 and out["status"] == "answered", out
        return out
    answer("已更换加热元件，并对运维人员开展故障响应培训")
    status, body = reg.post(f"/orders/{order['id']}/review", {"decision": "return"})
    assert status == 400 and body["error"]["field"] == "reason", body
    status, out = reg.post(f"/orders/{order['id']}/review", {"decision": "return", "reason": "未附培训签到表"})
    assert status == 200 and out["status"] == "returned", out
    answer("补充培训签到表")
    status, out = reg.post(f"/orders/{order['id']}/review", {"decision": "accept"})
    assert status == 200 and out["status"] == "accepted", out
    status, done = reg.get(f"/orders/{order['id']}")
    assert [s["action"] for s in done["trail"]] == ["issue", "answer", "return", "answer", "accept"], done["trail"]
    eventually(lambda: _assert_equal(reg.get(f"/supervision/warnings/{slow['id']}")[1]["status"], "rectified"))

    # the other order is left unanswered past its 10 working days (11-17 → 12-01)
    ignored = issue(dup, "照片雷同整改")
    assert ignored["due"] == "2026-12-01", ignored
    clock.set("2026-12-01T23:00:00+08:00")
    assert [i for i in warnings_of(reg, rule="ORDER_OVERDUE")["items"]] == []
    clock.set("2026-12-02T09:00:00+08:00")
    wait_for_rules(reg, {"ORDER_OVERDUE"})
    [overdue] = warnings_of(reg, rule="ORDER_OVERDUE")["items"]   # once, however many sweeps ran
    assert ignored["id"] in {e["id"] for e in reg.get(f"/supervision/warnings/{overdue['id']}")[1]["evidence"]}
    assert reg.get(f"/orders/{order['id']}")[1]["status"] == "accepted"   # the answered one is not overdue
