"""`/wechat/sim/authorize`: a stand-in for WeChat's authorisation screen, for development and tests.

Mounted only when WECHAT_OAUTH=simulator. A developer enters or picks a simulated WeChat user and
agrees; the browser goes back to EMSS's OAuth callback with a one-time code, exactly as WeChat
would send it. Like WeChat, it only sends people back to the registered callback, never elsewhere.
"""
import re
import secrets
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from ..auth import PUBLIC, csrf_token, requires

bp = Blueprint("wechat_sim", __name__)

OPENID = re.compile(r"^[A-Za-z0-9_-]{6,64}$")


def _provider():
    return current_app.extensions["emss_wechat"].provider


def _callback_ok(redirect_uri):
    parts = urlsplit(redirect_uri or "")
    if parts.path != url_for("wx.oauth_callback"):
        return False
    return (not parts.scheme and not parts.netloc) or \
        (parts.scheme in ("http", "https") and parts.netloc == request.host)


def _suggested_openid():
    # The shape of a real openid: "o" and 27 characters of the URL-safe alphabet.
    return "o" + secrets.token_urlsafe(21)[:27]


@bp.route("/wechat/sim/authorize", methods=["GET", "POST"])
@requires(PUBLIC)
def authorize(actor):
    source = request.form if request.method == "POST" else request.args
    redirect_uri, state = source.get("redirect_uri", ""), source.get("state", "")
    if not _callback_ok(redirect_uri):
        return render_template("wx/error.html", status=400, csrf_token=csrf_token(),
                               message="授权回调地址不是本系统的微信登录回调（模拟器）"), 400
    error, openid, nickname = None, "", ""
    if request.method == "POST":
        openid = (request.form.get("openid") or "").strip()
        nickname = (request.form.get("nickname") or "").strip()[:32]
        if not OPENID.match(openid):
            error = "openid 应为6到64位字母、数字、_ 或 -"
        else:
            code = _provider().issue_code(openid, nickname)
            joiner = "&" if urlsplit(redirect_uri).query else "?"
            return redirect(redirect_uri + joiner + urlencode({"code": code, "state": state}))
    return render_template("wx/sim_authorize.html", csrf_token=csrf_token(), error=error,
                           redirect_uri=redirect_uri, state=state, users=_provider().users(),
                           openid=openid or _suggested_openid(), nickname=nickname)
