"""Bad input gets 4xx naming the field and stores nothing; a role may only call its own routes;
one institution never sees another's data."""
import pytest

from tests import builders as b
from tests.system_fixtures import portal_login

ADMIN_PASSWORD = "Admin#Test2026"


def _register(anonymous, username, **kw):
    status, body = anonymous.post("/institutions", {"institution": b.institution(**kw),
                                                    "account": b.account(username)})
    assert status == 201, body
    return body["institution"]["id"]


@pytest.mark.parametrize("mutate, field", [
    (lambda p: p["institution"].pop("name"), "institution.name"),
    (lambda p: p["institution"].update(credit_code="91310115MA1H000009"), "institution.credit_code"),
    (lambda p: p["institution"].update(registered_capital="五百万"), "institution.registered_capital"),
    (lambda p: p["institution"].update(type="运维公司"), "institution.type"),
    (lambda p: p["institution"].update(capabilities="wastewater_om"), "institution.capabilities"),
    (lambda p: p["account"].update(password="short"), "account.password"),
    (lambda p: p.update(unexpected=1), "unexpected"),
])
def test_a_bad_registration_names_the_field_and_stores_nothing(anonymous, login, mutate, field):
    payload = {"institution": b.institution(name="坏数据检测有限公司"), "account": b.account("baddata")}
    mutate(payload)
    status, body = anonymous.post("/institutions", payload)
    assert status == 400, body
    assert body["error"]["code"] == "validation_failed"
    assert body["error"]["field"] == field
    assert body["error"]["message"]
    admin = login("admin", ADMIN_PASSWORD)
    assert admin.get("/institutions", keyword="坏数据")[1]["total"] == 0
    assert anonymous.post("/auth/login", {"username": "baddata", "password": "Field#Pass2026"})[0] == 401


def test_a_body_that_is_not_a_json_object_is_refused(client):
    resp = client.post("/api/v1/institutions", data="[1,2]", content_type="application/json")
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "body"


def test_a_certificate_date_in_the_wrong_format_names_the_field(anonymous, login, service_config):
    inst_id = _register(anonymous, "certfmt")
    inst = login("certfmt", "Field#Pass2026")
    regulator = _regulator(login)
    inst.post(f"/institutions/{inst_id}/transitions", {"action": "submit"})
    regulator.post(f"/institutions/{inst_id}/transitions", {"action": "approve_first"})
    staff = b.staff()
    staff["certificate"]["valid_until"] = "2027/13/01"
    status, body = inst.post(f"/institutions/{inst_id}/staff", staff)
    assert status == 400 and body["error"]["field"] == "certificate.valid_until"
    assert inst.get(f"/institutions/{inst_id}")[1]["staff"] == []


def test_an_expired_certificate_is_flagged_and_blocks_the_second_review(anonymous, login):
    inst_id = _register(anonymous, "expired")
    inst = login("expired", "Field#Pass2026")
    regulator = _regulator(login)
    inst.post(f"/institutions/{inst_id}/transitions", {"action": "submit"})
    regulator.post(f"/institutions/{inst_id}/transitions", {"action": "approve_first"})
    inst.post(f"/institutions/{inst_id}/staff", b.staff("赵强", "om_staff", valid_until="2025-01-31", n=1))
    inst.post(f"/institutions/{inst_id}/staff", b.staff("钱伟", "technical_lead", n=2))
    inst.post(f"/institutions/{inst_id}/staff", b.staff("孙丽", "quality_lead", n=3))
    status, detail = inst.get(f"/institutions/{inst_id}")
    assert detail["staff"][0]["certificate_status"] == "expired"
    status, body = inst.post(f"/institutions/{inst_id}/transitions", {"action": "submit_second"})
    assert status == 400 and body["error"]["field"].startswith("staff")
    assert inst.get(f"/institutions/{inst_id}")[1]["status"] == "first_approved"


def _regulator(login, username="pd_reg", district="浦东新区"):
    admin = login("admin", ADMIN_PASSWORD)
    status, body = admin.post("/regulators", {**b.account(username), "district": district})
    assert status in (201, 409), body
    return login(username, "Field#Pass2026")


def test_each_route_checks_the_role_of_its_caller(anonymous, login):
    inst_id = _register(anonymous, "roles_inst")
    inst = login("roles_inst", "Field#Pass2026")
    assert anonymous.get(f"/institutions/{inst_id}")[0] == 401
    assert inst.post("/regulators", {**b.account("sneaky"), "district": "*"})[0] == 403
    status, body = inst.post(f"/institutions/{inst_id}/transitions", {"action": "approve_first"})
    assert status == 403 and body["error"]["code"] == "forbidden"
    regulator = _regulator(login)
    assert regulator.post("/sub-accounts", b.account("x_sub"))[0] == 403
    assert regulator.put(f"/institutions/{inst_id}/basic", b.institution())[0] == 403


def test_one_institution_never_sees_another(anonymous, login):
    first = _register(anonymous, "first_inst")
    second = _register(anonymous, "second_inst", name="上海蓝天检测有限公司")
    other = login("second_inst", "Field#Pass2026")
    assert other.get(f"/institutions/{first}")[0] == 404
    assert other.get(f"/institutions/{first}/audit")[0] == 404
    assert other.put(f"/institutions/{first}/basic", b.institution())[0] == 404
    listing = other.get("/institutions")[1]
    assert [i["id"] for i in listing["items"]] == [second]


def test_a_regulator_sees_only_their_district(anonymous, login):
    inst_id = _register(anonymous, "pudong_inst", district="浦东新区")
    huangpu = _regulator(login, "hp_reg", "黄浦区")
    assert huangpu.get(f"/institutions/{inst_id}")[0] == 404
    assert huangpu.get("/institutions")[1]["total"] == 0
    city = _regulator(login, "city_reg", "*")
    assert city.get(f"/institutions/{inst_id}")[0] == 200


def test_a_cookie_session_write_without_the_csrf_token_is_refused(client, anonymous):
    _register(anonymous, "csrf_inst")
    resp = portal_login(client, "csrf_inst", "Field#Pass2026")
    assert resp.status_code == 302
    resp = client.post("/api/v1/auth/password", json={"old_password": "Field#Pass2026",
                                                      "new_password": "Other#Pass2026"})
    assert resp.status_code == 403


def test_logout_ends_the_session_at_once(anonymous, login):
    _register(anonymous, "logout_inst")
    me = login("logout_inst", "Field#Pass2026")
    assert me.get("/auth/me")[0] == 200
    assert me.post("/auth/logout")[0] == 200
    assert me.get("/auth/me")[0] == 401
