"""The pages on a phone-sized screen (390×844): readable, no sideways scrolling of the page itself
(wide tables scroll inside their own box), forms one column and usable."""
import pytest
from playwright.sync_api import expect

from tests import builders
from tests.browser.flows import login, no_horizontal_overflow, staff_form, fill, press

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844, "is_mobile": True, "has_touch": True}


def test_phone_public_list_and_institution_portal(new_page, shot, api, approved_first):
    token, inst_id = approved_first["token"], approved_first["id"]
    api.call("POST", f"/institutions/{inst_id}/staff", token, builders.staff("冯刚", "om_staff", n=21))
    api.call("POST", f"/institutions/{inst_id}/equipment", token, builders.equipment())

    page = new_page(**PHONE)
    page.goto("/public/institutions")
    expect(page.locator("#institutions")).to_be_visible()
    no_horizontal_overflow(page)
    # the filter form is one column: the keyword box spans the screen
    box = page.locator("#keyword").bounding_box()
    assert box["width"] > 300, box
    shot(page, "phone_01_public_list")

    page.goto("/register/institution")
    no_horizontal_overflow(page)
    shot(page, "phone_02_register_form")

    login(page, approved_first["username"])
    assert page.url.endswith("/portal/institution")
    expect(page.get_by_role("button", name="提交二审")).to_be_visible()
    no_horizontal_overflow(page)
    shot(page, "phone_03_institution_overview")

    page.goto("/portal/institution/staff")
    expect(page.locator("#staff-table")).to_contain_text("冯刚")
    no_horizontal_overflow(page)
    shot(page, "phone_04_staff_list")

    # Adding a person works on the phone too.
    page.get_by_role("link", name="新增人员").click()
    no_horizontal_overflow(page)
    fill(page, staff_form("褚楠", "technical_lead", 22))
    shot(page, "phone_05_staff_form")
    press(page, "保存")
    expect(page.locator("#staff-table")).to_contain_text("褚楠")
    no_horizontal_overflow(page)
