"""On-site inspections and comparison spot tests as their rules state them: each failed item or
factor is one finding; a factor is judged by the catalogue's comparison limit, at its boundary."""
import pytest

from credit.supervision import inspections as ins
from emss_common.errors import ValidationFailed
from emss_common.forms import comparison_limit


def reading(code, reference, monitor, velocity=None):
    return {"factor_code": code, "reference_value": reference, "monitor_value": monitor,
            "measured_at": "2026-11-23T10:00:00+08:00", "velocity": velocity}


@pytest.mark.parametrize("kind, code, reference, inside, outside", [
    ("wastewater", "w01018", 100, 115, 115.01),    # COD ±15 % relative (HJ 355)
    ("wastewater", "w01018", 100, 85, 84.99),
    ("wastewater", "w00000", 20, 22, 22.01),       # flow ±10 %
    ("wastewater", "w01001", 7.0, 7.5, 7.51),      # pH ±0.5 absolute
    ("flue_gas", "a21026", 50, 67, 67.01),         # SO2 below 57 mg/m3: ±17 mg/m3 absolute (HJ 75 band)
    ("flue_gas", "a21026", 100, 130, 130.01),      # SO2 57–143: ±30 % relative
    ("flue_gas", "a19001", 10, 11.5, 11.51),       # O2: ±15 % (relative accuracy of one pair)
])
def test_a_factor_passes_up_to_its_comparison_limit_and_fails_beyond(kind, code, reference, inside, outside):
    assert ins.judge_factor(kind, reading(code, reference, inside))["passed"] is True
    judged = ins.judge_factor(kind, reading(code, reference, outside))
    assert judged["passed"] is False and "超出" in judged["message"]


def test_the_hj75_band_is_chosen_by_the_reference_value_at_its_bound():
    below = comparison_limit("flue_gas", "a21026", 56.99)
    at = comparison_limit("flue_gas", "a21026", 57)
    assert (below.measure, below.limit) == ("absolute_error", 17)
    assert (at.measure, at.limit) == ("relative_error_pct", 30)


def test_the_service_configuration_overrides_a_catalogue_limit_by_its_key():
    override = {"FIELD_LIMIT_WATER_COMPARISON_REL_PCT": 10.0}
    limit = lambda key, default: override.get(key, default)  # noqa: E731
    assert ins.judge_factor("wastewater", reading("w01018", 100, 112), limit=limit)["passed"] is False
    assert ins.judge_factor("wastewater", reading("w01018", 100, 112))["passed"] is True


@pytest.mark.parametrize("kind, entry, field", [
    ("wastewater", reading("a21026", 10, 10), "factor_code"),   # not a water factor
    ("wastewater", reading("w01018", 0, 3), "reference_value"),  # no relative error of a zero reference
    ("flue_gas", reading("a00000", 1000, 1000), "velocity"),     # flow bands go by velocity
])
def test_a_reading_that_cannot_be_judged_names_its_field(kind, entry, field):
    with pytest.raises(ValidationFailed) as err:
        ins.judge_factor(kind, entry)
    assert err.value.field == field


def inspection(**kw):
    base = {"id": "insp1", "kind": "onsite", "inspected_on": "2026-11-20", "district": "徐汇区",
            "institution_id": "inst1", "institution_name": "甲运维", "enterprise_id": None, "outlet_id": None,
            "items": [], "factors": []}
    return {**base, **kw}


def test_each_failed_item_of_an_onsite_inspection_is_one_finding_keyed_by_inspection_and_item():
    found = ins.findings(inspection(items=[
        {"key": "staff", "label": "运维人员持证上岗", "result": "pass"},
        {"key": "logbook", "label": "运维台账", "result": "fail", "note": "缺10月记录"},
        {"key": "spare", "label": "备品备件", "result": "fail", "note": "无"}]))
    assert [(f.rule, f.key) for f in found] == [("INSPECTION_FAILED", "insp1:logbook"),
                                                ("INSPECTION_FAILED", "insp1:spare")]
    f = found[0]
    assert (f.subject_kind, f.subject_id, f.district) == ("institution", "inst1", "徐汇区")
    assert "缺10月记录" in f.summary
    assert [(e.kind, e.id, e.link) for e in f.evidence] == [("inspection", "insp1", "/inspections/insp1")]


def test_a_failed_comparison_is_a_finding_against_the_outlet_and_its_institution():
    factors = [ins.judge_factor("wastewater", reading("w01018", 100, 120)),
               ins.judge_factor("wastewater", reading("w21003", 10, 10.5))]
    found = ins.findings(inspection(kind="comparison", outlet_id="o1", enterprise_id="e1", factors=factors))
    assert [(f.rule, f.key) for f in found] == [("COMPARISON_FAILED", "insp1:w01018")]
    f = found[0]
    assert (f.subject_kind, f.subject_id, f.institution_id, f.enterprise_id) == ("outlet", "o1", "inst1", "e1")
    assert f.numbers["error"] == 20 and f.numbers["limit"] == 15


def test_an_inspection_with_nothing_failed_finds_nothing():
    assert ins.findings(inspection(items=[{"key": "a", "label": "台账", "result": "pass"}])) == []
