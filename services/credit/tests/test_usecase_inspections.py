"""Inspections on the test store: recorded by the regulator of the district, each failed item or
factor raised as a warning once, seen by the parties only; a refused inspection stores nothing; an
inspection's findings can be put into a rectification order."""
import base64

import pytest

from credit.supervision.findings import finding_id
from credit.usecases import inspections, orders
from emss_common.errors import Forbidden, NotFound, ValidationFailed
from services.credit.tests.findings import (CITY, ENTERPRISE, INSTITUTION, MINHANG, OTHER_ENTERPRISE,
                                            OTHER_INSTITUTION, PUDONG)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.7\n%%EOF\n"


def photo(content=PNG, name="现场.png"):
    return {"name": name, "content_base64": base64.b64encode(content).decode()}


@pytest.fixture
def registry(ctx):
    ctx.db["institutions"].insert_one({"id": "i1", "name": "甲运维公司"})
    ctx.db["enterprises"].insert_one({"id": "e1", "name": "乙化工", "district": "浦东新区"})
    ctx.db["outlets"].insert_one({"id": "o1", "enterprise_id": "e1", "name": "DW001 总排口", "kind": "wastewater"})


def onsite(**kw):
    return {"kind": "onsite", "subject_kind": "institution", "institution_id": "i1", "inspected_on": "2026-11-20",
            "inspectors": ["张三", "李四"], "findings": "台账不全",
            "items": [{"key": "certs", "label": "运维人员持证上岗", "result": "pass"},
                      {"key": "logbook", "label": "运维台账完整", "result": "fail", "note": "缺10月记录"}],
            "photos": [photo()], **kw}


def spot_test(**kw):
    reading = {"measured_at": "2026-11-20T10:00:00+08:00"}
    return {"kind": "comparison", "subject_kind": "outlet", "outlet_id": "o1", "institution_id": "i1",
            "inspected_on": "2026-11-20", "inspectors": ["王五"],
            "factors": [{"factor_code": "w01018", "reference_value": 100, "monitor_value": 120, **reading},
                        {"factor_code": "w01001", "reference_value": 7.2, "monitor_value": 7.5, **reading}], **kw}


def test_an_onsite_inspection_raises_each_failed_item_once(ctx, registry):
    done = inspections.record_inspection(ctx, PUDONG, onsite())
    assert done["district"] == "浦东新区" and done["institution_name"] == "甲运维公司"
    assert done["failed"] is True and [i["result_label"] for i in done["items"]] == ["合格", "不合格"]
    wid = finding_id("INSPECTION_FAILED", f"{done['id']}:logbook")
    assert done["finding_ids"] == [wid]
    warning = ctx.db["warnings"].find_one({"id": wid})
    assert (warning["status"], warning["institution_id"], warning["district"]) == ("open", "i1", "浦东新区")
    assert warning["evidence"][0]["link"] == f"/inspections/{done['id']}"
    assert [t for t, _, _ in ctx.events.events] == ["inspection.recorded", "warning.raised"]
    got = inspections.inspection_file(ctx, INSTITUTION, done["id"], done["photos"][0]["id"])
    assert base64.b64decode(got["content_base64"]) == PNG


def test_a_comparison_out_of_limits_is_a_finding_against_the_outlet_and_its_institution(ctx, registry):
    done = inspections.record_inspection(ctx, PUDONG, spot_test())
    cod, ph = done["factors"]
    assert (cod["error"], cod["passed"], cod["limit"]["limit"]) == (20.0, False, 15.0)
    assert (ph["error"], ph["passed"]) == (0.3, True)
    assert done["finding_ids"] == [finding_id("COMPARISON_FAILED", f"{done['id']}:w01018")]
    warning = ctx.db["warnings"].find_one({"id": done["finding_ids"][0]})
    assert (warning["subject_kind"], warning["outlet_id"], warning["institution_id"], warning["enterprise_id"],
            warning["district"]) == ("outlet", "o1", "i1", "e1", "浦东新区")


def test_inspections_are_seen_by_their_district_the_city_and_the_parties_only(ctx, registry):
    done = inspections.record_inspection(ctx, PUDONG, spot_test())
    for who in (PUDONG, CITY, INSTITUTION, ENTERPRISE):
        assert [i["id"] for i in inspections.list_inspections(ctx, who)["items"]] == [done["id"]]
        assert inspections.get_inspection(ctx, who, done["id"])["id"] == done["id"]
    for who in (MINHANG, OTHER_INSTITUTION, OTHER_ENTERPRISE):
        assert inspections.list_inspections(ctx, who)["items"] == []
        with pytest.raises(NotFound):
            inspections.get_inspection(ctx, who, done["id"])


@pytest.mark.parametrize("who, payload, error, field", [
    (MINHANG, spot_test(), Forbidden, None),                                     # a Pudong outlet
    (INSTITUTION, onsite(), Forbidden, None),
    (PUDONG, onsite(photos=[photo(PDF, "a.png")]), ValidationFailed, "photos[0]"),   # a PDF is no photo
    (PUDONG, onsite(photos=[photo(b"GIF89a....", "a.png")]), ValidationFailed, "photos[0]"),
    (PUDONG, onsite(inspected_on="2026-11-24"), ValidationFailed, "inspected_on"),   # tomorrow
    (PUDONG, onsite(institution_id="i9"), ValidationFailed, "institution_id"),
    (PUDONG, spot_test(outlet_id="o9"), ValidationFailed, "outlet_id"),
    (PUDONG, spot_test(factors=[{"factor_code": "a21026", "reference_value": 1, "monitor_value": 1,
                                 "measured_at": "2026-11-20T10:00:00+08:00"}]), ValidationFailed,
     "factors[0].factor_code"),
    (PUDONG, onsite(items=[{"label": "台账", "result": "fail"}]), ValidationFailed, "items.0.note"),
    (CITY, onsite(), ValidationFailed, "district"),   # the city names the district of an institution's inspection
])
def test_a_refused_inspection_stores_nothing(ctx, registry, who, payload, error, field):
    with pytest.raises(error) as err:
        inspections.record_inspection(ctx, who, payload)
    if field:
        assert err.value.field == field
    assert ctx.db["inspections"].count_documents({}) == 0
    assert ctx.db["inspection_files.files"].count_documents({}) == 0
    assert ctx.db["warnings"].count_documents({}) == 0
    assert ctx.events.events == []


def test_an_order_can_be_issued_from_an_inspection_and_its_findings(ctx, registry):
    done = inspections.record_inspection(ctx, CITY, onsite(district="浦东新区"))
    order = orders.issue_order(ctx, PUDONG, {
        "addressee": {"kind": "institution", "id": "i1"}, "title": "现场检查问题整改",
        "items": [{"title": "补全运维台账", "requirement": "补全10月台账", "warning_ids": done["finding_ids"],
                   "inspection_ids": [done["id"]]}]})
    assert order["inspection_ids"] == [done["id"]] and order["district"] == "浦东新区"
    assert ctx.db["warnings"].find_one({"id": done["finding_ids"][0]})["status"] == "ordered"
    with pytest.raises(ValidationFailed) as err:   # the inspection is not about the enterprise
        orders.issue_order(ctx, PUDONG, {"addressee": {"kind": "enterprise", "id": "e1"}, "title": "整改",
                                         "items": [{"title": "a", "requirement": "b", "inspection_ids": [done["id"]]}]})
    assert err.value.field == "items[0].inspection_ids[0]"


def test_findings_left_unraised_by_a_process_that_died_are_raised_by_the_sweep(ctx, registry, monkeypatch):
    from credit.usecases import warnings

    def dies(*args, **kwargs):
        raise RuntimeError("the process ended here")
    monkeypatch.setattr(warnings, "raise_finding", dies)
    with pytest.raises(RuntimeError):
        inspections.record_inspection(ctx, PUDONG, onsite())
    monkeypatch.undo()
    stored = ctx.db["inspections"].find_one({}, {"_id": 0})
    assert ctx.db["warnings"].count_documents({}) == 0
    assert inspections.finish_pending_findings(ctx) == 1
    assert [w["id"] for w in ctx.db["warnings"].find({})] == stored["finding_ids"]
    assert inspections.finish_pending_findings(ctx) == 0
    assert "findings_pending" not in inspections.get_inspection(ctx, PUDONG, stored["id"])
