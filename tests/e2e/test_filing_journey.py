"""Institution filing end to end over HTTP: register → submit → reviews → published → public list,
with every step's event observed on the bus."""
ADMIN_PASSWORD = "Admin#Test2026"
from tests import builders as b
from tests.bus import EventTap


def _prepare_second_stage(inst_api, inst_id):
    for n, (name, role) in enumerate([("赵强", "om_staff"), ("钱伟", "technical_lead"), ("孙丽", "quality_lead")]):
        status, body = inst_api.post(f"/institutions/{inst_id}/staff", b.staff(name, role, n=n + 1))
        assert status == 201, body
    assert inst_api.post(f"/institutions/{inst_id}/equipment", b.equipment())[0] == 201
    assert inst_api.post(f"/institutions/{inst_id}/vehicles", b.vehicle(leased=True))[0] == 201
    assert inst_api.post(f"/institutions/{inst_id}/spare-parts", b.spare_part())[0] == 201


def test_an_institution_is_filed_reviewed_published_and_listed_publicly(
        anonymous, login, service_config):
    with EventTap(service_config["AMQP_URI"], "registry", ["institution.*"]) as bus:
        status, reg = anonymous.post("/institutions", {"institution": b.institution(),
                                                       "account": b.account("qingyuan_admin")})
        assert status == 201, reg
        inst_id = reg["institution"]["id"]
        assert reg["institution"]["status"] == "draft"

        inst = login("qingyuan_admin", "Field#Pass2026")
        admin = login("admin", ADMIN_PASSWORD)
        assert admin.post("/regulators", {**b.account("pudong_reg", name="浦东监管员"),
                                          "district": "浦东新区"})[0] == 201
        regulator = login("pudong_reg", "Field#Pass2026")

        assert inst.post(f"/institutions/{inst_id}/transitions", {"action": "submit"})[1]["status"] == "first_submitted"
        status, body = regulator.post(f"/institutions/{inst_id}/transitions", {"action": "approve_first"})
        assert status == 200 and body["status"] == "first_approved", body

        _prepare_second_stage(inst, inst_id)
        assert inst.post(f"/institutions/{inst_id}/transitions", {"action": "submit_second"})[0] == 200
        status, body = regulator.post(f"/institutions/{inst_id}/transitions", {"action": "return_second"})
        assert status == 400 and body["error"]["field"] == "reason"
        status, body = regulator.post(f"/institutions/{inst_id}/transitions",
                                      {"action": "return_second", "reason": "质量负责人证书扫描件不清晰"})
        assert body["status"] == "second_returned" and body["return_reason"] == "质量负责人证书扫描件不清晰"
        assert inst.post(f"/institutions/{inst_id}/transitions", {"action": "submit_second"})[0] == 200
        assert regulator.post(f"/institutions/{inst_id}/transitions", {"action": "approve_second"})[1]["status"] == "second_approved"
        status, body = regulator.post(f"/institutions/{inst_id}/transitions", {"action": "publish"})
        assert body["status"] == "published" and body["may_take_tasks"] is True

        status, listing = anonymous.get("/public/institutions", keyword="清源", capability="flue_gas_om",
                                        type="om", status="valid")
        assert status == 200 and listing["total"] == 1
        row = listing["items"][0]
        assert row["name"] == "上海清源环境运维有限公司" and row["type_label"] == "运维机构"
        assert "credit_code" not in row and "staff" not in row  # public fields only

        published = bus.wait_for("institution.published")
        bus.wait_for("institution.second_returned")
        for key in ("id", "type", "version", "occurred_at", "source", "subject", "actor", "data"):
            assert key in published
        assert published["source"] == "registry" and published["subject"] == inst_id
        assert published["actor"]["username"] == "pudong_reg"
        assert published["data"]["from"] == "second_approved" and published["data"]["to"] == "published"
        assert [t for t in bus.types() if t != "institution.updated"] == [
            "institution.registered", "institution.submitted", "institution.first_approved",
            "institution.second_submitted", "institution.second_returned", "institution.second_submitted",
            "institution.second_approved", "institution.published"]

    status, trail = inst.get(f"/institutions/{inst_id}/audit")
    actions = [(e["action"], e["actor"]["username"]) for e in trail]
    assert ("return_second", "pudong_reg") in actions and ("publish", "pudong_reg") in actions
    returned = next(e for e in trail if e["action"] == "return_second")
    assert returned["from_status"] == "second_submitted" and returned["reason"] == "质量负责人证书扫描件不清晰"


def test_a_self_operating_enterprise_is_filed_at_once(anonymous, login):
    status, reg = anonymous.post("/institutions", {
        "institution": b.institution("上海东方化工有限公司", type_="self_testing_om_enterprise"),
        "account": b.account("dongfang")})
    assert status == 201
    me = login("dongfang", "Field#Pass2026")
    inst_id = reg["institution"]["id"]
    status, body = me.post(f"/institutions/{inst_id}/transitions", {"action": "submit"})
    assert body["status"] == "first_approved"
    assert set(me.get("/auth/me")[1]["roles"]) == {"institution_admin", "enterprise_user"}
    assert me.get(f"/enterprises/{reg['institution']['enterprise_id']}")[0] == 200
