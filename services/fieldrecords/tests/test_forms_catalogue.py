"""The form catalogue as data: complete, consistent, and described for the pages."""
import copy
import json

import pytest

from emss_common.errors import ValidationFailed
from emss_common.forms import catalogue, forms
from fieldrecords.domain.forms import (LIMIT_KEYS, CatalogueError, describe, evaluate_spec,
                                       load_specs)
from fieldrecords.domain.forms.conditions import all_match
from fieldrecords.domain.forms.model import spec_for
from services.fieldrecords.tests.form_samples import device_docs_for

ALL_KINDS = sorted(forms())


def test_the_fifteen_forms_of_seed_001_keep_what_the_tasks_service_reads():
    cat = catalogue()
    assert cat["version"] == 2
    by_outlet = {k: f["outlet_kind"] for k, f in cat["forms"].items()}
    assert sum(v == "wastewater" for v in by_outlet.values()) == 6
    assert sum(v == "flue_gas" for v in by_outlet.values()) == 9
    for kind, f in cat["forms"].items():
        assert f["name"] and f["default_frequency"]["kind"], kind
    assert {k for k, f in cat["forms"].items() if f.get("needs_report")} == {"ww_comparison", "fg_periodic_check"}


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_each_form_is_versioned_and_names_the_devices_it_takes(kind):
    spec = spec_for(kind)
    assert spec.version >= 1
    assert spec.per_device is True
    allowed = {"wastewater": {"water_analyzer", "water_sampler"}, "flue_gas": {"cems"}}[spec.outlet_kind]
    assert set(spec.device_kinds) <= allowed


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_every_device_a_form_takes_has_something_to_fill(kind):
    spec = spec_for(kind)
    for device in device_docs_for(kind):
        applicable = [f for f in spec.fields("block") if all_match(f.when, device)]
        assert applicable, (kind, device["id"])
        if spec.is_inspection:      # every group offers the device at least one item
            for group in spec.groups:
                assert any(f.group == group for f in applicable), (kind, device["id"], group)


def test_inspection_forms_group_items_by_day_week_month_quarter():
    for kind in ("ww_inspection", "fg_inspection_extractive", "fg_inspection_dilution",
                 "fg_inspection_direct", "fg_inspection_nmhc"):
        assert spec_for(kind).groups == ("day", "week", "month", "quarter")
    assert not spec_for("fg_calibration").is_inspection


def test_limit_keys_carry_the_domain_defaults():
    assert LIMIT_KEYS["FIELD_LIMIT_GAS_DRIFT_PCT_FS"] == 2.5
    assert LIMIT_KEYS["FIELD_LIMIT_PM_DRIFT_PCT_FS"] == 2.0
    assert LIMIT_KEYS["FIELD_LIMIT_FLOW_ZERO_DRIFT_PCT"] == 3.0
    assert LIMIT_KEYS["FIELD_LIMIT_WATER_COMPARISON_REL_PCT"] == 15
    assert LIMIT_KEYS["FIELD_LIMIT_PH_COMPARISON_ABS"] == 0.5
    assert LIMIT_KEYS["FIELD_LIMIT_FLOW_COMPARISON_REL_PCT"] == 10
    assert LIMIT_KEYS["FIELD_LIMIT_STANDARD_CHECK_REL_PCT"] == 10
    assert LIMIT_KEYS["FIELD_LIMIT_FAULT_ARRIVAL_HOURS"] == 24
    assert LIMIT_KEYS["FIELD_LIMIT_FAULT_SIMPLE_FIX_HOURS"] == 8
    assert LIMIT_KEYS["FIELD_LIMIT_FAULT_BACKUP_HOURS"] == 72
    assert all(key.startswith("FIELD_LIMIT_") for key in LIMIT_KEYS)


# ---------------------------------------------------------------- describe

@pytest.mark.parametrize("kind", ALL_KINDS)
def test_describe_gives_the_pages_a_json_form(kind):
    d = describe(kind)
    json.dumps(d, ensure_ascii=False)
    assert (d["kind"], d["version"], d["per_device"]) == (kind, spec_for(kind).version, True)
    assert d["device_kinds"] and d["sections"]
    for section in d["sections"]:
        for f in section["fields"]:
            assert f["label"] and f["type"]


def test_describe_shows_formulas_limits_and_groups():
    d = describe("fg_calibration")
    zero = next(s for s in d["sections"] if s["key"] == "zero")
    [drift] = zero["computed"]
    assert drift["formula_label"] == "(校前测试值 − 上次校准后测试值) ÷ 满量程 × 100"
    assert drift["judge"]["judges"]["*"]["limit"] == {"key": "FIELD_LIMIT_GAS_DRIFT_PCT_FS",
                                                      "default": 2.5, "mark": "S"}
    groups = describe("ww_inspection")["groups"]
    assert [g["label"] for g in groups] == ["日检查维护", "周检查维护", "月检查维护", "季检查维护"]


def test_describe_for_a_device_keeps_only_what_applies_to_it():
    ph = next(d for d in device_docs_for("ww_inspection") if d["factor_code"] == "w01001")
    d = describe("ww_inspection", device=ph)
    block_sections = [s["key"] for s in d["sections"] if s["scope"] == "block"]
    assert block_sections == ["ph_meter"]
    comparison = describe("ww_comparison", device=ph)
    block = next(s for s in comparison["sections"] if s["key"] == "comparison")
    assert [c["key"] for c in block["computed"]] == ["absolute_error"]
    assert block["fields"][0]["unit"] == "无量纲"


def test_describe_refuses_an_unknown_kind():
    with pytest.raises(ValidationFailed) as err:
        describe("ww_painting")
    assert err.value.field == "kind"


# ---------------------------------------------------------------- a broken catalogue is caught

def small_catalogue():
    cat = copy.deepcopy(catalogue())
    cat["forms"] = {"fg_calibration": cat["forms"]["fg_calibration"]}
    return cat


def test_a_formula_that_does_not_exist_is_a_catalogue_error():
    cat = small_catalogue()
    cat["forms"]["fg_calibration"]["sections"][1]["computed"][0]["formula"] = "guess"
    with pytest.raises(CatalogueError, match="guess"):
        load_specs(cat)


def test_a_computation_over_a_missing_field_is_a_catalogue_error():
    cat = small_catalogue()
    cat["forms"]["fg_calibration"]["sections"][1]["computed"][0]["args"]["before"] = "zero_reading"
    with pytest.raises(CatalogueError, match="zero_reading"):
        load_specs(cat)


def test_a_key_used_twice_in_a_form_is_a_catalogue_error():
    cat = small_catalogue()
    cat["forms"]["fg_calibration"]["sections"][2]["fields"][0]["key"] = "zero_gas"
    with pytest.raises(CatalogueError, match="zero_gas"):
        load_specs(cat)


def test_one_limit_key_with_two_defaults_is_a_catalogue_error():
    cat = small_catalogue()
    span = cat["forms"]["fg_calibration"]["sections"][2]["computed"][0]
    span["judge"] = {"abs_max": {"key": "FIELD_LIMIT_GAS_DRIFT_PCT_FS", "default": 3.0}}
    with pytest.raises(CatalogueError, match="FIELD_LIMIT_GAS_DRIFT_PCT_FS"):
        load_specs(cat)


def test_a_form_filed_once_per_record_takes_no_device_blocks():
    cat = copy.deepcopy(catalogue())
    cat["forms"] = {"station_log": {
        "name": "站房记录", "outlet_kind": "flue_gas", "default_frequency": {"kind": "weekly"},
        "version": 1, "per_device": False, "device_kinds": ["cems"],
        "sections": [{"key": "log", "label": "记录", "scope": "form",
                      "fields": [{"key": "temperature", "label": "站房温度", "type": "number", "unit": "℃"}]}]}}
    spec = load_specs(cat)["station_log"]
    result = evaluate_spec(spec, {"values": {"temperature": 24}}, {})
    assert result["content"] == {"values": {"temperature": 24.0}, "blocks": []}
    with pytest.raises(ValidationFailed) as err:
        evaluate_spec(spec, {"values": {"temperature": 24}, "blocks": [{"device_id": "d"}]}, {})
    assert err.value.field == "blocks"
