"""WeChat sign-in and account binding through the gateway, with the OAuth simulator: an unbound
WeChat user is sent through OAuth to the binding page, binds, and lands on /wx/ with a session;
the next visit signs in without a password; a tampered state or a foreign redirect goes nowhere."""
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests import builders as b

PASSWORD = "Field#Pass2026"
ADMIN_PASSWORD = "Admin#Test2026"
OPENID = "oE2eWeChatUser0000000000001"


def _path(resp):
    """The local path (and query) a redirect points to."""
    assert resp.status_code in (301, 302, 303), (resp.status_code, resp.get_data(as_text=True)[:300])
    loc = urlsplit(resp.headers["Location"])
    return loc.path + (f"?{loc.query}" if loc.query else "")


def _query(resp):
    return {k: v[0] for k, v in parse_qs(urlsplit(resp.headers["Location"]).query).items()}


def _hidden(html, name):
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden field {name}"
    return match.group(1)


def authorize(client, path, openid=OPENID, nickname="测试用户"):
    """Open a /wx/ page without a session and agree on the simulator: the response of the
    OAuth callback (a redirect to the page, or to the binding form)."""
    start = client.get(path)
    assert _path(start).startswith("/wx/oauth/start?")
    sim = client.get(_path(start))
    assert _path(sim).startswith("/wechat/sim/authorize?")
    params = _query(sim)
    page = client.get(_path(sim))
    assert page.status_code == 200 and "同意授权" in page.get_data(as_text=True)
    agreed = client.post("/wechat/sim/authorize", data={
        "redirect_uri": params["redirect_uri"], "state": params["state"], "openid": openid,
        "nickname": nickname, "csrf_token": _hidden(page.get_data(as_text=True), "csrf_token")})
    assert _path(agreed).startswith("/wx/oauth/callback?code=")
    return client.get(_path(agreed))


def bind(client, username, password=PASSWORD):
    form = client.get("/wx/me")
    html = form.get_data(as_text=True)
    assert form.status_code == 200 and "绑定监管系统账户" in html
    return client.post("/wx/me/bind", data={"username": username, "password": password,
                                            "bind_token": _hidden(html, "bind_token"),
                                            "csrf_token": _hidden(html, "csrf_token")})


@pytest.fixture
def field_staff(anonymous, login):
    """An O&M institution with a field-staff sub-account → (username, institution name)."""
    name = "上海微信绑定环境运维有限公司"
    status, body = anonymous.post("/institutions", {"institution": b.institution(name=name),
                                                    "account": b.account("wxe2emain")})
    assert status == 201, body
    main = login("wxe2emain", PASSWORD)
    inst_id = body["institution"]["id"]
    status, view = main.post(f"/institutions/{inst_id}/staff", b.staff("赵强", "om_staff", n=31))
    assert status in (200, 201), view
    status, sub = main.post("/sub-accounts", {**b.account("wxe2efield", name="赵强"),
                                              "roles": ["field_staff"],
                                              "staff_id": view["staff"][0]["id"]})
    assert status in (200, 201), sub
    return "wxe2efield", name


def test_an_unbound_wechat_user_binds_and_lands_on_the_home_then_signs_in_directly(system, field_staff):
    username, inst_name = field_staff
    client = system.test_client()
    callback = authorize(client, "/wx/")
    assert _path(callback) == "/wx/me"  # not bound yet: the binding form
    assert client.get_cookie("emss_session") is None

    wrong = bind(client, username, "Wrong#Pass2026")
    assert wrong.status_code == 401
    assert "用户名或密码错误" in wrong.get_data(as_text=True)
    assert client.get_cookie("emss_session") is None

    done = bind(client, username)
    assert _path(done) == "/wx/"
    assert client.get_cookie("emss_session") is not None
    home = client.get("/wx/")
    html = home.get_data(as_text=True)
    assert home.status_code == 200
    assert "赵强" in html and inst_name in html
    assert 'href="/wx/om"' in html and 'href="/wx/review"' not in html  # field staff of an O&M institution
    me = client.get("/wx/me").get_data(as_text=True)
    assert "已绑定微信" in me and username in me and "运维人员" in me

    # Another day, another browser: the same WeChat user goes straight to the page asked for.
    again = system.test_client()
    callback = authorize(again, "/wx/me")
    assert _path(callback) == "/wx/me"
    assert again.get_cookie("emss_session") is not None
    assert "已绑定微信" in again.get("/wx/me").get_data(as_text=True)


def test_unbinding_signs_out_and_the_next_visit_asks_for_a_binding_again(system, field_staff):
    username, _ = field_staff
    client = system.test_client()
    authorize(client, "/wx/me", openid="oE2eUnbind0000000000000001")
    assert _path(bind(client, username)) == "/wx/me"  # back to the page first asked for
    me = client.get("/wx/me").get_data(as_text=True)
    resp = client.post("/wx/me/unbind", data={"csrf_token": _hidden(me, "csrf_token")})
    assert resp.status_code == 200 and "已解除绑定" in resp.get_data(as_text=True)
    assert client.get_cookie("emss_session") is None
    assert _path(client.get("/wx/")).startswith("/wx/oauth/start")
    assert _path(authorize(client, "/wx/", openid="oE2eUnbind0000000000000001")) == "/wx/me"


def test_an_unbind_without_the_csrf_token_is_refused(system, field_staff):
    username, _ = field_staff
    client = system.test_client()
    authorize(client, "/wx/", openid="oE2eCsrf000000000000000001")
    bind(client, username)
    assert client.post("/wx/me/unbind").status_code == 403
    assert "已绑定微信" in client.get("/wx/me").get_data(as_text=True)


def test_a_regulator_cannot_bind(system, login):
    admin = login("admin", ADMIN_PASSWORD)
    status, _ = admin.post("/regulators", {**b.account("wxe2ereg"), "district": "浦东新区"})
    assert status in (200, 201)
    client = system.test_client()
    authorize(client, "/wx/", openid="oE2eRegulator0000000000001")
    refused = bind(client, "wxe2ereg")
    assert refused.status_code == 403
    assert "不能绑定微信" in refused.get_data(as_text=True)
    assert client.get_cookie("emss_session") is None


def test_a_tampered_or_missing_state_is_refused(system, field_staff):
    client = system.test_client()
    start = client.get("/wx/oauth/start?next=/wx/me")
    params = _query(start)
    page = client.get(_path(start))
    agreed = client.post("/wechat/sim/authorize", data={
        "redirect_uri": params["redirect_uri"], "state": params["state"], "openid": OPENID,
        "csrf_token": _hidden(page.get_data(as_text=True), "csrf_token")})
    code = _query(agreed)["code"]
    tampered = client.get(f"/wx/oauth/callback?code={code}&state={params['state']}x")
    assert tampered.status_code == 400
    assert "state" in tampered.get_data(as_text=True)
    # Another browser (no state cookie) replaying the callback gets nowhere either.
    other = system.test_client()
    replay = other.get(f"/wx/oauth/callback?code={code}&state={params['state']}")
    assert replay.status_code == 400
    assert other.get_cookie("emss_session") is None and other.get_cookie("emss_wx_pending") is None


def test_a_code_is_single_use(system, field_staff):
    client = system.test_client()
    start = client.get("/wx/oauth/start?next=/wx/")
    params = _query(start)
    page = client.get(_path(start))
    agreed = client.post("/wechat/sim/authorize", data={
        "redirect_uri": params["redirect_uri"], "state": params["state"], "openid": OPENID,
        "csrf_token": _hidden(page.get_data(as_text=True), "csrf_token")})
    callback_url = _path(agreed)
    assert client.get(callback_url).status_code == 302
    # With a fresh, valid state the spent code is still refused.
    state = _query(client.get("/wx/oauth/start?next=/wx/"))["state"]
    reused = client.get(callback_url.split("&state=")[0] + f"&state={state}")
    assert reused.status_code == 400
    assert "授权码无效或已使用" in reused.get_data(as_text=True)


@pytest.mark.parametrize("target", ["https://evil.example.com/steal", "//evil.example.com/wx/",
                                    "/\\evil.example.com", "/portal/institution"])
def test_sign_in_never_redirects_off_the_wechat_pages(system, field_staff, target):
    username, _ = field_staff
    client = system.test_client()
    start = client.get("/wx/oauth/start", query_string={"next": target})
    params = _query(start)
    page = client.get(_path(start))
    agreed = client.post("/wechat/sim/authorize", data={
        "redirect_uri": params["redirect_uri"], "state": params["state"],
        "openid": "oE2eRedirect00000000000001",
        "csrf_token": _hidden(page.get_data(as_text=True), "csrf_token")})
    callback = client.get(_path(agreed))
    assert _path(callback) == "/wx/me"
    done = bind(client, username)
    assert done.headers["Location"] in ("/wx/", "http://localhost/wx/")
    # Bound now: a direct sign-in with the same target also ends on /wx/.
    fresh = system.test_client()
    start = fresh.get("/wx/oauth/start", query_string={"next": target})
    params = _query(start)
    page = fresh.get(_path(start))
    agreed = fresh.post("/wechat/sim/authorize", data={
        "redirect_uri": params["redirect_uri"], "state": params["state"],
        "openid": "oE2eRedirect00000000000001",
        "csrf_token": _hidden(page.get_data(as_text=True), "csrf_token")})
    assert fresh.get(_path(agreed)).headers["Location"] in ("/wx/", "http://localhost/wx/")


def test_the_simulator_only_sends_codes_back_to_our_callback(system):
    client = system.test_client()
    for uri in ("https://evil.example.com/wx/oauth/callback", "http://localhost/steal",
                "//evil.example.com/wx/oauth/callback"):
        page = client.get("/wechat/sim/authorize", query_string={"redirect_uri": uri, "state": "s"})
        assert page.status_code == 400
        posted = client.post("/wechat/sim/authorize", data={"redirect_uri": uri, "state": "s",
                                                            "openid": OPENID})
        assert posted.status_code == 400 and "Location" not in posted.headers


def test_wechat_pages_without_a_session_go_to_wechat_sign_in_not_the_password_form(system):
    client = system.test_client()
    for path, back in (("/wx/", "/wx/"), ("/wx/me", "/wx/me")):
        resp = client.get(path)
        assert _path(resp).startswith("/wx/oauth/start?")
        assert _query(resp)["next"].rstrip("?") == back
    assert _path(client.get("/portal/institution")).startswith("/login")
    posted = client.post("/wx/me/unbind")
    assert _path(posted).startswith("/wx/oauth/start") and "next" not in _query(posted)
