"""Login, logout and password change for every kind of account."""
import hashlib
import hmac
import secrets

from flask import current_app, redirect, request, url_for, make_response

from ..auth import AUTHENTICATED, COOKIE, PUBLIC, request_token
from . import bp, page, render, services, attempt

HOME_BY_ROLE = (
    ("sysadmin", "pages.admin_home"),
    ("regulator", "pages.regulator_home"),
    ("institution_admin", "pages.institution_home"),
    ("reviewer", "pages.institution_home"),
    ("field_staff", "pages.institution_home"),
    ("enterprise_user", "pages.enterprise_home"),
)


def home_for(actor):
    roles = set(actor.get("roles", []))
    for role, endpoint in HOME_BY_ROLE:
        if role in roles and endpoint in current_app.view_functions:
            return url_for(endpoint)
    return url_for("pages.home")


def _safe_next(target):
    # Only same-site paths: an open redirect would help phishing.
    return target if target and target.startswith("/") and not target.startswith("//") else None


# Login CSRF: before signing in there is no session to tie a form token to, so the login page
# gives the browser a random nonce (a Lax cookie, not sent on another site's post) and the form
# carries its HMAC. Another site can neither read the nonce nor post the form with it, so it cannot
# sign a visitor in under the attacker's account.
LOGIN_NONCE = "emss_login_nonce"
EXPIRED = "登录页面已过期，请重新输入后登录"


def _login_token(nonce):
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"login:" + nonce.encode(), hashlib.sha256).hexdigest()


def _login_form_valid():
    nonce = request.cookies.get(LOGIN_NONCE) or ""
    sent = request.form.get("csrf_token") or ""
    return bool(nonce) and hmac.compare_digest(sent, _login_token(nonce))


@bp.route("/login", methods=["GET", "POST"])
@page(PUBLIC)
def login(actor):
    error, status = None, 200
    if request.method == "POST":
        if not _login_form_valid():
            error, status = EXPIRED, 403
        else:
            result, error = attempt(services().registry.login,
                                    {"username": request.form.get("username", ""),
                                     "password": request.form.get("password", "")},
                                    request.remote_addr)  # lock-out counts per source
            if result:
                target = _safe_next(request.args.get("next")) or home_for(result["actor"])
                response = make_response(redirect(target))
                response.set_cookie(COOKIE, result["token"], httponly=True, samesite="Lax",
                                    secure=current_app.config["EMSS_SECURE_COOKIES"],
                                    max_age=int(current_app.config["EMSS_SETTINGS"].session_hours * 3600))
                response.delete_cookie(LOGIN_NONCE)
                return response
    nonce = request.cookies.get(LOGIN_NONCE) or secrets.token_urlsafe(24)
    response = make_response(render("login.html", error=error, username=request.form.get("username", ""),
                                    login_token=_login_token(nonce)), status)
    response.set_cookie(LOGIN_NONCE, nonce, httponly=True, samesite="Lax",
                        secure=current_app.config["EMSS_SECURE_COOKIES"])
    return response


@bp.post("/logout")
@page(AUTHENTICATED)
def logout(actor):
    token, _ = request_token()
    current_app.extensions["emss_sessions"].evict(token)
    services().registry.logout(token)
    response = make_response(redirect(url_for("pages.home")))
    response.delete_cookie(COOKIE)
    return response


@bp.route("/account/password", methods=["GET", "POST"])
@page(AUTHENTICATED)
def change_password(actor):
    error, done = None, False
    if request.method == "POST":
        result, error = attempt(services().registry.change_password, actor,
                                {"old_password": request.form.get("old_password", ""),
                                 "new_password": request.form.get("new_password", "")})
        done = result is not None
        if done:
            current_app.extensions["emss_sessions"].evict(request_token()[0])
    return render("password.html", error=error, done=done)
