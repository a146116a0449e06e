"""Enterprises register outlets and devices; a change makes a new version, late ones are marked."""
from tests import builders as b
from tests.bus import EventTap


def test_device_changes_are_versioned_and_announced(anonymous, login, service_config, clock):
    status, reg = anonymous.post("/enterprises", {"enterprise": b.enterprise(), "account": b.account("dfhg")})
    assert status == 201, reg
    ent_id = reg["enterprise"]["id"]
    me = login("dfhg", "Field#Pass2026")
    status, outlet = me.post(f"/enterprises/{ent_id}/outlets", b.outlet("flue_gas", "1#锅炉废气排口DA001"))
    assert status == 201, outlet
    status, body = me.post(f"/outlets/{outlet['id']}/devices", {"device": b.water_analyzer(), "changed_on": "2026-11-20"})
    assert status == 400 and body["error"]["field"] == "device.kind"
    with EventTap(service_config["AMQP_URI"], "registry", ["device.*"]) as bus:
        status, device = me.post(f"/outlets/{outlet['id']}/devices", {"device": b.cems(), "changed_on": "2026-11-20"})
        assert status == 201, device
        assert device["factor_name"] == "二氧化硫" and device["version"] == 1
        clock.set("2026-11-23T15:00:00+08:00")
        changed = {**b.cems(), "velocity_field_coefficient": 1.25}
        status, device = me.put(f"/devices/{device['id']}", {"device": changed, "changed_on": "2026-11-20",
                                                            "reason": "速度场系数重新标定"})
        assert status == 200 and device["version"] == 2
        event = bus.wait_for("device.changed")
        assert event["data"]["changes"] == [{"field": "velocity_field_coefficient", "old": 1.12, "new": 1.25}]
    status, history = me.get(f"/devices/{device['id']}/history")
    assert [v["params"]["velocity_field_coefficient"] for v in history] == [1.12, 1.25]
    first_valid_from = history[0]["valid_from"]
    status, old = me.get(f"/devices/{device['id']}/as-of", at=first_valid_from)
    assert old["params"]["velocity_field_coefficient"] == 1.12


def test_an_enterprise_cannot_touch_another_enterprises_outlets(anonymous, login):
    status, first = anonymous.post("/enterprises", {"enterprise": b.enterprise(), "account": b.account("ent_one")})
    assert status == 201, first
    anonymous.post("/enterprises", {"enterprise": b.enterprise("上海西区造纸有限公司"), "account": b.account("ent_two")})
    one, two = login("ent_one", "Field#Pass2026"), login("ent_two", "Field#Pass2026")
    _, outlet = one.post(f"/enterprises/{first['enterprise']['id']}/outlets", b.outlet())
    assert two.post(f"/enterprises/{first['enterprise']['id']}/outlets", b.outlet())[0] == 404
    assert two.put(f"/outlets/{outlet['id']}", b.outlet())[0] == 404
    assert two.post(f"/outlets/{outlet['id']}/devices", {"device": b.water_analyzer(), "changed_on": "2026-11-20"})[0] == 404
