"""Rectification orders and inspections through the API on a fake credit service: roles, input
checked at the edge naming the field, multipart answers and inspections turned into the payload the
service takes, files served with their type."""
import base64
import io
import json

import pytest

from services.gateway.tests.credit_fakes import WARNING, bearer, make_client

PDF = b"%PDF-1.4 test"
JPEG = b"\xff\xd8\xff\xe0 test"
ISSUE = {"addressee": {"kind": "institution", "id": "i1"}, "title": "故障修复超时整改",
         "items": [{"title": "故障修复超时", "requirement": "说明原因并整改", "warning_ids": [WARNING["id"]]}],
         "working_days": 10}


@pytest.fixture
def gw():
    return make_client()


@pytest.mark.parametrize("who, method, path, status", [
    ("reg", "GET", "/api/v1/orders", 200),
    ("inst", "GET", "/api/v1/orders", 200),
    ("ent", "GET", "/api/v1/orders/ord1", 200),
    ("staff", "GET", "/api/v1/orders", 403),
    ("inst", "POST", "/api/v1/orders", 403),
    ("admin", "POST", "/api/v1/orders", 403),
    ("reg", "POST", "/api/v1/orders/ord1/answer", 403),
    ("inst", "POST", "/api/v1/orders/ord1/review", 403),
    ("inst", "POST", "/api/v1/inspections", 403),
    ("staff", "GET", "/api/v1/inspections", 403),
    ("inst", "GET", "/api/v1/inspections/ins1", 200),
    (None, "GET", "/api/v1/orders", 401),
])
def test_who_may_call(gw, who, method, path, status):
    client, services = gw
    resp = client.open(path, method=method, headers=bearer(who) if who else {}, json={} if method == "POST" else None)
    assert resp.status_code == status, resp.get_json()
    if status >= 400:
        assert services.credit_calls() == []


def test_a_regulator_issues_an_order(gw):
    client, services = gw
    resp = client.post("/api/v1/orders", json=ISSUE, headers=bearer("reg"))
    assert resp.status_code == 201 and resp.get_json()["number"] == "ZG2026000001"
    assert services.credit_calls("issue_order")[0][2][1] == ISSUE


@pytest.mark.parametrize("change, field", [
    ({"addressee": {"kind": "person", "id": "i1"}}, "addressee.kind"),
    ({"items": []}, "items"),
    ({"items": [{"title": "x", "requirement": "y"}]}, "items.0.warning_ids"),
    ({"items": [{"title": "x", "requirement": "y", "warning_ids": [""]}]}, "items.0.warning_ids.0"),
    ({"working_days": 0}, "working_days"),
    ({"title": ""}, "title"),
    ({"deadline": "2026-12-01"}, "deadline"),
])
def test_a_bad_order_names_its_field(gw, change, field):
    client, services = gw
    resp = client.post("/api/v1/orders", json={**ISSUE, **change}, headers=bearer("reg"))
    assert resp.status_code == 400, resp.get_json()
    assert resp.get_json()["error"]["field"] == field
    assert services.credit_calls() == []


def test_an_answer_comes_as_multipart_with_files_and_records(gw):
    client, services = gw
    data = {"item_id": ["1"], "text.1": "已更换故障部件并恢复运行", "record_ids.1": "r9、r10",
            "files.1": [(io.BytesIO(PDF), "整改说明.pdf"), (io.BytesIO(JPEG), "现场.jpg")]}
    resp = client.post("/api/v1/orders/ord1/answer", data=data, content_type="multipart/form-data",
                       headers=bearer("inst"))
    assert resp.status_code == 200, resp.get_json()
    (_, _, (_, order_id, payload)), = services.credit_calls("answer_order")
    assert order_id == "ord1"
    (answer,) = payload["answers"]
    assert answer["item_id"] == "1" and answer["text"] == "已更换故障部件并恢复运行"
    assert answer["record_ids"] == ["r9", "r10"]
    assert [(f["name"], base64.b64decode(f["content_base64"])) for f in answer["files"]] == \
        [("整改说明.pdf", PDF), ("现场.jpg", JPEG)]


def test_an_answer_without_text_names_the_item(gw):
    client, services = gw
    resp = client.post("/api/v1/orders/ord1/answer", json={"answers": [{"item_id": "1", "text": ""}]},
                       headers=bearer("inst"))
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "answers.0.text"
    resp = client.post("/api/v1/orders/ord1/answer", data={"csrf_token": "x"}, content_type="multipart/form-data",
                       headers=bearer("inst"))
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "answers"
    assert services.credit_calls() == []


def test_a_return_needs_a_reason(gw):
    client, services = gw
    resp = client.post("/api/v1/orders/ord1/review", json={"decision": "return"}, headers=bearer("reg"))
    assert resp.status_code == 400
    error = resp.get_json()["error"]
    assert (error["field"], error["message"]) == ("reason", "退回必须填写原因")
    assert services.credit_calls() == []
    assert client.post("/api/v1/orders/ord1/review", json={"decision": "accept"},
                       headers=bearer("reg")).status_code == 200


def test_an_order_file_is_served_with_its_type(gw):
    client, _ = gw
    resp = client.get("/api/v1/orders/ord1/files/f1", headers=bearer("inst"))
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert resp.data == base64.b64decode("JVBERi0xLjQ=")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_a_comparison_spot_test_as_multipart_with_photos(gw):
    client, services = gw
    factors = [{"factor_code": "a21026", "reference_value": 40, "monitor_value": 52,
                "measured_at": "2026-11-10T10:00:00+08:00"}]
    data = {"kind": "comparison", "subject_kind": "outlet", "institution_id": "i1", "outlet_id": "o1",
            "inspected_on": "2026-11-10", "inspectors": "王刚、赵敏", "factors": json.dumps(factors),
            "photos": [(io.BytesIO(JPEG), "现场.jpg")]}
    resp = client.post("/api/v1/inspections", data=data, content_type="multipart/form-data", headers=bearer("reg"))
    assert resp.status_code == 201, resp.get_json()
    payload = services.credit_calls("record_inspection")[0][2][1]
    assert payload["inspectors"] == ["王刚", "赵敏"] and payload["factors"] == factors
    assert base64.b64decode(payload["photos"][0]["content_base64"]) == JPEG


@pytest.mark.parametrize("change, field", [
    ({"factors": []}, "factors"),
    ({"subject_kind": "institution"}, "subject_kind"),
    ({"institution_id": None}, "institution_id"),
    ({"inspectors": []}, "inspectors"),
    ({"factors": [{"factor_code": "a21026", "reference_value": 40, "monitor_value": 52,
                   "measured_at": "2026-11-10T10:00:00"}]}, "factors.0.measured_at"),
    ({"kind": "onsite", "factors": []}, "items"),
])
def test_a_bad_inspection_names_its_field(gw, change, field):
    client, services = gw
    payload = {"kind": "comparison", "subject_kind": "outlet", "institution_id": "i1", "outlet_id": "o1",
               "inspected_on": "2026-11-10", "inspectors": ["王刚"],
               "factors": [{"factor_code": "a21026", "reference_value": 40, "monitor_value": 52,
                            "measured_at": "2026-11-10T10:00:00+08:00"}], **change}
    resp = client.post("/api/v1/inspections", json=payload, headers=bearer("reg"))
    assert resp.status_code == 400, resp.get_json()
    assert resp.get_json()["error"]["field"] == field
    assert services.credit_calls() == []


def test_a_failed_onsite_item_needs_a_note(gw):
    client, _ = gw
    resp = client.post("/api/v1/inspections", headers=bearer("reg"), json={
        "kind": "onsite", "subject_kind": "institution", "institution_id": "i1", "inspected_on": "2026-11-10",
        "inspectors": ["王刚"], "items": [{"label": "运维台账", "result": "fail"}]})
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "items.0.note"


def test_order_and_inspection_routes_state_their_roles_in_openapi():
    from gateway.openapi import build_spec
    spec = build_spec()
    assert spec["paths"]["/api/v1/orders"]["post"]["x-roles"] == ["regulator"]
    assert spec["paths"]["/api/v1/orders/{order_id}/answer"]["post"]["x-roles"] == ["institution_admin", "enterprise_user"]
    assert spec["paths"]["/api/v1/inspections"]["post"]["x-roles"] == ["regulator"]
    assert "/api/v1/orders/{order_id}/files/{file_id}" in spec["paths"]
    assert "/api/v1/inspections/{inspection_id}/photos/{photo_id}" in spec["paths"]
