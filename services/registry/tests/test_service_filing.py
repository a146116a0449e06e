"""Institution filing end to end through RabbitMQ: every transition, its event and its audit entry."""
import pytest
from nameko.events import event_handler

from emss_common.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from tests import builders as b

ENVELOPE = {"id", "type", "version", "occurred_at", "source", "subject", "actor", "data"}


def test_an_institution_goes_from_draft_to_published_and_every_step_is_an_event_and_an_audit_entry(
        registry, flow, events):
    regulator = flow.regulator("浦东新区")
    inst, me = flow.register(name="上海清源环境运维有限公司")
    iid = inst["id"]
    assert inst["status"] == "draft" and inst["status_label"] == "草稿"
    assert me["roles"] == ["institution_admin"] and me["institution_id"] == iid

    out = flow.act(me, iid, "submit")
    assert out["status"] == "first_submitted"
    assert out["allowed_actions"] == []  # the institution waits for the regulator
    view = registry.get_institution(regulator, iid)
    assert [a["action"] for a in view["allowed_actions"]] == ["approve_first", "return_first"]
    assert flow.act(regulator, iid, "approve_first")["status"] == "first_approved"

    last = flow.second_stage(me, iid)
    assert [s["technical_role"] for s in last["staff"]] == ["om_staff", "technical_lead", "quality_lead"]
    assert last["staff"][0]["certificate_status"] == "valid"
    assert last["equipment"][0]["calibration_status"] == "valid"
    assert last["vehicles"][0]["plate"] == "沪A12345" and last["vehicles"][0]["lease_status"] == "valid"
    assert last["spare_parts"][0]["value"] == 1200.0
    assert last["second_stage_problems"] == []
    assert last["may_take_tasks"] is False

    assert flow.act(me, iid, "submit_second")["status"] == "second_submitted"
    approved = flow.act(regulator, iid, "approve_second")
    assert approved["status"] == "second_approved" and approved["may_take_tasks"] is True
    published = flow.act(regulator, iid, "publish")
    assert published["status"] == "published" and published["status_label"] == "已公开"
    assert published["published_at"] == "2026-06-15T02:00:00+00:00"
    assert published["valid_until"] == "2029-06-15"  # three years by default

    # events: one per transition, each in the one envelope, in order
    expected = [("institution.submitted", "draft", "first_submitted", me),
                ("institution.first_approved", "first_submitted", "first_approved", regulator),
                ("institution.second_submitted", "first_approved", "second_submitted", me),
                ("institution.second_approved", "second_submitted", "second_approved", regulator),
                ("institution.published", "second_approved", "published", regulator)]
    events.wait_for("institution.published", iid)
    lifecycle = [e for e in events.collect() if e["subject"] == iid
                 and e["type"] not in ("institution.registered", "institution.updated")]
    assert [e["type"] for e in lifecycle] == [t for t, *_ in expected]
    for event, (type_, before, after, actor) in zip(lifecycle, expected):
        assert set(event) == ENVELOPE
        assert (event["type"], event["source"], event["subject"], event["version"]) == (
            type_, "registry", iid, 1)
        assert event["occurred_at"] == "2026-06-15T02:00:00+00:00"
        assert event["actor"]["account_id"] == actor["account_id"]
        assert event["actor"]["username"] == actor["username"]
        assert (event["data"]["from"], event["data"]["to"]) == (before, after)
        assert event["data"]["institution"]["id"] == iid
        assert event["data"]["institution"]["status"] == after
    assert len({e["id"] for e in events.seen}) == len(events.seen)
    assert events.of("institution.registered", iid)[0]["data"]["institution"]["status"] == "draft"
    assert len(events.of("institution.updated", iid)) == 6  # one per 二审 item added

    # audit: who, when, from which status to which
    trail = registry.institution_audit_trail(regulator, iid)
    steps = [(t["action"], t.get("from_status"), t.get("to_status"), t["actor"]["username"])
             for t in trail if t["action"] in ("register", "submit", "approve_first", "submit_second",
                                               "approve_second", "publish")]
    assert steps == [
        ("register", None, "draft", me["username"]),
        ("submit", "draft", "first_submitted", me["username"]),
        ("approve_first", "first_submitted", "first_approved", regulator["username"]),
        ("submit_second", "first_approved", "second_submitted", me["username"]),
        ("approve_second", "second_submitted", "second_approved", regulator["username"]),
        ("publish", "second_approved", "published", regulator["username"]),
    ]
    assert all(t["at"] == "2026-06-15T02:00:00+00:00" for t in trail)
    added = [t for t in trail if t["action"].startswith("add_")]
    assert [t["action"] for t in added] == ["add_staff", "add_staff", "add_staff", "add_equipment",
                                            "add_vehicles", "add_spare_parts"]
    assert all(t["actor"]["account_id"] == me["account_id"] and t["changes"] for t in added)


def test_the_published_institution_is_in_the_public_listing_with_public_fields_only(registry, flow):
    regulator = flow.regulator()
    flow.published(regulator, name="上海清源环境运维有限公司")
    listing = registry.public_institutions({})
    assert listing["total"] == 1 and listing["next"] is None and listing["prev"] is None
    row = listing["items"][0]
    assert row["name"] == "上海清源环境运维有限公司"
    assert row["type_label"] == "运维机构"
    assert row["filing_valid"] is True and row["valid_until"] == "2029-06-15"
    assert row["capability_labels"] == ["废水自动监测运维", "废气自动监测运维"]
    for private in ("credit_code", "staff", "legal_representative", "equipment", "vehicles"):
        assert private not in row


def test_the_public_listing_filters_and_pages(registry, flow):
    regulator = flow.regulator(district="*")
    flow.published(regulator, name="上海清源环境运维有限公司")
    flow.published(regulator, name="上海东方检测有限公司", type_="testing",
                   capabilities=["sampling", "laboratory"], district="徐汇区")
    flow.published(regulator, name="上海蓝天环境运维有限公司", capabilities=["flue_gas_om"])
    flow.approved(regulator, name="上海未公开运维有限公司")  # approved but not published
    flow.register(name="上海草稿运维有限公司")

    def names(query):
        out = registry.public_institutions(query)
        return out["total"], sorted(i["name"] for i in out["items"])

    assert names({})[0] == 3
    assert names({"keyword": "清源"}) == (1, ["上海清源环境运维有限公司"])
    assert names({"keyword": "未公开"}) == (0, [])
    assert names({"keyword": "清源.*("}) == (0, [])  # text, not a pattern
    assert names({"type": "testing"}) == (1, ["上海东方检测有限公司"])
    assert names({"capability": "wastewater_om"}) == (1, ["上海清源环境运维有限公司"])
    assert names({"capability": "flue_gas_om"})[0] == 2
    assert names({"status": "valid"})[0] == 3
    assert names({"status": "expired"}) == (0, [])
    assert names({"type": "om", "capability": "flue_gas_om", "keyword": "蓝天"}) == (
        1, ["上海蓝天环境运维有限公司"])

    first = registry.public_institutions({"size": 2})
    second = registry.public_institutions({"size": 2, "after": first["next"]})
    assert (first["total"], len(first["items"]), second["total"], len(second["items"])) == (3, 2, 3, 1)
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    assert second["next"] is None and second["prev"]
    assert registry.public_institutions({"size": 2, "before": second["prev"]})["items"] == first["items"]


def test_a_filing_past_its_validity_shows_as_expired_in_the_public_listing(registry, flow, clock):
    regulator = flow.regulator()
    flow.published(regulator)
    clock.set("2029-06-16T10:00:00+08:00")
    assert registry.public_institutions({"status": "valid"})["total"] == 0
    expired = registry.public_institutions({"status": "expired"})
    assert expired["total"] == 1 and expired["items"][0]["filing_valid"] is False


def test_a_bad_public_query_names_its_field(registry):
    for query, field in (({"size": 1000}, "size"), ({"type": "nonsense"}, "type"),
                         ({"page": 2}, "page"), ({"after": "not-a-cursor"}, "after"),
                         ({"sort": "name"}, "sort")):
        with pytest.raises(ValidationFailed) as exc:
            registry.public_institutions(query)
        assert exc.value.field == field


def test_a_nameko_service_listening_for_publications_receives_the_envelope(
        registry, flow, container_factory, registry_config):
    received = []

    class EnforcementListener:
        name = "listener"

        @event_handler("registry", "institution.published")
        def on_published(self, event):
            received.append(event)

    listener = container_factory(EnforcementListener, registry_config)
    listener.start()
    regulator = flow.regulator()
    published, _ = flow.published(regulator)

    import eventlet
    with eventlet.Timeout(5):
        while not received:
            eventlet.sleep(0.01)
    assert len(received) == 1
    assert set(received[0]) == ENVELOPE
    assert received[0]["subject"] == published["id"]
    assert received[0]["data"]["to"] == "published"


# ---- return for correction ----

def test_a_regulator_returns_a_submission_with_a_reason_and_the_institution_resubmits(
        registry, flow, events):
    regulator = flow.regulator()
    inst, me = flow.register()
    iid = inst["id"]
    flow.act(me, iid, "submit")
    with pytest.raises(ValidationFailed) as exc:
        flow.act(regulator, iid, "return_first")
    assert exc.value.field == "reason"
    with pytest.raises(ValidationFailed):
        flow.act(regulator, iid, "return_first", reason="   ")
    assert registry.get_institution(me, iid)["status"] == "first_submitted"

    returned = flow.act(regulator, iid, "return_first", reason="实验室地址与营业执照不符")
    assert returned["status"] == "first_returned"
    assert returned["return_reason"] == "实验室地址与营业执照不符"
    event = events.wait_for("institution.first_returned", iid)
    assert event["data"]["reason"] == "实验室地址与营业执照不符"

    mine = registry.get_institution(me, iid)
    assert [a["action"] for a in mine["allowed_actions"]] == ["submit"]
    assert mine["editable"]["basic"] is True
    fixed = registry.update_institution_basic(me, iid, {**_basic(mine), "lab_address": "上海市浦东新区川沙路1000号"})
    assert fixed["lab_address"] == "上海市浦东新区川沙路1000号"
    resubmitted = flow.act(me, iid, "submit")
    assert resubmitted["status"] == "first_submitted" and resubmitted["return_reason"] is None
    trail = registry.institution_audit_trail(regulator, iid)
    ret = next(t for t in trail if t["action"] == "return_first")
    assert (ret["from_status"], ret["to_status"], ret["reason"]) == (
        "first_submitted", "first_returned", "实验室地址与营业执照不符")
    assert [t["action"] for t in trail][-2:] == ["update_basic", "submit"]


def test_a_second_review_can_be_returned_and_the_second_stage_corrected(registry, flow):
    regulator = flow.regulator()
    inst, me = flow.first_approved(regulator)
    flow.second_stage(me, inst["id"])
    flow.act(me, inst["id"], "submit_second")
    with pytest.raises(InvalidTransition):
        registry.add_institution_item(me, inst["id"], "spare_parts", b.spare_part())
    out = flow.act(regulator, inst["id"], "return_second", reason="备品备件价值偏低")
    assert out["status"] == "second_returned"
    registry.add_institution_item(me, inst["id"], "spare_parts", b.spare_part())
    assert flow.act(me, inst["id"], "submit_second")["status"] == "second_submitted"


def _basic(view):
    keys = ("name", "type", "credit_code", "legal_representative", "contact_person", "contact_phone",
            "email", "website", "address", "lab_address", "district", "registered_capital",
            "capabilities")
    return {k: view[k] for k in keys}


# ---- who may do what ----

def test_a_regulator_of_another_district_cannot_see_or_review_the_institution(registry, flow):
    xuhui = flow.regulator("徐汇区")
    inst, me = flow.register(district="浦东新区")
    flow.act(me, inst["id"], "submit")
    with pytest.raises(NotFound):
        registry.get_institution(xuhui, inst["id"])
    with pytest.raises(NotFound):
        flow.act(xuhui, inst["id"], "approve_first")
    with pytest.raises(NotFound):
        registry.institution_audit_trail(xuhui, inst["id"])
    assert registry.list_institutions(xuhui, {})["total"] == 0
    assert registry.get_institution(me, inst["id"])["status"] == "first_submitted"


def test_a_whole_city_regulator_reviews_any_district(registry, flow):
    city = flow.regulator("*")
    inst, me = flow.register(district="崇明区")
    flow.act(me, inst["id"], "submit")
    assert flow.act(city, inst["id"], "approve_first")["status"] == "first_approved"
    assert registry.list_institutions(city, {})["total"] == 1


def test_a_district_regulator_lists_only_its_district(registry, flow):
    pudong = flow.regulator("浦东新区")
    flow.register(district="浦东新区", name="上海浦东运维有限公司")
    flow.register(district="徐汇区", name="上海徐汇运维有限公司")
    rows = registry.list_institutions(pudong, {})
    assert [r["name"] for r in rows["items"]] == ["上海浦东运维有限公司"]
    assert registry.list_institutions(pudong, {"district": "徐汇区"})["total"] == 0


def test_another_institution_cannot_read_or_edit_mine(registry, flow):
    mine, me = flow.register()
    other, them = flow.register()
    with pytest.raises(NotFound):
        registry.get_institution(them, mine["id"])
    with pytest.raises(NotFound):
        registry.update_institution_basic(them, mine["id"], b.institution())
    with pytest.raises(NotFound):
        registry.add_institution_item(them, mine["id"], "staff", b.staff())
    with pytest.raises(NotFound):
        flow.act(them, mine["id"], "submit")
    with pytest.raises(NotFound):
        registry.institution_audit_trail(them, mine["id"])
    assert [r["id"] for r in registry.list_institutions(them, {})["items"]] == [other["id"]]
    assert registry.get_institution(me, mine["id"])["staff"] == []


def test_an_institution_cannot_review_itself_and_a_regulator_cannot_submit_for_it(registry, flow):
    regulator = flow.regulator()
    inst, me = flow.register()
    with pytest.raises(Forbidden):
        flow.act(regulator, inst["id"], "submit")
    flow.act(me, inst["id"], "submit")
    with pytest.raises(Forbidden):
        flow.act(me, inst["id"], "approve_first")


def test_a_regulator_cannot_publish_before_the_second_review(registry, flow):
    regulator = flow.regulator()
    inst, me = flow.first_approved(regulator)
    with pytest.raises(InvalidTransition) as exc:
        flow.act(regulator, inst["id"], "publish")
    assert exc.value.field == "status"
    assert registry.get_institution(me, inst["id"])["status"] == "first_approved"


def test_the_second_stage_is_refused_with_an_expired_certificate(registry, flow, events):
    regulator = flow.regulator()
    inst, me = flow.first_approved(regulator)
    flow.second_stage(me, inst["id"])
    expired = registry.add_institution_item(me, inst["id"], "staff",
                                            b.staff("李过期", "om_staff", "2026-05-31", n=4))
    assert expired["staff"][3]["certificate_status"] == "expired"
    assert expired["staff"][3]["certificate_status_label"] == "已过期"
    assert expired["second_stage_problems"] == [
        {"field": "staff[3].certificate.valid_until", "message": "李过期的运维能力评定证书已过期"}]
    with pytest.raises(ValidationFailed) as exc:
        flow.act(me, inst["id"], "submit_second")
    assert exc.value.field == "staff[3].certificate.valid_until"
    assert exc.value.details == expired["second_stage_problems"]
    assert registry.get_institution(me, inst["id"])["status"] == "first_approved"
    assert events.of("institution.second_submitted") == []


def test_the_second_stage_is_refused_without_leads(registry, flow):
    regulator = flow.regulator()
    inst, me = flow.first_approved(regulator)
    registry.add_institution_item(me, inst["id"], "staff", b.staff("赵强", "om_staff", n=1))
    with pytest.raises(ValidationFailed) as exc:
        flow.act(me, inst["id"], "submit_second")
    assert {p["message"] for p in exc.value.details} == {"缺少技术负责人", "缺少质量负责人"}


def test_second_stage_items_are_edited_and_removed_before_review(registry, flow):
    regulator = flow.regulator()
    inst, me = flow.first_approved(regulator)
    view = flow.second_stage(me, inst["id"])
    part = view["spare_parts"][0]
    updated = registry.update_institution_item(me, inst["id"], "spare_parts", part["id"],
                                               {**b.spare_part(), "quantity": 20})
    assert updated["spare_parts"][0]["quantity"] == 20
    removed = registry.remove_institution_item(me, inst["id"], "spare_parts", part["id"])
    assert removed["spare_parts"] == []
    with pytest.raises(NotFound) as exc:
        registry.remove_institution_item(me, inst["id"], "spare_parts", part["id"])
    assert exc.value.field == "item_id"
    with pytest.raises(NotFound) as exc:
        registry.add_institution_item(me, inst["id"], "weapons", {})
    assert exc.value.field == "target"


def test_a_self_operating_enterprise_is_filed_at_once_and_is_also_an_enterprise(registry, flow, events):
    inst, me = flow.register(type_="self_testing_om_enterprise", name="上海东方化工有限公司")
    assert inst["self_operating"] is True and inst["enterprise_id"]
    assert me["roles"] == ["enterprise_user", "institution_admin"]
    assert me["enterprise_id"] == inst["enterprise_id"]
    enterprise = registry.get_enterprise(me, inst["enterprise_id"])
    assert enterprise["name"] == "上海东方化工有限公司" and enterprise["self_operating"] is True
    assert enterprise["credit_code"] == inst["credit_code"] and enterprise["editable"] is True

    filed = flow.act(me, inst["id"], "submit")
    assert filed["status"] == "first_approved"  # no first review
    event = events.wait_for("institution.submitted", inst["id"])
    assert (event["data"]["from"], event["data"]["to"]) == ("draft", "first_approved")
    assert events.of("enterprise.registered", inst["enterprise_id"])

    regulator = flow.regulator()
    flow.second_stage(me, inst["id"])
    flow.act(me, inst["id"], "submit_second")
    assert flow.act(regulator, inst["id"], "approve_second")["may_take_tasks"] is True


def test_basic_information_is_locked_under_review_and_the_kind_of_institution_cannot_flip(registry, flow):
    inst, me = flow.register(type_="om")
    basic = _basic(registry.get_institution(me, inst["id"]))
    with pytest.raises(ValidationFailed) as exc:
        registry.update_institution_basic(me, inst["id"], {**basic, "type": "self_testing_enterprise"})
    assert exc.value.field == "type"
    assert registry.update_institution_basic(me, inst["id"], {**basic, "type": "testing_om"})["type"] == "testing_om"
    flow.act(me, inst["id"], "submit")
    with pytest.raises(InvalidTransition) as exc:
        registry.update_institution_basic(me, inst["id"], basic)
    assert "审核期间不能修改" in exc.value.message
    assert registry.get_institution(me, inst["id"])["type"] == "testing_om"
