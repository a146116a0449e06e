"""The pieces of the WeChat sign-in that need no broker: the OAuth providers (simulator codes are
single-use and expire; the WeChat provider builds WeChat's URL and reads the openid), where a
sign-in may return to, the menu as WeChat would accept it, and the settings."""
import json
import os
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from emss_common.config import Settings
from gateway.app import create_app
from gateway.pages.wx import safe_wx_next
from gateway.wechat import WeChatConfig
from gateway.wechat import menu
from gateway.wechat.oauth import OAuthError, SimulatorOAuthProvider, WeChatOAuthProvider

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


# ----- the simulator -----

def test_a_simulator_code_gives_its_openid_once():
    sim = SimulatorOAuthProvider()
    code = sim.issue_code("oSimUser000000000000000000001", "张三")
    assert sim.exchange(code) == "oSimUser000000000000000000001"
    with pytest.raises(OAuthError) as exc:
        sim.exchange(code)
    assert "已使用" in exc.value.message


def test_a_simulator_code_expires_after_five_minutes_and_unknown_codes_are_refused():
    clock = FakeClock()
    sim = SimulatorOAuthProvider(clock=clock)
    early, late = sim.issue_code("oEarly0001"), sim.issue_code("oLate00001")
    clock.now += 299.9
    assert sim.exchange(early) == "oEarly0001"
    clock.now += 0.1
    with pytest.raises(OAuthError) as exc:
        sim.exchange(late)
    assert "过期" in exc.value.message
    for bad in ("made-up", "", None):
        with pytest.raises(OAuthError):
            sim.exchange(bad)


def test_the_simulator_remembers_recent_users_and_sends_back_state_and_redirect():
    sim = SimulatorOAuthProvider()
    sim.issue_code("oFirst0001", "甲")
    sim.issue_code("oSecond001", "乙")
    sim.issue_code("oFirst0001", "甲")
    assert sim.users() == [("oFirst0001", "甲"), ("oSecond001", "乙")]
    url = urlsplit(sim.authorize_url("http://localhost/wx/oauth/callback", "s-123"))
    assert url.path == "/wechat/sim/authorize"
    assert parse_qs(url.query) == {"redirect_uri": ["http://localhost/wx/oauth/callback"],
                                   "response_type": ["code"], "scope": ["snsapi_base"],
                                   "state": ["s-123"]}


# ----- WeChat's OAuth (no network: a stand-in session answers as WeChat's API would) -----

class FakeSession:
    def __init__(self, status=200, body=None):
        self.status, self.body, self.calls = status, body or {}, []

    def request(self, method, url, **kwargs):
        self.calls.append((method, url, kwargs))
        resp = requests.Response()
        resp.status_code = self.status
        resp._content = json.dumps(self.body).encode()
        resp.request = requests.Request(method, url).prepare()
        return resp


def test_the_wechat_provider_builds_a_snsapi_base_authorize_url():
    provider = WeChatOAuthProvider("wxappid0001", "secret")
    url = provider.authorize_url("https://emss.example.gov.cn/wx/oauth/callback?x=1", "st4te")
    assert url.startswith("https://open.weixin.qq.com/connect/oauth2/authorize?")
    assert url.endswith("#wechat_redirect")
    query = parse_qs(urlsplit(url.split("#")[0]).query)
    assert query["appid"] == ["wxappid0001"] and query["scope"] == ["snsapi_base"]
    assert query["redirect_uri"] == ["https://emss.example.gov.cn/wx/oauth/callback?x=1"]
    assert query["state"] == ["st4te"] and query["response_type"] == ["code"]


def test_the_wechat_provider_exchanges_a_code_for_the_openid_with_a_timeout():
    session = FakeSession(body={"access_token": "at", "expires_in": 7200, "refresh_token": "rt",
                                "openid": "oRealUser00000000000000000001", "scope": "snsapi_base"})
    provider = WeChatOAuthProvider("wxappid0001", "secret", timeout=4.0, session=session)
    assert provider.exchange("the-code") == "oRealUser00000000000000000001"
    method, url, kwargs = session.calls[0]
    assert url == "https://api.weixin.qq.com/sns/oauth2/access_token"
    assert kwargs["params"]["code"] == "the-code" and kwargs["timeout"] == 4.0


@pytest.mark.parametrize("session", [
    FakeSession(body={"errcode": 40029, "errmsg": "invalid code"}),
    FakeSession(status=502),
    FakeSession(body={"access_token": "at"}),
])
def test_the_wechat_provider_turns_every_failure_into_a_clear_error(session):
    with pytest.raises(OAuthError) as exc:
        WeChatOAuthProvider("wxappid0001", "secret", session=session).exchange("bad")
    assert "公众号菜单重新进入" in exc.value.message


# ----- where a sign-in may return to -----

@pytest.mark.parametrize("target, expected", [
    ("/wx/om", "/wx/om"),
    ("/wx/om?task=5&x=%2F", "/wx/om?task=5&x=%2F"),
    ("/wx/", "/wx/"),
    ("/wx/me#frag", "/wx/me"),
    (None, "/wx/"),
    ("", "/wx/"),
    ("https://evil.example.com/wx/om", "/wx/"),
    ("//evil.example.com/wx/om", "/wx/"),
    ("/\\evil.example.com", "/wx/"),
    ("/wx/\\\\evil.example.com", "/wx/"),
    ("javascript:alert(1)", "/wx/"),
    ("/portal/institution", "/wx/"),
    ("/wx/../portal/institution", "/wx/"),
    ("/wx/oauth/start?next=/wx/", "/wx/"),
    ("/wx/om\r\nSet-Cookie: x=1", "/wx/"),
    ("/wx", "/wx/"),
])
def test_a_sign_in_only_returns_into_the_wechat_pages(target, expected):
    assert safe_wx_next(target) == expected


# ----- the menu -----

def test_the_menu_is_one_wechat_accepts():
    built = menu.menu_json("https://emss.example.gov.cn/")
    names = [(g["name"], [s["name"] for s in g["sub_button"]]) for g in built["button"]]
    assert names == [("业务管理", ["污染源运维", "采样任务", "排污单位确认", "采样行程确认", "运维审核"]),
                     ("整改通知", ["整改单"]), ("我的信息", ["账户绑定", "使用帮助"])]
    urls = [s.get("url") for g in built["button"] for s in g["sub_button"]]
    assert "https://emss.example.gov.cn/wx/me" in urls
    with pytest.raises(ValueError):
        menu.check_menu({"button": [{"name": "太长的一级菜单名称", "sub_button": built["button"][0]["sub_button"]}]})
    with pytest.raises(ValueError):
        menu.check_menu({"button": [{"name": "业务", "sub_button": [{"type": "view", "name": "x", "url": "/wx/om"}]}]})
    with pytest.raises(ValueError):
        menu.check_menu({"button": built["button"] * 2})


@pytest.mark.parametrize("roles, institution_type, keys", [
    (["field_staff"], "om", ["WX_OM"]),
    (["field_staff"], "testing", ["WX_SAMPLING"]),
    (["field_staff", "reviewer"], "testing_om", ["WX_OM", "WX_SAMPLING", "WX_REVIEW"]),
    (["reviewer"], "om", ["WX_REVIEW"]),
    (["enterprise_user"], None, ["WX_CONFIRM", "WX_CONFIRM_TRIPS"]),
    (["institution_admin", "enterprise_user"], "self_testing_om_enterprise",
     ["WX_CONFIRM", "WX_CONFIRM_TRIPS", "WX_ORDERS"]),
    (["institution_admin"], "om", ["WX_ORDERS"]),
    (["regulator"], None, []),
])
def test_the_home_offers_each_role_its_business(roles, institution_type, keys):
    assert [t.key for t in menu.home_tiles(roles, institution_type)] == keys


def test_the_menu_script_prints_the_menu_and_needs_a_base_url():
    script = os.path.join(ROOT, "scripts", "wechat_menu.py")
    env = {k: v for k, v in os.environ.items() if k != "EMSS_PUBLIC_URL"}
    out = subprocess.run([sys.executable, script, "--base-url", "https://emss.example.gov.cn"],
                         capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == menu.menu_json("https://emss.example.gov.cn")
    refused = subprocess.run([sys.executable, script], capture_output=True, text=True, timeout=60, env=env)
    assert refused.returncode == 2 and "--base-url" in refused.stderr


# ----- settings -----

def _settings(**env):
    return Settings.from_env({"EMSS_SECRET_KEY": "x", **env})


def test_development_defaults_use_the_simulator_and_production_needs_the_credentials():
    config = WeChatConfig.from_settings(_settings())
    assert (config.oauth, config.aes_key) == ("simulator", None) and config.token
    with pytest.raises(ValueError) as exc:
        WeChatConfig.from_settings(_settings(WECHAT_OAUTH="wechat", WECHAT_TOKEN="t0ken"))
    assert "WECHAT_APP_ID" in str(exc.value) and "WECHAT_APP_SECRET" in str(exc.value)
    config = WeChatConfig.from_settings(_settings(WECHAT_OAUTH="wechat", WECHAT_TOKEN="t0ken",
                                                  WECHAT_APP_ID="wxa", WECHAT_APP_SECRET="s"))
    assert config.oauth == "wechat"
    with pytest.raises(ValueError):
        WeChatConfig.from_settings(_settings(WECHAT_OAUTH="github"))
    with pytest.raises(ValueError):
        WeChatConfig.from_settings(_settings(WECHAT_AES_KEY="too-short"))


def test_the_simulator_is_mounted_only_in_simulator_mode():
    def rules(**env):
        app = create_app(_settings(**env), services=object())
        return {r.rule for r in app.url_map.iter_rules()}
    assert "/wechat/sim/authorize" in rules()
    production = rules(WECHAT_OAUTH="wechat", WECHAT_TOKEN="t0ken", WECHAT_APP_ID="wxa",
                       WECHAT_APP_SECRET="s")
    assert "/wechat/sim/authorize" not in production and "/wechat" in production
