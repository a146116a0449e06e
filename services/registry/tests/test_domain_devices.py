"""Which devices may sit at which outlet, and what changed between two versions of a device."""
import pytest

from registry.domain.devices import (ALLOWED_DEVICE_KINDS, changed_fields, device_kind_problem,
                                     factor, factor_catalogue)


def test_a_cems_cannot_be_registered_at_a_wastewater_outlet():
    field, message = device_kind_problem("wastewater", "cems", "a21026")
    assert field == "kind"
    assert message == "废水排口不能登记烟气排放连续监测系统（CEMS）分析仪"


@pytest.mark.parametrize("kind", ["water_analyzer", "water_sampler"])
def test_water_devices_cannot_be_registered_at_a_flue_gas_outlet(kind):
    assert device_kind_problem("flue_gas", kind, "w01018")[0] == "kind"


def test_a_cems_measuring_a_flue_gas_factor_fits_a_flue_gas_outlet():
    assert device_kind_problem("flue_gas", "cems", "a21026") is None


def test_a_water_analyzer_measuring_a_water_factor_fits_a_wastewater_outlet():
    assert device_kind_problem("wastewater", "water_analyzer", "w01018") is None


def test_an_unknown_factor_code_is_refused():
    assert device_kind_problem("wastewater", "water_analyzer", "w99999") == (
        "factor_code", "废水排口没有分析因子 w99999")


def test_a_factor_of_the_other_medium_is_refused():
    assert device_kind_problem("flue_gas", "cems", "w01018")[0] == "factor_code"
    assert device_kind_problem("wastewater", "water_analyzer", "a21026")[0] == "factor_code"


def test_an_automatic_sampler_needs_no_factor():
    assert device_kind_problem("wastewater", "water_sampler", None) is None


def test_the_catalogue_holds_the_hj212_factor_codes():
    assert factor("wastewater", "w01018")["name"] == "化学需氧量"
    assert factor("wastewater", "w21003")["name"] == "氨氮"
    assert factor("flue_gas", "a21026")["name"] == "二氧化硫"
    assert factor("flue_gas", "a24088")["name"] == "非甲烷总烃"
    assert set(factor_catalogue()) == set(ALLOWED_DEVICE_KINDS) == {"wastewater", "flue_gas"}
    assert factor("flue_gas", "w01018") is None


def test_changed_fields_lists_only_what_changed_with_old_and_new_values():
    before = {"velocity_field_coefficient": 1.12, "range_upper": 200, "model": "URA-208A"}
    after = {"velocity_field_coefficient": 1.25, "range_upper": 200, "model": "URA-208A",
             "pitot_coefficient": 0.84}
    assert changed_fields(before, after) == [
        {"field": "pitot_coefficient", "old": None, "new": 0.84},
        {"field": "velocity_field_coefficient", "old": 1.12, "new": 1.25}]
    assert changed_fields(before, dict(before)) == []
