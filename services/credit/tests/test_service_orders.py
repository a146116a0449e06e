"""Rectification orders through the credit service on the real broker: a warning → order → answer →
returned → answered → accepted, each step announced on the bus; an order left past its deadline
raises ORDER_OVERDUE once, by the service's own timer."""
import base64

import pytest

from credit.supervision.findings import finding_id
from credit.usecases import warnings
from services.credit.tests.conftest import NOW
from services.credit.tests.findings import CITY, INSTITUTION, MINHANG, PUDONG, finding
from tests.waiting import eventually

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"


@pytest.fixture
def credit_config(service_config):
    return {**service_config, "EMSS_FROZEN_NOW": NOW, "EMSS_ORDER_SWEEP_SECONDS": 0.2}


@pytest.fixture
def warning_id(service_ctx):
    service_ctx.db["institutions"].insert_one({"id": "i1", "name": "甲运维公司"})
    warning, _ = warnings.raise_finding(service_ctx, finding())
    return warning["id"]


def order_payload(wid, **kw):
    return {"addressee": {"kind": "institution", "id": "i1"}, "title": "日常巡检缺失整改",
            "items": [{"title": "补做日常巡检", "requirement": "按计划巡检并提交记录", "warning_ids": [wid]}], **kw}


def answer(order, text):
    return {"answers": [{"item_id": item["id"], "text": text, "record_ids": ["rec-1"],
                         "files": [{"name": "整改报告.pdf", "content_base64": base64.b64encode(PDF).decode()}]}
                        for item in order["items"]]}


def test_an_order_is_issued_answered_returned_answered_and_accepted(credit, bus, warning_id):
    order = credit.issue_order(PUDONG.to_dict(), order_payload(warning_id))
    assert bus.wait_for("order.issued", order["id"])["data"]["order"]["status"] == "issued"
    assert credit.get_warning(PUDONG.to_dict(), warning_id)["status"] == "ordered"
    assert [o["id"] for o in credit.list_orders(INSTITUTION.to_dict())["items"]] == [order["id"]]
    assert credit.list_orders(MINHANG.to_dict())["items"] == []

    credit.answer_order(INSTITUTION.to_dict(), order["id"], answer(order, "已补做"))
    bus.wait_for("order.answered", order["id"])
    returned = credit.review_order(PUDONG.to_dict(), order["id"], {"decision": "return", "reason": "记录缺照片"})
    assert returned["status"] == "returned"
    assert bus.wait_for("order.returned", order["id"])["data"]["step"]["reason"] == "记录缺照片"
    credit.answer_order(INSTITUTION.to_dict(), order["id"], answer(order, "已补充照片"))
    assert credit.review_order(CITY.to_dict(), order["id"], {"decision": "accept"})["status"] == "accepted"
    bus.wait_for("order.accepted", order["id"])

    final = credit.get_order(PUDONG.to_dict(), order["id"])
    assert [t["action"] for t in final["trail"]] == ["issue", "answer", "return", "answer", "accept"]
    assert [a["text"] for a in final["items"][0]["answers"]] == ["已补做", "已补充照片"]
    file_id = final["items"][0]["answers"][1]["files"][0]["id"]
    got = credit.order_file(INSTITUTION.to_dict(), order["id"], file_id)
    assert base64.b64decode(got["content_base64"]) == PDF
    warning = credit.get_warning(PUDONG.to_dict(), warning_id)
    assert warning["status"] == "rectified" and warning["order_ids"] == [order["id"]]
    assert bus.types(order["id"]) == ["order.issued", "order.answered", "order.returned", "order.answered",
                                      "order.accepted"]   # each step announced once


def test_an_order_past_its_deadline_raises_order_overdue_once(credit, bus, clock, service_ctx, warning_id):
    first = credit.issue_order(PUDONG.to_dict(), order_payload(warning_id))             # due Mon 7 Dec
    other, _ = warnings.raise_finding(service_ctx, finding(key="occ-2"))
    second = credit.issue_order(PUDONG.to_dict(), order_payload(other["id"], working_days=15))   # due Mon 14 Dec
    assert (first["due"], second["due"]) == ("2026-12-07", "2026-12-14")

    clock.set("2026-12-08T00:00:01+08:00")
    bus.wait_for("order.overdue", first["id"])
    overdue_id = finding_id("ORDER_OVERDUE", first["id"])
    assert credit.get_warning(PUDONG.to_dict(), overdue_id)["rule"] == "ORDER_OVERDUE"
    # the sweep keeps running: the second order's turn comes later, the first is not raised again
    clock.set("2026-12-15T00:00:01+08:00")
    bus.wait_for("order.overdue", second["id"])
    assert len(bus.of("order.overdue", first["id"])) == 1
    raised = eventually(lambda: _overdue_warnings(credit, 2))
    assert sorted(w["key"] for w in raised) == sorted([first["id"], second["id"]])
    assert [t["action"] for t in credit.get_order(PUDONG.to_dict(), first["id"])["trail"]] == ["issue", "overdue"]


def _overdue_warnings(credit, n):
    items = credit.list_warnings(PUDONG.to_dict(), {"rule": "ORDER_OVERDUE"})["items"]
    assert len(items) == n
    return items
