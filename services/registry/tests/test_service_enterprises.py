"""Enterprises, outlets and versioned monitoring devices through RabbitMQ."""
import pytest

from emss_common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests import builders as b

PASSWORD = "Field#Pass2026"


@pytest.fixture
def register(registry):
    def make(username, **kw):
        out = registry.register_enterprise({"enterprise": b.enterprise(**kw), "account": b.account(username)})
        actor = registry.login({"username": username, "password": PASSWORD})["actor"]
        return out["enterprise"], actor
    return make


def test_an_enterprise_registers_with_its_own_account_and_an_event(registry, register, events):
    ent, me = register("dongfang01", name="上海东方化工有限公司")
    assert me["roles"] == ["enterprise_user"] and me["enterprise_id"] == ent["id"]
    assert ent["self_operating"] is False
    event = events.wait_for("enterprise.registered", ent["id"])
    assert event["data"]["enterprise"]["name"] == "上海东方化工有限公司"
    assert event["actor"]["username"] == "dongfang01"
    view = registry.get_enterprise(me, ent["id"])
    assert view["outlets"] == [] and view["editable"] is True


def test_a_duplicate_enterprise_credit_code_is_a_conflict_on_the_nested_field(registry, register, admin):
    code = b.credit_code()
    register("dup00001", code=code)
    with pytest.raises(Conflict) as exc:
        registry.register_enterprise({"enterprise": b.enterprise(code=code), "account": b.account("dup00002")})
    assert exc.value.field == "enterprise.credit_code"
    assert not [a for a in registry.list_accounts(admin) if a["username"] == "dup00002"]


def test_a_bad_enterprise_is_named_and_not_stored(registry, admin):
    body = b.enterprise()
    body["credit_code"] = body["credit_code"][:-1] + ("0" if body["credit_code"][-1] != "0" else "1")
    with pytest.raises(ValidationFailed) as exc:
        registry.register_enterprise({"enterprise": body, "account": b.account("bad00001")})
    assert exc.value.field == "enterprise.credit_code"
    assert registry.list_enterprises(admin, {})["total"] == 0


def test_an_enterprise_keeps_its_credit_code(registry, register):
    ent, me = register("keeper01")
    with pytest.raises(ValidationFailed) as exc:
        registry.update_enterprise(me, ent["id"], b.enterprise(code=b.credit_code()))
    assert exc.value.field == "credit_code"
    updated = registry.update_enterprise(me, ent["id"], {**b.enterprise(code=ent["credit_code"]),
                                                         "contact_person": "吴刚"})
    assert updated["contact_person"] == "吴刚"


def test_outlets_and_devices_are_registered_with_their_parameters(registry, register, events):
    ent, me = register("outlets01")
    water = registry.add_outlet(me, ent["id"], b.outlet("wastewater"))
    gas = registry.add_outlet(me, ent["id"], b.outlet("flue_gas", name="1#锅炉废气排口DA001"))
    assert (water["kind_label"], gas["kind_label"]) == ("废水排口", "废气排口")
    assert events.wait_for("outlet.added", water["id"])["data"]["outlet"]["permit_point_code"] == "DW001"

    cod = registry.add_device(me, water["id"], {"device": b.water_analyzer("w01018"), "changed_on": "2026-06-15"})
    sampler = registry.add_device(me, water["id"], {"device": {
        "kind": "water_sampler", "name": "自动采样器", "model": "WS-300", "manufacturer": "上海采样仪器厂",
        "construction_status": "已建成", "mixed_sample_ready": True, "refrigerated": True,
        "factor_code": "w01018"}, "changed_on": "2026-06-15"})
    so2 = registry.add_device(me, gas["id"], {"device": b.cems("a21026"), "changed_on": "2026-06-15"})
    assert (cod["factor_name"], cod["version"], cod["kind_label"]) == ("化学需氧量", 1, "水污染源在线监测仪器")
    assert sampler["factor_code"] is None and sampler["refrigerated"] is True
    assert so2["factor_name"] == "二氧化硫"
    assert (so2["reference_o2_pct"], so2["velocity_field_coefficient"], so2["cross_section_m2"],
            so2["detection_limit"], so2["pitot_coefficient"]) == (9.0, 1.12, 3.14, 1.0, 0.84)
    registered = events.wait_for("device.registered", so2["id"])["data"]["device"]
    assert registered["outlet_id"] == gas["id"] and registered["pitot_coefficient"] == 0.84

    view = registry.get_enterprise(me, ent["id"])
    assert [(o["name"], len(o["devices"])) for o in view["outlets"]] == [
        ("废水总排口DW001", 2), ("1#锅炉废气排口DA001", 1)]


def test_a_cems_cannot_be_registered_at_a_wastewater_outlet(registry, register):
    ent, me = register("wrongkind01")
    water = registry.add_outlet(me, ent["id"], b.outlet("wastewater"))
    with pytest.raises(ValidationFailed) as exc:
        registry.add_device(me, water["id"], {"device": b.cems(), "changed_on": "2026-06-15"})
    assert exc.value.field == "device.kind"
    assert "废水排口不能登记" in exc.value.message
    assert registry.get_enterprise(me, ent["id"])["outlets"][0]["devices"] == []


@pytest.mark.parametrize("change, field", [
    ({"factor_code": "a99999"}, "device.factor_code"),
    ({"factor_code": "w01018"}, "device.factor_code"),   # a water factor at a flue-gas outlet
    ({"brand": None}, "device.brand"),
    ({"serial_number": ""}, "device.serial_number"),
    ({"reference_o2_pct": 30}, "device.reference_o2_pct"),
    ({"velocity_field_coefficient": 0}, "device.velocity_field_coefficient"),
    ({"range_lower": 300}, "device.range_upper"),
    ({"cross_section_m2": "大"}, "device.cross_section_m2"),
])
def test_a_bad_cems_is_named_and_not_stored(registry, register, change, field):
    ent, me = register("badcems01")
    gas = registry.add_outlet(me, ent["id"], b.outlet("flue_gas"))
    with pytest.raises(ValidationFailed) as exc:
        registry.add_device(me, gas["id"], {"device": {**b.cems(), **change}, "changed_on": "2026-06-15"})
    assert exc.value.field == field
    assert registry.get_enterprise(me, ent["id"])["outlets"][0]["devices"] == []


@pytest.mark.parametrize("change, field", [
    ({"longitude": 10.0}, "longitude"), ({"latitude": "北纬31度"}, "latitude"),
    ({"kind": "noise"}, "kind"), ({"permit_point_code": ""}, "permit_point_code"),
])
def test_a_bad_outlet_is_named(registry, register, change, field):
    ent, me = register("badoutlet01")
    with pytest.raises(ValidationFailed) as exc:
        registry.add_outlet(me, ent["id"], {**b.outlet(), **change})
    assert exc.value.field == field
    assert registry.get_enterprise(me, ent["id"])["outlets"] == []


def test_a_device_change_makes_version_two_and_the_old_parameters_stay_readable(
        registry, register, clock, events):
    ent, me = register("versions01")
    gas = registry.add_outlet(me, ent["id"], b.outlet("flue_gas"))
    so2 = registry.add_device(me, gas["id"], {"device": b.cems(), "changed_on": "2026-06-15"})
    clock.set("2026-06-16T10:00:00+08:00")
    changed = registry.update_device(me, so2["id"], {
        "device": {**b.cems(), "velocity_field_coefficient": 1.25, "range_upper": 500},
        "changed_on": "2026-06-16", "reason": "速度场系数重新标定"})
    assert changed["version"] == 2 and changed["velocity_field_coefficient"] == 1.25

    event = events.wait_for("device.changed", so2["id"])
    assert event["data"]["version"] == 2
    assert event["data"]["changes"] == [
        {"field": "range_upper", "old": 200, "new": 500},
        {"field": "velocity_field_coefficient", "old": 1.12, "new": 1.25}]
    assert (event["data"]["valid_from"], event["data"]["late"]) == ("2026-06-16T02:00:00+00:00", False)

    history = registry.device_history(me, so2["id"])
    assert [(v["version"], v["params"]["velocity_field_coefficient"]) for v in history] == [(1, 1.12), (2, 1.25)]
    assert history[0]["valid_to"] == history[1]["valid_from"] == "2026-06-16T02:00:00+00:00"
    assert history[1]["valid_to"] is None and history[1]["reason"] == "速度场系数重新标定"

    before = registry.device_as_of(me, {"device_id": so2["id"], "at": "2026-06-15T18:00:00+08:00"})
    assert (before["version"], before["params"]["velocity_field_coefficient"]) == (1, 1.12)
    after = registry.device_as_of(me, {"device_id": so2["id"], "at": "2026-06-16T10:00:00+08:00"})
    assert (after["version"], after["params"]["range_upper"]) == (2, 500)
    naive_shanghai = registry.device_as_of(me, {"device_id": so2["id"], "at": "2026-06-16T09:59:59"})
    assert naive_shanghai["version"] == 1
    with pytest.raises(NotFound) as exc:
        registry.device_as_of(me, {"device_id": so2["id"], "at": "2026-06-15T09:00:00+08:00"})
    assert exc.value.field == "at"
    with pytest.raises(ValidationFailed) as exc:
        registry.device_as_of(me, {"device_id": so2["id"], "at": "昨天"})
    assert exc.value.field == "at"


def test_a_device_change_recorded_more_than_five_working_days_late_is_flagged(registry, register, clock):
    ent, me = register("late0001")
    water = registry.add_outlet(me, ent["id"], b.outlet("wastewater"))
    cod = registry.add_device(me, water["id"], {"device": b.water_analyzer(), "changed_on": "2026-06-01"})
    clock.set("2026-06-16T10:00:00+08:00")
    # changed Friday 06-05: 06-08 (1), 06-09 (2), 06-10 (3), 06-11 (4), 06-12 (5) → late on the 16th
    registry.update_device(me, cod["id"], {"device": {**b.water_analyzer(), "range_upper": 1000},
                                           "changed_on": "2026-06-05"})
    history = registry.device_history(me, cod["id"])
    assert (history[1]["due"], history[1]["late"]) == ("2026-06-12", True)
    # changed Monday 06-15: 端午 06-19 is off, so due 06-23
    registry.update_device(me, cod["id"], {"device": {**b.water_analyzer(), "range_upper": 800},
                                           "changed_on": "2026-06-15"})
    history = registry.device_history(me, cod["id"])
    assert (history[2]["due"], history[2]["late"]) == ("2026-06-23", False)


def test_a_device_change_must_change_something_and_not_be_in_the_future(registry, register):
    ent, me = register("nochange01")
    water = registry.add_outlet(me, ent["id"], b.outlet("wastewater"))
    cod = registry.add_device(me, water["id"], {"device": b.water_analyzer(), "changed_on": "2026-06-15"})
    with pytest.raises(ValidationFailed) as exc:
        registry.update_device(me, cod["id"], {"device": b.water_analyzer(), "changed_on": "2026-06-15"})
    assert exc.value.field == "device"
    with pytest.raises(ValidationFailed) as exc:
        registry.update_device(me, cod["id"], {"device": {**b.water_analyzer(), "range_upper": 900},
                                               "changed_on": "2026-06-16"})
    assert exc.value.field == "changed_on"
    with pytest.raises(ValidationFailed) as exc:
        registry.update_device(me, cod["id"], {"device": {"kind": "water_sampler", "name": "采样器",
                                                          "model": "m", "manufacturer": "x",
                                                          "construction_status": "已建成",
                                                          "mixed_sample_ready": True,
                                                          "refrigerated": False},
                                               "changed_on": "2026-06-15"})
    assert exc.value.field == "device.kind"
    assert len(registry.device_history(me, cod["id"])) == 1


def test_an_outlet_with_devices_keeps_its_kind(registry, register):
    ent, me = register("kindlock01")
    water = registry.add_outlet(me, ent["id"], b.outlet("wastewater"))
    registry.add_device(me, water["id"], {"device": b.water_analyzer(), "changed_on": "2026-06-15"})
    with pytest.raises(ValidationFailed) as exc:
        registry.update_outlet(me, water["id"], b.outlet("flue_gas"))
    assert exc.value.field == "kind"
    renamed = registry.update_outlet(me, water["id"], {**b.outlet("wastewater"), "name": "废水总排口（新）"})
    assert renamed["name"] == "废水总排口（新）"


def test_an_enterprise_cannot_see_or_edit_another_enterprises_outlets_and_devices(registry, register):
    mine, me = register("mine0001")
    theirs, them = register("theirs001")
    outlet = registry.add_outlet(me, mine["id"], b.outlet("wastewater"))
    device = registry.add_device(me, outlet["id"], {"device": b.water_analyzer(), "changed_on": "2026-06-15"})
    with pytest.raises(NotFound):
        registry.get_enterprise(them, mine["id"])
    with pytest.raises(NotFound):
        registry.add_outlet(them, mine["id"], b.outlet())
    with pytest.raises(NotFound):
        registry.update_outlet(them, outlet["id"], {**b.outlet(), "name": "被篡改"})
    with pytest.raises(NotFound):
        registry.add_device(them, outlet["id"], {"device": b.water_analyzer("w21003"), "changed_on": "2026-06-15"})
    with pytest.raises(NotFound):
        registry.update_device(them, device["id"], {"device": {**b.water_analyzer(), "range_upper": 1},
                                                    "changed_on": "2026-06-15"})
    with pytest.raises(NotFound):
        registry.device_history(them, device["id"])
    with pytest.raises(NotFound):
        registry.device_as_of(them, {"device_id": device["id"], "at": "2026-06-15T12:00:00+08:00"})
    assert [e["id"] for e in registry.list_enterprises(them, {})["items"]] == [theirs["id"]]
    view = registry.get_enterprise(me, mine["id"])
    assert view["outlets"][0]["name"] == "废水总排口DW001"
    assert len(registry.device_history(me, device["id"])) == 1


def test_an_institution_reads_the_enterprise_directory_but_cannot_edit_it(registry, register, flow):
    ent, me = register("directory01")
    outlet = registry.add_outlet(me, ent["id"], b.outlet("wastewater"))
    _, institution = flow.register()
    assert registry.get_enterprise(institution, ent["id"])["editable"] is False
    with pytest.raises(Forbidden):
        registry.add_outlet(institution, ent["id"], b.outlet())
    with pytest.raises(Forbidden):
        registry.update_outlet(institution, outlet["id"], b.outlet())


def test_a_regulator_sees_the_enterprises_of_its_district(registry, register, flow):
    pudong_ent, _ = register("pudongent1", district="浦东新区")
    xuhui_ent, _ = register("xuhuient01", district="徐汇区")
    pudong = flow.regulator("浦东新区")
    assert [e["id"] for e in registry.list_enterprises(pudong, {})["items"]] == [pudong_ent["id"]]
    with pytest.raises(NotFound):
        registry.get_enterprise(pudong, xuhui_ent["id"])


def test_a_self_operating_registration_does_not_take_over_an_enterprise_already_registered(
        registry, register, flow, admin):
    victim, _ = register("victim0001", name="上海东方化工有限公司")
    with pytest.raises(Conflict) as exc:
        flow.register(type_="self_testing_om_enterprise", credit_code=victim["credit_code"],
                      username="intruder01")
    assert exc.value.field == "institution.credit_code"
    assert not [a for a in registry.list_accounts(admin) if a["username"] == "intruder01"]


def test_a_refused_self_operating_registration_leaves_no_enterprise_behind(registry, flow, admin):
    inst, _ = flow.register(type_="om")
    with pytest.raises(Conflict) as exc:
        flow.register(type_="self_testing_enterprise", credit_code=inst["credit_code"])
    assert exc.value.field == "institution.credit_code"
    assert registry.list_enterprises(admin, {})["total"] == 0


def test_the_enterprise_directory_pages_and_refuses_a_bad_query(registry, register, admin):
    for n in range(3):
        register(f"paged{n:04d}", name=f"上海第{n}化工有限公司")
    first = registry.list_enterprises(admin, {"size": 2})
    second = registry.list_enterprises(admin, {"size": "2", "after": first["next"]})
    assert (first["total"], len(first["items"]), len(second["items"])) == (3, 2, 1)
    assert not {e["id"] for e in first["items"]} & {e["id"] for e in second["items"]}
    assert registry.list_enterprises(admin, {"keyword": "第1"})["total"] == 1
    for query, field in (({"page": "2"}, "page"), ({"before": "abc"}, "before"), ({"size": 0}, "size"),
                         ({"sort": "x"}, "sort")):
        with pytest.raises(ValidationFailed) as exc:
            registry.list_enterprises(admin, query)
        assert exc.value.field == field
