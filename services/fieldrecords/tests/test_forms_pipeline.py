"""The one pipeline behind the 15 forms: validation, computations and judgement."""
import copy

import pytest

from emss_common.errors import ValidationFailed
from emss_common.forms import forms
from fieldrecords.domain.forms import evaluate
from services.fieldrecords.tests.form_samples import device_docs_for, sample_content

ALL_KINDS = sorted(forms())
JUDGED = ["ww_maintenance", "ww_standard_check", "ww_comparison", "fg_fault_repair",
          "fg_gas_replacement", "fg_periodic_check", "fg_calibration"]
NOT_JUDGED = sorted(set(ALL_KINDS) - set(JUDGED))


def by_id(docs):
    return {d["id"]: d for d in docs}


def docs(kind, *factors):
    """The sample devices of a form, or those measuring the given factors (in that order)."""
    pool = device_docs_for(kind)
    if not factors:
        return pool
    return [next(d for d in pool if d.get("factor_code") == f) for f in factors]


def refused(kind, content, devices, field, complete=True, **kw):
    with pytest.raises(ValidationFailed) as err:
        evaluate(kind, content, by_id(devices), complete=complete, **kw)
    assert err.value.field == field, err.value.message
    return err.value.message


# ---------------------------------------------------------------- every kind

@pytest.mark.parametrize("kind", ALL_KINDS)
def test_a_realistic_record_of_each_kind_passes(kind):
    devices = docs(kind)
    result = evaluate(kind, sample_content(kind, devices), by_id(devices))
    assert result["verdict"]["passed"] is True, result["verdict"]["failures"]
    assert [b["device_id"] for b in result["content"]["blocks"]] == [d["id"] for d in devices]
    assert len(result["computed"]["blocks"]) == len(devices)


@pytest.mark.parametrize("kind", JUDGED)
def test_each_judged_kind_fails_a_record_beyond_its_limits(kind):
    devices = docs(kind)
    result = evaluate(kind, sample_content(kind, devices, passing=False), by_id(devices))
    verdict = result["verdict"]
    assert verdict["passed"] is False
    assert verdict["failures"]
    for failure in verdict["failures"]:
        assert set(failure) >= {"field", "message", "value", "limit"}
        assert failure["field"].startswith(("computed.", "values.", "blocks["))


@pytest.mark.parametrize("kind", NOT_JUDGED)
def test_kinds_without_limits_have_no_failing_sample_and_never_fail(kind):
    devices = docs(kind)
    assert sample_content(kind, devices, passing=False) is None
    result = evaluate(kind, sample_content(kind, devices), by_id(devices))
    assert result["verdict"]["checks"] == []


# ---------------------------------------------------------------- calibration drift (HJ 75)

def calibration(zero_before, full_scale=None):
    values = {"zero_gas": 0, "zero_after_last": 2, "zero_before": zero_before, "zero_after": 0.3,
              "span_gas": 160, "span_after_last": 161, "span_before": 162, "span_after": 160}
    if full_scale is not None:
        values["full_scale"] = full_scale
    return {"values": {}, "blocks": [{"device_id": "dev-a21026", "values": values}]}


def test_drift_is_the_change_since_last_calibration_as_percent_of_full_scale():
    so2 = docs("fg_calibration", "a21026")          # full scale 200 mg/m3
    result = evaluate("fg_calibration", calibration(zero_before=7), by_id(so2))
    computed = result["computed"]["blocks"][0]["values"]
    assert computed["zero_drift_pct_fs"] == 2.5      # (7 − 2) / 200 × 100
    assert computed["span_drift_pct_fs"] == 0.5      # (162 − 161) / 200 × 100
    assert result["content"]["blocks"][0]["values"]["full_scale"] == 200.0   # taken from the device
    assert result["verdict"]["passed"] is True       # 2.5 is within ±2.5 % F.S. (default)


def test_drift_is_judged_against_the_configured_limit_when_one_is_set():
    so2 = docs("fg_calibration", "a21026")
    configured = {"FIELD_LIMIT_GAS_DRIFT_PCT_FS": 2.0}
    result = evaluate("fg_calibration", calibration(zero_before=7), by_id(so2),
                      limit=lambda key, default: configured.get(key, default))
    [failure] = result["verdict"]["failures"]
    assert failure["field"] == "computed.blocks[0].values.zero_drift_pct_fs"
    assert (failure["value"], failure["limit"]) == (2.5, 2.0)
    assert "零点漂移" in failure["message"]


def test_particulate_drift_has_its_own_tighter_limit():
    pm = docs("fg_calibration", "a34013")            # full scale 200, limit ±2.0 %
    content = calibration(zero_before=7)
    content["blocks"][0]["device_id"] = "dev-a34013"
    [failure] = evaluate("fg_calibration", content, by_id(pm))["verdict"]["failures"]
    assert failure["limit"] == 2.0


def test_full_scale_comes_from_the_registry_and_a_different_one_is_refused():
    so2 = docs("fg_calibration", "a21026")
    message = refused("fg_calibration", calibration(7, full_scale=500), so2, "blocks[0].values.full_scale")
    assert "200" in message


def test_a_device_without_registered_range_needs_the_filer_to_state_it():
    so2 = [{**docs("fg_calibration", "a21026")[0], "range_upper": None}]
    refused("fg_calibration", calibration(7), so2, "blocks[0].values.full_scale")
    result = evaluate("fg_calibration", calibration(7, full_scale=250), by_id(so2))
    assert result["computed"]["blocks"][0]["values"]["zero_drift_pct_fs"] == 2.0


# ---------------------------------------------------------------- water comparison (HJ 355)

def comparison(device_id, instrument, lab):
    return {"values": {"sampled_at": "2026-11-23T08:00:00+08:00", "lab_name": "上海环科检测技术有限公司"},
            "blocks": [{"device_id": device_id, "values": {"instrument_value": instrument, "lab_value": lab}}]}


def test_ph_comparison_is_judged_as_an_absolute_difference():
    ph = docs("ww_comparison", "w01001")
    result = evaluate("ww_comparison", comparison("dev-w01001", 7.6, 7.0), by_id(ph))
    computed = result["computed"]["blocks"][0]["values"]
    assert computed == {"absolute_error": 0.6}       # no relative error for pH
    [failure] = result["verdict"]["failures"]
    assert (failure["field"], failure["limit"]) == ("computed.blocks[0].values.absolute_error", 0.5)


def test_cod_comparison_is_judged_as_a_relative_error():
    cod = docs("ww_comparison", "w01018")
    passed = evaluate("ww_comparison", comparison("dev-w01018", 51.0, 45.0), by_id(cod))
    assert passed["computed"]["blocks"][0]["values"] == {"relative_error_pct": 13.33}
    assert passed["verdict"]["passed"] is True       # 13.33 % ≤ 15 %
    failed = evaluate("ww_comparison", comparison("dev-w01018", 52.0, 45.0), by_id(cod))
    [failure] = failed["verdict"]["failures"]
    assert (failure["value"], failure["limit"]) == (15.56, 15.0)


def test_flow_comparison_uses_the_flow_limit():
    flow = docs("ww_comparison", "w00000")
    [failure] = evaluate("ww_comparison", comparison("dev-w00000", 56.0, 50.0),
                         by_id(flow))["verdict"]["failures"]
    assert (failure["value"], failure["limit"]) == (12.0, 10.0)


def test_a_zero_lab_value_cannot_give_a_relative_error():
    cod = docs("ww_comparison", "w01018")
    refused("ww_comparison", comparison("dev-w01018", 3.0, 0), cod, "blocks[0].values.lab_value")


# ---------------------------------------------------------------- inspections: groups and items

def inspection(kind, device, groups, answers=None):
    """An inspection of one device in the given groups, every item 正常, then `answers` on top."""
    content = sample_content(kind, [device], groups=groups)
    content["blocks"][0]["values"].update(answers or {})
    return content


def test_a_chosen_group_needs_every_item_and_the_missing_one_is_named():
    cod = docs("ww_inspection", "w01018")[0]
    content = inspection("ww_inspection", cod, ["week"])
    del content["blocks"][0]["values"]["pump_tube_furnace"]
    message = refused("ww_inspection", content, [cod], "blocks[0].values.pump_tube_furnace")
    assert "检查泵、管、加热炉等" in message


def test_an_item_of_a_group_not_chosen_is_refused():
    cod = docs("ww_inspection", "w01018")[0]
    content = inspection("ww_inspection", cod, ["week"], {"line_cleaning": {"result": "normal"}})
    message = refused("ww_inspection", content, [cod], "blocks[0].values.line_cleaning")
    assert "月检查维护" in message


def test_station_items_follow_the_groups_any_device_chose():
    cod = docs("ww_inspection", "w01018")[0]
    content = inspection("ww_inspection", cod, ["month"])
    del content["values"]["water_intake"]
    refused("ww_inspection", content, [cod], "values.water_intake")
    content = inspection("ww_inspection", cod, ["month"])
    content["values"]["station_environment"] = {"result": "normal"}     # a week item
    refused("ww_inspection", content, [cod], "values.station_environment")


def test_abnormal_needs_a_note_and_is_listed_without_failing_the_record():
    cod = docs("ww_inspection", "w01018")[0]
    content = inspection("ww_inspection", cod, ["week"], {"reagent_level": {"result": "abnormal"}})
    refused("ww_inspection", content, [cod], "blocks[0].values.reagent_level.note")
    content["blocks"][0]["values"]["reagent_level"]["note"] = "显色剂余量不足，已补充"
    verdict = evaluate("ww_inspection", content, by_id([cod]))["verdict"]
    assert verdict["passed"] is True
    assert verdict["abnormal_items"] == [{"field": "blocks[0].values.reagent_level",
                                          "label": "检查试剂余量及有效期，必要时添加或更换",
                                          "note": "显色剂余量不足，已补充", "device_id": cod["id"]}]


def test_an_item_needs_a_result():
    cod = docs("ww_inspection", "w01018")[0]
    content = inspection("ww_inspection", cod, ["week"], {"reagent_level": {"note": "已查看"}})
    refused("ww_inspection", content, [cod], "blocks[0].values.reagent_level.result")
    content["blocks"][0]["values"]["reagent_level"] = {"result": "ok"}
    refused("ww_inspection", content, [cod], "blocks[0].values.reagent_level.result")


def test_inspection_blocks_must_say_which_groups_were_done():
    cod = docs("ww_inspection", "w01018")[0]
    content = inspection("ww_inspection", cod, ["day"])
    del content["blocks"][0]["groups"]
    refused("ww_inspection", content, [cod], "blocks[0].groups")
    content["blocks"][0]["groups"] = ["day", "yearly"]
    refused("ww_inspection", content, [cod], "blocks[0].groups[1]")


def test_the_electrode_item_is_asked_only_of_electrode_analysers():
    nh3, cod = docs("ww_inspection", "w21003", "w01018")     # 氨气敏电极法 / 重铬酸钾法
    content = inspection("ww_inspection", nh3, ["month"])
    assert "electrode_passivation" in content["blocks"][0]["values"]
    evaluate("ww_inspection", content, by_id([nh3]))
    content = inspection("ww_inspection", cod, ["month"], {"electrode_passivation": {"result": "normal"}})
    refused("ww_inspection", content, [cod], "blocks[0].values.electrode_passivation")


@pytest.mark.parametrize("kind, own, foreign", [
    ("fg_inspection_extractive", ["probe_temperature", "heated_line_temperature", "condenser_temperature"],
     "ejector_vacuum"),
    ("fg_inspection_dilution", ["dilution_air_pressure", "ejector_vacuum", "dilution_probe_temperature"],
     "condenser_temperature"),
    ("fg_inspection_direct", ["light_intensity", "probe_temperature"], "dilution_air_pressure"),
    ("fg_inspection_nmhc", ["fid_flame", "heated_line_temperature"], "light_intensity"),
])
def test_each_cems_inspection_asks_its_own_method_items(kind, own, foreign):
    device = docs(kind)[0]
    content = inspection(kind, device, ["day"])
    assert set(own) <= set(content["blocks"][0]["values"])
    assert evaluate(kind, content, by_id([device]))["verdict"]["passed"] is True
    content["blocks"][0]["values"][foreign] = {"result": "normal"}
    assert refused(kind, content, [device], f"blocks[0].values.{foreign}") == "未知字段"


def test_nmhc_inspection_checks_hydrogen_and_the_catalytic_oxidiser():
    nmhc = docs("fg_inspection_nmhc")[0]
    content = inspection("fg_inspection_nmhc", nmhc, ["week", "month"])
    assert {"hydrogen_supply", "zero_air_supply", "catalytic_oxidizer"} <= set(content["blocks"][0]["values"])
    assert evaluate("fg_inspection_nmhc", content, by_id([nmhc]))["verdict"]["passed"] is True


# ---------------------------------------------------------------- devices and blocks

def test_a_device_of_the_wrong_kind_is_refused():
    cod = docs("ww_inspection", "w01018")
    content = calibration(7)
    content["blocks"][0]["device_id"] = "dev-w01018"
    message = refused("fg_calibration", content, cod, "blocks[0].device_id")
    assert "CEMS" in message


def test_a_device_of_a_factor_the_form_does_not_cover_is_refused():
    pm = docs("fg_calibration", "a34013")
    content = sample_content("fg_gas_replacement", docs("fg_gas_replacement", "a21026"))
    content["blocks"][0]["device_id"] = "dev-a34013"
    assert "颗粒物" in refused("fg_gas_replacement", content, pm, "blocks[0].device_id")


def test_an_unknown_device_is_refused():
    refused("fg_calibration", calibration(7), [], "blocks[0].device_id")


def test_one_block_per_device():
    so2 = docs("fg_calibration", "a21026")
    content = calibration(7)
    content["blocks"].append(copy.deepcopy(content["blocks"][0]))
    refused("fg_calibration", content, so2, "blocks[1].device_id")


def test_a_per_device_form_needs_a_block():
    refused("fg_calibration", {"values": {}, "blocks": []}, [], "blocks")


def test_several_devices_get_one_block_each_judged_separately():
    so2, nox = docs("fg_calibration", "a21026", "a21002")
    content = {"values": {}, "blocks": [
        calibration(3)["blocks"][0],
        {"device_id": nox["id"], "values": {**calibration(3)["blocks"][0]["values"], "zero_before": 17}}]}
    result = evaluate("fg_calibration", content, by_id([so2, nox]))
    assert [b["values"]["zero_drift_pct_fs"] for b in result["computed"]["blocks"]] == [0.5, 3.0]
    [failure] = result["verdict"]["failures"]
    assert failure["field"] == "computed.blocks[1].values.zero_drift_pct_fs"
    assert failure["device_id"] == nox["id"]


# ---------------------------------------------------------------- shape, types, drafts

def test_unknown_fields_are_refused_wherever_they_are():
    so2 = docs("fg_calibration", "a21026")
    content = calibration(7)
    content["values"]["weather"] = "晴"
    refused("fg_calibration", content, so2, "values.weather")
    content = calibration(7)
    content["blocks"][0]["values"]["zero_drift_pct_fs"] = 2.5      # computed, never sent
    refused("fg_calibration", content, so2, "blocks[0].values.zero_drift_pct_fs")
    content = calibration(7)
    content["blocks"][0]["groups"] = ["day"]                         # not an inspection
    refused("fg_calibration", content, so2, "blocks[0].groups")
    refused("fg_calibration", {**calibration(7), "signature": "x"}, so2, "signature")


def test_unknown_columns_and_bad_cells_of_a_table_name_the_row():
    cod = docs("ww_consumables", "w01018")
    content = sample_content("ww_consumables", cod)
    content["blocks"][0]["values"]["consumables"][1]["quantity"] = 0
    refused("ww_consumables", content, cod, "blocks[0].values.consumables[1].quantity")
    content["blocks"][0]["values"]["consumables"][1]["quantity"] = 2
    content["blocks"][0]["values"]["consumables"][0]["price"] = 12
    refused("ww_consumables", content, cod, "blocks[0].values.consumables[0].price")
    content["blocks"][0]["values"]["consumables"] = []
    refused("ww_consumables", content, cod, "blocks[0].values.consumables")


def test_values_are_normalized_numbers_as_float_and_times_in_utc():
    devices = docs("fg_fault_repair", "a21026")
    content = sample_content("fg_fault_repair", devices)
    content["values"]["fault_start"] = "2026-11-23T03:30:00+08:00"
    result = evaluate("fg_fault_repair", content, by_id(devices))
    assert result["content"]["values"]["fault_start"] == "2026-11-22T19:30:00+00:00"
    cod = docs("ww_comparison", "w01018")
    result = evaluate("ww_comparison", comparison("dev-w01018", "48", 45), by_id(cod))
    assert result["content"]["blocks"][0]["values"] == {"instrument_value": 48.0, "lab_value": 45.0}


def test_times_must_carry_their_offset():
    devices = docs("fg_fault_repair", "a21026")
    content = sample_content("fg_fault_repair", devices)
    content["values"]["fault_start"] = "2026-11-23 03:30:00"
    refused("fg_fault_repair", content, devices, "values.fault_start")


def test_a_draft_keeps_partial_values_without_requiring_or_judging():
    so2 = docs("fg_calibration", "a21026")
    draft = {"blocks": [{"device_id": "dev-a21026", "values": {"zero_after_last": 2, "zero_before": 9}}]}
    result = evaluate("fg_calibration", draft, by_id(so2), complete=False)
    assert result["verdict"] is None
    assert result["computed"]["blocks"][0]["values"] == {"zero_drift_pct_fs": 3.5}   # shown while typing
    assert evaluate("fg_calibration", {}, {}, complete=False)["content"] == {"values": {}, "blocks": []}


def test_a_draft_still_refuses_a_wrong_type():
    so2 = docs("fg_calibration", "a21026")
    draft = {"blocks": [{"device_id": "dev-a21026", "values": {"zero_before": "九"}}]}
    refused("fg_calibration", draft, so2, "blocks[0].values.zero_before", complete=False)
    draft = {"values": {"remarks": 12}}
    refused("fg_calibration", draft, so2, "values.remarks", complete=False)


def test_a_draft_inspection_may_leave_items_and_notes_for_later():
    cod = docs("ww_inspection", "w01018")[0]
    draft = {"blocks": [{"device_id": cod["id"], "groups": ["week"],
                         "values": {"reagent_level": {"result": "abnormal"}}}]}
    result = evaluate("ww_inspection", draft, by_id([cod]), complete=False)
    assert result["content"]["blocks"][0]["values"] == {"reagent_level": {"result": "abnormal"}}
    draft["blocks"][0]["values"]["line_cleaning"] = {"result": "normal"}      # month not chosen
    refused("ww_inspection", draft, [cod], "blocks[0].values.line_cleaning", complete=False)


# ---------------------------------------------------------------- faults and maintenance

def test_fault_end_before_start_is_refused():
    devices = docs("fg_fault_repair", "a21026")
    content = sample_content("fg_fault_repair", devices)
    content["values"]["fault_end"] = "2026-11-22T09:00:00+08:00"
    message = refused("fg_fault_repair", content, devices, "values.fault_end")
    assert "故障发生时间" in message


def test_fault_durations_are_computed_in_hours_and_judged_by_fault_class():
    devices = docs("fg_fault_repair", "a21026")
    content = sample_content("fg_fault_repair", devices)
    content["values"].update({"fault_start": "2026-11-20T08:00:00+08:00",
                              "arrived_at": "2026-11-20T20:30:00+08:00",
                              "fault_end": "2026-11-22T20:00:00+08:00", "fault_class": "major",
                              "backup_installed_at": "2026-11-21T14:00:00+08:00"})
    result = evaluate("fg_fault_repair", content, by_id(devices))
    assert result["computed"]["values"] == {"response_hours": 12.5, "repair_hours": 60.0,
                                            "restore_hours": 30.0}
    assert result["verdict"]["passed"] is True       # major: backup within 72 h; 8 h rule is for simple faults
    content["values"]["fault_class"] = "simple"
    [failure] = evaluate("fg_fault_repair", content, by_id(devices))["verdict"]["failures"]
    assert (failure["field"], failure["limit"]) == ("computed.values.repair_hours", 8.0)


def test_unflagged_data_during_a_fault_fails_the_record():
    devices = docs("fg_fault_repair", "a21026")
    content = sample_content("fg_fault_repair", devices)
    content["values"]["data_flagged"] = False
    [failure] = evaluate("fg_fault_repair", content, by_id(devices))["verdict"]["failures"]
    assert failure["field"] == "values.data_flagged"


def test_a_repair_needs_its_symptom_and_cause_but_routine_maintenance_does_not():
    cod = docs("ww_maintenance", "w01018")
    content = sample_content("ww_maintenance", cod)
    del content["blocks"][0]["values"]["cause"]
    refused("ww_maintenance", content, cod, "blocks[0].values.cause")
    content["values"] = {"work_type": "maintenance", "start_at": "2026-11-23T09:00:00+08:00",
                         "end_at": "2026-11-23T11:15:00+08:00", "data_flagged": True}
    del content["blocks"][0]["values"]["symptom"]
    result = evaluate("ww_maintenance", content, by_id(cod))
    assert result["computed"]["values"] == {"work_hours": 2.25}
    assert result["verdict"]["passed"] is True


# ---------------------------------------------------------------- the other judged kinds

def test_standard_check_after_calibration_needs_the_value_after():
    cod = docs("ww_standard_check", "w01018")
    content = sample_content("ww_standard_check", cod)
    content["blocks"][0]["values"]["calibrated"] = True
    refused("ww_standard_check", content, cod, "blocks[0].values.after_value")


def test_standard_check_relative_error_against_the_standard_sample():
    cod, ph = docs("ww_standard_check", "w01018", "w01001")
    content = sample_content("ww_standard_check", [cod, ph])
    content["blocks"][0]["values"]["measured_value"] = 109.0        # standard 100 mg/L
    content["blocks"][1]["values"]["measured_value"] = 7.0          # buffer 6.86
    result = evaluate("ww_standard_check", content, by_id([cod, ph]))
    assert result["computed"]["blocks"][0]["values"] == {"check_relative_error_pct": 9.0}
    assert result["computed"]["blocks"][1]["values"] == {"check_absolute_error": 0.14}
    [failure] = result["verdict"]["failures"]
    assert failure["device_id"] == ph["id"] and failure["limit"] == 0.1


def test_span_gas_concentration_is_judged_against_the_analyser_range():
    so2 = docs("fg_gas_replacement", "a21026")      # 0–200 mg/m3
    content = sample_content("fg_gas_replacement", so2)
    content["blocks"][0]["values"]["concentration"] = 150.0
    result = evaluate("fg_gas_replacement", content, by_id(so2))
    [failure] = result["verdict"]["failures"]
    assert (failure["value"], failure["limit"]) == (75.0, [80.0, 100.0])


def test_periodic_check_relative_accuracy_for_a_known_example():
    o2 = docs("fg_periodic_check", "a19001")
    pairs = [(8.0, 8.2), (8.4, 8.5), (8.2, 8.5), (8.6, 8.7), (8.3, 8.4)]
    content = {"values": {"checked_on": "2026-11-23", "lab_name": "上海环科检测技术有限公司"},
               "blocks": [{"device_id": o2[0]["id"], "values": {
                   "reference_method": "HJ/T 397-2007 电化学法",
                   "pairs": [{"reference_value": r, "cems_value": c} for r, c in pairs]}}]}
    computed = evaluate("fg_periodic_check", content, by_id(o2))["computed"]["blocks"][0]["values"]
    # d = 0.2, 0.1, 0.3, 0.1, 0.1: mean 0.16, Sd 0.0894, cc = 2.776 × 0.0894 / √5 = 0.1110,
    # RA = (0.16 + 0.1110) / 8.3 × 100 = 3.27 %
    assert computed["reference_mean"] == 8.3
    assert computed["mean_difference"] == 0.16
    assert computed["relative_accuracy_pct"] == 3.27


def test_periodic_check_judges_low_concentrations_by_absolute_error():
    so2 = docs("fg_periodic_check", "a21026")
    content = sample_content("fg_periodic_check", so2)        # reference mean ≈ 35 mg/m3 (< 57)
    result = evaluate("fg_periodic_check", content, by_id(so2))
    [check] = result["verdict"]["checks"]
    assert check["field"] == "computed.blocks[0].values.mean_difference"
    assert check["limit"] == 17.0 and check["passed"] is True
    high = evaluate("fg_periodic_check", content, by_id(so2),
                    limit=lambda key, default: 30.0 if key == "FIELD_LIMIT_PC_SO2_LOW_BELOW" else default)
    [check] = high["verdict"]["checks"]               # now in the 30–143 band: relative error ≤ 30 %
    assert check["field"] == "computed.blocks[0].values.relative_error_pct"


def test_a_draft_preview_judges_what_is_already_there():
    so2 = docs("fg_calibration", "a21026")
    draft = {"blocks": [{"device_id": "dev-a21026", "values": {"zero_after_last": 2, "zero_before": 9}}]}
    verdict = evaluate("fg_calibration", draft, by_id(so2), complete=False, preview=True)["verdict"]
    assert [(c["field"], c["passed"]) for c in verdict["checks"]] == [
        ("computed.blocks[0].values.zero_drift_pct_fs", False)]
