"""The supervision API (非现场监管) on a fake credit service: who may call each route, bad input refused
at the edge naming the field (and no service asked), good input passed on unchanged."""
import pytest

from emss_common.errors import Forbidden

from services.gateway.tests.credit_fakes import WARNING, bearer, make_client

WID = WARNING["id"]


@pytest.fixture
def gw():
    return make_client()


@pytest.mark.parametrize("who, method, path, status", [
    ("reg", "GET", "/api/v1/supervision/rules", 200),
    ("inst", "GET", "/api/v1/supervision/rules", 200),
    ("staff", "GET", "/api/v1/supervision/warnings", 403),
    ("inst", "GET", "/api/v1/supervision/warnings", 200),
    ("ent", "GET", f"/api/v1/supervision/warnings/{WID}", 200),
    ("inst", "GET", "/api/v1/supervision/overview", 403),
    ("reg", "GET", "/api/v1/supervision/overview", 200),
    ("admin", "GET", "/api/v1/supervision/sweeps/S-1", 200),
    ("ent", "GET", "/api/v1/supervision/sweeps/S-1", 403),
    (None, "GET", "/api/v1/supervision/warnings", 401),
])
def test_who_may_read(gw, who, method, path, status):
    client, services = gw
    resp = client.open(path, method=method, headers=bearer(who) if who else {})
    assert resp.status_code == status, resp.get_json()
    if status >= 400:
        assert services.credit_calls() == []


def test_the_warning_list_passes_its_filters_on(gw):
    client, services = gw
    resp = client.get("/api/v1/supervision/warnings?status=open&rule=FAULT_SLOW&from=2026-11-01&to=2026-11-30"
                      "&district=浦东新区&size=50&after=abc", headers=bearer("reg"))
    assert resp.status_code == 200
    assert resp.get_json()["items"][0]["id"] == WID
    (_, _, (actor, query)), = services.credit_calls("list_warnings")
    assert actor["username"] == "reg_pd"
    assert query == {"status": "open", "rule": "FAULT_SLOW", "from": "2026-11-01", "to": "2026-11-30",
                     "district": "浦东新区", "size": "50", "after": "abc"}


@pytest.mark.parametrize("query, field", [
    ("status=closed", "status"),
    ("from=2026-13-01", "from"),
    ("from=2026-11-10&to=2026-11-01", "to"),
    ("size=500", "size"),
    ("rule=fault slow", "rule"),
    ("district=火星区", "district"),
    ("colour=red", "colour"),
])
def test_a_bad_warning_filter_names_its_field(gw, query, field):
    client, services = gw
    resp = client.get(f"/api/v1/supervision/warnings?{query}", headers=bearer("reg"))
    assert resp.status_code == 400
    assert resp.get_json()["error"]["field"] == field
    assert services.credit_calls() == []


def test_a_regulator_acts_on_a_warning(gw):
    client, services = gw
    resp = client.post(f"/api/v1/supervision/warnings/{WID}/actions", json={"action": "acknowledge"},
                       headers=bearer("reg"))
    assert resp.status_code == 200 and resp.get_json()["status"] == "acknowledged"
    assert services.credit_calls("act_on_warning")[0][2][1:] == (WID, {"action": "acknowledge"})


@pytest.mark.parametrize("payload, field, message", [
    ({"action": "dismiss"}, "reason", "排除必须填写原因"),
    ({"action": "dismiss", "reason": "   "}, "reason", "排除必须填写原因"),
    ({"action": "rectify"}, "action", None),   # the system's step, not a person's
    ({"action": "order"}, "action", None),     # comes with the order: POST /orders
    ({}, "action", "必填项"),
    ({"action": "acknowledge", "note": "x"}, "note", "未知字段"),
])
def test_a_bad_action_names_its_field(gw, payload, field, message):
    client, services = gw
    resp = client.post(f"/api/v1/supervision/warnings/{WID}/actions", json=payload, headers=bearer("reg"))
    assert resp.status_code == 400
    error = resp.get_json()["error"]
    assert error["field"] == field
    if message:
        assert error["message"] == message
    assert services.credit_calls() == []


@pytest.mark.parametrize("who", ["inst", "ent", "admin"])
def test_only_a_regulator_acts_on_a_warning(gw, who):
    client, services = gw
    resp = client.post(f"/api/v1/supervision/warnings/{WID}/actions", json={"action": "acknowledge"},
                       headers=bearer(who))
    assert resp.status_code == 403
    assert services.credit_calls() == []


def test_the_service_has_the_last_word_on_scope():
    client, _ = make_client(get_warning=Forbidden("无权查看该预警"))
    resp = client.get(f"/api/v1/supervision/warnings/{WID}", headers=bearer("inst"))
    assert resp.status_code == 403 and resp.get_json()["error"]["message"] == "无权查看该预警"


def test_the_overview_takes_a_month(gw):
    client, services = gw
    assert client.get("/api/v1/supervision/overview?month=2026-11", headers=bearer("reg")).status_code == 200
    assert services.credit_calls("overview")[0][2][1] == {"month": "2026-11"}
    resp = client.get("/api/v1/supervision/overview?month=2026-13", headers=bearer("reg"))
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "month"


def test_a_sweep_starts_with_202_and_reports_progress(gw):
    client, services = gw
    resp = client.post("/api/v1/supervision/sweeps", json={"start": "2026-11-01", "end": "2026-11-30"},
                       headers=bearer("reg"))
    assert resp.status_code == 202 and resp.get_json()["id"] == "S-1"
    progress = client.get("/api/v1/supervision/sweeps/S-1", headers=bearer("reg")).get_json()
    assert progress["done"] == progress["total"] == 31
    resp = client.post("/api/v1/supervision/sweeps", json={"start": "2026-11-30", "end": "2026-11-01"},
                       headers=bearer("reg"))
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "end"
    resp = client.post("/api/v1/supervision/sweeps", json={"start": "2020-01-01", "end": "2026-11-30"},
                       headers=bearer("reg"))
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "end"
    assert len(services.credit_calls("start_sweep")) == 1


def test_every_supervision_route_is_in_openapi_with_its_roles():
    from gateway.openapi import build_spec
    client, _ = make_client()
    spec = build_spec()
    ops = {(m.upper(), p): op for p, methods in spec["paths"].items() for m, op in methods.items()}
    routes = {(m, r.rule) for r in client.application.url_map.iter_rules()
              if r.rule.startswith(("/api/v1/supervision", "/api/v1/orders", "/api/v1/inspections"))
              for m in r.methods - {"HEAD", "OPTIONS"}}
    assert len(routes) >= 7
    import re
    for method, rule in routes:
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)
        assert (method, path) in ops, (method, path)
        assert ops[(method, path)]["x-roles"], (method, path)
    act = ops[("POST", "/api/v1/supervision/warnings/{warning_id}/actions")]
    assert act["x-roles"] == ["regulator"]
    body = act["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert spec["components"]["schemas"][body]["properties"]["action"]["enum"] == ["acknowledge", "dismiss", "suspect"]
    assert "202" in ops[("POST", "/api/v1/supervision/sweeps")]["responses"]
    query = {p["name"] for p in ops[("GET", "/api/v1/supervision/warnings")]["parameters"]}
    assert {"status", "rule", "from", "to", "size", "after", "before"} <= query
