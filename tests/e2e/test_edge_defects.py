"""What a hostile client found at the edge (issue 10): each answer is a 4xx naming what is wrong,
nothing is stored, the log says it in one line, and no request makes the system answer 5xx."""
import json
import logging

import pytest

from emss_common.errors import EmssError
from tests import builders as b
from tests.system_fixtures import portal_login

PASSWORD = "Field#Pass2026"


def post_raw(client, path, text, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    resp = client.post(f"/api/v1{path}", data=text, content_type="application/json", headers=headers)
    return resp.status_code, resp.get_json()


def lone_surrogate_json(payload):
    """json.dumps writes a lone surrogate as the escape "\\ud800": valid JSON, not valid Unicode."""
    text = json.dumps(payload)
    assert "\\ud800" in text
    return text


def register_enterprise(anonymous, login, username):
    status, out = anonymous.post("/enterprises", {"enterprise": b.enterprise(), "account": b.account(username)})
    assert status == 201, out
    return login(username, PASSWORD), out["enterprise"]["id"]


def test_a_lone_surrogate_in_a_registration_is_a_400_naming_the_field_and_nothing_is_stored(client, anonymous):
    payload = {"enterprise": {**b.enterprise(), "name": "东方\ud800化工"}, "account": b.account("surrogate_ent")}
    status, body = post_raw(client, "/enterprises", lone_surrogate_json(payload))
    assert status == 400, body
    assert body["error"]["code"] == "validation_failed" and body["error"]["field"] == "enterprise.name"
    assert anonymous.post("/auth/login", {"username": "surrogate_ent", "password": PASSWORD})[0] == 401


def test_a_lone_surrogate_in_an_outlet_a_key_or_a_list_is_named_by_its_path(client, anonymous, login):
    me, ent_id = register_enterprise(anonymous, login, "surrogate_outlets")
    cases = [({**b.outlet(), "name": "废水\ud800排口"}, "name"),
             ({**b.outlet(), "extra": {"\ud800": 1}}, "extra"),
             ({**b.outlet(), "tags": ["ok", "x\ud800"]}, "tags[1]")]
    for payload, field in cases:
        status, body = post_raw(client, f"/enterprises/{ent_id}/outlets", lone_surrogate_json(payload), me.token)
        assert status == 400 and body["error"]["field"] == field, (field, body)
    assert me.get(f"/enterprises/{ent_id}")[1]["outlets"] == []


@pytest.mark.parametrize("levels", [100, 990, 5000])
def test_json_nested_too_deep_is_a_400_not_a_crash(client, levels):
    deep = "[" * levels + "]" * levels
    for path in ("/auth/login", "/enterprises"):
        status, body = post_raw(client, path, '{"username": %s, "password": "x"}' % deep)
        assert status == 400, (path, levels, body)
        assert body["error"]["field"] == "body" and "嵌套" in body["error"]["message"]


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00", "9999-12-31T23:00:00-05:00", "1000-01-01"])
def test_a_device_as_of_a_time_out_of_range_is_a_400_naming_at(anonymous, login, at):
    me, ent_id = register_enterprise(anonymous, login, "asof_range")
    status, outlet = me.post(f"/enterprises/{ent_id}/outlets", b.outlet("flue_gas", "1#锅炉废气排口DA001"))
    assert status == 201, outlet
    status, device = me.post(f"/outlets/{outlet['id']}/devices", {"device": b.cems(), "changed_on": "2026-11-20"})
    assert status == 201, device
    status, body = me.get(f"/devices/{device['id']}/as-of", at=at)
    assert status == 400 and body["error"]["field"] == "at", body


def test_the_login_form_needs_the_token_of_the_page_it_came_from(client, anonymous, system):
    """Login CSRF: another site's auto-submitted login form must not sign the visitor in."""
    status, _ = anonymous.post("/enterprises", {"enterprise": b.enterprise(), "account": b.account("login_csrf")})
    assert status == 201
    # No token at all (a form on another site).
    resp = client.post("/login", data={"username": "login_csrf", "password": PASSWORD})
    assert resp.status_code == 403 and "emss_session" not in resp.headers.get("Set-Cookie", "")
    # A token read by the attacker from their own visit: tied to their nonce, not the visitor's.
    attacker = system.test_client()
    page = attacker.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    victim = system.test_client()
    victim.get("/login")
    resp = victim.post("/login", data={"username": "login_csrf", "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 403 and "emss_session" not in resp.headers.get("Set-Cookie", "")
    # The page's own form signs in.
    resp = portal_login(system.test_client(), "login_csrf", PASSWORD)
    assert resp.status_code == 302 and "emss_session=" in resp.headers.get("Set-Cookie", "")


def test_an_expected_error_is_one_line_at_info_without_a_traceback(client, anonymous, caplog):
    caplog.set_level(logging.INFO)
    status, _ = anonymous.post("/enterprises", {"enterprise": {**b.enterprise(), "credit_code": "bad"},
                                                "account": b.account("logs_ent")})
    assert status == 400
    assert anonymous.get("/enterprises/no-such-enterprise")[0] in (401, 404)
    assert anonymous.post("/auth/login", {"username": "nobody", "password": "Wrong#Pass2026"})[0] == 401
    noisy = [r for r in caplog.records if r.levelno >= logging.WARNING and r.exc_info
             and isinstance(r.exc_info[1], EmssError)]
    assert noisy == []
    assert not [r for r in caplog.records if r.name == "nameko.containers" and r.levelno >= logging.WARNING]
    lines = [r.getMessage() for r in caplog.records if r.name == "gateway.app" and r.levelno == logging.INFO]
    assert any("400 validation_failed" in line and "/api/v1/enterprises" in line for line in lines), lines
    assert any("401" in line for line in lines), lines


def test_a_405_says_which_methods_are_allowed(client):
    resp = client.delete("/api/v1/openapi.json")
    assert resp.status_code == 405 and resp.get_json()["error"]["code"] == "method_not_allowed"
    assert {m.strip() for m in resp.headers["Allow"].split(",")} >= {"GET", "HEAD"}
    resp = client.delete("/login", headers={"Accept": "text/html"})
    assert resp.status_code == 405 and resp.mimetype == "text/html"
    assert {m.strip() for m in resp.headers["Allow"].split(",")} >= {"GET", "POST"}
