"""The WeChat H5 sign-in on a phone (390×844) in headless Chromium, with the OAuth simulator:
a field O&M staff member opens the official account's page, agrees on the (simulated) WeChat
screen, binds an account, uses the mobile home, comes back without a password, and unbinds."""
import uuid

import pytest
from playwright.sync_api import expect

from tests import builders
from tests.browser.flows import PASSWORD, click_confirming, no_horizontal_overflow, press, unique

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844, "is_mobile": True, "has_touch": True,
         "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
                       "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47 NetType/WIFI Language/zh_CN"}


@pytest.fixture
def field_staff(api):
    """An O&M institution with one field-staff sub-account → (username, name, institution)."""
    main = unique("wxmain_")
    inst_name = f"上海{unique('微信')}环境运维有限公司"
    inst = api.call("POST", "/institutions", None,
                    {"institution": builders.institution(name=inst_name),
                     "account": builders.account(main, PASSWORD)})["institution"]
    token = api.login(main, PASSWORD)
    view = api.call("POST", f"/institutions/{inst['id']}/staff", token,
                    builders.staff("赵强", "om_staff", n=41))
    username = unique("wxfield_")
    api.call("POST", "/sub-accounts", token, {**builders.account(username, PASSWORD, name="赵强"),
                                              "roles": ["field_staff"],
                                              "staff_id": view["staff"][0]["id"]})
    return username, "赵强", inst_name


def _touch_target_ok(locator):
    box = locator.bounding_box()
    assert box and box["height"] >= 44, box


def test_a_field_staff_member_binds_on_a_phone_and_comes_back_without_a_password(new_page, shot,
                                                                                 field_staff):
    username, person, inst_name = field_staff
    openid = "oBrowser" + uuid.uuid4().hex[:19]
    page = new_page(**PHONE)

    # From the menu (业务管理): no session → WeChat's authorisation (here the simulator).
    page.goto("/wx/")
    expect(page.locator(".wx-title")).to_have_text("微信授权（模拟器）")
    expect(page.locator(".wx-tabs")).to_have_count(0)  # WeChat's screen, not one of our pages
    no_horizontal_overflow(page)
    page.fill("#sim-openid", openid)
    page.fill("#sim-nickname", person)
    shot(page, "wx_01_simulator_authorize")
    press(page, "同意授权")

    # Not bound yet: 我的信息 → 账户绑定.
    expect(page.locator(".wx-title")).to_have_text("账户绑定")
    expect(page.locator(".wx-tab.on")).to_have_text("我的信息")
    no_horizontal_overflow(page)
    _touch_target_ok(page.locator("#f-username"))
    _touch_target_ok(page.get_by_role("button", name="绑定", exact=True))
    shot(page, "wx_02_bind_form")
    page.fill("#f-username", username)
    page.fill("#f-password", "Wrong#Pass2026")
    press(page, "绑定")
    expect(page.locator("#wx-bind-error")).to_contain_text("用户名或密码错误")
    expect(page.locator("#f-username")).to_have_value(username)
    shot(page, "wx_03_bind_wrong_password")
    page.fill("#f-password", PASSWORD)
    press(page, "绑定")

    # Bound: the mobile home with what a field staff member of an O&M institution does.
    expect(page.locator(".wx-title")).to_have_text("业务管理")
    assert page.url.endswith("/wx/")
    expect(page.locator("#wx-who")).to_contain_text(person)
    expect(page.locator("#wx-who")).to_contain_text(inst_name)
    tiles = page.locator("#wx-tiles .wx-tile")
    expect(tiles).to_have_count(1)
    expect(tiles.first).to_contain_text("污染源运维")
    _touch_target_ok(tiles.first)
    _touch_target_ok(page.locator(".wx-tab").first)
    no_horizontal_overflow(page)
    shot(page, "wx_04_home")

    page.locator(".wx-tab", has_text="我的信息").click()
    expect(page.locator("#wx-bound")).to_have_text("已绑定微信")
    expect(page.locator("#wx-username")).to_have_text(username)
    expect(page.locator("#wx-roles")).to_have_text("运维人员")
    no_horizontal_overflow(page)
    shot(page, "wx_05_me_bound")

    # Another day (a new browser session): the simulator remembers the user; one tap and in.
    again = new_page(**PHONE)
    again.goto("/wx/me")
    expect(again.locator("#sim-users")).to_contain_text(person)
    shot(again, "wx_06_simulator_recent_user")
    again.locator("#sim-users button", has_text=openid).click()
    expect(again.locator("#wx-bound")).to_have_text("已绑定微信")
    assert again.url.endswith("/wx/me")

    # Unbinding signs this phone out; the next visit asks for a binding again.
    click_confirming(again, again.get_by_role("button", name="解除绑定"))
    expect(again.locator("#wx-unbound")).to_contain_text("已解除绑定")
    no_horizontal_overflow(again)
    shot(again, "wx_07_unbound")
    again.get_by_role("link", name="重新绑定").click()
    expect(again.locator(".wx-title")).to_have_text("微信授权（模拟器）")
    again.locator("#sim-users button", has_text=openid).click()
    expect(again.locator(".wx-title")).to_have_text("账户绑定")


def test_an_enterprise_user_sees_the_confirmation(new_page, shot, api):
    username = unique("wxent_")
    name = f"上海{unique('化工')}有限公司"
    api.call("POST", "/enterprises", None, {"enterprise": builders.enterprise(name=name),
                                            "account": builders.account(username, PASSWORD, name="周丽")})
    page = new_page(**PHONE)
    page.goto("/wx/")
    page.fill("#sim-openid", "oBrowserEnt" + uuid.uuid4().hex[:16])
    press(page, "同意授权")
    page.fill("#f-username", username)
    page.fill("#f-password", PASSWORD)
    press(page, "绑定")
    expect(page.locator("#wx-who")).to_contain_text(name)
    expect(page.locator("#wx-tiles .wx-tile-name")).to_have_text(["排污单位确认", "采样行程确认"])
    no_horizontal_overflow(page)
    shot(page, "wx_08_enterprise_home")

    # A callback that this browser did not start is refused on the phone layout.
    page.goto("/wx/oauth/callback?code=forged&state=forged")
    expect(page.locator("#wx-error")).to_contain_text("请从公众号菜单重新进入")
    no_horizontal_overflow(page)
    shot(page, "wx_09_oauth_error")
