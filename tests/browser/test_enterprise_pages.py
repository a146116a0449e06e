"""An enterprise (排污单位) registers, records its outlets and their devices, and changes one."""
import datetime

import pytest
from playwright.sync_api import expect

from emss_common.clock import SystemClock

from tests import builders
from tests.browser.flows import PASSWORD, account_form, fill, login, press, unique

pytestmark = pytest.mark.browser


def _outlet_values(kind, name, code):
    data = builders.outlet(kind=kind, name=name)
    return {"name": data["name"], "kind": kind, "permit_point_code": code,
            "longitude": data["longitude"], "latitude": data["latitude"], "crs": "WGS-84",
            "address": data["address"]}


def _device_values(device, keys):
    return {f"device.{k}": device[k] for k in keys if device.get(k) is not None}


ANALYZER_KEYS = ("factor_code", "model", "brand", "origin", "method_principle",
                 "construction_status", "unit", "current_maintainer", "previous_maintainer",
                 "manufacturer", "serial_number", "install_point_name", "install_point_code",
                 "system_producer", "system_installer", "range_lower", "range_upper")
CEMS_KEYS = ("factor_code", "model", "brand", "serial_number", "method_principle",
             "construction_status", "unit", "current_maintainer", "install_point_name",
             "install_point_code", "system_producer", "system_installer", "range_lower",
             "range_upper", "reference_o2_pct", "velocity_field_coefficient", "cross_section_m2",
             "detection_limit", "pitot_coefficient")


def test_enterprise_journey(new_page, shot, regulators):
    name = f"上海{unique('东方')}化工有限公司"
    username = unique("dongfang_")
    data = builders.enterprise(name=name)
    page = new_page()
    page.goto("/register/enterprise")
    fill(page, {**{f"enterprise.{k}": v for k, v in data.items()}, **account_form(username, "周丽")})
    shot(page, "enterprise_01_register_form")
    press(page, "提交注册")
    expect(page.locator("h1")).to_have_text("注册成功")

    login(page, username)
    assert page.url.endswith("/portal/enterprise")
    expect(page.locator("main h1")).to_have_text(name)
    page.get_by_role("link", name="修改单位信息").click()
    fill(page, {"industry": "专用化学产品制造", "contact_phone": "13912345678"})
    press(page, "保存")
    expect(page.locator(".flash")).to_have_text("单位信息已保存")
    expect(page.locator("main dl.kv")).to_contain_text("专用化学产品制造")

    # A wastewater outlet with a COD analyzer and an automatic sampler.
    page.get_by_role("link", name="新增排口").click()
    fill(page, _outlet_values("wastewater", "废水总排口DW001", "DW001"))
    press(page, "保存")
    expect(page.locator(".flash")).to_contain_text("已登记排口：废水总排口DW001")
    water = page.locator("section.outlet", has_text="废水总排口DW001")
    water.get_by_role("link", name="新增仪器备案").click()
    # The form shows the analyzer's sections for an analyzer, not the sampler's or CEMS's.
    expect(page.locator("#sec-analyzer")).to_be_visible()
    expect(page.locator("#sec-sampler")).to_be_hidden()
    expect(page.locator("#sec-cems")).to_be_hidden()
    fill(page, _device_values(builders.water_analyzer(), ANALYZER_KEYS), scope="form.device-form")
    shot(page, "enterprise_02_cod_analyzer_form")
    press(page, "保存")
    expect(page.locator(".flash")).to_contain_text("已新增水污染源在线监测仪器")
    water = page.locator("section.outlet", has_text="废水总排口DW001")
    expect(water.locator("table.devices")).to_contain_text("化学需氧量")

    water.get_by_role("link", name="新增仪器备案").click()
    page.select_option("#f-device\\.kind", "water_sampler")
    expect(page.locator("#sec-sampler")).to_be_visible()
    expect(page.locator("#sec-analyzer")).to_be_hidden()
    press(page, "保存")  # nothing filled in
    expect(page.locator('.field-error:has([name="device.model"]) .msg')).to_have_text("不能为空")
    fill(page, {"device.model": "BC-9600"}, scope="form.device-form")
    press(page, "保存")  # what a sampler needs besides: each required field says so
    for field in ("device.name", "device.manufacturer"):
        expect(page.locator(f'.field-error:has([name="{field}"]) .msg')).to_have_text("必填项")
    expect(page.locator('fieldset.field-error:has([name="device.refrigerated"]) .msg')).to_have_text("必填项")
    shot(page, "enterprise_03_sampler_required_fields")
    fill(page, {"device.name": "水质自动采样器", "device.model": "BC-9600", "device.manufacturer": "杭州聚光科技",
                "device.functions": "等比例采样、超标留样", "device.mixed_sample_ready": "true",
                "device.refrigerated": "true"}, scope="form.device-form")
    press(page, "保存")
    expect(page.locator(".flash")).to_contain_text("已新增自动采样器")

    # A flue-gas outlet with a CEMS and its parameters.
    page.get_by_role("link", name="新增排口").click()
    fill(page, _outlet_values("flue_gas", "1#锅炉废气排口DA001", "DA001"))
    press(page, "保存")
    gas = page.locator("section.outlet", has_text="1#锅炉废气排口DA001")
    gas.get_by_role("link", name="新增仪器备案").click()
    expect(page.locator("#f-device\\.kind option")).to_have_count(1)  # a flue-gas outlet takes CEMS only
    expect(page.locator("#sec-cems")).to_be_visible()
    fill(page, _device_values(builders.cems(), CEMS_KEYS), scope="form.device-form")
    shot(page, "enterprise_04_cems_form")
    press(page, "保存")
    gas = page.locator("section.outlet", has_text="1#锅炉废气排口DA001")
    expect(gas.locator("table.devices")).to_contain_text("二氧化硫")
    expect(gas.locator("table.devices")).to_contain_text("速度场系数 1.12")
    water = page.locator("section.outlet", has_text="废水总排口DW001")
    expect(water.locator("table.devices tbody tr")).to_have_count(2)
    shot(page, "enterprise_05_outlets_and_devices")

    # An outlet's details can be corrected; its kind is fixed once it has devices.
    gas.get_by_role("link", name="修改排口").click()
    expect(page.locator('[name="kind"]')).to_have_attribute("type", "hidden")
    fill(page, {"address": "1#锅炉房北侧烟囱", "latitude": "31.2215"})
    press(page, "保存")
    gas = page.locator("section.outlet", has_text="1#锅炉废气排口DA001")
    expect(gas).to_contain_text("1#锅炉房北侧烟囱")
    expect(gas).to_contain_text("31.2215")

    # A CEMS change needs the day it happened; it becomes version 2.
    gas.get_by_role("link", name="变更").click()
    fill(page, {"device.velocity_field_coefficient": "1.18", "device.range_upper": "300"},
         scope="form.device-form")
    press(page, "保存变更")
    expect(page.locator('.field-error:has([name="changed_on"]) .msg')).to_have_text("不能为空")
    yesterday = (SystemClock().today() - datetime.timedelta(days=1)).isoformat()
    fill(page, {"changed_on": yesterday, "reason": "重新标定速度场系数，更换量程"}, scope="form.device-form")
    press(page, "保存变更")
    expect(page.locator(".flash")).to_contain_text("当前为第 2 版")
    expect(page.locator("section.version")).to_have_count(2)
    latest = page.locator("section.version").first
    expect(latest).to_contain_text("第 2 版")
    expect(latest).to_contain_text("当前版本")
    expect(latest).to_contain_text("速度场系数：1.12 → 1.18")
    expect(latest).to_contain_text("量程上限：200 → 300")
    expect(latest).to_contain_text(yesterday)
    shot(page, "enterprise_06_device_history")

    # The district regulator sees the enterprise, its outlets and devices.
    reg = new_page()
    login(reg, regulators["pudong"], PASSWORD)
    reg.goto("/portal/regulator/enterprises")
    reg.fill("#keyword", name)
    reg.get_by_role("button", name="查询").click()
    reg.get_by_role("link", name=name).click()
    expect(reg.locator("section.outlet")).to_have_count(2)
    expect(reg.locator("main")).to_contain_text("v2")
    shot(reg, "enterprise_07_regulator_view")
