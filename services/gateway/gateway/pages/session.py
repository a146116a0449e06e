"""Login, logout and password change for every kind of account."""
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


@bp.route("/login", methods=["GET", "POST"])
@page(PUBLIC)
def login(actor):
    error = None
    if request.method == "POST":
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
            return response
    return render("login.html", error=error, username=request.form.get("username", ""))


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
