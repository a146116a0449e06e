"""The WeChat H5 pages' entry: sign-in through WeChat OAuth, account binding (我的信息 → 账户绑定)
and the mobile home (业务管理).

Flow: a /wx/ page without a session → /wx/oauth/start?next=… → the provider's authorisation →
/wx/oauth/callback?code&state (state checked against a signed cookie) → registry
`wechat_login(openid)`: bound → a normal session (cookie emss_session) and back to `next`;
not bound → the openid is kept in a signed, short-lived cookie and /wx/me shows the binding form.

Other /wx/ pages (field records, confirmation, review, sampling) may live in any blueprint: the
app sends an unauthenticated request under /wx/ to `wx.oauth_start` instead of the login form.
They extend templates/wx/base.html (blocks title, content, scripts).
"""
import hmac
import hashlib
import posixpath
import secrets
from urllib.parse import urlsplit, urlunsplit

from flask import Blueprint, current_app, make_response, redirect, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

from emss_common.errors import Forbidden

from ..auth import AUTHENTICATED, COOKIE, PUBLIC, csrf_token, current_actor, request_token
from ..wechat import menu
from ..wechat.oauth import OAuthError
from . import attempt, page, services

bp = Blueprint("wx", __name__, url_prefix="/wx", template_folder="../templates")

HOME = "/wx/"
STATE_COOKIE = "emss_wx_oauth"
PENDING_COOKIE = "emss_wx_pending"
# The round trip through WeChat takes seconds; binding takes a minute or two of typing.
STATE_SECONDS = 10 * 60
PENDING_SECONDS = 15 * 60


def safe_wx_next(target):
    """`target` when it is a path of the WeChat pages on this site, else /wx/: after sign-in we
    only ever go back into /wx/, never to another host (open redirect) or to the OAuth routes."""
    if not target or not isinstance(target, str) or len(target) > 1000:
        return HOME
    if any(ord(c) < 32 or c == "\\" for c in target):
        return HOME
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/wx/"):
        return HOME
    path = posixpath.normpath(parts.path) + ("/" if parts.path.endswith("/") else "")
    if not path.startswith("/wx/") or path.startswith("/wx/oauth/") or path.startswith("//"):
        return HOME
    return urlunsplit(("", "", path, parts.query, ""))


def render_wx(template, **context):
    return render_template(template, actor=current_actor(), csrf_token=csrf_token(), **context)


def _wechat():
    return current_app.extensions["emss_wechat"]


def _serializer(purpose):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"emss-wx-{purpose}")


def _cookie(response, name, value, max_age):
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="Lax",
                        secure=current_app.config["EMSS_SECURE_COOKIES"], path="/wx/")


def _signed(name, purpose, max_age):
    raw = request.cookies.get(name)
    if not raw:
        return None
    try:
        data = _serializer(purpose).loads(raw, max_age=max_age)
    except BadSignature:  # includes SignatureExpired
        return None
    return data if isinstance(data, dict) else None


def _start_session(response, token):
    """The session cookie, as the login page sets it; the browser's previous session ends."""
    old, _ = request_token()
    if old and old != token:
        current_app.extensions["emss_sessions"].evict(old)
        services().registry.logout(old)
    response.set_cookie(COOKIE, token, httponly=True, samesite="Lax",
                        secure=current_app.config["EMSS_SECURE_COOKIES"],
                        max_age=int(current_app.config["EMSS_SETTINGS"].session_hours * 3600))
    return response


# ----- sign-in through WeChat OAuth -----

@bp.get("/oauth/start")
def oauth_start():
    state = secrets.token_urlsafe(24)
    target = safe_wx_next(request.args.get("next"))
    callback = _wechat().base_url(request) + url_for("wx.oauth_callback")
    response = redirect(_wechat().provider.authorize_url(callback, state))
    _cookie(response, STATE_COOKIE, _serializer("state").dumps({"state": state, "next": target}),
            STATE_SECONDS)
    return response


@bp.get("/oauth/callback")
def oauth_callback():
    started = _signed(STATE_COOKIE, "state", STATE_SECONDS)
    if started is None:
        raise OAuthError("登录已超时或未从本系统发起，请从公众号菜单重新进入", field="state")
    if not hmac.compare_digest(request.args.get("state", ""), str(started.get("state", ""))):
        raise OAuthError("授权校验失败（state 不符），请从公众号菜单重新进入", field="state")
    code = request.args.get("code")
    if not code:
        raise OAuthError("未获得微信授权，请从公众号菜单重新进入", field="code")
    openid = _wechat().provider.exchange(code)
    target = safe_wx_next(started.get("next"))
    result = services().registry.wechat_login(openid)
    if result["bound"]:
        response = _start_session(redirect(target), result["token"])
    else:
        response = redirect(url_for("wx.me"))
        pending = {"openid": openid, "next": target, "nonce": secrets.token_urlsafe(16)}
        _cookie(response, PENDING_COOKIE, _serializer("pending").dumps(pending), PENDING_SECONDS)
    response.delete_cookie(STATE_COOKIE, path="/wx/")
    return response


# ----- 我的信息 → 账户绑定 -----

def _pending():
    data = _signed(PENDING_COOKIE, "pending", PENDING_SECONDS)
    return data if data and data.get("openid") and data.get("nonce") else None


def _bind_token(pending):
    """Ties the binding form to this browser's pending WeChat user (no session exists yet, so
    the session's CSRF token cannot)."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"wx-bind|{pending['nonce']}".encode(), hashlib.sha256).hexdigest()


def _bind_form(pending, error=None, username=""):
    return render_wx("wx/bind.html", error=error, username=username,
                     bind_token=_bind_token(pending))


@bp.get("/me")
@page(PUBLIC)
def me(actor):
    pending = _pending()
    if pending:
        return _bind_form(pending, username=(actor or {}).get("username", ""))
    if actor is None:
        return redirect(url_for("wx.oauth_start", next=url_for("wx.me")))
    return render_wx("wx/me.html", info=services().registry.wechat_binding(actor), error=None)


@bp.post("/me/bind")
@page(PUBLIC)
def bind(actor):
    pending = _pending()
    if pending is None:
        raise OAuthError("绑定页面已超时，请从公众号菜单“我的信息 → 账户绑定”重新进入", field="state")
    if not hmac.compare_digest(request.form.get("bind_token", ""), _bind_token(pending)):
        raise Forbidden("页面已过期，请从公众号菜单重新进入（校验失败）")
    username = (request.form.get("username") or "").strip()
    result, error = attempt(services().registry.bind_wechat, pending["openid"], username,
                            request.form.get("password", ""), request.remote_addr)
    if error:
        return _bind_form(pending, error=error, username=username), error.http_status
    response = _start_session(redirect(safe_wx_next(pending.get("next"))), result["token"])
    response.delete_cookie(PENDING_COOKIE, path="/wx/")
    return response


@bp.post("/me/unbind")
@page(AUTHENTICATED)
def unbind(actor):
    result, error = attempt(services().registry.unbind_wechat, actor)
    if error:
        return render_wx("wx/me.html", info=services().registry.wechat_binding(actor),
                         error=error), error.http_status
    # Unbinding from this phone also signs it out: the next visit asks who is there again.
    token, _ = request_token()
    current_app.extensions["emss_sessions"].evict(token)
    services().registry.logout(token)
    response = make_response(render_template("wx/unbound.html", actor=None, csrf_token=""))
    response.delete_cookie(COOKIE)
    return response


# ----- 业务管理: the mobile home -----

@bp.get("/")
@page(AUTHENTICATED)
def home(actor):
    info = services().registry.wechat_binding(actor)
    institution_type = (info.get("institution") or {}).get("type")
    tiles = menu.home_tiles(actor.get("roles", []), institution_type)
    counts = {}
    if any(t.key == "WX_ORDERS" for t in tiles):
        from .orders_pages import awaiting_count
        counts["WX_ORDERS"] = awaiting_count(actor)
    return render_wx("wx/home.html", info=info, tiles=tiles, counts=counts)
