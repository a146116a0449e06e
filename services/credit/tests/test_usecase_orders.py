"""Rectification orders on the test store: issued from warnings by the regulator of their district,
answered by their addressee with files checked by content, returned with a reason, accepted (the
warnings rectified), every step in the trail; an order left past its deadline raises ORDER_OVERDUE
once. Nothing is stored from a refused request."""
import base64

import pytest

from credit.supervision.findings import finding_id
from credit.usecases import orders, warnings
from emss_common.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from services.credit.tests.findings import (CITY, ENTERPRISE, INSTITUTION, MINHANG, OTHER_INSTITUTION, PUDONG, actor,
                                            finding)

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
HTML = b"<html><body>%PDF-1.7</body></html>"
STAFF = actor("yunwei1", ["field_staff"], institution_id="i1")


def upload(content, name="整改说明.pdf"):
    return {"name": name, "content_base64": base64.b64encode(content).decode()}


@pytest.fixture
def two_warnings(ctx):
    ctx.db["institutions"].insert_one({"id": "i1", "name": "甲运维公司"})
    a, _ = warnings.raise_finding(ctx, finding(key="occ-1"))
    b, _ = warnings.raise_finding(ctx, finding(rule="REPORT_LATE", key="rep-1"))
    ctx.events.events.clear()
    return a["id"], b["id"]


def issue_payload(wa, wb, **kw):
    return {"addressee": {"kind": "institution", "id": "i1"}, "title": "运维频次不足整改",
            "items": [{"title": "补做日常巡检", "requirement": "按计划完成巡检并上传记录", "warning_ids": [wa]},
                      {"title": "补传比对报告", "requirement": "5个工作日内上传", "warning_ids": [wb]}], **kw}


def answers(order, files=None, text="已整改"):
    return {"answers": [{"item_id": item["id"], "text": text, "files": files if files is not None else [upload(PDF)],
                         "record_ids": ["rec-9"]} for item in order["items"]]}


def types(ctx):
    return [t for t, _, _ in ctx.events.events]


def status_of(ctx, wid):
    return ctx.db["warnings"].find_one({"id": wid})["status"]


def test_an_order_is_issued_from_warnings_with_its_deadline_in_working_days(ctx, two_warnings):
    wa, wb = two_warnings
    order = orders.issue_order(ctx, PUDONG, issue_payload(wa, wb))
    assert order["status"] == "issued" and order["status_label"] == "待整改"
    assert order["number"] == "ZG2026000001"
    assert order["district"] == "浦东新区" and order["addressee"] == {"kind": "institution", "id": "i1",
                                                                    "name": "甲运维公司"}
    # Monday 23 Nov 2026 + 10 working days, two weekends inside
    assert (order["issued_on"], order["due"], order["working_days"]) == ("2026-11-23", "2026-12-07", 10)
    assert [i["warning_ids"] for i in order["items"]] == [[wa], [wb]]
    assert [(t["action"], t["by"]["username"], t["to"]) for t in order["trail"]] == [("issue", "pudong", "issued")]
    for wid in (wa, wb):
        stored = ctx.db["warnings"].find_one({"id": wid})
        assert stored["status"] == "ordered" and stored["order_ids"] == [order["id"]]
        assert stored["trail"][-1]["order_id"] == order["id"]
    assert types(ctx)[0] == "order.issued"


def test_the_deadline_is_configurable_and_may_be_set_per_order(ctx, two_warnings):
    wa, wb = two_warnings
    ctx.config["EMSS_ORDER_WORKING_DAYS"] = 5
    assert orders.issue_order(ctx, PUDONG, {**issue_payload(wa, wb), "items": [
        {"title": "补做", "requirement": "补做", "warning_ids": [wa]}]})["due"] == "2026-11-30"
    assert orders.issue_order(ctx, CITY, {**issue_payload(wa, wb), "working_days": 1, "items": [
        {"title": "补传", "requirement": "补传", "warning_ids": [wb]}]})["due"] == "2026-11-24"


def test_orders_are_seen_by_their_district_the_city_and_their_addressee_only(ctx, two_warnings):
    order = orders.issue_order(ctx, PUDONG, issue_payload(*two_warnings))
    for who in (PUDONG, CITY, INSTITUTION):
        assert [o["id"] for o in orders.list_orders(ctx, who)["items"]] == [order["id"]]
        assert orders.get_order(ctx, who, order["id"])["id"] == order["id"]
    for who in (MINHANG, OTHER_INSTITUTION, ENTERPRISE):
        assert orders.list_orders(ctx, who)["items"] == []
        with pytest.raises(NotFound):
            orders.get_order(ctx, who, order["id"])
    assert orders.get_order(ctx, INSTITUTION, order["id"])["may_answer"] is True
    assert orders.get_order(ctx, PUDONG, order["id"])["may_review"] is False


@pytest.mark.parametrize("who, payload_change, error, field", [
    (MINHANG, {}, ValidationFailed, "items[0].warning_ids[0]"),      # another district's warning is unknown to him
    (INSTITUTION, {}, Forbidden, None),
    (PUDONG, {"addressee": {"kind": "institution", "id": "i2"}}, ValidationFailed, "items[0].warning_ids[0]"),
    (PUDONG, {"items": [{"title": "x", "requirement": "y"}]}, ValidationFailed, "items.0.warning_ids"),
    (PUDONG, {"items": [{"title": "x", "requirement": "y", "warning_ids": ["nope"]}]}, ValidationFailed,
     "items[0].warning_ids[0]"),
])
def test_an_order_refused_stores_nothing_and_leaves_the_warnings_open(ctx, two_warnings, who, payload_change, error,
                                                                    field):
    wa, wb = two_warnings
    with pytest.raises(error) as err:
        orders.issue_order(ctx, who, {**issue_payload(wa, wb), **payload_change})
    if field:
        assert err.value.field == field
    assert ctx.db["orders"].count_documents({}) == 0
    assert status_of(ctx, wa) == status_of(ctx, wb) == "open"
    assert ctx.events.events == []


def test_a_warning_already_ordered_cannot_be_ordered_again(ctx, two_warnings):
    wa, wb = two_warnings
    orders.issue_order(ctx, PUDONG, issue_payload(wa, wb))
    with pytest.raises(ValidationFailed) as err:
        orders.issue_order(ctx, PUDONG, issue_payload(wa, wb))
    assert err.value.field == "items[0].warning_ids[0]"
    assert ctx.db["orders"].count_documents({}) == 1


def test_issue_answer_return_answer_accept_keeps_every_step_and_rectifies_the_warnings(ctx, two_warnings):
    wa, wb = two_warnings
    order = orders.issue_order(ctx, PUDONG, issue_payload(wa, wb))
    ctx.clock.advance(days=1)
    answered = orders.answer_order(ctx, INSTITUTION, order["id"], answers(order))
    assert answered["status"] == "answered"
    with pytest.raises(ValidationFailed) as err:
        orders.review_order(ctx, PUDONG, order["id"], {"decision": "return"})
    assert err.value.field == "reason"
    returned = orders.review_order(ctx, PUDONG, order["id"], {"decision": "return", "reason": "照片不清晰，请补充"})
    assert (returned["status"], returned["round"]) == ("returned", 2)
    with pytest.raises(InvalidTransition):
        orders.review_order(ctx, PUDONG, order["id"], {"decision": "accept"})
    orders.answer_order(ctx, INSTITUTION, order["id"], answers(order, files=[upload(PNG, "现场.png")], text="已补充"))
    accepted = orders.review_order(ctx, CITY, order["id"], {"decision": "accept"})
    assert accepted["status"] == "accepted"
    stored = orders.get_order(ctx, PUDONG, order["id"])
    assert [(t["action"], t["by"]["username"], t["from"], t["to"], t["reason"]) for t in stored["trail"]] == [
        ("issue", "pudong", None, "issued", None),
        ("answer", "jigou1", "issued", "answered", None),
        ("return", "pudong", "answered", "returned", "照片不清晰，请补充"),
        ("answer", "jigou1", "returned", "answered", None),
        ("accept", "shi", "answered", "accepted", None)]
    # nothing replaced: both rounds of answers kept, each with its files and linked records
    first = stored["items"][0]["answers"]
    assert [(a["round"], a["text"], a["files"][0]["content_type"], a["record_ids"]) for a in first] == [
        (1, "已整改", "application/pdf", ["rec-9"]), (2, "已补充", "image/png", ["rec-9"])]
    assert status_of(ctx, wa) == status_of(ctx, wb) == "rectified"
    assert [t for t in types(ctx) if t.startswith("order.")] == [
        "order.issued", "order.answered", "order.returned", "order.answered", "order.accepted"]
    got = orders.order_file(ctx, INSTITUTION, order["id"], first[0]["files"][0]["id"])
    assert base64.b64decode(got["content_base64"]) == PDF and got["content_type"] == "application/pdf"
    with pytest.raises(NotFound):
        orders.order_file(ctx, OTHER_INSTITUTION, order["id"], first[0]["files"][0]["id"])


def test_only_the_addressee_answers_and_only_the_district_regulator_reviews(ctx, two_warnings):
    order = orders.issue_order(ctx, PUDONG, issue_payload(*two_warnings))
    for who in (PUDONG, STAFF):
        with pytest.raises(Forbidden):
            orders.answer_order(ctx, who, order["id"], answers(order))
    orders.answer_order(ctx, INSTITUTION, order["id"], answers(order))
    with pytest.raises(Forbidden):
        orders.review_order(ctx, INSTITUTION, order["id"], {"decision": "accept"})
    with pytest.raises(NotFound):
        orders.review_order(ctx, MINHANG, order["id"], {"decision": "accept"})


@pytest.mark.parametrize("files, config, field", [
    ([upload(HTML, "整改.pdf")], {}, "answers[0].files[0]"),                     # a page named .pdf
    ([upload(PDF), upload(b"MZ\x90\x00", "a.jpg")], {}, "answers[0].files[1]"),  # the second file is bad
    ([upload(PDF)], {"EMSS_ORDER_MAX_BYTES": 16}, "answers[0].files[0]"),        # too large
    ([{"name": "a.pdf", "content_base64": "%%%"}], {}, "answers[0].files[0]"),   # not base64
])
def test_an_answer_with_a_file_refused_by_content_stores_nothing(ctx, two_warnings, files, config, field):
    order = orders.issue_order(ctx, PUDONG, issue_payload(*two_warnings))
    ctx.config.update(config)
    ctx.events.events.clear()
    with pytest.raises(ValidationFailed) as err:
        orders.answer_order(ctx, INSTITUTION, order["id"], answers(order, files=files))
    assert err.value.field == field
    stored = ctx.db["orders"].find_one({"id": order["id"]})
    assert stored["status"] == "issued" and len(stored["trail"]) == 1
    assert all(item["answers"] == [] for item in stored["items"])
    assert ctx.db["order_files.files"].count_documents({}) == 0
    assert ctx.events.events == []


def test_an_answer_must_answer_every_item(ctx, two_warnings):
    order = orders.issue_order(ctx, PUDONG, issue_payload(*two_warnings))
    payload = answers(order)
    payload["answers"].pop()
    with pytest.raises(ValidationFailed) as err:
        orders.answer_order(ctx, INSTITUTION, order["id"], payload)
    assert err.value.field == "answers"
    assert ctx.db["order_files.files"].count_documents({}) == 0


def test_an_order_past_its_deadline_raises_order_overdue_once(ctx, two_warnings):
    order = orders.issue_order(ctx, PUDONG, issue_payload(*two_warnings))   # due Monday 7 Dec
    ctx.clock.set("2026-12-07T23:59:59+08:00")
    assert orders.sweep_overdue_orders(ctx) == 0                            # the last day itself
    ctx.clock.set("2026-12-08T00:00:00+08:00")
    assert orders.sweep_overdue_orders(ctx) == 1
    assert orders.sweep_overdue_orders(ctx) == 0
    ctx.clock.advance(days=3)
    assert orders.sweep_overdue_orders(ctx) == 0
    wid = finding_id("ORDER_OVERDUE", order["id"])
    warning = ctx.db["warnings"].find_one({"id": wid})
    assert (warning["rule"], warning["key"], warning["subject_id"], warning["district"]) == (
        "ORDER_OVERDUE", order["id"], "i1", "浦东新区")
    assert ctx.db["warnings"].count_documents({"rule": "ORDER_OVERDUE"}) == 1
    assert types(ctx).count("order.overdue") == 1 and types(ctx).count("warning.raised") == 1
    stored = orders.get_order(ctx, PUDONG, order["id"])
    assert stored["overdue"] is True and stored["overdue_warning_id"] == wid
    assert stored["trail"][-1]["action"] == "overdue" and stored["status"] == "issued"
    assert [o["id"] for o in orders.list_orders(ctx, PUDONG, {"overdue": True})["items"]] == [order["id"]]


def test_an_order_answered_in_time_is_not_overdue_while_it_waits_for_review(ctx, two_warnings):
    order = orders.issue_order(ctx, PUDONG, issue_payload(*two_warnings))
    orders.answer_order(ctx, INSTITUTION, order["id"], answers(order))
    ctx.clock.set("2026-12-20T10:00:00+08:00")
    assert orders.sweep_overdue_orders(ctx) == 0
    orders.review_order(ctx, PUDONG, order["id"], {"decision": "return", "reason": "不完整"})
    assert orders.sweep_overdue_orders(ctx) == 1     # returned after its deadline: waiting for the addressee again


class Died(Exception):
    """The process ended here."""


def test_warning_steps_left_by_a_process_that_died_are_finished_by_the_sweep(ctx, two_warnings, monkeypatch):
    wa, wb = two_warnings

    def dies(*args, **kwargs):
        raise Died()
    monkeypatch.setattr(warnings, "apply", dies)
    with pytest.raises(Died):
        orders.issue_order(ctx, PUDONG, issue_payload(wa, wb))
    monkeypatch.undo()
    order = ctx.db["orders"].find_one({}, {"_id": 0})
    assert order["status"] == "issued" and status_of(ctx, wa) == "open"      # the order stands, its steps wait
    assert orders.finish_follow_ups(ctx) == 1
    assert status_of(ctx, wa) == status_of(ctx, wb) == "ordered"
    assert orders.finish_follow_ups(ctx) == 0
    assert "warning_follow_ups" not in ctx.db["orders"].find_one({"id": order["id"]})

    orders.answer_order(ctx, INSTITUTION, order["id"], answers(order))
    monkeypatch.setattr(warnings, "apply", dies)
    with pytest.raises(Died):
        orders.review_order(ctx, PUDONG, order["id"], {"decision": "accept"})
    monkeypatch.undo()
    assert ctx.db["orders"].find_one({"id": order["id"]})["status"] == "accepted"
    assert orders.finish_follow_ups(ctx) == 1
    assert status_of(ctx, wa) == status_of(ctx, wb) == "rectified"
    assert [t["action"] for t in ctx.db["warnings"].find_one({"id": wa})["trail"]] == ["order", "rectify"]


def test_an_order_to_an_enterprise_is_answered_by_the_enterprise_and_not_seen_by_the_institution(ctx):
    ctx.db["enterprises"].insert_one({"id": "e1", "name": "乙化工", "district": "浦东新区"})
    w, _ = warnings.raise_finding(ctx, finding(rule="COMPARISON_FAILED", key="x:w01018"))
    order = orders.issue_order(ctx, PUDONG, {"addressee": {"kind": "enterprise", "id": "e1"}, "title": "比对不合格整改",
                                             "items": [{"title": "校准", "requirement": "校准COD仪器", "warning_ids": [w["id"]]}]})
    assert (order["enterprise_id"], order["institution_id"], order["addressee"]["name"]) == ("e1", None, "乙化工")
    assert [o["id"] for o in orders.list_orders(ctx, ENTERPRISE)["items"]] == [order["id"]]
    assert orders.list_orders(ctx, INSTITUTION)["items"] == []
    with pytest.raises(NotFound):
        orders.answer_order(ctx, INSTITUTION, order["id"], answers(order))
    assert orders.answer_order(ctx, ENTERPRISE, order["id"], answers(order))["status"] == "answered"
    with pytest.raises(ValidationFailed) as err:     # the enterprise lies in Pudong: not Minhang's to order
        orders.issue_order(ctx, actor("mh", ["regulator"], district="闵行区"), {
            "addressee": {"kind": "enterprise", "id": "e1"}, "title": "x", "district": "闵行区",
            "items": [{"title": "a", "requirement": "b", "warning_ids": [w["id"]]}]})
    assert err.value.field == "items[0].warning_ids[0]"
